//! 64 clients at once, in four (account, region) scopes: creating, updating, deleting and
//! tagging channels, stream keys, recording configurations, playback restriction policies,
//! stages and participant tokens, going live and off air, joining and leaving stages, and
//! making stream keys through Cloud Control, with a seeded random mix. Each acknowledged
//! change goes into a shared ledger; when the traffic has stopped, `common::invariants` checks
//! through the API that every rule held (nothing acknowledged is missing or duplicated, no
//! stream key outlives its channel or doubles up, nothing deleted is still named, ...).
//!
//! The server runs on its own runtime, so a deadlock in it cannot stall the test's clock: the
//! whole run is bounded by a timeout, and a server that stops answering fails the test.

mod common;

use aws_sdk_ivs::types::{DestinationConfiguration, S3DestinationConfiguration};
use aws_sdk_ivsrealtime::types::ParticipantTokenCapability;
use common::TestServer;
use common::invariants::{self, Entry, Kind, Ledger, Tags, failure};
use ivs_local::server::Config;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;
/// Each client makes this many calls: about 2,000 in all, a few seconds on two cores.
const CALLS_PER_CLIENT: usize = 30;
/// A server that has not answered everything by then is taken to be deadlocked.
const DEADLOCK: Duration = Duration::from_secs(60);
const SCOPES: [(&str, &str); 4] = [
    ("123456789012", "us-west-2"),
    ("123456789012", "eu-west-1"),
    ("210987654321", "us-west-2"),
    ("210987654321", "eu-west-1"),
];

/// What the run saw: acknowledged operations, expected refusals, and anything else.
#[derive(Default)]
struct Tally {
    acked: BTreeMap<&'static str, usize>,
    refused: BTreeMap<(&'static str, u16), usize>,
    unexpected: Vec<String>,
}

struct Client {
    id: usize,
    account: &'static str,
    region: &'static str,
    server_url: String,
    ivs: aws_sdk_ivs::Client,
    rt: aws_sdk_ivsrealtime::Client,
    http: reqwest::Client,
    rng: StdRng,
    ledger: Arc<Ledger>,
    tally: Arc<Mutex<Tally>>,
    /// Participants this client joined: (stage ARN, participant id).
    joined: Vec<(String, String)>,
    /// Calls answered so far.
    calls: AtomicUsize,
}

/// The outcome of one call: acknowledged, or refused with an HTTP status and error code.
type Outcome<T> = Result<T, (u16, String)>;

impl Client {
    fn ack(&self, op: &'static str) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        *self.tally.lock().unwrap().acked.entry(op).or_default() += 1;
    }

    /// Records a refusal: expected when its status is one of `allowed`, a failure otherwise.
    fn refused(&self, op: &'static str, (status, code): (u16, String), allowed: &[u16]) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut tally = self.tally.lock().unwrap();
        if allowed.contains(&status) {
            *tally.refused.entry((op, status)).or_default() += 1;
        } else {
            tally.unexpected.push(format!("client {}: {op} answered {status} {code}", self.id));
        }
    }

    fn unexpected(&self, what: String) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.tally.lock().unwrap().unexpected.push(format!("client {}: {what}", self.id));
    }

    fn entry(&self, kind: Kind) -> Entry {
        Entry::new(kind, self.account, self.region, self.id)
    }

    /// A random resource of `kind` in this client's scope that the ledger knows (possibly
    /// deleted since: that is part of the mix); `mine` keeps to this client's own.
    fn pick(&mut self, kind: Kind, mine: bool) -> Option<(String, Entry)> {
        let (account, region, id) = (self.account, self.region, self.id);
        let candidates = self.ledger.select(|e| {
            e.kind == kind
                && e.account == account
                && e.region == region
                && (!mine || (e.owner == id && !e.deleted))
        });
        if candidates.is_empty() {
            return None;
        }
        let i = self.rng.random_range(0..candidates.len());
        candidates.into_iter().nth(i)
    }

    /// A recording configuration or policy ARN to name, or `""` for none.
    fn reference(&mut self, kind: Kind) -> String {
        if self.rng.random_bool(0.5) {
            return String::new();
        }
        self.pick(kind, false).map(|(arn, _)| arn).unwrap_or_default()
    }

