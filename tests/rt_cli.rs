//! The aws CLI (v1, botocore) against the real-time resources: its shorthand syntax for
//! nested lists and structures reaches CreateStage intact, and what it prints is AWS's shape.
//!
//! Without an `aws` on PATH the test says why and passes, except in CI (`CI` set), where the
//! machines have it and a missing CLI must fail the run.

mod common;

use serde_json::Value;

/// Runs `aws --endpoint-url URL --output json ARGS` with test credentials and no user
/// configuration; its JSON output, or the stderr when it fails.
async fn aws(home: &std::path::Path, endpoint: &str, args: &[&str]) -> Result<Value, String> {
    let config = home.join("config");
    let out = tokio::process::Command::new("aws")
        .args(["--endpoint-url", endpoint, "--output", "json"])
        .args(args)
        .env_clear()
        .envs(
            ["PATH", "PYENV_ROOT", "LANG"]
                .into_iter()
                .filter_map(|k| Some((k, std::env::var_os(k)?))),
        )
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &config)
        .env("AWS_ACCESS_KEY_ID", common::ACCOUNT)
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_DEFAULT_REGION", common::REGION)
        .output()
        .await
        .expect("aws runs");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn aws_available() -> bool {
    let found = std::process::Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "the aws CLI is not installed, and CI machines must have it"
        );
        eprintln!("skipping the aws CLI test: no `aws` on PATH (pip install awscli)");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_creates_a_recording_stage_with_participant_tokens() {
    if !aws_available() {
        return;
    }
    let server = common::start().await;
    let home = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| {
        let (home, url) = (home.path().to_path_buf(), server.url.clone());
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            aws(&home, &url, &args).await
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let storage = run(args(&[
        "ivs-realtime",
        "create-storage-configuration",
        "--name",
        "recordings",
        "--s3",
        "bucketName=my-recordings",
    ]))
    .await
    .unwrap();
    let storage_arn = storage["storageConfiguration"]["arn"].as_str().unwrap().to_string();

    let recording = format!(
        "storageConfigurationArn={storage_arn},mediaTypes=AUDIO_ONLY,\
         recordingReconnectWindowSeconds=30,hlsConfiguration={{targetSegmentDurationSeconds=4}}"
    );
    let created = run(args(&[
        "ivs-realtime",
        "create-stage",
        "--name",
        "cli-stage",
        "--participant-token-configurations",
        "duration=60,userId=alice,attributes={role=host},capabilities=PUBLISH,SUBSCRIBE",
        "userId=bob,capabilities=SUBSCRIBE",
        "--tags",
        "team=rt",
        "--auto-participant-recording-configuration",
        &recording,
    ]))
    .await
    .unwrap();

    let stage = &created["stage"];
    let stage_arn = stage["arn"].as_str().unwrap().to_string();
    assert!(stage_arn.starts_with("arn:aws:ivs:us-west-2:123456789012:stage/"), "{stage_arn}");
    assert_eq!(stage["name"], "cli-stage");
    assert_eq!(stage["tags"], serde_json::json!({"team": "rt"}));
    assert_eq!(
        stage["autoParticipantRecordingConfiguration"],
        serde_json::json!({
            "storageConfigurationArn": storage_arn,
            "mediaTypes": ["AUDIO_ONLY"],
            "thumbnailConfiguration": {
                "targetIntervalSeconds": 60, "storage": ["SEQUENTIAL"], "recordingMode": "DISABLED"
            },
            "recordingReconnectWindowSeconds": 30,
            "hlsConfiguration": {"targetSegmentDurationSeconds": 4},
            "recordParticipantReplicas": true
        })
    );
    assert!(
        stage["endpoints"]["whip"].as_str().unwrap().ends_with(".global-bm.whip.live-video.net")
    );

    let tokens = created["participantTokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0]["userId"], "alice");
    assert_eq!(tokens[0]["duration"], 60);
    assert_eq!(tokens[0]["attributes"], serde_json::json!({"role": "host"}));
    assert_eq!(tokens[0]["capabilities"], serde_json::json!(["PUBLISH", "SUBSCRIBE"]));
    assert_eq!(tokens[1]["capabilities"], serde_json::json!(["SUBSCRIBE"]));
    assert_eq!(tokens[1]["duration"], 720);
    assert!(
        tokens[0]["token"].as_str().unwrap().starts_with("eyJhbGciOiJLTVMiLCJ0eXAiOiJKV1QifQ.")
    );

    let token = run(args(&[
        "ivs-realtime",
        "create-participant-token",
        "--stage-arn",
        &stage_arn,
        "--user-id",
        "carol",
    ]))
    .await
    .unwrap();
    assert_eq!(token["participantToken"]["userId"], "carol");
    assert!(token["participantToken"]["expirationTime"].is_string());

    let listed = run(args(&["ivs-realtime", "list-stages"])).await.unwrap();
    assert_eq!(listed["stages"][0]["arn"], stage_arn.as_str());
    run(args(&["ivs-realtime", "delete-stage", "--arn", &stage_arn])).await.unwrap();
    let err = run(args(&["ivs-realtime", "get-stage", "--arn", &stage_arn])).await.unwrap_err();
    assert!(err.contains("(ResourceNotFoundException)") && err.contains(&stage_arn), "{err}");
}
