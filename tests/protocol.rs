//! The wire protocol over real HTTP: routing of all 79 operations and of the shared tag paths,
//! clear JSON answers to bad input (which must change nothing), the error wire format as raw
//! JSON and as the SDK's typed errors, the `/_ivs-local/` endpoints, and STS
//! `GetCallerIdentity`.
//!
//! Raw requests that act on a channel the SDK created carry an `Authorization` header naming
//! the SDK's account and region, since the credential picks the scope a request acts in.

mod common;

use aws_sdk_ivs::operation::RequestId;
use aws_sdk_ivs::operation::create_stream_key::CreateStreamKeyError;
use aws_sdk_ivs::operation::get_channel::GetChannelError;
use aws_sdk_ivs::types::Channel;
use common::{RawResponse, TestServer};
use ivs_local::api::MAX_BODY_BYTES;
use ivs_local::api::is_implemented;
use ivs_local::api::model::{Location, Operation, Service, Shape, model};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Client, Method};
use serde_json::json;

/// ARN resource types and the service whose tag operations own them (reference 1.3).
const IVS_TYPES: [&str; 6] = [
    "channel",
    "stream-key",
    "playback-key",
    "recording-configuration",
    "playback-restriction-policy",
    "ad-configuration",
];
const REALTIME_TYPES: [&str; 6] = [
    "stage",
    "storage-configuration",
    "encoder-configuration",
    "composition",
    "public-key",
    "ingest-configuration",
];

fn encode(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// An ARN in the scope of unsigned requests (the server's default account and region).
fn default_scope_arn(kind: &str) -> String {
    format!("arn:aws:ivs:us-east-1:000000000000:{kind}/abcdABCD1234")
}

/// A raw request in the SDK clients' account and region (signature not checked).
fn raw(server: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    let credential = format!(
        "AWS4-HMAC-SHA256 Credential={}/20240101/{}/ivs/aws4_request, SignedHeaders=host, Signature=0",
        common::ACCOUNT,
        common::REGION
    );
    Client::new()
        .request(method, format!("{}{path}", server.url))
        .header("authorization", credential)
}

fn json_post(
    server: &TestServer,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    raw(server, Method::POST, path).header("content-type", "application/json").body(body)
}

/// A clear error answer: the status, `x-amzn-ErrorType`, `x-amzn-RequestId`, and a JSON
/// object body with a message.
#[track_caller]
fn assert_json_error(r: &RawResponse, status: u16, error_type: &str) {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.error_type.as_deref(), Some(error_type), "{r:?}");
    assert!(r.request_id.as_deref().is_some_and(|id| !id.is_empty()), "{r:?}");
    assert!(r.content_type.as_deref().is_some_and(|t| t.starts_with("application/json")), "{r:?}");
    assert!(!r.message().is_empty(), "{r:?}");
}

/// A server with one channel made through the SDK, and that channel as GetChannel saw it.
struct WithChannel {
    server: TestServer,
    arn: String,
    before: Channel,
}

impl WithChannel {
    async fn start() -> Self {
        let server = common::start().await;
        let out = server
            .ivs()
            .create_channel()
            .name("original")
            .tags("team", "video")
            .send()
            .await
            .unwrap();
        let arn = out.channel().unwrap().arn().unwrap().to_string();
        let before = get_channel(&server, &arn).await;
        WithChannel { server, arn, before }
    }

    /// The channel is still there, unchanged, and still the only one.
    async fn assert_unchanged(&self) {
        assert_eq!(get_channel(&self.server, &self.arn).await, self.before);
        let list = self.server.ivs().list_channels().send().await.unwrap();
        assert_eq!(list.channels().len(), 1, "{list:?}");
    }
}

async fn get_channel(server: &TestServer, arn: &str) -> Channel {
    let out = server.ivs().get_channel().arn(arn).send().await.unwrap();
    out.channel().unwrap().clone()
}

// ---------------------------------------------------------------------------------------------
// (a) Routing