    async fn control(&self, route: &str, body: Value) -> Outcome<Value> {
        let url = format!("{}/_ivs-local/{route}", self.server_url);
        let response = self.http.post(url).json(&body).send().await;
        let response = response.map_err(|e| (0, format!("no answer: {e}")))?;
        let status = response.status().as_u16();
        let code = header(&response, "x-amzn-errortype");
        let body: Value = response.json().await.map_err(|e| (status, format!("not JSON: {e}")))?;
        match status {
            200 => Ok(body),
            _ => Err((status, code)),
        }
    }

    async fn cloudcontrol(&self, operation: &str, body: Value) -> Outcome<Value> {
        let response = self
            .http
            .post(format!("{}/", self.server_url))
            .header("authorization", common::authorization(self.account, self.region))
            .header("x-amz-target", format!("CloudApiService.{operation}"))
            .header("content-type", "application/x-amz-json-1.0")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| (0, format!("no answer: {e}")))?;
        let status = response.status().as_u16();
        let code = header(&response, "x-amzn-errortype");
        let body: Value = response.json().await.map_err(|e| (status, format!("not JSON: {e}")))?;
        match status {
            200 => Ok(body),
            _ => Err((status, code)),
        }
    }

    async fn step(&mut self) {
        match self.rng.random_range(0..100) {
            0..10 => self.create_channel().await,
            10..15 => self.update_channel().await,
            15..18 => self.delete_channel().await,
            18..24 => self.create_stream_key().await,
            24..27 => self.delete_stream_key().await,
            27..32 => self.create_recording_configuration().await,
            32..36 => self.delete_recording_configuration().await,
            36..39 => self.create_policy().await,
            39..42 => self.delete_policy().await,
            42..49 => self.tag(true).await,
            49..52 => self.tag(false).await,
            52..59 => self.start_broadcast().await,
            59..64 => self.stop_broadcast().await,
            64..69 => self.create_stage().await,
            69..72 => self.update_stage().await,
            72..75 => self.delete_stage().await,
            75..81 => self.create_token().await,
            81..86 => self.join().await,
            86..89 => self.leave().await,
            89..91 => self.foreign_reference().await,
            91..94 => self.cloudcontrol_stream_key().await,
            _ => self.read().await,
        }
    }

    async fn create_channel(&mut self) {
        let rc = self.reference(Kind::RecordingConfiguration);
        let policy = self.reference(Kind::PlaybackRestrictionPolicy);
        let tags: Tags = match self.rng.random_bool(0.5) {
            true => [("team".to_string(), format!("c{}", self.id))].into(),
            false => Tags::new(),
        };
        let out = self
            .ivs
            .create_channel()
            .name(format!("c{}-{}", self.id, self.rng.random_range(0..1000)))
            .recording_configuration_arn(&rc)
            .playback_restriction_policy_arn(&policy)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await;
        match out {
            Ok(out) => {
                self.ack("CreateChannel");
                let channel = out.channel().and_then(|c| c.arn()).unwrap_or_default().to_string();
                let Some(key) = out.stream_key().cloned() else {
                    return self.unexpected(format!("CreateChannel {channel} answered no key"));
                };
                let mut entry = self.entry(Kind::Channel);
                entry.tags = Some(tags);
                entry.references = Some((rc, policy));
                self.ledger.created(&channel, entry);
                let mut entry = self.entry(Kind::StreamKey);
                entry.parent = Some(channel);
                entry.value = key.value().map(str::to_string);
                entry.tags = Some(Tags::new());
                self.ledger.created(key.arn().unwrap_or_default(), entry);
            }
            // A named configuration or policy was deleted meanwhile.
            Err(e) => self.refused("CreateChannel", failure(&e), &[404]),
        }
    }

    async fn update_channel(&mut self) {
        let Some((arn, _)) = self.pick(Kind::Channel, true) else { return };
        let rc = self.reference(Kind::RecordingConfiguration);
        let policy = self.reference(Kind::PlaybackRestrictionPolicy);
        let out = self
            .ivs
            .update_channel()
            .arn(&arn)
            .name(format!("u{}", self.rng.random_range(0..1000)))
            .recording_configuration_arn(&rc)
            .playback_restriction_policy_arn(&policy)
            .send()
            .await;
        match out {
            Ok(_) => {
                self.ack("UpdateChannel");
                self.ledger.update(&arn, |e| e.references = Some((rc, policy)));
            }
            // 404: what it names is gone; 409: the channel is live.
            Err(e) => self.refused("UpdateChannel", failure(&e), &[404, 409]),
        }
    }

    async fn delete_channel(&mut self) {
        let Some((arn, _)) = self.pick(Kind::Channel, true) else { return };
        match self.ivs.delete_channel().arn(&arn).send().await {
            Ok(_) => {
                self.ack("DeleteChannel");
                self.ledger.deleted(&arn);
            }
            Err(e) => self.refused("DeleteChannel", failure(&e), &[409]),
        }
    }

    /// On any channel of the scope, not only this client's: the one-key rule under contention.
    async fn create_stream_key(&mut self) {
        let Some((channel, _)) = self.pick(Kind::Channel, false) else { return };
        match self.ivs.create_stream_key().channel_arn(&channel).send().await {
            Ok(out) => {
                self.ack("CreateStreamKey");
                let Some(key) = out.stream_key().cloned() else {
                    return self.unexpected(format!("CreateStreamKey {channel} answered no key"));
                };
                let mut entry = self.entry(Kind::StreamKey);
                entry.parent = Some(channel);
                entry.value = key.value().map(str::to_string);
                entry.tags = Some(Tags::new());
                self.ledger.created(key.arn().unwrap_or_default(), entry);
            }
            // 402: the channel has its key; 404: the channel is gone.
            Err(e) => self.refused("CreateStreamKey", failure(&e), &[402, 404]),
        }
    }

    async fn delete_stream_key(&mut self) {
        let Some((arn, _)) = self.pick(Kind::StreamKey, true) else { return };
        match self.ivs.delete_stream_key().arn(&arn).send().await {
            Ok(_) => {
                self.ack("DeleteStreamKey");
                self.ledger.deleted(&arn);
            }
            // Its channel was deleted, and the key with it.
            Err(e) => self.refused("DeleteStreamKey", failure(&e), &[404]),
        }
    }

    async fn create_recording_configuration(&mut self) {
        let s3 = S3DestinationConfiguration::builder().bucket_name("vods").build().unwrap();
        let out = self
            .ivs
            .create_recording_configuration()
            .name(format!("r{}", self.id))
            .destination_configuration(DestinationConfiguration::builder().s3(s3).build())
            .send()
            .await;
        match out {
            Ok(out) => {
                self.ack("CreateRecordingConfiguration");
                let arn = out.recording_configuration().map(|r| r.arn()).unwrap_or_default();
                let mut entry = self.entry(Kind::RecordingConfiguration);
                entry.tags = Some(Tags::new());
                self.ledger.created(arn, entry);
            }
            Err(e) => self.refused("CreateRecordingConfiguration", failure(&e), &[]),
        }
    }

    async fn delete_recording_configuration(&mut self) {
        let Some((arn, _)) = self.pick(Kind::RecordingConfiguration, true) else { return };
        match self.ivs.delete_recording_configuration().arn(&arn).send().await {
            Ok(_) => {
                self.ack("DeleteRecordingConfiguration");
                self.ledger.deleted(&arn);
            }
            // A channel names it.
            Err(e) => self.refused("DeleteRecordingConfiguration", failure(&e), &[409]),
        }
    }

    async fn create_policy(&mut self) {
        let out = self
            .ivs
            .create_playback_restriction_policy()
            .name(format!("p{}", self.id))
            .allowed_countries("NZ")
            .send()
            .await;
        match out {
            Ok(out) => {
                self.ack("CreatePlaybackRestrictionPolicy");
                let arn = out.playback_restriction_policy().map(|p| p.arn()).unwrap_or_default();
                let mut entry = self.entry(Kind::PlaybackRestrictionPolicy);
                entry.tags = Some(Tags::new());
                self.ledger.created(arn, entry);
            }
            Err(e) => self.refused("CreatePlaybackRestrictionPolicy", failure(&e), &[]),
        }
    }

    async fn delete_policy(&mut self) {
        let Some((arn, _)) = self.pick(Kind::PlaybackRestrictionPolicy, true) else { return };
        match self.ivs.delete_playback_restriction_policy().arn(&arn).send().await {
            Ok(_) => {
                self.ack("DeletePlaybackRestrictionPolicy");
                self.ledger.deleted(&arn);
            }
            Err(e) => self.refused("DeletePlaybackRestrictionPolicy", failure(&e), &[409]),
        }
    }

    /// Tags (or untags) one of this client's resources; a stream key may have gone with its
    /// channel (404).
    async fn tag(&mut self, set: bool) {
        let kinds = [
            Kind::Channel,
            Kind::StreamKey,
            Kind::RecordingConfiguration,
            Kind::PlaybackRestrictionPolicy,
            Kind::Stage,
        ];
        let kind = kinds[self.rng.random_range(0..kinds.len())];
        let Some((arn, _)) = self.pick(kind, true) else { return };
        let key = format!("k{}", self.rng.random_range(0..4));
        let value = format!("v{}", self.rng.random_range(0..100));
        let allowed: &[u16] = if kind == Kind::StreamKey { &[404] } else { &[] };
        let result = match (kind, set) {
            (Kind::Stage, true) => {
                let call = self.rt.tag_resource().resource_arn(&arn).tags(&key, &value);
                call.send().await.map(drop).map_err(|e| failure(&e))
            }
            (Kind::Stage, false) => {
                let call = self.rt.untag_resource().resource_arn(&arn).tag_keys(&key);
                call.send().await.map(drop).map_err(|e| failure(&e))
            }
            (_, true) => {
                let call = self.ivs.tag_resource().resource_arn(&arn).tags(&key, &value);
                call.send().await.map(drop).map_err(|e| failure(&e))
            }
            (_, false) => {
                let call = self.ivs.untag_resource().resource_arn(&arn).tag_keys(&key);
                call.send().await.map(drop).map_err(|e| failure(&e))
            }
        };
        let op = if set { "TagResource" } else { "UntagResource" };
        match result {
            Ok(()) => {
                self.ack(op);
                self.ledger.update(&arn, |e| {
                    let tags = e.tags.get_or_insert_with(Tags::new);
                    match set {
                        true => tags.insert(key, value),
                        false => tags.remove(&key),
                    };
                });
            }
            Err(e) => self.refused(op, e, allowed),
        }
    }

    /// A broadcaster connecting with any stream key of the scope (perhaps deleted since).
    async fn start_broadcast(&mut self) {
        let Some((_, key)) = self.pick(Kind::StreamKey, false) else { return };
        let Some(value) = key.value else { return };
        match self.control("broadcasts/start", json!({"streamKey": value})).await {
            Ok(_) => self.ack("broadcasts/start"),
            Err(e) => self.refused("broadcasts/start", e, &[404]),
        }
    }

    async fn stop_broadcast(&mut self) {
        let Some((channel, _)) = self.pick(Kind::Channel, false) else { return };
        match self.control("broadcasts/stop", json!({"channelArn": channel})).await {
            Ok(_) => self.ack("broadcasts/stop"),
            // Not live, or gone.
            Err(e) => self.refused("broadcasts/stop", e, &[404]),
        }
    }

    async fn create_stage(&mut self) {
        match self.rt.create_stage().name(format!("s{}", self.id)).send().await {
            Ok(out) => {
                self.ack("CreateStage");
                let arn = out.stage().map(|s| s.arn()).unwrap_or_default().to_string();
                let mut entry = self.entry(Kind::Stage);
                entry.tags = Some(Tags::new());
                self.ledger.created(&arn, entry);
                // CreateStage can issue tokens too.
                for token in out.participant_tokens() {
                    let mut entry = self.entry(Kind::ParticipantToken);
                    entry.parent = Some(arn.clone());
                    self.ledger.created(token.token().unwrap_or_default(), entry);
                }
            }
            Err(e) => self.refused("CreateStage", failure(&e), &[]),
        }
    }

    async fn update_stage(&mut self) {
        let Some((arn, _)) = self.pick(Kind::Stage, true) else { return };
        let name = format!("s{}-{}", self.id, self.rng.random_range(0..1000));
        match self.rt.update_stage().arn(&arn).name(name).send().await {
            Ok(_) => self.ack("UpdateStage"),
            Err(e) => self.refused("UpdateStage", failure(&e), &[]),
        }
    }

    async fn delete_stage(&mut self) {
        let Some((arn, _)) = self.pick(Kind::Stage, true) else { return };
        match self.rt.delete_stage().arn(&arn).send().await {
            Ok(_) => {
                self.ack("DeleteStage");
                self.ledger.deleted(&arn);
            }
            Err(e) => self.refused("DeleteStage", failure(&e), &[]),
        }
    }

    async fn create_token(&mut self) {
        let Some((stage, _)) = self.pick(Kind::Stage, false) else { return };
        let out = self
            .rt
            .create_participant_token()
            .stage_arn(&stage)
            .user_id(format!("u{}", self.id))
            .capabilities(ParticipantTokenCapability::Publish)
            .capabilities(ParticipantTokenCapability::Subscribe)
            .send()
            .await;
        match out {
            Ok(out) => {
                self.ack("CreateParticipantToken");
                let token = out.participant_token().and_then(|t| t.token()).unwrap_or_default();
                let mut entry = self.entry(Kind::ParticipantToken);
                entry.parent = Some(stage);
                self.ledger.created(token, entry);
            }
            Err(e) => self.refused("CreateParticipantToken", failure(&e), &[404]),
        }
    }

    async fn join(&mut self) {
        let Some((token, _)) = self.pick(Kind::ParticipantToken, false) else { return };
        let publish = self.rng.random_bool(0.5);
        match self.control("stages/join", json!({"token": token, "publish": publish})).await {
            Ok(out) => {
                self.ack("stages/join");
                let text = |k: &str| out[k].as_str().unwrap_or_default().to_string();
                self.joined.push((text("stageArn"), text("participantId")));
            }
            // 404: the stage is gone; 409: that token's participant is connected already.
            Err(e) => self.refused("stages/join", e, &[404, 409]),
        }
    }

    async fn leave(&mut self) {
        if self.joined.is_empty() {
            return;
        }
        let i = self.rng.random_range(0..self.joined.len());
        let (stage, participant) = self.joined.swap_remove(i);
        let body = json!({"stageArn": stage, "participantId": participant});
        match self.control("stages/leave", body).await {
            Ok(_) => self.ack("stages/leave"),
            // The stage was deleted, which disconnected everyone.
            Err(e) => self.refused("stages/leave", e, &[404]),
        }
    }

    /// A channel naming a recording configuration of another account or region: that ARN
    /// names nothing here, so the create must be refused.
    async fn foreign_reference(&mut self) {
        let (account, region) = (self.account, self.region);
        let foreign = self.ledger.select(|e| {
            e.kind == Kind::RecordingConfiguration && (e.account != account || e.region != region)
        });
        let Some((rc, _)) = foreign.first() else { return };
        let out = self.ivs.create_channel().recording_configuration_arn(rc).send().await;
        match out {
            Ok(out) => {
                let arn = out.channel().and_then(|c| c.arn()).unwrap_or_default();
                self.unexpected(format!("{arn} was created naming {rc}, of another scope"));
            }
            Err(e) => self.refused("CreateChannel (foreign reference)", failure(&e), &[404]),
        }
    }

    /// Cloud Control's door to the same one-key rule: an AWS::IVS::StreamKey for any channel.
    async fn cloudcontrol_stream_key(&mut self) {
        let Some((channel, _)) = self.pick(Kind::Channel, false) else { return };
        let desired = json!({"ChannelArn": channel}).to_string();
        let body = json!({"TypeName": "AWS::IVS::StreamKey", "DesiredState": desired});
        let created = match self.cloudcontrol("CreateResource", body).await {
            Ok(out) => out,
            Err(e) => return self.refused("cloudcontrol CreateResource", e, &[]),
        };
        let token = created["ProgressEvent"]["RequestToken"].clone();
        let status = match self
            .cloudcontrol("GetResourceRequestStatus", json!({"RequestToken": token}))
            .await
        {
            Ok(out) => out,
            Err(e) => return self.refused("cloudcontrol GetResourceRequestStatus", e, &[]),
        };
        let event = &status["ProgressEvent"];
        match (event["OperationStatus"].as_str(), event["ErrorCode"].as_str()) {
            (Some("SUCCESS"), _) => {
                self.ack("cloudcontrol StreamKey");
                let arn = event["Identifier"].as_str().unwrap_or_default();
                let mut entry = self.entry(Kind::StreamKey);
                entry.parent = Some(channel);
                self.ledger.created(arn, entry);
            }
            // The channel has its key (402 in IVS), or is gone.
            (Some("FAILED"), Some("ServiceLimitExceeded")) => {
                self.refused("cloudcontrol StreamKey", (402, "ServiceLimitExceeded".into()), &[402])
            }
            (Some("FAILED"), Some("NotFound")) => {
                self.refused("cloudcontrol StreamKey", (404, "NotFound".into()), &[404])
            }
            _ => self.unexpected(format!("Cloud Control StreamKey for {channel}: {event}")),
        }
    }

    /// Readers contend with the writers for the scope's lock.
    async fn read(&mut self) {
        let Some((channel, _)) = self.pick(Kind::Channel, false) else { return };
        match self.ivs.get_channel().arn(&channel).send().await {
            Ok(_) => self.ack("GetChannel"),
            Err(e) => self.refused("GetChannel", failure(&e), &[404]),
        }
        match self.ivs.list_channels().max_results(5).send().await {
            Ok(_) => self.ack("ListChannels"),
            Err(e) => self.refused("ListChannels", failure(&e), &[]),
        }
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    let value = response.headers().get(name).and_then(|v| v.to_str().ok());
    value.unwrap_or("-").to_string()
}

