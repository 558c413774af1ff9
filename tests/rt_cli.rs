//! The aws CLI (v1, botocore) against the real-time resources: its shorthand syntax for
//! nested lists and structures reaches CreateStage intact, and what it prints is AWS's shape.
//!
//! Without an `aws` on PATH the test says why and passes, except in CI (`CI` set), where the
//! machines have it and a missing CLI must fail the run.

mod common;

use common::cli::{Cli, aws_available};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_creates_a_recording_stage_with_participant_tokens() {
    if !aws_available() {
        return;
    }
    let server = common::start().await;
    let cli = Cli::new(&server.url);

    let storage = cli
        .ok(&[
            "ivs-realtime",
            "create-storage-configuration",
            "--name",
            "recordings",
            "--s3",
            "bucketName=my-recordings",
        ])
        .await;
    let storage_arn = storage["storageConfiguration"]["arn"].as_str().unwrap().to_string();

    let recording = format!(
        "storageConfigurationArn={storage_arn},mediaTypes=AUDIO_ONLY,\
         recordingReconnectWindowSeconds=30,hlsConfiguration={{targetSegmentDurationSeconds=4}}"
    );
    let created = cli
        .ok(&[
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
        ])
        .await;

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

    let token = cli
        .ok(&[
            "ivs-realtime",
            "create-participant-token",
            "--stage-arn",
            &stage_arn,
            "--user-id",
            "carol",
        ])
        .await;
    assert_eq!(token["participantToken"]["userId"], "carol");
    assert!(token["participantToken"]["expirationTime"].is_string());

    let listed = cli.ok(&["ivs-realtime", "list-stages"]).await;
    assert_eq!(listed["stages"][0]["arn"], stage_arn.as_str());
    cli.ok(&["ivs-realtime", "delete-stage", "--arn", &stage_arn]).await;
    let err = cli.fails(&["ivs-realtime", "get-stage", "--arn", &stage_arn]).await;
    assert!(err.contains("(ResourceNotFoundException)") && err.contains(&stage_arn), "{err}");
}
