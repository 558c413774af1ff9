//! Model-driven mutation: 10,000 requests broken in the ways clients break them, and not one
//! 5xx, dropped connection or error without AWS's wire form.
//!
//! The valid requests come from `common/requests.rs`: every operation of both services, from
//! the models and laid out as its `http` trait says, naming real resources where an operation
//! reads or changes one; Cloud Control's operations; the `/_ivs-local/` control API; STS. Each request is one of them with one or two mutations: a member of the wrong type or
//! missing, strings oversized or in unusual Unicode, nesting 10,000 deep, duplicate keys,
//! numbers out of range, bad or missing `Content-Type`, `X-Amz-Target` and `Authorization`,
//! huge headers, garbage query strings, bad percent-encoding in the path, another method, a
//! body that is not JSON. Request `i` is made from an RNG seeded with `i`, so the set of
//! requests is the same on every run (`IVS_LOCAL_MUTATION_SEED` picks another set). Every
//! answer must pass `common::requests::judge`: no 5xx (STS's documented 501 aside), and every
//! error with `x-amzn-ErrorType` and a JSON body (the HTTP parser's empty 431 to a head over
//! its limits aside).
//!
//! They go over four keep-alive connections (raw hyper, so that a dropped connection is seen,
//! not retried). Afterwards the invariants of `concurrency.rs` (`common/invariants.rs`) must
//! still hold, and the resources made before the storm must all still be there.

mod common;

use bytes::Bytes;
use common::TestServer;
use common::invariants::{self, Entry, Kind, Ledger};
use common::requests::{Known, judge, seed_requests};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use ivs_local::api::MAX_BODY_BYTES;
use ivs_local::server::Config;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REQUESTS: usize = 10_000;
const CONNECTIONS: usize = 4;
/// A server that has not answered everything by then is taken to be deadlocked.
const DEADLOCK: Duration = Duration::from_secs(120);
const ACCOUNT: &str = common::ACCOUNT;
const REGION: &str = common::REGION;
/// Every scope a request below can act in: the credential's, the one some mutated
/// credentials name, and the server's defaults for credentials it cannot read.
const SCOPES: [(&str, &str); 4] = [
    (ACCOUNT, REGION),
    (ACCOUNT, "eu-west-1"),
    ("000000000000", "us-east-1"),
    ("000000000000", REGION),
];

/// One request as it goes on the wire.
#[derive(Debug, Clone)]
struct Wire {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Wire {
    fn header(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
    }

