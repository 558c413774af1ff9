//! `--data-dir`: the real binary, killed with SIGKILL and started again on its data directory.
//!
//! - Everything acknowledged survives, in every account and region: resources, stream-key
//!   values, SRT passphrases, the token-signing key, events and Cloud Control requests; what
//!   was live ends with its end events.
//! - Concurrent writers killed at random moments lose no acknowledged write and leave no
//!   half-applied one (a channel is never without its stream key).
//! - A second server on the same directory, and a directory of another format, are refused
//!   with a message that says why.

mod common;

use common::TestServer;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ivs-local");

/// The binary on a data directory; SIGKILLed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(dir: &Path, args: &[&str]) -> Server {
        match Self::try_start(dir, args) {
            Ok(server) => server,
            Err(log) => panic!("the server did not start:\n{log}"),
        }
    }

    /// Starts the binary; `Err` is its log when it exits instead of listening.
    fn try_start(dir: &Path, args: &[&str]) -> Result<Server, String> {
        let mut child = Command::new(BIN)
            .args(["--port", "0", "--host", "127.0.0.1", "--data-dir"])
            .arg(dir)
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let lines = log.clone();
        // Keeps reading, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on http://").nth(1) {
                    let _ = port_tx.send(addr.trim().parse::<SocketAddr>().unwrap());
                }
                lines.lock().unwrap().push(line);
            }
        });
        match port_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => Ok(Server { child, addr }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                Err(log.lock().unwrap().join("\n"))
            }
        }
    }

    fn clients(&self) -> TestServer {
        TestServer::at(self.addr.port())
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn kill9(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-KILL", &pid]).status().unwrap().success());
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

async fn control(server: &Server, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(server.url(path)).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn p384_pem() -> String {
    use p384::pkcs8::{EncodePublicKey, LineEnding};
    let secret = p384::SecretKey::random(&mut p384::elliptic_curve::rand_core::OsRng);
    secret.public_key().to_public_key_pem(LineEnding::LF).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_restores_everything_and_ends_what_was_live() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let c = server.clients();
    let (ivs, rt) = (c.ivs(), c.realtime());
    // A second account and region, to see that every scope comes back.
    let other = c.ivs_as("210987654321", "eu-west-1");

    let created = ivs
        .create_channel()
        .name("main")
        .insecure_ingest(true)
        .tags("team", "video")
        .send()
        .await
        .unwrap();
    let channel = created.channel().unwrap().clone();
    let key = created.stream_key().unwrap().clone();
    let other_channel = other.create_channel().name("elsewhere").send().await.unwrap();
    let recording = ivs
        .create_recording_configuration()
        .name("rec")
        .destination_configuration(
            aws_sdk_ivs::types::DestinationConfiguration::builder()
                .s3(aws_sdk_ivs::types::S3DestinationConfiguration::builder()
                    .bucket_name("bucket")
                    .build()
                    .unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let pair = ivs.import_playback_key_pair().public_key_material(p384_pem()).send().await.unwrap();
    let policy =
        ivs.create_playback_restriction_policy().allowed_countries("NL").send().await.unwrap();
    let stage = rt.create_stage().name("show").send().await.unwrap();
    let stage_arn = stage.stage().unwrap().arn().to_string();
    let token = rt
        .create_participant_token()
        .stage_arn(&stage_arn)
        .user_id("alice")
        .send()
        .await
        .unwrap()
        .participant_token()
        .unwrap()
        .token()
        .unwrap()
        .to_string();
    let cc = c
        .cloudcontrol()
        .create_resource()
        .type_name("AWS::IVS::Stage")
        .desired_state(json!({"Name": "from-cloud-control"}).to_string())
        .send()
        .await
        .unwrap();
    let request_token = cc.progress_event().unwrap().request_token().unwrap().to_string();

    // Live: a broadcast on the channel and a participant on the stage.
    let (status, live) =
        control(&server, "/_ivs-local/broadcasts/start", json!({"streamKey": key.value()})).await;
    assert_eq!(status, 200, "{live}");
    let stream_id = live["streamId"].as_str().unwrap().to_string();
    let (status, joined) =
        control(&server, "/_ivs-local/stages/join", json!({"token": token, "publish": true})).await;
    assert_eq!(status, 200, "{joined}");
    let session_id = joined["sessionId"].as_str().unwrap().to_string();

    let keys_before = get(&server.url("/_ivs-local/keys")).await;
    let state_before = get(&server.url("/_ivs-local/state")).await;
    let events_before = get(&server.url("/_ivs-local/events")).await["events"].clone();
    server.kill9();

    let server = Server::start(dir.path(), &[]);
    let c = server.clients();
    let (ivs, rt) = (c.ivs(), c.realtime());
    let other = c.ivs_as("210987654321", "eu-west-1");

    // Resources, with their secrets, in both scopes.
    let got = ivs.get_channel().arn(channel.arn().unwrap()).send().await.unwrap();
    assert_eq!(got.channel().unwrap(), &channel);
    assert_eq!(
        got.channel().unwrap().srt().unwrap().passphrase(),
        channel.srt().unwrap().passphrase()
    );
    let got_key = ivs.get_stream_key().arn(key.arn().unwrap()).send().await.unwrap();
    assert_eq!(got_key.stream_key().unwrap().value(), key.value());
    let arn = other_channel.channel().unwrap().arn().unwrap();
    other.get_channel().arn(arn).send().await.unwrap();
    let arn = recording.recording_configuration().unwrap().arn();
    ivs.get_recording_configuration().arn(arn).send().await.unwrap();
    let got = ivs
        .get_playback_key_pair()
        .arn(pair.key_pair().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.key_pair().unwrap().fingerprint(), pair.key_pair().unwrap().fingerprint());
    let arn = policy.playback_restriction_policy().unwrap().arn();
    ivs.get_playback_restriction_policy().arn(arn).send().await.unwrap();
    let stages = rt.list_stages().send().await.unwrap();
    assert_eq!(stages.stages().len(), 2, "the stage and Cloud Control's");

    // The token-signing key: the same keys, and the token issued before still joins.
    assert_eq!(get(&server.url("/_ivs-local/keys")).await, keys_before);

    // What was live ended, with its end events, and the session ended.
    assert!(ivs.list_streams().send().await.unwrap().streams().is_empty());
    let session = ivs
        .get_stream_session()
        .channel_arn(channel.arn().unwrap())
        .stream_id(&stream_id)
        .send()
        .await
        .unwrap();
    assert!(session.stream_session().unwrap().end_time().is_some());
    let stage_session =
        rt.get_stage_session().stage_arn(&stage_arn).session_id(&session_id).send().await.unwrap();
    assert!(stage_session.stage_session().unwrap().end_time().is_some());
    let events = get(&server.url("/_ivs-local/events")).await["events"].clone();
    let events = events.as_array().unwrap();
    let before = events_before.as_array().unwrap();
    assert_eq!(&events[..before.len()], &before[..], "the events of before, in order");
    let names: Vec<&str> =
        events[before.len()..].iter().filter_map(|e| e["detail"]["event_name"].as_str()).collect();
    assert!(
        names.contains(&"Stream End") && names.contains(&"Session Ended"),
        "end events after the restart: {names:?}"
    );

    let (status, rejoined) =
        control(&server, "/_ivs-local/stages/join", json!({"token": token})).await;
    assert_eq!(status, 200, "a token issued before the restart still joins: {rejoined}");

    // Cloud Control's request is still known.
    let status = c
        .cloudcontrol()
        .get_resource_request_status()
        .request_token(&request_token)
        .send()
        .await
        .unwrap();
    assert_eq!(status.progress_event().unwrap().request_token(), Some(request_token.as_str()));

    // Tables other than those the restart changes are exactly as they were.
    let state_after = get(&server.url("/_ivs-local/state")).await;
    for table in ["streamKeys", "recordingConfigurations", "playbackKeyPairs", "publicKeys"] {
        for (before, after) in state_before["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .zip(state_after["scopes"].as_array().unwrap())
        {
            assert_eq!(before["tables"][table], after["tables"][table], "{table}");
            assert_eq!(before["meta"], after["meta"], "endpoint prefixes");
        }
    }
    // And a channel's playback URL (which names the endpoint prefix) did not change.
    assert_eq!(
        ivs.get_channel()
            .arn(channel.arn().unwrap())
            .send()
            .await
            .unwrap()
            .channel()
            .unwrap()
            .playback_url(),
        channel.playback_url()
    );
}

/// What a writer was told.
#[derive(Default, Clone)]
struct Ledger {
    /// Channels acknowledged as created (and not acknowledged as deleted), with the tags
    /// acknowledged on them.
    channels: BTreeMap<String, BTreeSet<String>>,
    /// Channels acknowledged as deleted.
    deleted: BTreeSet<String>,
    /// Channels whose delete was sent but not answered: either state is right.
    maybe_deleted: BTreeSet<String>,
    /// Stages, made through ivs-realtime or Cloud Control.
    stages: BTreeSet<String>,
    recording_configurations: BTreeSet<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x1d5);
    for round in 0..4 {
        let server = Server::start(dir.path(), &[]);
        let acknowledged = ledger.lock().unwrap().clone();
        check(&server, &acknowledged, round).await;
        let c = server.clients();
        let mut writers = Vec::new();
        for w in 0..16u64 {
            let (ivs, rt, cc, ledger) = (c.ivs(), c.realtime(), c.cloudcontrol(), ledger.clone());
            writers.push(tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(round * 100 + w);
                for n in 0.. {
                    let mine: Vec<String> = {
                        let l = ledger.lock().unwrap();
                        l.channels.keys().cloned().collect()
                    };
                    match rng.random_range(0..12) {
                        0..4 => {
                            let tag = format!("w{w}n{n}");
                            let Ok(out) = ivs.create_channel().tags(&tag, "1").send().await else {
                                return;
                            };
                            let arn = out.channel().unwrap().arn().unwrap().to_string();
                            ledger.lock().unwrap().channels.insert(arn, [tag].into());
                        }
                        4..6 if !mine.is_empty() => {
                            let arn = &mine[rng.random_range(0..mine.len())];
                            let tag = format!("w{w}n{n}");
                            match ivs.tag_resource().resource_arn(arn).tags(&tag, "1").send().await
                            {
                                Ok(_) => {
                                    if let Some(tags) = ledger.lock().unwrap().channels.get_mut(arn)
                                    {
                                        tags.insert(tag);
                                    }
                                }
                                Err(e) if e.raw_response().is_some() => {} // deleted meanwhile
                                Err(_) => return,
                            }
                        }
                        6..8 if !mine.is_empty() => {
                            let arn = mine[rng.random_range(0..mine.len())].clone();
                            ledger.lock().unwrap().maybe_deleted.insert(arn.clone());
                            match ivs.delete_channel().arn(&arn).send().await {
                                Ok(_) => {
                                    let mut l = ledger.lock().unwrap();
                                    l.channels.remove(&arn);
                                    l.maybe_deleted.remove(&arn);
                                    l.deleted.insert(arn);
                                }
                                Err(e) if e.raw_response().is_some() => {} // 404: another did
                                Err(_) => return,
                            }
                        }
                        8 => {
                            let Ok(out) = rt.create_stage().send().await else { return };
                            let arn = out.stage().unwrap().arn().to_string();
                            ledger.lock().unwrap().stages.insert(arn);
                        }
                        9 => {
                            let s3 = aws_sdk_ivs::types::S3DestinationConfiguration::builder()
                                .bucket_name("b")
                                .build()
                                .unwrap();
                            let destination =
                                aws_sdk_ivs::types::DestinationConfiguration::builder()
                                    .s3(s3)
                                    .build();
                            let Ok(out) = ivs
                                .create_recording_configuration()
                                .destination_configuration(destination)
                                .send()
                                .await
                            else {
                                return;
                            };
                            let arn = out.recording_configuration().unwrap().arn().to_string();
                            ledger.lock().unwrap().recording_configurations.insert(arn);
                        }
                        _ => {
                            let Ok(out) = cc
                                .create_resource()
                                .type_name("AWS::IVS::Stage")
                                .desired_state("{}")
                                .send()
                                .await
                            else {
                                return;
                            };
                            let event = out.progress_event().unwrap();
                            let arn = event.identifier().unwrap().to_string();
                            ledger.lock().unwrap().stages.insert(arn);
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..700))).await;
        server.kill9();
        for writer in writers {
            let _ = writer.await;
        }
    }
    let server = Server::start(dir.path(), &[]);
    let ledger = ledger.lock().unwrap().clone();
    assert!(ledger.channels.len() + ledger.deleted.len() > 20, "the writers got work done");
    check(&server, &ledger, 4).await;
}

/// Every acknowledged write is there; nothing is half there.
async fn check(server: &Server, ledger: &Ledger, round: u64) {
    let c = server.clients();
    let ivs = c.ivs();
    let mut channels = BTreeMap::new();
    let mut next = None;
    loop {
        let page = ivs.list_channels().set_next_token(next).max_results(100).send().await.unwrap();
        for ch in page.channels() {
            channels.insert(ch.arn().unwrap().to_string(), ch.tags().cloned().unwrap_or_default());
        }
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    for (arn, tags) in &ledger.channels {
        if ledger.maybe_deleted.contains(arn) && !channels.contains_key(arn) {
            continue;
        }
        let Some(stored) = channels.get(arn) else {
            panic!("round {round}: acknowledged channel {arn} is missing");
        };
        for tag in tags {
            assert!(stored.contains_key(tag), "round {round}: acknowledged tag {tag} on {arn}");
        }
    }
    for arn in &ledger.deleted {
        assert!(!channels.contains_key(arn), "round {round}: deleted channel {arn} is back");
    }
    // Every channel, acknowledged or not, came with its one stream key; no key is orphaned.
    let state = get(&server.url("/_ivs-local/state")).await;
    for scope in state["scopes"].as_array().unwrap() {
        let keys = scope["tables"]["streamKeys"].as_object().unwrap();
        let chans = scope["tables"]["channels"].as_object().unwrap();
        for (id, ch) in chans {
            let n = keys.values().filter(|k| k["channelId"] == id.as_str()).count();
            assert_eq!(n, 1, "round {round}: channel {} has {n} stream keys", ch["arn"]);
        }
        for key in keys.values() {
            assert!(chans.contains_key(key["channelId"].as_str().unwrap()), "orphan key {key}");
        }
    }
    let rt = c.realtime();
    let mut stages = BTreeSet::new();
    let mut next = None;
    loop {
        let page = rt.list_stages().set_next_token(next).max_results(100).send().await.unwrap();
        stages.extend(page.stages().iter().map(|s| s.arn().to_string()));
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    for arn in &ledger.stages {
        assert!(stages.contains(arn), "round {round}: acknowledged stage {arn} is missing");
    }
    let mut recordings = BTreeSet::new();
    let mut next = None;
    loop {
        let page = ivs
            .list_recording_configurations()
            .set_next_token(next)
            .max_results(100)
            .send()
            .await
            .unwrap();
        recordings.extend(page.recording_configurations().iter().map(|r| r.arn().to_string()));
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    for arn in &ledger.recording_configurations {
        assert!(
            recordings.contains(arn),
            "round {round}: recording configuration {arn} is missing"
        );
    }
}

/// Reset and import replace the whole state while writers keep writing: what a restart brings
/// back must be exactly what memory held. A write that was under way during the swap belongs
/// either before it (gone with the old state, in memory and on disk) or after it; it must not
/// reach the disk behind the import's clearing and come back as a row memory never had.
/// Before `Store::replace` retired the old scopes, about one run in three found such rows; the
/// store's unit test `a_write_through_a_replaced_scope_reaches_neither_memory_nor_disk` makes
/// that race happen every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_and_import_under_concurrent_writes_leave_disk_and_memory_alike() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let ivs = server.clients().ivs();
    ivs.create_channel().name("kept").send().await.unwrap();
    let document = get(&server.url("/_ivs-local/state")).await;

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let http = reqwest::Client::new();
    let mut writers = Vec::new();
    for _ in 0..16 {
        let (stop, http, url) = (stop.clone(), http.clone(), server.url("/CreateChannel"));
        writers.push(tokio::spawn(async move {
            let mut created = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let sent = http.post(&url).json(&json!({"name": "w"})).send().await;
                if sent.is_ok_and(|r| r.status().is_success()) {
                    created += 1;
                }
            }
            created
        }));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5ca1e);
    for round in 0..60 {
        tokio::time::sleep(Duration::from_millis(rng.random_range(3..15))).await;
        let (status, answer) = if round % 2 == 0 {
            control(&server, "/_ivs-local/reset", json!({})).await
        } else {
            control(&server, "/_ivs-local/state", document.clone()).await
        };
        assert_eq!(status, 200, "round {round}: {answer}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut created = 0;
    for writer in writers {
        created += writer.await.unwrap();
    }
    assert!(created > 100, "the writers got work done ({created} channels)");

    let rows = |state: &Value| -> BTreeMap<String, Value> {
        let mut rows = BTreeMap::new();
        for scope in state["scopes"].as_array().unwrap() {
            for (table, table_rows) in scope["tables"].as_object().unwrap() {
                for (id, row) in table_rows.as_object().unwrap() {
                    let at = format!("{}/{}/{table}/{id}", scope["account"], scope["region"]);
                    rows.insert(at, row.clone());
                }
            }
        }
        rows
    };
    let in_memory = rows(&get(&server.url("/_ivs-local/state")).await);
    server.kill9();
    let server = Server::start(dir.path(), &[]);
    let restored = rows(&get(&server.url("/_ivs-local/state")).await);
    let back: Vec<_> = restored.keys().filter(|k| !in_memory.contains_key(*k)).collect();
    let lost: Vec<_> = in_memory.keys().filter(|k| !restored.contains_key(*k)).collect();
    assert!(back.is_empty(), "{} rows came back that memory did not hold: {back:?}", back.len());
    assert!(lost.is_empty(), "{} rows memory held were lost: {lost:?}", lost.len());
    assert_eq!(in_memory, restored);
}

#[tokio::test]
async fn a_second_server_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(dir.path(), &[]);
    let Err(log) = Server::try_start(dir.path(), &[]) else {
        panic!("a second server started on the same data directory");
    };
    assert!(log.contains("in use by another ivs-local process"), "{log}");
    // The first one is unaffected.
    assert!(get(&first.url("/_ivs-local/health")).await["version"].is_string());
}

#[tokio::test]
async fn a_directory_of_another_format_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.clients().ivs().create_channel().send().await.unwrap();
    server.kill9();
    // What a later version might write: the same file, another format number.
    {
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut rows =
                txn.open_table(redb::TableDefinition::<&str, &[u8]>::new("rows")).unwrap();
            rows.insert("_server/format", br#"{"format":99,"writtenBy":"9.9.9"}"#.as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let Err(log) = Server::try_start(dir.path(), &[]) else {
        panic!("a directory of format 99 was read");
    };
    assert!(
        log.contains("was written by ivs-local 9.9.9 in data format 99")
            && log.contains("reads format 1"),
        "{log}"
    );
}

#[tokio::test]
async fn the_init_file_runs_only_on_an_empty_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let init = dir.path().join("init.json");
    let calls = json!([{"service": "ivs", "operation": "CreateChannel", "input": {"name": "once"},
                        "account": common::ACCOUNT, "region": common::REGION}]);
    std::fs::write(&init, calls.to_string()).unwrap();
    let data = dir.path().join("data");
    let init = init.to_str().unwrap();
    for _ in 0..2 {
        let server = Server::start(&data, &["--init", init]);
        let channels = server.clients().ivs().list_channels().send().await.unwrap();
        assert_eq!(channels.channels().len(), 1, "one channel, however many starts");
        server.kill9();
    }
}
