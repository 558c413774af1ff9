//! The invariants that must hold however requests interleave, checked through the API itself
//! once traffic has stopped, and the ledger of what clients were told.
//!
//! [`Ledger`] records what the server acknowledged (a 2xx): resources created, deleted and
//! tagged, and the references a channel was given. [`check`] then reads every resource of
//! each (account, region) with List* (in small pages) and Get*, and reports each broken
//! invariant as a line of text:
//! - every acknowledged resource that was not deleted exists, exactly once, with the tags and
//!   references last acknowledged; every acknowledged delete is a 404 and gone from its list;
//! - no stream key outlives its channel, and no channel has two;
//! - no channel names a recording configuration or playback restriction policy that is gone,
//!   and one that is named cannot be deleted (409, and it is still there afterwards);
//! - ListStreams and the control API's broadcasts name only existing channels, and agree;
//! - a stage has at most one open session, and it is the stage's `activeSessionId`;
//! - a participant token of a deleted stage cannot join.
//!
//! `concurrency.rs` and `mutation.rs` share these checks.

use super::TestServer;
use aws_sdk_ivs::config::http::HttpResponse;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

pub type Tags = BTreeMap<String, String>;

/// The resource types the ledger follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Channel,
    StreamKey,
    RecordingConfiguration,
    PlaybackRestrictionPolicy,
    Stage,
    /// A participant token; keyed by the token itself, its parent is the stage.
    ParticipantToken,
}

/// What the server acknowledged about one resource.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: Kind,
    pub account: String,
    pub region: String,
    /// The client that created it; only that client changes its tags and references.
    pub owner: usize,
    pub deleted: bool,
    /// A stream key's channel, a token's stage.
    pub parent: Option<String>,
    /// The stream key's value, the broadcaster's secret.
    pub value: Option<String>,
    /// The tags last acknowledged, when one client owns them (`None`: not followed).
    pub tags: Option<Tags>,
    /// A channel's recording configuration and playback restriction policy ARNs (`""` for
    /// none), when followed.
    pub references: Option<(String, String)>,
}

impl Entry {
    pub fn new(kind: Kind, account: &str, region: &str, owner: usize) -> Self {
        Entry {
            kind,
            account: account.to_string(),
            region: region.to_string(),
            owner,
            deleted: false,
            parent: None,
            value: None,
            tags: None,
            references: None,
        }
    }
}

/// Acknowledged resources, by ARN (tokens by value). Shared by every client of a test.
#[derive(Default)]
pub struct Ledger {
    entries: Mutex<BTreeMap<String, Entry>>,
}

impl Ledger {
    pub fn created(&self, arn: &str, entry: Entry) {
        let previous = self.entries.lock().unwrap().insert(arn.to_string(), entry);
        assert!(previous.is_none(), "the server gave out {arn} twice");
    }

    pub fn deleted(&self, arn: &str) {
        if let Some(e) = self.entries.lock().unwrap().get_mut(arn) {
            e.deleted = true;
        }
    }

    /// Changes an entry (tags, references) after an acknowledged update.
    pub fn update(&self, arn: &str, f: impl FnOnce(&mut Entry)) {
        if let Some(e) = self.entries.lock().unwrap().get_mut(arn) {
            f(e);
        }
    }

    pub fn get(&self, arn: &str) -> Option<Entry> {
        self.entries.lock().unwrap().get(arn).cloned()
    }

    /// Every entry matching `filter`, with its key, in key order.
    pub fn select(&self, filter: impl Fn(&Entry) -> bool) -> Vec<(String, Entry)> {
        let entries = self.entries.lock().unwrap();
        entries.iter().filter(|(_, e)| filter(e)).map(|(k, e)| (k.clone(), e.clone())).collect()
    }

    /// Whether the resource should exist now: acknowledged, not deleted, and (for a stream key
    /// or token) its parent not deleted either.
    fn alive(entries: &BTreeMap<String, Entry>, entry: &Entry) -> bool {
        !entry.deleted
            && entry.parent.as_ref().and_then(|p| entries.get(p)).is_none_or(|p| !p.deleted)
    }

