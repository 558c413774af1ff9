//! `GET`/`POST /_ivs-local/state` and `--state-file`: the whole state as one versioned JSON
//! document, exported, imported into the same or another server, and refused whole when any
//! part of it is wrong.

mod common;

use common::TestServer;
use serde_json::{Value, json};

async fn state(server: &TestServer) -> Value {
    reqwest::get(format!("{}/_ivs-local/state", server.url)).await.unwrap().json().await.unwrap()
}

async fn import(server: &TestServer, doc: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/_ivs-local/state", server.url))
        .json(doc)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn control(server: &TestServer, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/_ivs-local/{path}", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A world with a little of everything: channels with keys and tags in two scopes, a stage
/// with a participant token, a broadcast's events and a Cloud Control request.
async fn prepare(server: &TestServer) -> (String, String) {
    let ivs = server.ivs();
    let created = ivs.create_channel().name("a").tags("k", "v").send().await.unwrap();
    let key = created.stream_key().unwrap().value().unwrap().to_string();
    server.ivs_as("210987654321", "eu-west-1").create_channel().send().await.unwrap();
    control(server, "broadcasts/start", json!({"streamKey": key})).await;
    let rt = server.realtime();
    let stage = rt.create_stage().name("s").send().await.unwrap();
    let stage_arn = stage.stage().unwrap().arn().to_string();
    let token = rt
        .create_participant_token()
        .stage_arn(&stage_arn)
        .send()
        .await
        .unwrap()
        .participant_token()
        .unwrap()
        .token()
        .unwrap()
        .to_string();
    server
        .cloudcontrol()
        .create_resource()
        .type_name("AWS::IVS::Channel")
        .desired_state(json!({"Name": "cc"}).to_string())
        .send()
        .await
        .unwrap();
    (created.channel().unwrap().arn().unwrap().to_string(), token)
}

#[tokio::test]
async fn export_reset_import_gives_back_the_same_state() {
    let server = common::start().await;
    let (channel_arn, _) = prepare(&server).await;
    let before = state(&server).await;
    assert_eq!(before["ivsLocalState"], 1);
    assert_eq!(before["scopes"].as_array().unwrap().len(), 2);

    reqwest::Client::new().post(format!("{}/_ivs-local/reset", server.url)).send().await.unwrap();
    assert!(server.ivs().list_channels().send().await.unwrap().channels().is_empty());

    let (status, body) = import(&server, &before).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resources"]["channels"], 2 + 1, "{body}");
    assert_eq!(state(&server).await, before);

    // The API sees it, and the broadcast is still live.
    let ivs = server.ivs();
    let got = ivs.get_channel().arn(&channel_arn).send().await.unwrap();
    assert_eq!(got.channel().unwrap().tags().unwrap()["k"], "v");
    assert_eq!(ivs.list_streams().send().await.unwrap().streams().len(), 1);
    // New resources do not take the ids of imported ones.
    let new = ivs.create_channel().send().await.unwrap();
    assert_ne!(new.channel().unwrap().arn().unwrap(), channel_arn);
    assert_eq!(ivs.list_channels().send().await.unwrap().channels().len(), 3);
}

#[tokio::test]
async fn another_server_imports_the_world_and_its_tokens_verify() {
    let first = common::start().await;
    let (_, token) = prepare(&first).await;
    let doc = state(&first).await;

    let second = common::start().await;
    let (status, body) = import(&second, &doc).await;
    assert_eq!(status, 200, "{body}");
    // The signing key came along: a token the first server issued joins on the second.
    let joined = control(&second, "stages/join", json!({"token": token})).await;
    assert!(joined["sessionId"].as_str().unwrap().starts_with("st-"));
}

#[tokio::test]
async fn a_bad_document_changes_nothing_and_says_where_it_is_wrong() {
    let server = common::start().await;
    prepare(&server).await;
    let good = state(&server).await;

    let mut wrong_type = good.clone();
    let channels = wrong_type["scopes"][0]["tables"]["channels"].as_object_mut().unwrap();
    let first = channels.keys().next().unwrap().clone();
    channels[&first]["latencyMode"] = json!("FAST");
    let mut newer = good.clone();
    newer["ivsLocalState"] = json!(2);
    let mut no_table = good.clone();
    no_table["scopes"][0]["tables"]["widgets"] = json!({});
    let mut bad_key = good.clone();
    bad_key["tokenKey"]["privateKeyHex"] = json!("zz");
    let mut bad_scope = good.clone();
    bad_scope["scopes"][0]["account"] = json!("12");

    let cases = [
        (wrong_type, "scopes[0].tables.channels"),
        (newer, "ivsLocalState is 2"),
        (no_table, "scopes[0].tables.widgets: no such table"),
        (bad_key, "tokenKey"),
        (bad_scope, "is not an account and region"),
        (json!({"scopes": []}), "ivsLocalState"),
        (json!([1, 2]), "ivsLocalState"),
    ];
    for (doc, says) in cases {
        let (status, body) = import(&server, &doc).await;
        assert_eq!(status, 400, "{body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{message:?} should say {says:?}");
        assert_eq!(state(&server).await, good, "a refused document changed the state");
    }

    let response = reqwest::Client::new()
        .post(format!("{}/_ivs-local/state", server.url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(state(&server).await, good);
}

#[tokio::test]
async fn state_file_loads_a_document_at_start() {
    let first = common::start().await;
    let (channel_arn, _) = prepare(&first).await;
    let doc = state(&first).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), doc.to_string()).unwrap();

    let config = ivs_local::server::Config {
        state_file: Some((
            file.path().display().to_string(),
            std::fs::read_to_string(file.path()).unwrap(),
        )),
        ..Default::default()
    };
    let second = common::start_with(config).await;
    // The server may still be starting: the first request waits on the listener.
    let got = second.ivs().get_channel().arn(&channel_arn).send().await.unwrap();
    assert_eq!(got.channel().unwrap().name(), Some("a"));
}

/// Any access key and region name are accepted, so a scope created by every read would let a
/// client grow the server without bound by reading in ever new ones. Reads (of resources and
/// of Cloud Control's request records), and control-API calls that can only succeed on a
/// resource that exists, see an empty scope and leave nothing behind; the first write creates
/// it.
#[tokio::test]
async fn reads_in_new_accounts_and_regions_leave_no_scope_behind() {
    let server = common::start().await;
    let scopes = |doc: &Value| -> Vec<(String, String)> {
        doc["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["account"].as_str().unwrap().into(), s["region"].as_str().unwrap().into()))
            .collect()
    };
    for i in 0..20 {
        let ivs = server.ivs_as(&format!("AKIAREADER{i:010}"), &format!("eu-test-{i}"));
        assert!(ivs.list_channels().send().await.unwrap().channels().is_empty());
        let missing = ivs.get_channel().arn(common::missing_arn("channel")).send().await;
        assert_eq!(
            missing.unwrap_err().into_service_error().meta().code(),
            Some("ResourceNotFoundException")
        );
        let realtime = server.realtime_as(&format!("AKIAREADER{i:010}"), &format!("eu-test-{i}"));
        assert!(realtime.list_stages().send().await.unwrap().stages().is_empty());
    }
    // The control API's doors that name a scope in a URL or a token: playing a channel and
    // joining a stage can only succeed where something exists.
    let control = |path: &str, body: Value| {
        reqwest::Client::new().post(format!("{}/_ivs-local/{path}", server.url)).json(&body)
    };
    for i in 0..5 {
        let url = format!(
            "https://abcdefabcdef.eu-play-{i}.playback.live-video.net/api/video/v1/\
             eu-play-{i}.111122223333.channel.abcdABCDefgh.m3u8"
        );
        let played =
            server.send(control("playback/authorize", json!({ "playbackUrl": url }))).await;
        assert_eq!(played.status, 404, "{:?}", played.json);
        // A token with no valid signature, whose resource names a stage in a new region.
        let stage = format!("arn:aws:ivs:eu-join-{i}:111122223333:stage/abcdABCDefgh");
        let claims = json!({ "resource": stage });
        let part = |v: &Value| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let token =
            format!("{}.{}.c2ln", part(&json!({"alg": "ES384", "typ": "JWT"})), part(&claims));
        let joined = server.send(control("stages/join", json!({ "token": token }))).await;
        assert_eq!(joined.status, 403, "{:?}", joined.json);
    }
    // Cloud Control's request records, read in new accounts (a 12-digit access key names one).
    for i in 0..5 {
        let config = server.cloudcontrol_as(&format!("4444555566{i:02}"), "secret").build();
        let cloudcontrol = aws_sdk_cloudcontrol::Client::from_conf(config);
        let status = cloudcontrol.get_resource_request_status().request_token("none").send().await;
        assert_eq!(
            status.unwrap_err().into_service_error().meta().code(),
            Some("RequestTokenNotFoundException")
        );
        let listed = cloudcontrol.list_resource_requests().send().await.unwrap();
        assert!(listed.resource_request_status_summaries().is_empty());
    }
    assert_eq!(scopes(&state(&server).await), Vec::<(String, String)>::new());

    let ivs = server.ivs_as("AKIAREADER0000000000", "eu-test-0");
    let created = ivs.create_channel().name("first").send().await.unwrap();
    let arn = created.channel().unwrap().arn().unwrap().to_string();
    let found = scopes(&state(&server).await);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "eu-test-0");
    // Reads in the scope now see what was written there.
    let got = ivs.get_channel().arn(&arn).send().await.unwrap();
    assert_eq!(got.channel().unwrap().name(), Some("first"));
    assert_eq!(ivs.list_channels().send().await.unwrap().channels().len(), 1);
}
