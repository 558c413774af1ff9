//! Smoke test with the aws CLI (v1, botocore): the way most people first try an emulator.
//! It covers the CLI's request encoding (percent-encoded tag ARNs, repeated query keys), its
//! error parsing (the message comes from `message`) and endpoint selection by environment.
//!
//! Without an `aws` on PATH the test says why and passes, except in CI (`CI` set), where the
//! machines have it and a missing CLI must fail the run.

mod common;

use common::cli::{Cli, aws_available};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_manages_channels_stream_keys_and_tags() {
    if !aws_available() {
        return;
    }
    let server = common::start().await;
    let cli = Cli::new(&server.url);

    let created = cli
        .ok(&[
            "ivs",
            "create-channel",
            "--name",
            "cli-demo",
            "--latency-mode",
            "NORMAL",
            "--tags",
            "team=video",
        ])
        .await;
    let arn = created["channel"]["arn"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:ivs:us-west-2:123456789012:channel/"), "{arn}");
    assert!(created["streamKey"]["value"].as_str().unwrap().starts_with("sk_us-west-2_"));

    let got = cli.ok(&["ivs", "get-channel", "--arn", &arn]).await;
    assert_eq!(got["channel"]["latencyMode"], "NORMAL");
    let listed = cli.ok(&["ivs", "list-channels"]).await;
    assert_eq!(listed["channels"][0]["arn"], arn.as_str());
    let keys = cli.ok(&["ivs", "list-stream-keys", "--channel-arn", &arn]).await;
    assert_eq!(keys["streamKeys"].as_array().unwrap().len(), 1);

    cli.ok(&["ivs", "tag-resource", "--resource-arn", &arn, "--tags", "env=test,owner=me"]).await;
    cli.ok(&["ivs", "untag-resource", "--resource-arn", &arn, "--tag-keys", "team", "owner"]).await;
    let tags = cli.ok(&["ivs", "list-tags-for-resource", "--resource-arn", &arn]).await;
    assert_eq!(tags["tags"], serde_json::json!({"env": "test"}));

    let updated =
        cli.ok(&["ivs", "update-channel", "--arn", &arn, "--type", "BASIC", "--authorized"]).await;
    assert_eq!(updated["channel"]["type"], "BASIC");
    assert_eq!(updated["channel"]["authorized"], true);

    cli.ok(&["ivs", "delete-channel", "--arn", &arn]).await;
    let err = cli.fails(&["ivs", "get-channel", "--arn", &arn]).await;
    assert!(err.contains("(ResourceNotFoundException)") && err.contains(&arn), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_prints_aws_errors() {
    if !aws_available() {
        return;
    }
    let server = common::start().await;
    let cli = Cli::new(&server.url);
    let err = cli.fails(&["ivs", "create-channel", "--name", "not valid!"]).await;
    assert!(
        err.contains("(ValidationException)") && err.contains("regular expression pattern"),
        "{err}"
    );
    let missing = common::missing_arn("stage");
    let err = cli.fails(&["ivs-realtime", "get-stage", "--arn", &missing]).await;
    assert!(err.contains("(ResourceNotFoundException)") && err.contains(&missing), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_finds_the_server_through_service_endpoint_variables() {
    if !aws_available() {
        return;
    }
    let server = common::start().await;
    let cli = Cli::new(&server.url);
    for var in ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IVS"] {
        let out =
            cli.run(&["ivs", "list-channels", "--output", "json"], &[(var, &server.url)]).await;
        assert!(out.status.success(), "{var}: {}", String::from_utf8_lossy(&out.stderr));
        let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(listed["channels"].is_array());
    }
    let out = cli
        .run(
            &["ivs-realtime", "list-stages", "--output", "json"],
            &[("AWS_ENDPOINT_URL_IVS_REALTIME", &server.url)],
        )
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(listed["stages"].is_array());
}