    fn snapshot(&self) -> BTreeMap<String, (Entry, bool)> {
        let entries = self.entries.lock().unwrap();
        entries.iter().map(|(k, e)| (k.clone(), (e.clone(), Self::alive(&entries, e)))).collect()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

/// Status and error code of a failed SDK call (status 0: no HTTP answer at all).
pub fn failure<E>(e: &aws_sdk_ivs::error::SdkError<E, HttpResponse>) -> (u16, String)
where
    E: aws_sdk_ivs::error::ProvideErrorMetadata + std::fmt::Debug,
{
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    let code = match e.as_service_error() {
        Some(service) => service.code().unwrap_or("-").to_string(),
        None => format!("{e:?}").chars().take(200).collect(),
    };
    (status, code)
}

/// Runs every check on each (account, region) and answers the violations found.
pub async fn check(server: &TestServer, scopes: &[(&str, &str)], ledger: &Ledger) -> Vec<String> {
    let mut violations = Vec::new();
    let broadcasts = control_broadcasts(server).await;
    for &(account, region) in scopes {
        let mut scope = ScopeCheck {
            server,
            account,
            region,
            ivs: server.ivs_strict(account, region),
            rt: server.realtime_strict(account, region),
            violations: Vec::new(),
        };
        scope.run(ledger, &broadcasts).await;
        violations.extend(scope.violations.into_iter().map(|v| format!("{account}/{region}: {v}")));
    }
    violations
}

/// `GET /_ivs-local/broadcasts`: (account, region, channel ARN) of every live broadcast.
async fn control_broadcasts(server: &TestServer) -> Vec<(String, String, String)> {
    let url = format!("{}/_ivs-local/broadcasts", server.url);
    let body: serde_json::Value =
        reqwest::get(url).await.expect("answered").json().await.expect("JSON");
    let text = |b: &serde_json::Value, k: &str| b[k].as_str().unwrap_or_default().to_string();
    body["broadcasts"]
        .as_array()
        .expect("a list of broadcasts")
        .iter()
        .map(|b| (text(b, "account"), text(b, "region"), text(b, "channelArn")))
        .collect()
}

/// The page size the checks list with, so that pagination is exercised.
const PAGE: i32 = 7;

struct ScopeCheck<'a> {
    server: &'a TestServer,
    account: &'a str,
    region: &'a str,
    ivs: aws_sdk_ivs::Client,
    rt: aws_sdk_ivsrealtime::Client,
    violations: Vec<String>,
}

/// Lists every page of a List* operation into a vector of ARNs (duplicates kept, to be found).
macro_rules! list_all {
    ($this:expr, $call:expr, $items:ident, $arn:expr, $what:literal) => {{
        let mut arns: Vec<String> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            match $call.max_results(PAGE).set_next_token(token.take()).send().await {
                Ok(out) => {
                    arns.extend(out.$items().iter().map($arn));
                    match out.next_token() {
                        Some(t) if !t.is_empty() => token = Some(t.to_string()),
                        _ => break,
                    }
                }
                Err(e) => {
                    $this.violate(format!("{} failed: {:?}", $what, failure(&e)));
                    break;
                }
            }
        }
        arns
    }};
}

/// The ARN of a summary whose `arn` the model leaves optional.
fn optional_arn<T: HasArn>(item: &T) -> String {
    item.optional_arn().unwrap_or_default().to_string()
}

trait HasArn {
    fn optional_arn(&self) -> Option<&str>;
}

impl HasArn for aws_sdk_ivs::types::ChannelSummary {
    fn optional_arn(&self) -> Option<&str> {
        self.arn()
    }
}

impl HasArn for aws_sdk_ivs::types::StreamKeySummary {
    fn optional_arn(&self) -> Option<&str> {
        self.arn()
    }
}

