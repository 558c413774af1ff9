//! Parity with AWS's own published sample responses (`fixtures/aws/`): every member an AWS
//! sample shows must be in ivs-local's answer to the same operation, with the same JSON type.
//! Values are generated, so they are not compared; members ivs-local adds (newer model fields
//! the samples predate) are listed, not refused.

mod common;

use common::TestServer;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/aws/ivs/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Where `ours` lacks a member of `aws` or has it with another type. `tags` is user data: only
/// its type is compared.
fn differences(aws: &Value, ours: &Value, path: &str, extra: &mut Vec<String>) -> Vec<String> {
    if kind(aws) != kind(ours) {
        return vec![format!("{path}: AWS has a {}, ivs-local a {}", kind(aws), kind(ours))];
    }
    match (aws, ours) {
        (Value::Object(a), Value::Object(o)) if !path.ends_with("tags") => {
            extra.extend(o.keys().filter(|k| !a.contains_key(*k)).map(|k| format!("{path}.{k}")));
            a.iter()
                .flat_map(|(k, v)| match o.get(k) {
                    Some(mine) => differences(v, mine, &format!("{path}.{k}"), extra),
                    None => vec![format!("{path}.{k}: missing")],
                })
                .collect()
        }
        (Value::Array(a), Value::Array(o)) => match (a.first(), o.first()) {
            (Some(a), Some(o)) => differences(a, o, &format!("{path}[0]"), extra),
            (Some(_), None) => vec![format!("{path}: AWS shows items, ivs-local none")],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn assert_parity(name: &str, ours: Value) {
    let mut extra = Vec::new();
    let diffs = differences(&fixture(name), &ours, name, &mut extra);
    if !extra.is_empty() {
        println!("{name}: ivs-local also returns {extra:?}");
    }
    assert!(diffs.is_empty(), "{name} differs from AWS's sample: {diffs:#?}\nours: {ours:#}");
}

async fn call(server: &TestServer, op: &str, body: Value) -> Value {
    let r = server.post(op, &body.to_string()).await;
    assert_eq!(r.status, 200, "{op}: {r:?}");
    r.json
}

#[tokio::test]
async fn channel_answers_have_every_member_aws_shows() {
    let server = common::start().await;
    let created = call(&server, "CreateChannel", json!({"name": "test-channel"})).await;
    assert_parity("create-channel", created.clone());
    let arn = created["channel"]["arn"].clone();
    let other =
        call(&server, "CreateChannel", json!({"name": "channel-2"})).await["channel"]["arn"]
            .clone();

    assert_parity("get-channel", call(&server, "GetChannel", json!({"arn": arn})).await);
    let batch = call(&server, "BatchGetChannel", json!({"arns": [arn, other]})).await;
    assert_parity("batch-get-channel", batch);
    assert_parity("list-channels", call(&server, "ListChannels", json!({})).await);
    let updated = call(&server, "UpdateChannel", json!({"arn": arn, "name": "channel-1"})).await;
    assert_parity("update-channel", updated);
}

#[tokio::test]
async fn stream_key_answers_have_every_member_aws_shows() {
    let server = common::start().await;
    let created = call(&server, "CreateChannel", json!({"tags": {"a": "b"}})).await;
    let channel = created["channel"]["arn"].clone();
    let old_key = created["streamKey"]["arn"].clone();
    assert_eq!(
        server.post("DeleteStreamKey", &json!({"arn": old_key}).to_string()).await.status,
        204
    );

    let key = call(&server, "CreateStreamKey", json!({"channelArn": channel})).await;
    assert_parity("create-stream-key", key.clone());
    let arn = key["streamKey"]["arn"].clone();
    assert_parity("get-stream-key", call(&server, "GetStreamKey", json!({"arn": arn})).await);
    let batch = call(&server, "BatchGetStreamKey", json!({"arns": [arn]})).await;
    assert_parity("batch-get-stream-key", batch);
    let list = call(&server, "ListStreamKeys", json!({"channelArn": channel})).await;
    assert_parity("list-stream-keys", list);

    let path = percent_encoding::utf8_percent_encode(
        channel.as_str().unwrap(),
        percent_encoding::NON_ALPHANUMERIC,
    );
    let tags = server.send(reqwest::Client::new().get(format!("{}/tags/{path}", server.url))).await;
    assert_eq!(tags.status, 200);
    assert_parity("list-tags-for-resource", tags.json);
}

#[tokio::test]
async fn recording_configuration_and_stream_answers_have_every_member_aws_shows() {
    let server = common::start().await;
    let destination = json!({"s3": {"bucketName": "demo-recording-bucket"}});
    let created = call(
        &server,
        "CreateRecordingConfiguration",
        // The settings of AWS's sample, so that every optional member it shows is set.
        json!({
            "name": "test-recording-config",
            "destinationConfiguration": destination,
            "thumbnailConfiguration": {"recordingMode": "INTERVAL", "targetIntervalSeconds": 1,
                "resolution": "LOWEST_RESOLUTION", "storage": ["LATEST"]},
            "recordingReconnectWindowSeconds": 60,
            "renditionConfiguration": {"renditionSelection": "CUSTOM", "renditions": ["HD"]},
            "tags": {"key1": "value1"}
        }),
    )
    .await;
    assert_parity("create-recording-configuration", created.clone());
    let rc = created["recordingConfiguration"]["arn"].clone();
    let got = call(&server, "GetRecordingConfiguration", json!({"arn": rc})).await;
    assert_parity("get-recording-configuration", got);
    let listed = call(&server, "ListRecordingConfigurations", json!({})).await;
    assert_parity("list-recording-configurations", listed);

    let channel = call(
        &server,
        "CreateChannel",
        json!({"name": "mychannel", "recordingConfigurationArn": rc}),
    )
    .await;
    let arn = channel["channel"]["arn"].clone();
    let key = channel["streamKey"]["value"].as_str().unwrap().to_string();
    let start = |body: Value| {
        reqwest::Client::new()
            .post(format!("{}/_ivs-local/broadcasts/start", server.url))
            .body(body.to_string())
    };
    assert_eq!(server.send(start(json!({"streamKey": key, "priority": 5}))).await.status, 200);
    // A refused takeover puts an event with a `code` first, as in AWS's sample.
    assert_eq!(server.send(start(json!({"streamKey": key, "priority": 1}))).await.status, 409);

    assert_parity("get-stream", call(&server, "GetStream", json!({"channelArn": arn})).await);
    assert_parity("list-streams", call(&server, "ListStreams", json!({})).await);
    let session = call(&server, "GetStreamSession", json!({"channelArn": arn})).await;
    assert_parity("get-stream-session", session);
}
