//! Every answer has the shape its model declares: a world with one of everything (a live
//! channel that records, key pairs, policies, ad configurations, a stage in session with a
//! token participant, an encoder and a replica, a running composition) is built, every
//! operation of both services is called on it, and each 2xx body is checked against the
//! operation's output shape with the same validator that checks inputs: required members
//! present, types, enums, lengths, patterns and ranges.

mod common;

use common::TestServer;
use ivs_local::api::model::{Service, model};
use serde_json::{Value, json};

const PEM_1: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEkoK3G135hg7KULqTzD2uxb6OcNXFeB0M
2ZzXPn/8BqQe1tDCZZKAx4EwZ2KJbCWw+5zCSMRcaW5kyD5UsV0iPnKlAlKXa4ii
sV7y3DVuXN+VYtdNj2L964jjfC/tUlBt
-----END PUBLIC KEY-----
";

/// The output shape of `operation` in `service`'s model, from the model file itself.
fn output_shape(service: Service, operation: &str) -> Option<String> {
    let file = match service {
        Service::Ivs => "ivs-2020-07-14",
        Service::IvsRealtime => "ivs-realtime-2020-07-14",
    };
    let path = format!("{}/fixtures/models/{file}.service.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let model: Value = serde_json::from_str(&text).unwrap();
    model["operations"][operation]["output"]["shape"].as_str().map(str::to_string)
}

struct Checker<'a> {
    server: &'a TestServer,
    failures: Vec<String>,
    checked: usize,
}

impl Checker<'_> {
    /// Calls `operation` with `body`, which must succeed; checks and returns its answer.
    async fn call(&mut self, service: Service, operation: &str, body: Value) -> Value {
        let r = self.server.post(operation, &body.to_string()).await;
        if !(200..300).contains(&r.status) {
            self.failures.push(format!(
                "{operation} {body}: {} {:?}: {}",
                r.status,
                r.error_type,
                r.message()
            ));
            return Value::Null;
        }
        self.check(service, operation, &r.json);
        r.json
    }

    fn check(&mut self, service: Service, operation: &str, answer: &Value) {
        self.checked += 1;
        let Some(shape) = output_shape(service, operation) else { return };
        if answer.is_null() {
            return; // 204, or an output without members
        }
        let model = model(service);
        if let Err(e) = ivs_local::api::validate::validate(model, model.shape(&shape), answer) {
            self.failures
                .push(format!("{operation} answered outside its shape: {}\n  {answer}", e.message));
        }
    }

    /// A control-API call that must succeed.
    async fn control(&mut self, route: &str, body: Value) -> Value {
        let r = self
            .server
            .send(
                reqwest::Client::new()
                    .post(format!("{}/_ivs-local/{route}", self.server.url))
                    .json(&body),
            )
            .await;
        assert_eq!(r.status, 200, "{route} {body}: {:?}", r.json);
        r.json
    }
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in {v}"))
        .to_string()
}