/// Each operation's method and path with `{}` must reach that operation: a ValidationException
/// naming exactly its required body members, a 501 naming it, or (implemented, nothing
/// required) its success status or a 404.
#[tokio::test]
async fn every_operation_of_both_models_routes_to_itself() {
    let server = common::start().await;
    let client = Client::new();
    let mut checked = 0;
    for op in Operation::all() {
        let def = op.def();
        let service = op.service();
        let arn = match service {
            Service::Ivs => default_scope_arn("channel"),
            Service::IvsRealtime => default_scope_arn("stage"),
        };
        let path = def.http.request_uri.replace("{resourceArn}", &encode(&arn));
        let method = Method::from_bytes(def.http.method.as_bytes()).unwrap();
        let r = server
            .send(
                client
                    .request(method, format!("{}{path}", server.url))
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;

        let input = &def.input.as_ref().unwrap().shape;
        let Shape::Structure { members, required } = model(service).shape(input) else {
            panic!("{input} is not a structure");
        };
        let missing: Vec<&String> = required
            .iter()
            // URI labels are in the path; body and query members are absent from `{}`.
            .filter(|m| members[*m].location != Some(Location::Uri))
            .collect();
        let what = format!("{} {} ({} {path})", service.name(), op.name(), def.http.method);
        if !missing.is_empty() {
            assert_json_error(&r, 400, "ValidationException");
            let n = missing.len();
            let noun = if n == 1 { "error" } else { "errors" };
            assert!(
                r.message().starts_with(&format!("{n} validation {noun} detected")),
                "{what}: {}",
                r.message()
            );
            for m in missing {
                let wanted = format!(
                    "Value null at '{m}' failed to satisfy constraint: Member must not be null"
                );
                assert!(r.message().contains(&wanted), "{what}: {}", r.message());
            }
        } else if !is_implemented(op) {
            assert_json_error(&r, 501, "NotImplementedException");
            assert!(
                r.message().contains(&format!("{} operation {}", service.name(), op.name())),
                "{what}: {}",
                r.message()
            );
        } else if r.status == 404 {
            assert_json_error(&r, 404, "ResourceNotFoundException");
        } else {
            assert_eq!(r.status, def.http.response_code, "{what}: {r:?}");
        }
        checked += 1;
    }
    assert_eq!(checked, 79);
}

/// Both services have `/tags/{resourceArn}`; the ARN's resource type picks the service. Both
/// answer 404 for a resource that does not exist, so the observable difference used here is
/// the model's: ivs restricts tag keys by a pattern, ivs-realtime does not.
#[tokio::test]
async fn tag_paths_route_by_the_arn_resource_type() {
    let key_has_pattern =
        |service| matches!(model(service).shape("TagKey"), Shape::String { pattern: Some(_), .. });
    assert!(key_has_pattern(Service::Ivs) && !key_has_pattern(Service::IvsRealtime));

    let server = common::start().await;
    let client = Client::new();
    let types = IVS_TYPES
        .iter()
        .map(|t| (t, Service::Ivs))
        .chain(REALTIME_TYPES.iter().map(|t| (t, Service::IvsRealtime)));
    for (kind, service) in types {
        let arn = default_scope_arn(kind);
        for path in [encode(&arn), arn.clone()] {
            let r = server.send(client.get(format!("{}/tags/{path}", server.url))).await;
            assert_json_error(&r, 404, "ResourceNotFoundException");
            assert!(r.message().contains(&arn), "{}", r.message());
        }

        let r = server
            .send(
                client
                    .post(format!("{}/tags/{}", server.url, encode(&arn)))
                    .header("content-type", "application/json")
                    .body(r#"{"tags": {"bad#key": "v"}}"#),
            )
            .await;
        match service {
            Service::Ivs => {
                assert_json_error(&r, 400, "ValidationException");
                assert!(r.message().contains("at 'tags.key'"), "{kind}: {}", r.message());
            }
            Service::IvsRealtime => assert_json_error(&r, 404, "ResourceNotFoundException"),
        }
    }
}

#[tokio::test]
async fn tag_paths_work_with_encoded_and_unencoded_arns() {
    let WithChannel { server, arn, .. } = WithChannel::start().await;
    let r = server
        .send(json_post(
            &server,
            &format!("/tags/{}", encode(&arn)),
            r#"{"tags": {"a": "1", "b c": "2"}}"#,
        ))
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    let r = server.send(raw(&server, Method::GET, &format!("/tags/{arn}"))).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["tags"], json!({"team": "video", "a": "1", "b c": "2"}));

    let r = server
        .send(raw(&server, Method::DELETE, &format!("/tags/{arn}?tagKeys=a&tagKeys=b%20c")))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let out = server.ivs().list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert_eq!(out.tags().len(), 1);
    assert_eq!(out.tags().get("team").map(String::as_str), Some("video"));
}

// ---------------------------------------------------------------------------------------------
// (b) Bad input: a clear 4xx JSON answer, and nothing changes

#[tokio::test]
async fn unknown_path_is_a_json_404() {
    let fx = WithChannel::start().await;
    for (method, path) in [
        (Method::POST, "/NoSuchOperation"),
        (Method::POST, "/createchannel"),
        (Method::GET, "/tags"),
        (Method::POST, "/"),
    ] {
        let r = fx.server.send(raw(&fx.server, method, path)).await;
        assert_json_error(&r, 404, "UnknownOperationException");
    }
    let r = fx.server.send(json_post(&fx.server, "/NoSuchOperation", "{}")).await;
    assert!(r.message().contains("POST /NoSuchOperation"), "{}", r.message());
    fx.assert_unchanged().await;
}

#[tokio::test]
async fn wrong_method_on_a_known_path_is_a_json_405() {
    let fx = WithChannel::start().await;
    let body = json!({"arn": fx.arn}).to_string();
    for (method, path) in [
        (Method::GET, "/CreateChannel".to_string()),
        (Method::DELETE, "/DeleteChannel".to_string()),
        (Method::PUT, format!("/tags/{}", encode(&fx.arn))),
    ] {
        let request = raw(&fx.server, method, &path)
            .header("content-type", "application/json")
            .body(body.clone());
        let r = fx.server.send(request).await;
        assert_json_error(&r, 405, "MethodNotAllowedException");
        assert!(r.message().contains("POST"), "{}", r.message());
    }
    fx.assert_unchanged().await;
}

#[tokio::test]
async fn malformed_json_is_a_400_that_changes_nothing() {
    let fx = WithChannel::start().await;
    let truncated = format!(r#"{{"arn": "{}""#, fx.arn);
    for (path, body) in [
        ("/DeleteChannel", truncated.clone()),
        ("/UpdateChannel", format!(r#"{{"arn": "{}", "name": "x",}}"#, fx.arn)),
        ("/CreateChannel", "{".to_string()),
    ] {
        let r = fx.server.send(json_post(&fx.server, path, body)).await;
        assert_json_error(&r, 400, "SerializationException");
    }
    fx.assert_unchanged().await;
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_a_400() {
    let fx = WithChannel::start().await;
    for body in [
        json!([{"arn": fx.arn}]).to_string(),
        json!(fx.arn).to_string(),
        "5".to_string(),
        "null".to_string(),
    ] {
        let r = fx.server.send(json_post(&fx.server, "/DeleteChannel", body)).await;
        assert_json_error(&r, 400, "SerializationException");
    }
    fx.assert_unchanged().await;
}

#[tokio::test]
async fn an_oversize_body_is_a_413_that_changes_nothing() {
    let fx = WithChannel::start().await;
    // Valid JSON that would rename or delete the channel, one byte over the limit and far over.
    for size in [MAX_BODY_BYTES + 1, 8 * MAX_BODY_BYTES] {
        let head = format!(r#"{{"arn": "{}", "name": "renamed", "padding": ""#, fx.arn);
        let body = format!("{head}{}\"}}", " ".repeat(size - head.len() - 2));
        assert_eq!(body.len(), size);
        for path in ["/UpdateChannel", "/DeleteChannel"] {
            let r = fx.server.send(json_post(&fx.server, path, body.clone())).await;
            assert_json_error(&r, 413, "PayloadTooLargeException");
        }
    }
    fx.assert_unchanged().await;
}

#[tokio::test]
async fn a_body_at_the_limit_comes_in_pieces_and_is_read_whole() {
    let server = common::start().await;
    // A mebibyte reaches the server in many reads; the name is in the last of them.
    let tail = r#""name": "whole"}"#;
    let body = format!("{{{}{tail}", " ".repeat(MAX_BODY_BYTES - 1 - tail.len()));
    assert_eq!(body.len(), MAX_BODY_BYTES);
    let made = server.post("CreateChannel", &body).await;
    assert_eq!(made.status, 200, "{:?}", made.json);
    assert_eq!(made.json["channel"]["name"], "whole");
}

#[tokio::test]
async fn a_non_json_content_type_is_a_415_that_changes_nothing() {
    let fx = WithChannel::start().await;
    for (content_type, body) in [
        ("application/x-www-form-urlencoded", format!("arn={}", encode(&fx.arn))),
        ("application/xml", format!("<arn>{}</arn>", fx.arn)),
        ("application/octet-stream", json!({"arn": fx.arn}).to_string()),
    ] {
        let request = raw(&fx.server, Method::POST, "/DeleteChannel")
            .header("content-type", content_type)
            .body(body);
        let r = fx.server.send(request).await;
        assert_json_error(&r, 415, "UnsupportedMediaTypeException");
        assert!(r.message().contains(content_type), "{}", r.message());
    }
    fx.assert_unchanged().await;
}

#[tokio::test]
async fn wrong_value_types_are_validation_errors_that_change_nothing() {
    let fx = WithChannel::start().await;
    let arn = fx.arn.as_str();
    for (path, body, member) in [
        ("/CreateChannel", json!({"name": 5}), "name"),
        ("/CreateChannel", json!({"name": "x", "tags": ["a"]}), "tags"),
        (
            "/UpdateChannel",
            json!({"arn": arn, "name": "renamed", "authorized": "yes"}),
            "authorized",
        ),
        ("/UpdateChannel", json!({"arn": arn, "latencyMode": 7}), "latencyMode"),
        (
            "/UpdateChannel",
            json!({"arn": arn, "multitrackInputConfiguration": true}),
            "multitrackInputConfiguration",
        ),
        ("/DeleteChannel", json!({"arn": [arn]}), "arn"),
        ("/DeleteChannel", json!({"arn": {"value": arn}}), "arn"),
    ] {
        let r = fx.server.send(json_post(&fx.server, path, body.to_string())).await;
        assert_json_error(&r, 400, "ValidationException");
        assert!(r.message().contains(&format!("at '{member}'")), "{path} {body}: {}", r.message());
    }
    fx.assert_unchanged().await;
}

// ---------------------------------------------------------------------------------------------
// (c) The error wire format

#[tokio::test]
async fn errors_carry_exception_message_and_message_in_json() {
    let server = common::start().await;
    let arn = default_scope_arn("channel");
    let r = server.post("GetChannel", &json!({"arn": arn}).to_string()).await;
    assert_json_error(&r, 404, "ResourceNotFoundException");
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let message = r.json["message"].as_str().unwrap();
    assert_eq!(r.json["exceptionMessage"].as_str(), Some(message));
    assert!(message.contains(&arn), "{message}");
}

#[tokio::test]
async fn the_sdk_parses_typed_errors() {
    let WithChannel { server, arn, .. } = WithChannel::start().await;
    let ivs = server.ivs();

    let missing = arn.replace(&arn[arn.len() - 12..], "zzzzzzzzzzzz");
    let err = ivs.get_channel().arn(&missing).send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert!(err.request_id().is_some_and(|id| !id.is_empty()));
    match err.into_service_error() {
        GetChannelError::ResourceNotFoundException(e) => {
            assert!(e.exception_message().is_some_and(|m| m.contains(&missing)), "{e:?}");
            assert_eq!(e.message(), e.exception_message());
        }
        other => panic!("expected ResourceNotFoundException, got {other:?}"),
    }

    // A channel has one stream key (made with it), and the quota error is modeled as 402.
    let err = ivs.create_stream_key().channel_arn(&arn).send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(402));
    match err.into_service_error() {
        CreateStreamKeyError::ServiceQuotaExceededException(e) => {
            assert!(e.exception_message().is_some_and(|m| !m.is_empty()), "{e:?}");
        }
        other => panic!("expected ServiceQuotaExceededException, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// (d) /_ivs-local/

#[tokio::test]
async fn health_reports_version_services_and_uptime() {
    let server = common::start().await;
    let r = server.send(Client::new().get(format!("{}/_ivs-local/health", server.url))).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.content_type.as_deref().is_some_and(|t| t.starts_with("application/json")));
    assert_eq!(r.json["version"], env!("CARGO_PKG_VERSION"));
    assert!(r.json["uptimeSeconds"].as_f64().is_some_and(|s| s >= 0.0), "{}", r.json);
    for service in Service::ALL {
        let operations = Operation::all().filter(|op| op.service() == service).count();
        assert_eq!(
            r.json["services"][service.name()]["operations"],
            json!(operations),
            "{}",
            r.json
        );
    }
}

#[tokio::test]
async fn reset_forgets_every_resource() {
    let WithChannel { server, arn, .. } = WithChannel::start().await;
    let r = server.send(Client::new().post(format!("{}/_ivs-local/reset", server.url))).await;
    assert_eq!(r.status, 200, "{r:?}");

    let err = server.ivs().get_channel().arn(&arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetChannelError::ResourceNotFoundException(_)));
    let list = server.ivs().list_channels().send().await.unwrap();
    assert!(list.channels().is_empty());
}

#[tokio::test]
async fn unknown_internal_endpoint_is_a_json_404() {
    let server = common::start().await;
    for method in [Method::GET, Method::POST] {
        let url = format!("{}/_ivs-local/x", server.url);
        let r = server.send(Client::new().request(method, url)).await;
        assert_eq!(r.status, 404, "{r:?}");
        assert!(r.error_type.is_some(), "{r:?}");
        assert!(r.request_id.is_some(), "{r:?}");
        assert!(r.content_type.as_deref().is_some_and(|t| t.starts_with("application/json")));
        assert!(!r.message().is_empty(), "{r:?}");
    }
}

/// Every `/_ivs-local/` route answers a method it does not take with a JSON 405 naming its
/// error type, like the AWS paths. (Found by the mutation test: `events` answered axum's bare
/// 405, with no body and no `x-amzn-ErrorType`.)
#[tokio::test]
async fn wrong_method_on_an_internal_endpoint_is_a_json_405() {
    let server = common::start().await;
    // `state` takes GET and POST; PUT is wrong for every one of these.
    let reads = ["health", "state", "events", "broadcasts", "keys", "tls/cert.pem"];
    let writes = [
        "reset",
        "playback/authorize",
        "broadcasts/start",
        "broadcasts/update",
        "broadcasts/stop",
        "stages/join",
        "stages/update",
        "stages/leave",
    ];
    let wrong =
        reads.iter().map(|r| (Method::PUT, r)).chain(writes.iter().map(|w| (Method::GET, w)));
    for (method, route) in wrong {
        let url = format!("{}/_ivs-local/{route}", server.url);
        let r = server.send(Client::new().request(method.clone(), url)).await;
        assert_eq!(r.status, 405, "{method} {route}: {r:?}");
        assert!(r.error_type.is_some(), "{method} {route}: {r:?}");
        assert!(r.json.is_object(), "{method} {route}: {r:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// (e) STS

#[tokio::test]
async fn sts_get_caller_identity_answers_with_the_credential_account() {
    let server = common::start().await;
    let response = Client::new()
        .post(format!("{}/", server.url))
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=111122223333/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let body = response.text().await.unwrap();
    assert!(body.contains("<Account>111122223333</Account>"), "{body}");
    assert!(body.contains("<GetCallerIdentityResponse"), "{body}");
}