impl ScopeCheck<'_> {
    fn violate(&mut self, what: String) {
        self.violations.push(what);
    }

    /// The set of a list's ARNs; a duplicate is a violation.
    fn unique(&mut self, what: &str, arns: &[String]) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        for arn in arns {
            if !seen.insert(arn.clone()) {
                self.violate(format!("{what} lists {arn} twice"));
            }
        }
        seen
    }

    async fn run(&mut self, ledger: &Ledger, broadcasts: &[(String, String, String)]) {
        let (ivs, rt) = (self.ivs.clone(), self.rt.clone());
        let channels = list_all!(self, ivs.list_channels(), channels, optional_arn, "ListChannels");
        let channels = self.unique("ListChannels", &channels);
        let rcs = list_all!(
            self,
            ivs.list_recording_configurations(),
            recording_configurations,
            |i| i.arn().to_string(),
            "ListRecordingConfigurations"
        );
        let rcs = self.unique("ListRecordingConfigurations", &rcs);
        let policies = list_all!(
            self,
            ivs.list_playback_restriction_policies(),
            playback_restriction_policies,
            |i| i.arn().to_string(),
            "ListPlaybackRestrictionPolicies"
        );
        let policies = self.unique("ListPlaybackRestrictionPolicies", &policies);
        let stages =
            list_all!(self, rt.list_stages(), stages, |i| i.arn().to_string(), "ListStages");
        let stages = self.unique("ListStages", &stages);

        // Channels, their keys and what they name.
        let mut keys = BTreeMap::new();
        let mut used_rcs = BTreeMap::new();
        let mut used_policies = BTreeMap::new();
        let mut references = BTreeMap::new();
        for arn in &channels {
            let channel = match ivs.get_channel().arn(arn).send().await {
                Ok(out) => out.channel.expect("GetChannel answers a channel"),
                Err(e) => {
                    self.violate(format!("{arn} is listed but GetChannel: {:?}", failure(&e)));
                    continue;
                }
            };
            let rc = channel.recording_configuration_arn.clone().unwrap_or_default();
            let policy = channel.playback_restriction_policy_arn.clone().unwrap_or_default();
            if !rc.is_empty() {
                if !rcs.contains(&rc) {
                    self.violate(format!(
                        "{arn} names recording configuration {rc}, which is gone"
                    ));
                }
                used_rcs.insert(rc.clone(), arn.clone());
            }
            if !policy.is_empty() {
                if !policies.contains(&policy) {
                    self.violate(format!("{arn} names playback restriction policy {policy}, gone"));
                }
                used_policies.insert(policy.clone(), arn.clone());
            }
            references.insert(arn.clone(), (rc, policy));
            let listed = list_all!(
                self,
                ivs.list_stream_keys().channel_arn(arn),
                stream_keys,
                optional_arn,
                "ListStreamKeys"
            );
            if listed.len() > 1 {
                self.violate(format!("{arn} has {} stream keys: {listed:?}", listed.len()));
            }
            for key in listed {
                match ivs.get_stream_key().arn(&key).send().await {
                    Ok(out) => {
                        let of = out.stream_key.and_then(|k| k.channel_arn).unwrap_or_default();
                        if &of != arn {
                            self.violate(format!("{key} is listed under {arn} but names {of}"));
                        }
                    }
                    Err(e) => {
                        self.violate(format!("{key} is listed, GetStreamKey: {:?}", failure(&e)))
                    }
                }
                keys.insert(key, arn.clone());
            }
        }

        // What a channel names cannot be deleted, and is not half-deleted by trying.
        for (rc, channel) in &used_rcs {
            match ivs.delete_recording_configuration().arn(rc).send().await {
                Err(e) if failure(&e).0 == 409 => {}
                other => self.violate(format!(
                    "deleting {rc}, in use by {channel}, answered {:?}",
                    other.map_err(|e| failure(&e))
                )),
            }
            if let Err(e) = ivs.get_recording_configuration().arn(rc).send().await {
                self.violate(format!("{rc} is gone after a refused delete: {:?}", failure(&e)));
            }
        }
        for (policy, channel) in &used_policies {
            match ivs.delete_playback_restriction_policy().arn(policy).send().await {
                Err(e) if failure(&e).0 == 409 => {}
                other => self.violate(format!(
                    "deleting {policy}, in use by {channel}, answered {:?}",
                    other.map_err(|e| failure(&e))
                )),
            }
            if let Err(e) = ivs.get_playback_restriction_policy().arn(policy).send().await {
                self.violate(format!("{policy} is gone after a refused delete: {:?}", failure(&e)));
            }
        }
        for (channel, expected) in &references {
            match ivs.get_channel().arn(channel).send().await {
                Ok(out) => {
                    let c = out.channel.expect("a channel");
                    let now = (
                        c.recording_configuration_arn.unwrap_or_default(),
                        c.playback_restriction_policy_arn.unwrap_or_default(),
                    );
                    if &now != expected {
                        self.violate(format!("{channel} changed by refused deletes: {now:?}"));
                    }
                }
                Err(e) => {
                    self.violate(format!("{channel} gone after refused deletes: {:?}", failure(&e)))
                }
            }
        }

        // Live streams, as the API and the control API see them.
        let mut streams = Vec::new();
        let mut token: Option<String> = None;
        loop {
            match ivs.list_streams().max_results(PAGE).set_next_token(token.take()).send().await {
                Ok(out) => {
                    streams.extend(out.streams().iter().filter_map(|s| s.channel_arn.clone()));
                    match out.next_token() {
                        Some(t) if !t.is_empty() => token = Some(t.to_string()),
                        _ => break,
                    }
                }
                Err(e) => {
                    self.violate(format!("ListStreams failed: {:?}", failure(&e)));
                    break;
                }
            }
        }
        let streams = self.unique("ListStreams", &streams);
        for channel in &streams {
            if !channels.contains(channel) {
                self.violate(format!("ListStreams names {channel}, which is gone"));
            }
        }
        let live: BTreeSet<String> = broadcasts
            .iter()
            .filter(|(a, r, _)| a == self.account && r == self.region)
            .map(|(_, _, c)| c.clone())
            .collect();
        if live != streams {
            self.violate(format!(
                "the control API's broadcasts {live:?} are not ListStreams' {streams:?}"
            ));
        }

        // Stages and their sessions.
        for stage in &stages {
            let active = match rt.get_stage().arn(stage).send().await {
                Ok(out) => out.stage.and_then(|s| s.active_session_id).unwrap_or_default(),
                Err(e) => {
                    self.violate(format!("{stage} is listed but GetStage: {:?}", failure(&e)));
                    continue;
                }
            };
            let mut open = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let call = rt.list_stage_sessions().stage_arn(stage).max_results(PAGE);
                match call.set_next_token(token.take()).send().await {
                    Ok(out) => {
                        for s in out.stage_sessions() {
                            if s.end_time.is_none() {
                                open.push(s.session_id.clone().unwrap_or_default());
                            }
                        }
                        match out.next_token() {
                            Some(t) if !t.is_empty() => token = Some(t.to_string()),
                            _ => break,
                        }
                    }
                    Err(e) => {
                        self.violate(format!("ListStageSessions {stage}: {:?}", failure(&e)));
                        break;
                    }
                }
            }
            let expected: Vec<String> = [active].into_iter().filter(|a| !a.is_empty()).collect();
            if open != expected {
                self.violate(format!(
                    "{stage}: open sessions {open:?}, activeSessionId {expected:?}"
                ));
            }
        }

        self.check_ledger(ledger, &channels, &keys, &rcs, &policies, &stages, &references).await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn check_ledger(
        &mut self,
        ledger: &Ledger,
        channels: &BTreeSet<String>,
        keys: &BTreeMap<String, String>,
        rcs: &BTreeSet<String>,
        policies: &BTreeSet<String>,
        stages: &BTreeSet<String>,
        references: &BTreeMap<String, (String, String)>,
    ) {
        let entries = ledger.snapshot();
        let (account, region) = (self.account.to_string(), self.region.to_string());
        let mine = entries.iter().filter(|(_, (e, _))| e.account == account && e.region == region);
        for (arn, (entry, alive)) in mine {
            let listed = match entry.kind {
                Kind::Channel => channels.contains(arn),
                Kind::StreamKey => keys.contains_key(arn),
                Kind::RecordingConfiguration => rcs.contains(arn),
                Kind::PlaybackRestrictionPolicy => policies.contains(arn),
                Kind::Stage => stages.contains(arn),
                Kind::ParticipantToken => {
                    if !alive {
                        self.token_cannot_join(arn).await;
                    }
                    continue;
                }
            };
            match (alive, listed) {
                (true, false) => {
                    self.violate(format!("acknowledged {:?} {arn} is missing", entry.kind))
                }
                (false, true) => {
                    self.violate(format!("deleted {:?} {arn} is still listed", entry.kind))
                }
                _ => {}
            }
            if !alive {
                self.gone(entry.kind, arn).await;
                continue;
            }
            if entry.kind == Kind::StreamKey {
                let parent = entry.parent.as_deref().unwrap_or_default();
                if keys.get(arn).is_some_and(|c| c != parent) {
                    self.violate(format!("{arn} moved from {parent} to {:?}", keys.get(arn)));
                }
            }
            if let (Some(expected), Some(actual)) = (&entry.references, references.get(arn))
                && expected != actual
            {
                self.violate(format!(
                    "{arn} names {actual:?}; the last acknowledged update said {expected:?}"
                ));
            }
            if let Some(expected) = &entry.tags {
                self.tags_are(arn, expected).await;
            }
        }
    }

    /// A deleted resource answers 404 to its Get.
    async fn gone(&mut self, kind: Kind, arn: &str) {
        let status = match kind {
            Kind::Channel => {
                self.ivs.get_channel().arn(arn).send().await.err().map(|e| failure(&e))
            }
            Kind::StreamKey => {
                self.ivs.get_stream_key().arn(arn).send().await.err().map(|e| failure(&e))
            }
            Kind::RecordingConfiguration => self
                .ivs
                .get_recording_configuration()
                .arn(arn)
                .send()
                .await
                .err()
                .map(|e| failure(&e)),
            Kind::PlaybackRestrictionPolicy => self
                .ivs
                .get_playback_restriction_policy()
                .arn(arn)
                .send()
                .await
                .err()
                .map(|e| failure(&e)),
            Kind::Stage => self.rt.get_stage().arn(arn).send().await.err().map(|e| failure(&e)),
            Kind::ParticipantToken => return,
        };
        if status.as_ref().map(|s| s.0) != Some(404) {
            self.violate(format!("deleted {kind:?} {arn}: Get answered {status:?}, not 404"));
        }
    }

    async fn tags_are(&mut self, arn: &str, expected: &Tags) {
        let tags: Option<Tags> = if arn.contains(":stage/") {
            match self.rt.list_tags_for_resource().resource_arn(arn).send().await {
                Ok(out) => Some(out.tags.into_iter().collect()),
                Err(e) => {
                    self.violate(format!("ListTagsForResource {arn}: {:?}", failure(&e)));
                    None
                }
            }
        } else {
            match self.ivs.list_tags_for_resource().resource_arn(arn).send().await {
                Ok(out) => Some(out.tags.into_iter().collect()),
                Err(e) => {
                    self.violate(format!("ListTagsForResource {arn}: {:?}", failure(&e)));
                    None
                }
            }
        };
        if let Some(tags) = tags
            && &tags != expected
        {
            self.violate(format!(
                "{arn} has tags {tags:?}; the last acknowledged said {expected:?}"
            ));
        }
    }

    /// A participant token of a deleted stage is refused at join: 404, the stage is gone.
    async fn token_cannot_join(&mut self, token: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/_ivs-local/stages/join", self.server.url))
            .json(&json!({"token": token}))
            .send()
            .await;
        let status = response.map(|r| r.status().as_u16()).unwrap_or(0);
        if status != 404 {
            let short: String = token.chars().take(24).collect();
            self.violate(format!("a token ({short}...) of a deleted stage joined: {status}"));
        }
    }
}
