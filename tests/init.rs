//! `--init FILE`: AWS API calls made through the normal pipeline before the server answers,
//! each in its own or the default account and region; a failing one stops the start.

mod common;

use common::{ACCOUNT, REGION};
use ivs_local::server::Config;
use serde_json::json;

#[tokio::test]
async fn the_init_file_makes_its_resources_before_the_first_request() {
    let calls = json!([
        {"service": "ivs", "operation": "CreateChannel", "input": {"name": "from-init"},
         "account": ACCOUNT, "region": REGION},
        {"service": "ivs", "operation": "CreateRecordingConfiguration", "account": ACCOUNT,
         "region": REGION, "input": {"destinationConfiguration": {"s3": {"bucketName": "vods"}}}},
        {"service": "ivs-realtime", "operation": "CreateStage", "input": {"name": "default-scope"}},
    ]);
    let config =
        Config { init: Some(("init.json".into(), calls.to_string())), ..Config::default() };
    let server = common::start_with(config).await;
    let channels = server.ivs().list_channels().send().await.unwrap();
    assert_eq!(channels.channels().len(), 1);
    assert_eq!(channels.channels()[0].name(), Some("from-init"));
    let recordings = server.ivs().list_recording_configurations().send().await.unwrap();
    assert_eq!(recordings.recording_configurations().len(), 1);
    // No account or region: the server's defaults (an unsigned request sees them).
    let stages = server.post("ListStages", "{}").await;
    assert_eq!(stages.json["stages"][0]["name"], "default-scope");
    assert!(server.realtime().list_stages().send().await.unwrap().stages().is_empty());
}

#[tokio::test]
async fn a_failing_call_stops_the_start_and_names_it() {
    for (calls, expected) in [
        (
            json!([{"service": "ivs", "operation": "CreateChannel", "input": {}},
                   {"service": "ivs", "operation": "CreateChannel", "input": {"name": "bad name"}}]),
            "init.json, call 2 (ivs CreateChannel) failed: ValidationException",
        ),
        (
            json!([{"service": "ivs", "operation": "GetChannel", "input": {"arn": common::missing_arn("channel")}}]),
            "call 1 (ivs GetChannel) failed: ResourceNotFoundException",
        ),
        (json!([{"service": "ivs", "operation": "Frobnicate"}]), "no such operation"),
        (json!({"not": "a list"}), "not a JSON array of calls"),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config =
            Config { init: Some(("init.json".into(), calls.to_string())), ..Config::default() };
        let err = ivs_local::server::run(listener, config, async {}).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
}

/// The binary reads the file named by `--init` (or `IVS_LOCAL_INIT`) and exits non-zero with
/// the reason when a call fails.
#[test]
fn the_binary_refuses_to_start_on_a_bad_init_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("init.json");
    std::fs::write(&path, r#"[{"service": "ivs", "operation": "DeleteChannel", "input": {"arn": "arn:aws:ivs:us-east-1:000000000000:channel/abcdABCDefgh"}}]"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ivs-local"))
        .args(["--port", "0", "--host", "127.0.0.1"])
        .env("IVS_LOCAL_INIT", &path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("call 1 (ivs DeleteChannel) failed: ResourceNotFoundException"), "{log}");
}
