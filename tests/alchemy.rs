//! Alchemy (the npm package `alchemy`, `import AWS from "alchemy/aws/control"`) against a real
//! ivs-local server: its Cloud Control resources for `AWS::IVS::*` create a recording
//! configuration (waiting for ACTIVE), a stage with tags and a channel recording to it, update
//! the stage and the channel in place, replace the recording configuration, refuse Alchemy's documented recording example with
//! Cloud Control's schema message, and destroy everything. This is what Alchemy users depend
//! on: its client signs with aws4fetch, polls GetResourceRequestStatus, reads errors by
//! `__type` and calls nothing but Cloud Control.
//!
//! The program is `tests/iac/alchemy/run.mjs`, run with `node`, one step per process; its
//! dependencies come from that directory's lock file (`npm ci --prefix tests/iac/alchemy`,
//! which `.ci/run` does). Without `node` or the installed packages the test says why on stderr
//! and passes, unless `CI` is set: CI installs them, so there a missing tool is a failure.

mod common;

use aws_sdk_ivs::operation::get_recording_configuration::GetRecordingConfigurationError;
use common::{ACCOUNT, REGION};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Far above a healthy step (about a second). Alchemy's poller retries some failures forever
/// (an answer it cannot read), so a server bug must fail the test here instead of hanging it.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alchemy_creates_updates_and_destroys_ivs_resources_through_cloud_control() {
    let Some(project) = find_project() else { return };
    let server = common::start().await;
    let ivs = server.ivs();
    let realtime = server.realtime();
    let alchemy = Alchemy::new(project, &server.url);

    // 1. Create: the recording configuration is ACTIVE before the channel that records to it
    // is made, the stage has its two tags, and Alchemy keeps the ARN as the resource's id.
    let made = alchemy.step("up").await;
    let recording_arn = text(&made["recording"], "Arn");
    let stage_arn = text(&made["stage"], "Arn");
    let channel_arn = text(&made["channel"], "Arn");
    for resource in ["recording", "stage", "channel"] {
        assert_eq!(made[resource]["id"], made[resource]["Arn"], "{made}");
    }
    assert!(recording_arn.starts_with(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:")), "{made}");
    let recording = ivs.get_recording_configuration().arn(&recording_arn).send().await.unwrap();
    let recording = recording.recording_configuration().unwrap();
    assert_eq!(recording.state().as_str(), "ACTIVE");
    assert_eq!(recording.name(), Some("alchemy-recordings"));
    assert_eq!(recording.recording_reconnect_window_seconds(), 30);
    let bucket =
        recording.destination_configuration().and_then(|d| d.s3()).map(|s| s.bucket_name());
    assert_eq!(bucket, Some("my-video-recordings"));
    let stage = realtime.get_stage().arn(&stage_arn).send().await.unwrap();
    let stage = stage.stage().unwrap();
    assert_eq!(stage.name(), Some("example-ivs-stage"));
    assert_eq!(stage.tags(), Some(&tags(&[("env", "test"), ("team", "video")])));
    let channel = ivs.get_channel().arn(&channel_arn).send().await.unwrap();
    let channel = channel.channel().unwrap();
    assert_eq!(channel.recording_configuration_arn(), Some(recording_arn.as_str()));
    assert_eq!(channel.latency_mode().map(|m| m.as_str()), Some("LOW"));
    let keys = ivs.list_stream_keys().channel_arn(&channel_arn).send().await.unwrap();
    assert!(keys.stream_keys().is_empty(), "Cloud Control's channels come without a key");

    // 2. Update: the stage's name and tags (one changed, one replaced) and the channel's
    // latency mode in place; a new reconnect window (create-only) replaces the recording
    // configuration, the channel moves to the new one, then Alchemy deletes the old one.
    let updated = alchemy.step("update").await;
    assert_eq!(text(&updated["stage"], "Arn"), stage_arn, "{updated}");
    assert_eq!(text(&updated["channel"], "Arn"), channel_arn, "{updated}");
    let new_recording_arn = text(&updated["recording"], "Arn");
    assert_ne!(new_recording_arn, recording_arn, "replaced: {updated}");
    let stage = realtime.get_stage().arn(&stage_arn).send().await.unwrap();
    let stage = stage.stage().unwrap();
    assert_eq!(stage.name(), Some("example-ivs-stage-renamed"));
    assert_eq!(stage.tags(), Some(&tags(&[("owner", "alchemy"), ("team", "streaming")])));
    let channel = ivs.get_channel().arn(&channel_arn).send().await.unwrap();
    let channel = channel.channel().unwrap();
    assert_eq!(channel.latency_mode().map(|m| m.as_str()), Some("NORMAL"));
    assert_eq!(channel.recording_configuration_arn(), Some(new_recording_arn.as_str()));
    let recording = ivs.get_recording_configuration().arn(&new_recording_arn).send().await;
    assert_eq!(
        recording.unwrap().recording_configuration().unwrap().recording_reconnect_window_seconds(),
        60
    );
    let old = ivs.get_recording_configuration().arn(&recording_arn).send().await.unwrap_err();
    assert!(
        matches!(
            old.as_service_error(),
            Some(GetRecordingConfigurationError::ResourceNotFoundException(_))
        ),
        "the replaced configuration is deleted: {old:?}"
    );

    // 3. Alchemy's documented recording example (camel case, S3 prefix and role, renditions as
    // objects) is refused, and Alchemy shows our message; nothing is made.
    let refused = alchemy.step("invalid").await;
    for (example, parts) in [
        (
            "documented",
            &[
                "#: required key [DestinationConfiguration] not found",
                "#: extraneous key [destinationConfiguration] is not permitted",
                "#: extraneous key [renditionConfiguration] is not permitted",
            ][..],
        ),
        (
            "pascalCase",
            &[
                "#/DestinationConfiguration/S3: extraneous key [Prefix] is not permitted",
                "#/DestinationConfiguration/S3: extraneous key [RoleArn] is not permitted",
                "#/RenditionConfiguration/Renditions/0: expected type: String, found: JSONObject",
            ][..],
        ),
    ] {
        assert_eq!(refused[example]["name"], "ValidationException", "{refused}");
        let message = text(&refused[example], "message");
        assert!(message.starts_with("Model validation failed ("), "{message}");
        for part in parts {
            assert!(message.contains(part), "{part} in {message}");
        }
    }
    let recordings = ivs.list_recording_configurations().send().await.unwrap();
    assert_eq!(recordings.recording_configurations().len(), 1);

    // 4. Alchemy's destroy phase deletes in reverse order (the channel before the recording
    // configuration it uses), and the refused resources' records with them.
    let out = alchemy.run("destroy").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", report(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("ERROR"), "{}", report(&out));
    for resource in ["channel", "stage", "recording"] {
        assert!(stdout.contains(&format!("[deleted]   {resource} ")), "{}", report(&out));
    }

    // 5. Nothing is left: not on the server (Alchemy's own ListResources and the IVS APIs),
    // not in Alchemy's state.
    let empty = alchemy.step("check-empty").await;
    assert_eq!(empty["left"], serde_json::json!({}), "{empty}");
    assert!(ivs.list_channels().send().await.unwrap().channels().is_empty());
    let recordings = ivs.list_recording_configurations().send().await.unwrap();
    assert!(recordings.recording_configurations().is_empty());
    assert!(realtime.list_stages().send().await.unwrap().stages().is_empty());
}

/// Runs the steps of `run.mjs` with node, in a temp dir, as a user with none of the caller's
/// AWS settings would.
struct Alchemy {
    project: PathBuf,
    endpoint: String,
    dir: TempDir,
}

impl Alchemy {
    fn new(project: PathBuf, endpoint: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        for sub in ["home", "root"] {
            std::fs::create_dir(dir.path().join(sub)).expect("a temp dir");
        }
        Alchemy { project, endpoint: endpoint.to_string(), dir }
    }

    /// Runs `step`, which must succeed; the JSON of its `RESULT` line.
    async fn step(&self, step: &str) -> Value {
        let out = self.run(step).await;
        assert!(out.status.success(), "step {step} failed\n{}", report(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().rev().find_map(|l| l.strip_prefix("RESULT "));
        let line =
            line.unwrap_or_else(|| panic!("step {step} printed no RESULT\n{}", report(&out)));
        serde_json::from_str(line).expect("RESULT is JSON")
    }

    async fn run(&self, step: &str) -> Output {
        let home = self.dir.path().join("home");
        let mut command = tokio::process::Command::new("node");
        command
            .arg("run.mjs")
            .arg(step)
            .current_dir(&self.project)
            .env_clear()
            .envs(["PATH", "LANG"].into_iter().filter_map(|k| Some((k, std::env::var_os(k)?))))
            .env("HOME", &home)
            // Credentials and region from the environment only: no profile, no IMDS.
            .env("AWS_CONFIG_FILE", home.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", ACCOUNT)
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_REGION", REGION)
            .env("AWS_ENDPOINT_URL_CLOUDCONTROLAPI", &self.endpoint)
            // No telemetry (it would be the only request off loopback), no colours.
            .env("ALCHEMY_TELEMETRY_DISABLED", "1")
            .env("DO_NOT_TRACK", "1")
            .env("NO_COLOR", "1")
            .env("IVS_LOCAL_ALCHEMY_ROOT", self.dir.path().join("root"))
            .kill_on_drop(true);
        let started = Instant::now();
        let out = match tokio::time::timeout(STEP_TIMEOUT, command.output()).await {
            Ok(out) => out.expect("node starts"),
            Err(_) => panic!("alchemy step {step} took over {STEP_TIMEOUT:?}"),
        };
        eprintln!("alchemy {step} ({:.1?})", started.elapsed());
        out
    }
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_else(|| panic!("no string {key} in {value}")).to_string()
}

fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn report(out: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The npm project, when `node` runs and its packages are installed; else `None` after saying
/// why. On CI a missing tool fails the test instead.
fn find_project() -> Option<PathBuf> {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/iac/alchemy");
    let node = std::process::Command::new("node").arg("--version").output();
    let reason = if !node.is_ok_and(|o| o.status.success()) {
        "no `node` on PATH".to_string()
    } else if !project.join("node_modules/alchemy/package.json").is_file() {
        format!("Alchemy is not installed: run `npm ci --prefix {}`", project.display())
    } else {
        return Some(project);
    };
    assert!(std::env::var_os("CI").is_none(), "alchemy test cannot run: {reason} (CI is set)");
    // Straight to stderr: the test harness swallows eprintln! from passing tests.
    let _ = writeln!(std::io::stderr(), "skipping alchemy test: {reason}");
    None
}