    fn remove(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
}

/// A valid request, and where its JSON lives.
#[derive(Clone)]
struct Seed {
    what: String,
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    /// The JSON body, when there is one.
    json: Option<Value>,
    /// A body member that holds a JSON document as text (Cloud Control's `DesiredState` and
    /// `PatchDocument`), mutated as JSON too.
    inner: Option<&'static str>,
    /// A body that is not JSON (STS's form).
    raw_body: Option<Vec<u8>>,
}

/// Resources made before the storm, for the seeds to act on.
#[derive(Default)]
struct Population {
    channels: Vec<String>,
    live_channel: String,
    playback_url: String,
    keys: Vec<(String, String)>,
    rcs: Vec<String>,
    policies: Vec<String>,
    stages: Vec<String>,
    tokens: Vec<String>,
    participant: (String, String),
}

async fn populate(server: &TestServer, ledger: &Ledger) -> Population {
    use aws_sdk_ivs::types::{DestinationConfiguration, S3DestinationConfiguration};
    let ivs = server.ivs();
    let rt = server.realtime();
    let mut p = Population::default();
    let entry = |kind| Entry::new(kind, ACCOUNT, REGION, 0);
    for _ in 0..2 {
        let s3 = S3DestinationConfiguration::builder().bucket_name("vods").build().unwrap();
        let out = ivs
            .create_recording_configuration()
            .destination_configuration(DestinationConfiguration::builder().s3(s3).build())
            .send()
            .await
            .unwrap();
        let arn = out.recording_configuration().unwrap().arn().to_string();
        ledger.created(&arn, entry(Kind::RecordingConfiguration));
        p.rcs.push(arn);
    }
    let out = ivs.create_playback_restriction_policy().send().await.unwrap();
    let arn = out.playback_restriction_policy().unwrap().arn().to_string();
    ledger.created(&arn, entry(Kind::PlaybackRestrictionPolicy));
    p.policies.push(arn);
    for i in 0..4 {
        let out = ivs
            .create_channel()
            .name(format!("m{i}"))
            .recording_configuration_arn(if i < 2 { p.rcs[i].clone() } else { String::new() })
            .send()
            .await
            .unwrap();
        let channel = out.channel().unwrap();
        let arn = channel.arn().unwrap().to_string();
        let key = out.stream_key().unwrap();
        ledger.created(&arn, entry(Kind::Channel));
        let mut key_entry = entry(Kind::StreamKey);
        key_entry.parent = Some(arn.clone());
        ledger.created(key.arn().unwrap(), key_entry);
        p.keys.push((key.arn().unwrap().to_string(), key.value().unwrap().to_string()));
        if i == 0 {
            p.playback_url = channel.playback_url().unwrap().to_string();
        }
        p.channels.push(arn);
    }
    p.live_channel = p.channels[0].clone();
    let live = reqwest::Client::new()
        .post(format!("{}/_ivs-local/broadcasts/start", server.url))
        .json(&json!({"streamKey": p.keys[0].1}))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    for i in 0..2 {
        let out = rt.create_stage().name(format!("m{i}")).send().await.unwrap();
        let arn = out.stage().unwrap().arn().to_string();
        ledger.created(&arn, entry(Kind::Stage));
        for _ in 0..2 {
            let out = rt
                .create_participant_token()
                .stage_arn(&arn)
                .capabilities(aws_sdk_ivsrealtime::types::ParticipantTokenCapability::Publish)
                .send()
                .await
                .unwrap();
            p.tokens.push(out.participant_token().unwrap().token().unwrap().to_string());
        }
        p.stages.push(arn);
    }
    let joined: Value = reqwest::Client::new()
        .post(format!("{}/_ivs-local/stages/join", server.url))
        .json(&json!({"token": p.tokens[0], "publish": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = |k: &str| joined[k].as_str().unwrap().to_string();
    p.participant = (text("stageArn"), text("participantId"));
    p
}

/// The valid requests of `common/requests.rs`, naming the resources made above. Deletes keep
/// their placeholders, so those resources survive the storm.
fn seeds(p: &Population) -> Vec<Seed> {
    let known = Known {
        live_channel: p.live_channel.clone(),
        channel: p.channels[1].clone(),
        stream_key_arn: p.keys[1].0.clone(),
        stream_key: p.keys[1].1.clone(),
        playback_url: p.playback_url.clone(),
        recording_configuration: p.rcs[0].clone(),
        policy: p.policies[0].clone(),
        stage: p.stages[1].clone(),
        token: Some(p.tokens[1].clone()),
        participant: Some(p.participant.clone()),
    };
    let authorization = common::authorization(ACCOUNT, REGION);
    seed_requests(&known, &authorization, false)
        .into_iter()
        .map(|r| {
            let mut headers = vec![("host".to_string(), b"localhost".to_vec())];
            headers.extend(r.headers.into_iter().map(|(n, v)| (n, v.into_bytes())));
            let json = r.body.as_deref().and_then(|b| serde_json::from_str(b).ok());
            let raw_body = match json {
                Some(_) => None,
                None => r.body.map(String::into_bytes),
            };
            Seed {
                what: r.what,
                method: r.method,
                target: r.target,
                headers,
                json,
                inner: r.inner,
                raw_body,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Mutations.

/// Placeholders for JSON that `serde_json` will not write: swapped into the text afterwards.
const DEEP: &str = "@@DEEP@@";
const SURROGATE: &str = "@@SURROGATE@@";
const BIG_NUMBER: &str = "@@BIGNUMBER@@";

const UNICODE: [&str; 10] = [
    "名前",
    "🎥📺🎬",
    "\u{202e}evil\u{202c}",
    "e\u{301}\u{301}\u{301}",
    "\u{0}",
    "\u{feff}bom",
    "𝕏𝕐ℤ",
    "\u{ffff}\u{fffe}",
    "line\nbreak\ttab",
    "Ω≈ç√∫˜µ≤≥÷",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A value of some JSON type, to stand where another type belongs.
fn wrong_value(rng: &mut StdRng) -> Value {
    let values = [
        json!(5),
        json!(-1),
        json!(1.5),
        json!(true),
        json!(null),
        json!([]),
        json!({}),
        json!("x"),
        json!([[]]),
        json!({"a": {}}),
        json!(9_007_199_254_740_993u64),
        json!(""),
    ];
    pick(rng, &values).clone()
}

/// A string far over any model's length limit; now and then near the body limit (kept rare:
/// in a debug build each costs the server a few hundred milliseconds).
fn oversized(rng: &mut StdRng) -> String {
    let n = match rng.random_ratio(1, 20) {
        true => 300_000,
        false => *pick(rng, &[1_000, 4_096, 20_000]),
    };
    match rng.random_bool(0.5) {
        true => "a".repeat(n),
        // Three bytes each: kept well under the body limit.
        false => "€".repeat(n.min(20_000)),
    }
}

/// The paths to every node of a JSON value (the root included).
fn paths(value: &Value) -> Vec<Vec<PathStep>> {
    let mut out = vec![Vec::new()];
    fn walk(value: &Value, at: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
        match value {
            Value::Object(members) => {
                for (k, v) in members {
                    at.push(PathStep::Key(k.clone()));
                    out.push(at.clone());
                    walk(v, at, out);
                    at.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    at.push(PathStep::Index(i));
                    out.push(at.clone());
                    walk(v, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    walk(value, &mut Vec::new(), &mut out);
    out
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn node<'v>(value: &'v mut Value, path: &[PathStep]) -> &'v mut Value {
    path.iter().fold(value, |v, step| match step {
        PathStep::Key(k) => &mut v[k.as_str()],
        PathStep::Index(i) => &mut v[*i],
    })
}

/// Mutates a JSON document in place; answers what it did.
fn mutate_json(doc: &mut Value, rng: &mut StdRng) -> String {
    let all = paths(doc);
    let path = pick(rng, &all).clone();
    let at = format!("{path:?}");
    match rng.random_range(0..9) {
        0 | 1 => {
            *node(doc, &path) = wrong_value(rng);
            format!("wrong type at {at}")
        }
        2 => match path.split_last() {
            Some((PathStep::Key(k), parent)) => {
                node(doc, parent).as_object_mut().unwrap().remove(k);
                format!("missing {at}")
            }
            Some((PathStep::Index(i), parent)) => {
                node(doc, parent).as_array_mut().unwrap().remove(*i);
                format!("item removed at {at}")
            }
            None => {
                *doc = json!({});
                "every member missing".into()
            }
        },
        3 => {
            *node(doc, &path) = json!(oversized(rng));
            format!("oversized string at {at}")
        }
        4 => {
            let s = pick(rng, &UNICODE).repeat(rng.random_range(1..40));
            *node(doc, &path) = json!(s);
            format!("unicode at {at}")
        }
        5 => {
            *node(doc, &path) = json!(DEEP);
            format!("deep nesting at {at}")
        }
        6 => {
            let marker = *pick(rng, &[SURROGATE, BIG_NUMBER]);
            *node(doc, &path) = json!(marker);
            format!("{marker} at {at}")
        }
        7 => {
            if let Some(members) = doc.as_object_mut() {
                members.insert("unknownMember".into(), wrong_value(rng));
            }
            "unknown member".into()
        }
        _ => {
            // The same value in a deeper list.
            let v = node(doc, &path);
            *v = json!([v.clone()]);
            format!("wrapped in a list at {at}")
        }
    }
}

/// The JSON text of `doc` with the placeholders replaced.
fn render(doc: &Value, rng: &mut StdRng) -> String {
    let mut text = doc.to_string();
    let quoted = |m: &str| format!("\"{m}\"");
    if text.contains(&quoted(DEEP)) {
        let depth = *pick(rng, &[100, 127, 128, 129, 1_000, 10_000, 100_000]);
        let nested = match rng.random_bool(0.5) {
            true => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            false => format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
        };
        text = text.replace(&quoted(DEEP), &nested);
    }
    let surrogate = *pick(rng, &["\"\\ud800\"", "\"\\udc00x\"", "\"\\u12\"", "\"\\x41\""]);
    text = text.replace(&quoted(SURROGATE), surrogate);
    let number = *pick(
        rng,
        &[
            "1e400",
            "-0",
            "18446744073709551616",
            "-9223372036854775809",
            "1.0e-400",
            "0x10",
            "NaN",
            "01",
        ],
    );
    text.replace(&quoted(BIG_NUMBER), number)
}

/// `{"k": x, "k": y}`: a member given twice, the second time as another value.
fn duplicate_key(text: &str, doc: &Value, rng: &mut StdRng) -> String {
    let key = doc.as_object().and_then(|m| m.keys().next().cloned()).unwrap_or("a".into());
    let value = wrong_value(rng);
    match text.strip_prefix('{') {
        Some(rest) if rest.trim_start().starts_with('}') => format!("{{\"{key}\":{value}}}"),
        Some(rest) => format!("{{\"{key}\":{value},{rest}"),
        None => text.to_string(),
    }
}

fn mutate_headers(wire: &mut Wire, rng: &mut StdRng) -> String {
    match rng.random_range(0..8) {
        0 => {
            wire.remove("content-type");
            "no Content-Type".into()
        }
        1 => {
            let types: [&[u8]; 10] = [
                b"text/xml",
                b"application/x-www-form-urlencoded",
                b"application/json; charset=latin1",
                b"",
                b"application/json, text/plain",
                b"*/*",
                b"\xff\xfe",
                b"application/x-amz-json-1.1",
                b"multipart/form-data; boundary=x",
                b"application/json;;;=",
            ];
            let value = *pick(rng, &types);
            wire.header("content-type", value);
            format!("Content-Type {:?}", String::from_utf8_lossy(value))
        }
        2 => {
            wire.headers.push(("content-type".into(), b"text/html".to_vec()));
            "two Content-Types".into()
        }
        3 => {
            let long = "X".repeat(10_000);
            let targets: [&[u8]; 7] = [
                b"CloudApiService.",
                b"CloudApiService.DescribeThings",
                b"cloudapiservice.GetResource",
                b"AmazonSSM.GetParameter",
                b"\xc3\x28",
                long.as_bytes(),
                b"CloudApiService.GetResource.Extra",
            ];
            let value = *pick(rng, &targets);
            wire.header("x-amz-target", value);
            format!("X-Amz-Target {:?}", String::from_utf8_lossy(&value[..value.len().min(40)]))
        }
        4 => {
            let nines = format!("AWS4-HMAC-SHA256 Credential={}/x/us-west-2/ivs", "9".repeat(5000));
            let credentials: [&[u8]; 10] = [
                b"",
                b"AWS4-HMAC-SHA256",
                b"AWS4-HMAC-SHA256 Credential=",
                b"AWS4-HMAC-SHA256 Credential=////",
                b"AWS4-HMAC-SHA256 Credential=123456789012/x/EU-WEST-1/ivs/aws4_request",
                b"Credential=123456789012/20240101/eu-west-1/ivs/aws4_request",
                b"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-west-2/ivs/aws4_request",
                b"Bearer abc",
                b"AWS4-HMAC-SHA256 Credential=\xe9\xe9/\xff",
                nines.as_bytes(),
            ];
            let value = *pick(rng, &credentials);
            wire.header("authorization", value);
            "bad Authorization".into()
        }
        5 => {
            let n = *pick(rng, &[4_096, 16_384, 60_000]);
            wire.header("x-amz-meta-pad", "p".repeat(n));
            format!("a {n}-byte header")
        }
        6 => {
            for i in 0..80 {
                wire.headers.push((format!("x-h{i}"), format!("v{i}").into_bytes()));
            }
            "80 headers".into()
        }
        _ => {
            let names = ["x-amz-date", "x-amz-security-token", "accept", "host", "origin"];
            let name = *pick(rng, &names);
            wire.header(name, b"\x80garbage\xff".to_vec());
            format!("garbage {name}")
        }
    }
}

const QUERY_GARBAGE: [&str; 18] = [
    "%zz",
    "a=%",
    "=&&=",
    "a=b=c",
    "maxResults=abc",
    "maxResults=-1",
    "maxResults=99999999999999999999",
    "nextToken=%FF%FE",
    "tagKeys=",
    "tagKeys=%00",
    "X-Amz-Credential=garbage",
    "X-Amz-Credential=123456789012%2F20240101%2Feu-west-1%2Fivs%2Faws4_request",
    "resource=%ZZ",
    "since=notatime",
    "since=",
    "%E2%82",
    "a[]=1&a[]=2",
    ";;;",
];

fn mutate_target(wire: &mut Wire, rng: &mut StdRng) -> String {
    let (path, query) = match wire.target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (wire.target.clone(), String::new()),
    };
    match rng.random_range(0..6) {
        0 | 1 => {
            let extra = *pick(rng, &QUERY_GARBAGE);
            let query =
                if query.is_empty() { extra.to_string() } else { format!("{query}&{extra}") };
            wire.target = format!("{path}?{query}");
            format!("query {extra:?}")
        }
        2 => {
            let long = format!("nextToken={}", "A".repeat(5_000));
            let query = *pick(rng, &[long.as_str(), "?", "&", "=", "%", "a=%C3%28"]);
            wire.target = format!("{path}?{query}");
            "garbage query string".into()
        }
        3 => {
            let inserts =
                ["%", "%G1", "%FF", "%2F", "%00", "%C3%28", "//", "/..", "/./", "~", ";x"];
            let insert = *pick(rng, &inserts);
            let at = rng.random_range(1..=path.len());
            let (a, b) = path.split_at(at);
            wire.target = format!("{a}{insert}{b}{}", if query.is_empty() { "" } else { "?" });
            if !query.is_empty() {
                wire.target.push_str(&query);
            }
            format!("path with {insert:?}")
        }
        4 => {
            wire.target = match rng.random_range(0..3) {
                0 => format!("{path}/"),
                1 => path.to_uppercase(),
                _ => format!("{path}/{}", "a".repeat(8_000)),
            };
            "another path".into()
        }
        _ => {
            let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"];
            wire.method = pick(rng, &methods).to_string();
            format!("method {}", wire.method)
        }
    }
}

fn mutate_body_bytes(wire: &mut Wire, rng: &mut StdRng) -> String {
    match rng.random_range(0..7) {
        0 => {
            let cut = rng.random_range(0..=wire.body.len());
            wire.body.truncate(cut);
            format!("body cut at {cut}")
        }
        1 => {
            wire.body = (0..rng.random_range(1..200)).map(|_| rng.random()).collect();
            "random bytes".into()
        }
        2 => {
            wire.body =
                pick(rng, &[&b"null"[..], b"[]", b"\"s\"", b"{", b"1", b"{}x", b"{}{}"]).to_vec();
            format!("body {:?}", String::from_utf8_lossy(&wire.body))
        }
        3 => {
            let mut body = b"\xef\xbb\xbf".to_vec();
            body.extend_from_slice(&wire.body);
            wire.body = body;
            "byte-order mark".into()
        }
        4 => {
            wire.body.extend_from_slice(b"\xc3\x28");
            "invalid UTF-8".into()
        }
        // One byte over the limit: 413, and the connection closed openly. Rare: each is a
        // megabyte to write and read.
        5 if rng.random_ratio(1, 8) => {
            wire.body = vec![b' '; MAX_BODY_BYTES + 1];
            "body over the limit".into()
        }
        _ => {
            wire.body.clear();
            "empty body".into()
        }
    }
}

/// Request `i`: a seed and one or two mutations, from an RNG seeded with `i` and the run's
/// [`run_seed`].
fn request(i: usize, seeds: &[Seed]) -> (String, Wire) {
    let mut rng = StdRng::seed_from_u64(0x6d75_7461_7465_0000 ^ i as u64 ^ (run_seed() << 32));
    let seed = pick(&mut rng, seeds).clone();
    let mut what = vec![seed.what.clone()];
    let mut doc = seed.json.clone();
    let mut wire = Wire {
        method: seed.method.clone(),
        target: seed.target.clone(),
        headers: seed.headers.clone(),
        body: Vec::new(),
    };
    let mutations = if rng.random_bool(0.3) { 2 } else { 1 };
    let mut duplicate = false;
    let mut byte_level = Vec::new();
    for _ in 0..mutations {
        match rng.random_range(0..100) {
            0..50 => {
                let doc = doc.get_or_insert_with(|| json!({}));
                match (seed.inner, rng.random_bool(0.4)) {
                    (Some(member), true) if doc.is_object() => {
                        let text = doc[member].as_str().unwrap_or("{}").to_string();
                        let mut inner: Value = serde_json::from_str(&text).unwrap_or(json!({}));
                        what.push(format!("{member}: {}", mutate_json(&mut inner, &mut rng)));
                        doc[member] = json!(render(&inner, &mut rng));
                    }
                    _ => what.push(mutate_json(doc, &mut rng)),
                }
            }
            50..57 => {
                duplicate = true;
                what.push("duplicate key".into());
            }
            57..72 => what.push(mutate_headers(&mut wire, &mut rng)),
            72..90 => what.push(mutate_target(&mut wire, &mut rng)),
            _ => byte_level.push(()),
        }
    }
    wire.body = match (&doc, &seed.raw_body) {
        (Some(doc), _) => {
            let text = render(doc, &mut rng);
            let text = if duplicate { duplicate_key(&text, doc, &mut rng) } else { text };
            text.into_bytes()
        }
        (None, Some(raw)) => raw.clone(),
        (None, None) => Vec::new(),
    };
    for () in byte_level {
        what.push(mutate_body_bytes(&mut wire, &mut rng));
    }
    (what.join("; "), wire)
}

// ---------------------------------------------------------------------------------------------
// Sending, and what every answer must be.

async fn connect(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(connection);
    sender
}

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, usize>,
    failures: Vec<String>,
    /// Connections the server closed after saying so (`Connection: close`).
    closed_openly: usize,
    unsendable: usize,
}

async fn send_all(
    addr: SocketAddr,
    seeds: Arc<Vec<Seed>>,
    worker: usize,
    tally: Arc<Mutex<Tally>>,
) {
    let mut conn = connect(addr).await;
    for i in (worker..REQUESTS).step_by(CONNECTIONS) {
        let (what, wire) = request(i, &seeds);
        let mut builder =
            hyper::Request::builder().method(wire.method.as_str()).uri(wire.target.as_str());
        for (name, value) in &wire.headers {
            builder = builder.header(name.as_str(), value.as_slice());
        }
        let Ok(request) = builder.body(Full::new(Bytes::from(wire.body.clone()))) else {
            // http refuses to write it (a URI or header it cannot carry): nothing reached us.
            tally.lock().unwrap().unsendable += 1;
            continue;
        };
        if conn.ready().await.is_err() {
            tally
                .lock()
                .unwrap()
                .failures
                .push(format!("#{i} {what}: the connection was dropped before it"));
            conn = connect(addr).await;
        }
        let response = match conn.send_request(request).await {
            Ok(response) => response,
            Err(e) => {
                tally.lock().unwrap().failures.push(format!("#{i} {what}: no answer ({e})"));
                conn = connect(addr).await;
                continue;
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(e) => {
                tally
                    .lock()
                    .unwrap()
                    .failures
                    .push(format!("#{i} {what}: {status}, body cut off ({e})"));
                conn = connect(addr).await;
                continue;
            }
        };
        let close = {
            let mut t = tally.lock().unwrap();
            *t.statuses.entry(status).or_default() += 1;
            if let Some(why) = judge(wire.target.as_bytes(), status, &headers, &body) {
                t.failures.push(format!("#{i} {what}: {why}"));
            }
            headers.get("connection").is_some_and(|c| c.as_bytes().eq_ignore_ascii_case(b"close"))
        };
        if close {
            tally.lock().unwrap().closed_openly += 1;
            conn = connect(addr).await;
        }
    }
}

/// `IVS_LOCAL_MUTATION_SEED` (0 when unset, as in CI) picks another set of 10,000 requests, to
/// look further by hand: `IVS_LOCAL_MUTATION_SEED=7 cargo test --test mutation`.
fn run_seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| match std::env::var("IVS_LOCAL_MUTATION_SEED") {
        Ok(seed) => seed.parse().expect("IVS_LOCAL_MUTATION_SEED is a number"),
        Err(_) => 0,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_mutated_requests_get_aws_errors_and_keep_every_invariant() {
    let server = common::start_apart(Config::default());
    let ledger = Ledger::default();
    let population = populate(&server, &ledger).await;
    let seeds = Arc::new(seeds(&population));
    let tally = Arc::new(Mutex::new(Tally::default()));

    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|w| tokio::spawn(send_all(server.addr, seeds.clone(), w, tally.clone())))
        .collect();
    tokio::time::timeout(DEADLOCK, async {
        for worker in workers {
            worker.await.expect("a sender panicked");
        }
    })
    .await
    .expect("the server stopped answering: deadlocked?");
    let elapsed = started.elapsed();

    let violations = tokio::time::timeout(DEADLOCK, invariants::check(&server, &SCOPES, &ledger))
        .await
        .expect("the server stopped answering: deadlocked?");

    let tally = tally.lock().unwrap();
    println!(
        "mutation: {REQUESTS} requests from {} seeds in {elapsed:.1?} over {CONNECTIONS} connections; statuses {:?}; {} connections closed openly; {} not writable by http",
        seeds.len(),
        tally.statuses,
        tally.closed_openly,
        tally.unsendable
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {REQUESTS} requests were answered wrongly:\n{}",
        tally.failures.len(),
        tally.failures.iter().take(50).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(
        violations.is_empty(),
        "{} invariants broken:\n{}",
        violations.len(),
        violations.join("\n")
    );
    // Nearly every request reached the server, and the mix drew both answers and refusals.
    assert!(tally.unsendable < REQUESTS / 20, "{} requests could not be written", tally.unsendable);
    assert!(tally.statuses.keys().any(|s| (200..300).contains(s)), "{:?}", tally.statuses);
    assert!(tally.statuses.contains_key(&400), "{:?}", tally.statuses);
}

/// `judge` allows STS's 501 wherever the server reads the path as `/`: the fuzz target found
/// `/#…` (a fragment, which `http::Uri` drops) counted as another path.
#[test]
fn the_judge_reads_a_target_as_the_server_does() {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("x-amzn-errortype", "NotImplementedException".parse().unwrap());
    let body = br#"{"message":"ivs-local does not implement X yet."}"#;
    for root in ["/", "/?Action=X", "/#x", "/#a?b", "http://localhost:4566/"] {
        assert_eq!(judge(root.as_bytes(), 501, &headers, body), None, "{root}");
    }
    for other in ["/CreateChannel", "/CreateChannel#x", "//", "/x?y"] {
        assert!(judge(other.as_bytes(), 501, &headers, body).is_some(), "{other}");
    }
}

/// The one error answer without `x-amzn-ErrorType` that `judge` takes: hyper's empty 431,
/// which closes the connection, to a head with more than 100 header fields (the other seeds of
/// the mutation test make such heads).
#[test]
fn the_judge_takes_the_http_parsers_431_and_nothing_like_it() {
    let mut closing = axum::http::HeaderMap::new();
    closing.insert("connection", "close".parse().unwrap());
    assert_eq!(judge(b"/ListChannels", 431, &closing, b""), None);
    let open = axum::http::HeaderMap::new();
    assert!(judge(b"/ListChannels", 431, &open, b"").is_some());
    assert!(judge(b"/ListChannels", 431, &closing, b"{}").is_some());
    assert!(judge(b"/ListChannels", 400, &closing, b"").is_some());
}