#[tokio::test]
async fn every_answer_fits_its_output_shape() {
    let server = common::start().await;
    let mut c = Checker { server: &server, failures: Vec::new(), checked: 0 };
    use Service::{Ivs as I, IvsRealtime as R};

    // Low-latency: a recording, restricted, ad-enabled channel, live.
    let rec = c
        .call(
            I,
            "CreateRecordingConfiguration",
            json!({"destinationConfiguration": {"s3": {"bucketName": "bucket-a"}}}),
        )
        .await;
    let rec = text(&rec, "/recordingConfiguration/arn");
    let policy =
        c.call(I, "CreatePlaybackRestrictionPolicy", json!({"allowedCountries": ["US"]})).await;
    let policy = text(&policy, "/playbackRestrictionPolicy/arn");
    let mediatailor = "arn:aws:mediatailor:us-east-1:000000000000:playbackConfiguration/show";
    let ad = c.call(I, "CreateAdConfiguration", json!({"mediaTailorPlaybackConfigurations": [{"playbackConfigurationArn": mediatailor}]})).await;
    let ad = text(&ad, "/adConfiguration/arn");
    let made = c
        .call(I, "CreateChannel", json!({"name": "show", "recordingConfigurationArn": rec, "playbackRestrictionPolicyArn": policy, "adConfigurationArn": ad, "tags": {"k": "v"}}))
        .await;
    let channel = text(&made, "/channel/arn");
    let key = text(&made, "/streamKey/arn");
    let key_value = text(&made, "/streamKey/value");
    let pair =
        c.call(I, "ImportPlaybackKeyPair", json!({"publicKeyMaterial": PEM_1, "name": "kp"})).await;
    let pair = text(&pair, "/keyPair/arn");
    c.control("broadcasts/start", json!({"streamKey": key_value, "viewerCount": 3})).await;

    for (op, body) in [
        ("GetChannel", json!({"arn": channel})),
        ("BatchGetChannel", json!({"arns": [channel, common::missing_arn("channel")]})),
        ("ListChannels", json!({})),
        ("GetStreamKey", json!({"arn": key})),
        ("BatchGetStreamKey", json!({"arns": [key, common::missing_arn("stream-key")]})),
        ("ListStreamKeys", json!({"channelArn": channel})),
        ("GetRecordingConfiguration", json!({"arn": rec})),
        ("ListRecordingConfigurations", json!({})),
        ("GetPlaybackKeyPair", json!({"arn": pair})),
        ("ListPlaybackKeyPairs", json!({})),
        ("GetPlaybackRestrictionPolicy", json!({"arn": policy})),
        ("ListPlaybackRestrictionPolicies", json!({"maxResults": 10})),
        (
            "UpdatePlaybackRestrictionPolicy",
            json!({"arn": policy, "allowedOrigins": ["https://example.com"]}),
        ),
        ("GetAdConfiguration", json!({"arn": ad})),
        ("ListAdConfigurations", json!({})),
        ("GetStream", json!({"channelArn": channel})),
        ("ListStreams", json!({})),
        ("InsertAdBreak", json!({"channelArn": channel, "durationSeconds": 30})),
        ("PutMetadata", json!({"channelArn": channel, "metadata": "hello"})),
        ("GetStreamSession", json!({"channelArn": channel})),
        ("ListStreamSessions", json!({"channelArn": channel})),
        ("StartViewerSessionRevocation", json!({"channelArn": channel, "viewerId": "viewer"})),
        (
            "BatchStartViewerSessionRevocation",
            json!({"viewerSessions": [{"channelArn": channel, "viewerId": "a"}, {"channelArn": common::missing_arn("channel"), "viewerId": "b"}]}),
        ),
        ("StopStream", json!({"channelArn": channel})),
        ("GetStreamSession", json!({"channelArn": channel})),
        ("UpdateChannel", json!({"arn": channel, "name": "renamed"})),
    ] {
        c.call(I, op, body).await;
    }

    // Real-time: a recording stage in session with a token participant, an encoder through
    // an ingest configuration, a replica in a second stage, and a composition.
    let storage =
        c.call(R, "CreateStorageConfiguration", json!({"s3": {"bucketName": "bucket-b"}})).await;
    let storage = text(&storage, "/storageConfiguration/arn");
    let encoder = c.call(R, "CreateEncoderConfiguration", json!({"name": "enc"})).await;
    let encoder = text(&encoder, "/encoderConfiguration/arn");
    let made = c
        .call(R, "CreateStage", json!({"name": "stage", "participantTokenConfigurations": [{"userId": "alice", "attributes": {"role": "host"}}], "autoParticipantRecordingConfiguration": {"storageConfigurationArn": storage}}))
        .await;
    let stage = text(&made, "/stage/arn");
    let token = text(&made, "/participantTokens/0/token");
    c.call(R, "CreateParticipantToken", json!({"stageArn": stage, "userId": "bob", "attributes": {"a": "b"}, "capabilities": ["SUBSCRIBE"]})).await;
    let public_key =
        c.call(R, "ImportPublicKey", json!({"publicKeyMaterial": PEM_1, "name": "pk"})).await;
    let public_key = text(&public_key, "/publicKey/arn");
    let ingest = c
        .call(
            R,
            "CreateIngestConfiguration",
            json!({"ingestProtocol": "RTMPS", "stageArn": stage, "userId": "encoder"}),
        )
        .await;
    let ingest_key = text(&ingest, "/ingestConfiguration/streamKey");
    let ingest = text(&ingest, "/ingestConfiguration/arn");

    let joined =
        c.control("stages/join", json!({"token": token, "publish": true, "subscribe": true})).await;
    let session = text(&joined, "/sessionId");
    let participant = text(&joined, "/participantId");
    c.control("broadcasts/start", json!({"streamKey": ingest_key})).await;
    let other = c.call(R, "CreateStage", json!({"name": "other"})).await;
    let other = text(&other, "/stage/arn");
    let offline = c.call(I, "CreateChannel", json!({"name": "composite"})).await;
    let offline = text(&offline, "/channel/arn");
    let composition = c
        .call(R, "StartComposition", json!({
            "stageArn": stage,
            "destinations": [
                {"s3": {"storageConfigurationArn": storage, "encoderConfigurationArns": [encoder], "thumbnailConfigurations": [{}]}},
                {"channel": {"channelArn": offline, "encoderConfigurationArn": encoder}},
            ],
            "layout": {"pip": {}},
        }))
        .await;
    let composition = text(&composition, "/composition/arn");

    for (op, body) in [
        (
            "StartParticipantReplication",
            json!({"sourceStageArn": stage, "destinationStageArn": other, "participantId": participant}),
        ),
        ("GetStage", json!({"arn": stage})),
        ("ListStages", json!({})),
        ("UpdateStage", json!({"arn": other, "name": "renamed"})),
        ("GetStageSession", json!({"stageArn": stage, "sessionId": session})),
        ("ListStageSessions", json!({"stageArn": stage})),
        ("ListParticipants", json!({"stageArn": stage, "sessionId": session})),
        (
            "GetParticipant",
            json!({"stageArn": stage, "sessionId": session, "participantId": participant}),
        ),
        (
            "ListParticipantEvents",
            json!({"stageArn": stage, "sessionId": session, "participantId": participant}),
        ),
        ("ListParticipantReplicas", json!({"sourceStageArn": stage, "participantId": participant})),
        ("GetComposition", json!({"arn": composition})),
        ("ListCompositions", json!({})),
        ("GetEncoderConfiguration", json!({"arn": encoder})),
        ("ListEncoderConfigurations", json!({})),
        ("GetStorageConfiguration", json!({"arn": storage})),
        ("ListStorageConfigurations", json!({})),
        ("GetPublicKey", json!({"arn": public_key})),
        ("ListPublicKeys", json!({})),
        ("GetIngestConfiguration", json!({"arn": ingest})),
        ("ListIngestConfigurations", json!({})),
        (
            "StopParticipantReplication",
            json!({"sourceStageArn": stage, "destinationStageArn": other, "participantId": participant}),
        ),
        ("StopComposition", json!({"arn": composition})),
        ("GetComposition", json!({"arn": composition})),
        (
            "DisconnectParticipant",
            json!({"stageArn": stage, "participantId": participant, "reason": "bye"}),
        ),
        (
            "GetParticipant",
            json!({"stageArn": stage, "sessionId": session, "participantId": participant}),
        ),
    ] {
        c.call(R, op, body).await;
    }

    // Tags, through their REST paths, in both services.
    for (service, arn) in [(I, &channel), (R, &stage)] {
        let url = format!("{}/tags/{}", server.url, urlencode(arn));
        let listed = server.send(reqwest::Client::new().get(&url)).await;
        assert_eq!(listed.status, 200);
        c.check(service, "ListTagsForResource", &listed.json);
        let tagged =
            server.send(reqwest::Client::new().post(&url).json(&json!({"tags": {"x": "y"}}))).await;
        assert_eq!(tagged.status, 200);
        c.check(service, "TagResource", &tagged.json);
        let untagged = server.send(reqwest::Client::new().delete(format!("{url}?tagKeys=x"))).await;
        assert_eq!(untagged.status, 200);
        c.check(service, "UntagResource", &untagged.json);
    }

    // Deletes last (the real-time ones answer `{}`).
    c.call(R, "DeleteIngestConfiguration", json!({"arn": ingest, "force": true})).await;
    for (op, arn) in [
        ("DeleteStage", &stage),
        ("DeleteStage", &other),
        ("DeletePublicKey", &public_key),
        ("DeleteEncoderConfiguration", &encoder),
        ("DeleteStorageConfiguration", &storage),
    ] {
        c.call(R, op, json!({"arn": arn})).await;
    }
    c.call(I, "DeleteStreamKey", json!({"arn": key})).await;
    c.call(I, "DeletePlaybackKeyPair", json!({"arn": pair})).await;
    for (op, arn) in [
        ("DeleteChannel", &channel),
        ("DeleteChannel", &offline),
        ("DeleteRecordingConfiguration", &rec),
        ("DeletePlaybackRestrictionPolicy", &policy),
        ("DeleteAdConfiguration", &ad),
    ] {
        c.call(I, op, json!({"arn": arn})).await;
    }

    println!("output shapes: {} answers checked", c.checked);
    assert!(c.checked >= 79, "every operation was called ({})", c.checked);
    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('/', "%2F")
}