async fn traffic(server: &TestServer, ledger: Arc<Ledger>, tally: Arc<Mutex<Tally>>) {
    let mut tasks = Vec::new();
    for id in 0..CLIENTS {
        let (account, region) = SCOPES[id % SCOPES.len()];
        let mut client = Client {
            id,
            account,
            region,
            server_url: server.url.clone(),
            ivs: server.ivs_strict(account, region),
            rt: server.realtime_strict(account, region),
            http: reqwest::Client::new(),
            rng: StdRng::seed_from_u64(0x1u64 << 32 | id as u64),
            ledger: ledger.clone(),
            tally: tally.clone(),
            joined: Vec::new(),
            calls: AtomicUsize::new(0),
        };
        tasks.push(tokio::spawn(async move {
            // Steps that find nothing to act on yet send nothing and do not count.
            for _ in 0..4 * CALLS_PER_CLIENT {
                if client.calls.load(Ordering::Relaxed) >= CALLS_PER_CLIENT {
                    break;
                }
                client.step().await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("a client task panicked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_at_once_keep_every_invariant() {
    let server = common::start_apart(Config::default());
    let ledger = Arc::new(Ledger::default());
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    tokio::time::timeout(DEADLOCK, traffic(&server, ledger.clone(), tally.clone()))
        .await
        .expect("the server stopped answering: deadlocked?");
    let traffic_time = started.elapsed();

    let health =
        tokio::time::timeout(DEADLOCK, reqwest::get(format!("{}/_ivs-local/health", server.url)))
            .await
            .expect("the server stopped answering: deadlocked?")
            .expect("health answers");
    assert_eq!(health.status(), 200);

    let violations = tokio::time::timeout(DEADLOCK, invariants::check(&server, &SCOPES, &ledger))
        .await
        .expect("the server stopped answering: deadlocked?");

    let tally = tally.lock().unwrap();
    let acked: usize = tally.acked.values().sum();
    let refused: usize = tally.refused.values().sum();
    println!(
        "concurrency: {CLIENTS} clients, {} operations in {traffic_time:.1?} ({acked} acknowledged, {refused} refused as expected, {} unexpected); {} ledger entries",
        acked + refused + tally.unexpected.len(),
        tally.unexpected.len(),
        ledger.len()
    );
    println!("  acknowledged: {:?}", tally.acked);
    println!("  refused: {:?}", tally.refused);
    assert!(tally.unexpected.is_empty(), "unexpected answers:\n{}", tally.unexpected.join("\n"));
    assert!(
        violations.is_empty(),
        "{} invariants broken:\n{}",
        violations.len(),
        violations.join("\n")
    );
    // The mix really exercised the contended paths, so that a pass means something.
    for op in [
        "CreateChannel",
        "DeleteChannel",
        "CreateStreamKey",
        "DeleteRecordingConfiguration",
        "broadcasts/start",
        "stages/join",
    ] {
        assert!(tally.acked.get(op).copied().unwrap_or(0) > 0, "no {op} was acknowledged");
    }
    for (op, status) in [("CreateStreamKey", 402), ("DeleteRecordingConfiguration", 409)] {
        assert!(tally.refused.contains_key(&(op, status)), "no {op} was refused with {status}");
    }
}
