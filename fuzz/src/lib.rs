//! The fuzz target's harness: turns bytes into a request, runs it through ivs-local's real
//! router (`ivs_local::server::router`, with every middleware) and checks the answer.
//!
//! An input is a request in HTTP/1.1's text form without the version, which keeps seeds
//! readable and lets libFuzzer's mutations keep their shape:
//!
//! ```text
//! METHOD TARGET
//! Name: value
//!
//! BODY
//! ```
//!
//! Lines end with `\n` (a `\r` before it is dropped); the body is every byte after the first
//! empty line. Bytes that cannot form a request (a method, target or header that the `http`
//! crate refuses) are skipped: hyper refuses those before any router sees them.
//!
//! Every input meets the same state: a reset, then the resources of [`Known`] made again
//! through the API with a fixed id seed, so their ARNs are the same each time and the seed
//! corpus can name them.

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use ivs_local::api::model::{Operation, model};
use ivs_local::api::validate::is_valid_body;
use ivs_local::api::validated_input;
use ivs_local::server::{Config, router};
use serde_json::{Value, json};
use std::sync::LazyLock;
use tower::ServiceExt;

// The valid inputs of the integration tests, for the seed corpus, and the rule every answer
// keeps; shared with `tests/mutation.rs`.
#[path = "../../tests/common/model_inputs.rs"]
pub mod model_inputs;
#[path = "../../tests/common/requests.rs"]
pub mod requests;

pub use requests::{Known, judge};

/// The account and region the seeds and the known resources use.
pub const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=123456789012/20240101/us-west-2/ivs/aws4_request, SignedHeaders=host, Signature=0";

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| Harness {
    runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
    router: router(Config { seed: Some(1), ..Config::default() }),
});

/// One request, parsed from an input.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub method: Vec<u8>,
    pub target: Vec<u8>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
}

fn line(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// Reads an input; `None` when it has no request line.
pub fn parse(data: &[u8]) -> Option<Parsed> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n').map(line);
    let request_line = lines.next()?;
    let space = request_line.iter().position(|&b| b == b' ')?;
    let (method, target) = (&request_line[..space], &request_line[space + 1..]);
    let headers = lines
        .filter_map(|l| {
            let colon = l.iter().position(|&b| b == b':')?;
            let value = &l[colon + 1..];
            let value = value.strip_prefix(b" ").unwrap_or(value);
            Some((l[..colon].to_vec(), value.to_vec()))
        })
        .collect();
    Some(Parsed { method: method.to_vec(), target: target.to_vec(), headers, body: body.to_vec() })
}

/// The input [`parse`] reads back as this request.
pub fn encode(method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target}\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\n").as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

fn build(parsed: &Parsed) -> Option<Request<Body>> {
    let mut builder =
        Request::builder().method(parsed.method.as_slice()).uri(parsed.target.as_slice());
    for (name, value) in &parsed.headers {
        builder = builder.header(name.as_slice(), value.as_slice());
    }
    builder.body(Body::from(parsed.body.clone())).ok()
}

/// Sends one request through the router: status, headers, body.
async fn send(request: Request<Body>) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    let response = HARNESS.router.clone().oneshot(request).await.expect("the router is infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    // An event stream never ends: its head is the answer.
    let streaming =
        headers.get("content-type").is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
    let body = match streaming {
        true => Vec::new(),
        false => response.into_body().collect().await.expect("a body").to_bytes().to_vec(),
    };
    (status, headers, body)
}

/// A JSON call for setting up state; its answer must be a 200.
async fn call(path: &str, body: Value) -> Value {
    let request = Request::post(path)
        .header("authorization", AUTHORIZATION)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, _, body) = send(request).await;
    assert_eq!(status, 200, "setting up {path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("JSON")
}

/// Forgets everything, then makes the known resources again. With the fixed seed, the ids
/// come out the same every time.
async fn reset() -> Known {
    call("/_ivs-local/reset", json!({})).await;
    let text = |v: &Value| v.as_str().expect("a string").to_string();
    let rc = call(
        "/CreateRecordingConfiguration",
        json!({"destinationConfiguration": {"s3": {"bucketName": "vods"}}}),
    )
    .await;
    let policy = call("/CreatePlaybackRestrictionPolicy", json!({})).await;
    let recording_configuration = text(&rc["recordingConfiguration"]["arn"]);
    let live = call(
        "/CreateChannel",
        json!({"name": "live", "recordingConfigurationArn": recording_configuration}),
    )
    .await;
    let spare = call("/CreateChannel", json!({"name": "spare"})).await;
    let stage = call("/CreateStage", json!({"name": "fuzz"})).await;
    call("/_ivs-local/broadcasts/start", json!({"streamKey": live["streamKey"]["value"]})).await;
    Known {
        token: None,
        participant: None,
        live_channel: text(&live["channel"]["arn"]),
        channel: text(&spare["channel"]["arn"]),
        stream_key_arn: text(&spare["streamKey"]["arn"]),
        stream_key: text(&spare["streamKey"]["value"]),
        playback_url: text(&live["channel"]["playbackUrl"]),
        recording_configuration,
        policy: text(&policy["playbackRestrictionPolicy"]["arn"]),
        stage: text(&stage["stage"]["arn"]),
    }
}

/// The known resources, as every input sees them.
pub fn known() -> Known {
    HARNESS.runtime.block_on(reset())
}

/// The fuzz target: one input, checked.
pub fn run(data: &[u8]) {
    let Some(parsed) = parse(data) else { return };
    let Some(request) = build(&parsed) else { return };
    HARNESS.runtime.block_on(async {
        reset().await;
        let (status, headers, body) = send(request).await;
        if let Some(why) = judge(&parsed.target, status, &headers, &body) {
            panic!(
                "{} {}: {why}",
                String::from_utf8_lossy(&parsed.method),
                String::from_utf8_lossy(&parsed.target)
            );
        }
    });
}

/// The operations whose body is their whole input, in the order the `body_check` target's
/// first byte picks them.
pub fn body_operations() -> &'static [Operation] {
    static OPERATIONS: LazyLock<Vec<Operation>> = LazyLock::new(|| {
        Operation::all().filter(|op| op.def().body_input(model(op.service())).is_some()).collect()
    });
    &OPERATIONS
}

/// The `body_check` target: the first byte picks an operation, the rest is its body.
pub fn body_check(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else { return };
    let operations = body_operations();
    let op = operations[usize::from(pick) % operations.len()];
    let model = model(op.service());
    let shape = op.def().body_input(model).expect("a body-only operation");
    if !is_valid_body(model, shape, body) {
        return;
    }
    let text = String::from_utf8_lossy(body);
    let value = match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.is_object() => value,
        other => panic!("{}: the body check accepts {text:?}, which reads as {other:?}", op.name()),
    };
    if let Err(e) = validated_input(op, &value) {
        panic!(
            "{}: the body check accepts {text:?}, which validation refuses: {}",
            op.name(),
            e.message
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_and_parse_agree() {
        let headers = vec![("content-type".to_string(), "application/json".to_string())];
        let input = encode("POST", "/CreateChannel?x=1", &headers, b"{\"name\":\"a\"}\n\nmore");
        let parsed = parse(&input).unwrap();
        assert_eq!(parsed.method, b"POST");
        assert_eq!(parsed.target, b"/CreateChannel?x=1");
        assert_eq!(parsed.headers, vec![(b"content-type".to_vec(), b"application/json".to_vec())]);
        assert_eq!(parsed.body, b"{\"name\":\"a\"}\n\nmore");
    }
}
