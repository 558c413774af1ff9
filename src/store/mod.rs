//! State: one namespace per (account, region), created on first use, holding one ordered
//! table per resource type.
//!
//! Handlers get `&RegionState` (reads) or `&mut RegionState` (writes) under that scope's
//! lock, so a cross-resource rule (one stream key per channel, delete-if-unused) is checked
//! and applied under one lock. Nothing here knows HTTP or JSON; `api/` does.

pub mod arn;
pub mod ids;
pub mod ivs;
pub mod ivs_realtime;
pub mod page;
pub mod persist;
pub mod table;

use dashmap::DashMap;
use ids::IdGen;
use persist::{Changes, Op, Persisted, Persister};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use table::AnyTable;
pub use table::Key;

/// One scope's state behind its lock; a writer's changes are persisted when it lets go.
pub type ScopeLock = Persisted<RegionState>;

/// One scope's Cloud Control request records behind their lock.
pub type RequestsLock = Persisted<ScopedRequests>;

/// Where a resource lives. Nothing is visible across scopes, as in AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn new(account: &str, region: &str) -> Self {
        Scope { account: account.to_string(), region: region.to_string() }
    }
}

/// (account, region), borrowed or owned: lets [`Store::scope`] find a scope without building
/// a [`Scope`] (two allocations on every request).
trait ScopeKey {
    fn parts(&self) -> (&str, &str);
}

impl ScopeKey for Scope {
    fn parts(&self) -> (&str, &str) {
        (&self.account, &self.region)
    }
}

impl ScopeKey for (&str, &str) {
    fn parts(&self) -> (&str, &str) {
        *self
    }
}

impl<'a> std::borrow::Borrow<dyn ScopeKey + 'a> for Scope {
    fn borrow(&self) -> &(dyn ScopeKey + 'a) {
        self
    }
}

// `Borrow` needs the owned and the borrowed key to hash and compare alike: both go through
// `parts`.
impl std::hash::Hash for Scope {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts().hash(state)
    }
}

impl std::hash::Hash for dyn ScopeKey + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts().hash(state)
    }
}

impl PartialEq for dyn ScopeKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn ScopeKey + '_ {}

/// Tags on a resource: key -> value, at most 50 (enforced by the model and `api/tags.rs`).
pub type Tags = BTreeMap<String, String>;

/// Everything one (account, region) holds.
pub struct RegionState {
    pub scope: Scope,
    pub ids: IdGen,
    /// The 12-hex "customer prefix" AWS puts in every ingest, playback and SRT host of an
    /// account and region (reference 2.2).
    pub endpoint_prefix: String,
    /// The 12-hex prefix of the stage WHIP and RTMP(S) hosts of this account and region
    /// (reference 2.4).
    pub stage_endpoint_prefix: String,
    /// Text made from the scope and `endpoint_prefix` that answers repeat.
    pub text: ScopeText,
    pub ivs: ivs::IvsState,
    pub realtime: ivs_realtime::RealtimeState,
    /// What AWS would have sent to EventBridge from this account and region.
    pub events: crate::sim::events::EventLog,
    /// The server's participant-token signing key (one for the whole server).
    pub token_key: Arc<crate::tokens::TokenKey>,
    /// Whether the endpoint prefixes are not persisted yet.
    meta_dirty: bool,
    /// Whether the tables note which rows change (only when persisted): when they do not,
    /// there is nothing of theirs to forget after a write.
    tracking: bool,
}

/// Every table of a scope, named as persistence and state documents name them: the one list
/// that saving, loading, exporting and importing go through.
macro_rules! tables {
    ($($group:ident . $field:ident => $name:literal),* $(,)?) => {
        impl RegionState {
            /// Calls `f` with each table and its name.
            fn each_table(&self, f: &mut dyn FnMut(&'static str, &dyn AnyTable)) {
                $(f($name, &self.$group.$field);)*
            }

            /// Calls `f` with each table, to change, and its name.
            fn each_table_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut dyn AnyTable)) {
                $(f($name, &mut self.$group.$field);)*
            }

            /// The table called `name`.
            fn table_mut(&mut self, name: &str) -> Option<&mut dyn AnyTable> {
                match name {
                    $($name => Some(&mut self.$group.$field),)*
                    _ => None,
                }
            }
        }
    };
}

tables! {
    ivs.channels => "channels",
    ivs.stream_keys => "streamKeys",
    ivs.recording_configurations => "recordingConfigurations",
    ivs.playback_key_pairs => "playbackKeyPairs",
    ivs.playback_restriction_policies => "playbackRestrictionPolicies",
    ivs.ad_configurations => "adConfigurations",
    ivs.live => "liveStreams",
    ivs.revocations => "viewerSessionRevocations",
    ivs.used_single_use_uuids => "usedSingleUseTokens",
    realtime.stages => "stages",
    realtime.storage_configurations => "storageConfigurations",
    realtime.encoder_configurations => "encoderConfigurations",
    realtime.public_keys => "publicKeys",
    realtime.ingest_configurations => "ingestConfigurations",
    realtime.compositions => "compositions",
}

impl Changes for RegionState {
    fn drain_changes(&mut self, out: &mut Vec<Op>) {
        let prefix = scope_prefix(&self.scope);
        if std::mem::take(&mut self.meta_dirty) {
            out.push(Op::Put(format!("{prefix}meta/scope"), self.meta().to_string().into_bytes()));
        }
        let mut rows = Vec::new();
        self.each_table_mut(&mut |name, table| {
            table.drain_changes(&mut rows);
            for (id, row) in rows.drain(..) {
                let key = format!("{prefix}{name}/{id}");
                out.push(match row {
                    Some(json) => Op::Put(key, json),
                    None => Op::Delete(key),
                });
            }
        });
        let (appended, evicted) = self.events.drain_changes();
        for event in appended {
            let json = serde_json::to_vec(event).expect("events serialize");
            out.push(Op::Put(format!("{prefix}events/{:020}", event.sequence), json));
        }
        for seq in evicted {
            out.push(Op::Delete(format!("{prefix}events/{seq:020}")));
        }
    }

    fn forget_changes(&mut self) {
        self.meta_dirty = false;
        if self.tracking {
            self.each_table_mut(&mut |_, table| table.forget_changes());
        }
        self.events.forget_changes();
    }
}

/// One scope's Cloud Control request records, knowing where they are persisted.
pub struct ScopedRequests {
    scope: Scope,
    requests: crate::cloudcontrol::requests::Requests,
}

impl std::ops::Deref for ScopedRequests {
    type Target = crate::cloudcontrol::requests::Requests;
    fn deref(&self) -> &Self::Target {
        &self.requests
    }
}

impl std::ops::DerefMut for ScopedRequests {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.requests
    }
}

impl Changes for ScopedRequests {
    fn drain_changes(&mut self, out: &mut Vec<Op>) {
        let prefix = scope_prefix(&self.scope);
        let (inserted, evicted) = self.requests.drain_changes();
        for stored in &inserted {
            out.push(request_row(&prefix, stored));
        }
        for seq in evicted {
            out.push(Op::Delete(format!("{prefix}cloudcontrol/{seq:020}")));
        }
    }

    fn forget_changes(&mut self) {
        self.requests.forget_changes();
    }
}

/// The row of one Cloud Control request of the scope whose rows start with `prefix`.
fn request_row(prefix: &str, stored: &crate::cloudcontrol::requests::Stored) -> Op {
    let json = serde_json::to_vec(stored).expect("requests serialize");
    Op::Put(format!("{prefix}cloudcontrol/{:020}", stored.sequence), json)
}

/// The parts of ARNs and channel endpoints that are the same for every resource of a scope,
/// made whenever the endpoint prefix is set: an answer about a channel repeats four of them,
/// and joining them from a dozen pieces each time cost more than copying them.
pub struct ScopeText {
    /// `arn:aws:ivs:{region}:{account}:`
    arn_start: String,
    /// `{prefix}.global-contribute.live-video.net`
    pub ingest_endpoint: String,
    /// `{prefix}.srt.live-video.net`
    pub srt_endpoint: String,
    /// `https://{prefix}.{region}.playback.live-video.net/api/video/v1/{region}.{account}.channel.`
    pub playback_url_start: String,
}

impl ScopeText {
    fn new(scope: &Scope, endpoint_prefix: &str) -> Self {
        let (region, account) = (&*scope.region, &*scope.account);
        ScopeText {
            arn_start: ["arn:aws:ivs:", region, ":", account, ":"].concat(),
            ingest_endpoint: [endpoint_prefix, ".global-contribute.live-video.net"].concat(),
            srt_endpoint: [endpoint_prefix, ".srt.live-video.net"].concat(),
            playback_url_start: [
                "https://",
                endpoint_prefix,
                ".",
                region,
                ".playback.live-video.net/api/video/v1/",
                region,
                ".",
                account,
                ".channel.",
            ]
            .concat(),
        }
    }
}

/// Where a scope's rows are stored: `{account}/{region}/`.
fn scope_prefix(scope: &Scope) -> String {
    format!("{}/{}/", scope.account, scope.region)
}

impl RegionState {
    fn new(
        scope: Scope,
        seed: Option<u64>,
        token_key: Arc<crate::tokens::TokenKey>,
        events: crate::sim::events::Publisher,
    ) -> Self {
        let ids = IdGen::new(seed, &scope.account, &scope.region);
        let endpoint_prefix = ids.hex(12);
        let stage_endpoint_prefix = ids.hex(12);
        RegionState {
            meta_dirty: true,
            tracking: false,
            text: ScopeText::new(&scope, &endpoint_prefix),
            scope,
            ids,
            endpoint_prefix,
            stage_endpoint_prefix,
            ivs: ivs::IvsState::default(),
            realtime: ivs_realtime::RealtimeState::default(),
            events: crate::sim::events::EventLog::new(events),
            token_key,
        }
    }

    /// What a scope holds besides its tables: its endpoint prefixes.
    fn meta(&self) -> Value {
        json!({
            "endpointPrefix": self.endpoint_prefix,
            "stageEndpointPrefix": self.stage_endpoint_prefix,
        })
    }

    fn set_meta(&mut self, meta: &Value) -> Result<(), String> {
        let field = |name: &str| {
            meta[name]
                .as_str()
                .filter(|p| p.len() == 12 && p.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(str::to_string)
                .ok_or_else(|| format!("{name} must be 12 hex digits"))
        };
        let endpoint_prefix = field("endpointPrefix")?;
        self.stage_endpoint_prefix = field("stageEndpointPrefix")?;
        self.text = ScopeText::new(&self.scope, &endpoint_prefix);
        self.endpoint_prefix = endpoint_prefix;
        Ok(())
    }

    /// Whether an ARN belongs to this scope. An ARN of another account or region names
    /// nothing here, as in AWS.
    pub fn in_scope(&self, arn: &arn::Arn) -> bool {
        arn.account == self.scope.account && arn.region == self.scope.region
    }

    /// The id in `arn` if it names a resource of `resource_type` in this scope.
    pub fn find_id(&self, arn: &str, resource_type: arn::ResourceType) -> Option<Key> {
        let (region, account, kind, id) = arn::Arn::split(arn).ok()?;
        let here = account == self.scope.account && region == self.scope.region;
        (kind == resource_type && here).then(|| Key::from(id))
    }

    /// Whether `arn` names an existing resource of `resource_type` in this scope.
    pub fn exists(&self, arn: &str, resource_type: arn::ResourceType) -> bool {
        arn::Arn::parse(arn)
            .ok()
            .filter(|a| a.resource_type == resource_type)
            .is_some_and(|a| self.tags(&a).is_some())
    }

    /// The tags of the resource `arn` names, if it exists in this scope. Every IVS resource is
    /// taggable, so this is also the one table of which resource types the store holds.
    pub fn tags(&self, arn: &arn::Arn) -> Option<&Tags> {
        use arn::ResourceType as T;
        if !self.in_scope(arn) {
            return None;
        }
        match arn.resource_type {
            T::Channel => self.ivs.channels.get(&arn.id).map(|c| &c.tags),
            T::StreamKey => self.ivs.stream_keys.get(&arn.id).map(|k| &k.tags),
            T::PlaybackKey => self.ivs.playback_key_pairs.get(&arn.id).map(|k| &k.tags),
            T::RecordingConfiguration => {
                self.ivs.recording_configurations.get(&arn.id).map(|r| &r.tags)
            }
            T::PlaybackRestrictionPolicy => {
                self.ivs.playback_restriction_policies.get(&arn.id).map(|p| &p.tags)
            }
            T::AdConfiguration => self.ivs.ad_configurations.get(&arn.id).map(|a| &a.tags),
            T::Stage => self.realtime.stages.get(&arn.id).map(|s| &s.tags),
            T::StorageConfiguration => {
                self.realtime.storage_configurations.get(&arn.id).map(|s| &s.tags)
            }
            T::EncoderConfiguration => {
                self.realtime.encoder_configurations.get(&arn.id).map(|e| &e.tags)
            }
            T::Composition => self.realtime.compositions.get(&arn.id).map(|c| &c.tags),
            T::PublicKey => self.realtime.public_keys.get(&arn.id).map(|k| &k.tags),
            T::IngestConfiguration => {
                self.realtime.ingest_configurations.get(&arn.id).map(|i| &i.tags)
            }
        }
    }

    /// [`Self::tags`], to change them.
    pub fn tags_mut(&mut self, arn: &arn::Arn) -> Option<&mut Tags> {
        use arn::ResourceType as T;
        if !self.in_scope(arn) {
            return None;
        }
        match arn.resource_type {
            T::Channel => self.ivs.channels.get_mut(&arn.id).map(|c| &mut c.tags),
            T::StreamKey => self.ivs.stream_keys.get_mut(&arn.id).map(|k| &mut k.tags),
            T::PlaybackKey => self.ivs.playback_key_pairs.get_mut(&arn.id).map(|k| &mut k.tags),
            T::RecordingConfiguration => {
                self.ivs.recording_configurations.get_mut(&arn.id).map(|r| &mut r.tags)
            }
            T::PlaybackRestrictionPolicy => {
                self.ivs.playback_restriction_policies.get_mut(&arn.id).map(|p| &mut p.tags)
            }
            T::AdConfiguration => self.ivs.ad_configurations.get_mut(&arn.id).map(|a| &mut a.tags),
            T::Stage => self.realtime.stages.get_mut(&arn.id).map(|s| &mut s.tags),
            T::StorageConfiguration => {
                self.realtime.storage_configurations.get_mut(&arn.id).map(|s| &mut s.tags)
            }
            T::EncoderConfiguration => {
                self.realtime.encoder_configurations.get_mut(&arn.id).map(|e| &mut e.tags)
            }
            T::Composition => self.realtime.compositions.get_mut(&arn.id).map(|c| &mut c.tags),
            T::PublicKey => self.realtime.public_keys.get_mut(&arn.id).map(|k| &mut k.tags),
            T::IngestConfiguration => {
                self.realtime.ingest_configurations.get_mut(&arn.id).map(|i| &mut i.tags)
            }
        }
    }

    /// Builds this scope's ARN for a resource.
    pub fn arn(&self, resource_type: arn::ResourceType, id: &str) -> arn::Arn {
        arn::Arn::new(&self.scope.region, &self.scope.account, resource_type, id)
    }

    /// This scope's ARN for a resource, as text (one allocation).
    pub fn arn_of(&self, resource_type: arn::ResourceType, id: &str) -> String {
        [&self.text.arn_start, resource_type.as_str(), "/", id].concat()
    }
}

/// All state of the server.
pub struct Store {
    scopes: DashMap<Scope, Arc<ScopeLock>>,
    /// Cloud Control's request records, per scope. Apart from the scope's state because a
    /// Cloud Control request holds them while its IVS operations take the scope's lock.
    cloudcontrol: DashMap<Scope, Arc<RequestsLock>>,
    /// Seeds the id generators of new scopes.
    seed: Option<u64>,
    /// How many restarts and imports came before (see [`Store::new_state`]).
    generation: std::sync::atomic::AtomicU64,
    token_key: parking_lot::RwLock<Arc<crate::tokens::TokenKey>>,
    /// Every scope's new events, for listeners of all accounts and regions.
    events: crate::sim::events::Publisher,
    /// The data directory's writer, with `--data-dir`.
    persister: Option<Arc<Persister>>,
    /// Whether the store started with nothing in it (in memory, or an empty data directory).
    started_empty: bool,
    /// Held by a reset or an import from start to end: one replaces the state at a time.
    replacing: parking_lot::Mutex<()>,
    /// Whether a reset or an import is replacing the scopes (see [`Store::replace`]). Adding a
    /// scope, or a scope's Cloud Control records, takes this lock for as long as the insertion.
    frozen: parking_lot::Mutex<bool>,
}

/// The version of the state documents of `GET`/`POST /_ivs-local/state`.
pub const STATE_VERSION: u64 = 1;

impl Store {
    /// An empty store, in memory.
    pub fn new(seed: Option<u64>) -> Self {
        let token_key = Arc::new(crate::tokens::TokenKey::generate(seed));
        Self::with(seed, 0, token_key, None)
    }

    fn with(
        seed: Option<u64>,
        boot: u64,
        token_key: Arc<crate::tokens::TokenKey>,
        persister: Option<Arc<Persister>>,
    ) -> Self {
        let (events, _) = tokio::sync::broadcast::channel(crate::sim::events::PUBLISH_BACKLOG);
        Store {
            scopes: DashMap::new(),
            cloudcontrol: DashMap::new(),
            seed,
            generation: std::sync::atomic::AtomicU64::new(boot),
            token_key: parking_lot::RwLock::new(token_key),
            events,
            persister,
            started_empty: true,
            replacing: parking_lot::Mutex::new(()),
            frozen: parking_lot::Mutex::new(false),
        }
    }

    /// The store kept in the data directory `dir`: what it holds is loaded, and every later
    /// change is written there before it is acknowledged.
    pub fn open(dir: &std::path::Path, seed: Option<u64>) -> Result<Self, String> {
        let opened = Persister::open(dir)?;
        let persister = opened.persister;
        let mut server: BTreeMap<&str, &[u8]> = BTreeMap::new();
        let mut scoped: Vec<(&str, &str, &str, &str, &[u8])> = Vec::new();
        for (key, value) in &opened.rows {
            match key.strip_prefix("_server/") {
                Some(name) => {
                    server.insert(name, value);
                }
                None => {
                    let mut parts = key.splitn(4, '/');
                    let (Some(a), Some(r), Some(t), Some(id)) =
                        (parts.next(), parts.next(), parts.next(), parts.next())
                    else {
                        return Err(format!("data directory {}: unknown row {key}", dir.display()));
                    };
                    scoped.push((a, r, t, id, value));
                }
            }
        }
        let unreadable = |what: &str, e: &dyn std::fmt::Display| {
            format!("data directory {}: {what} cannot be read: {e}", dir.display())
        };
        let boot = server
            .get("boots")
            .map(|b| serde_json::from_slice::<u64>(b).map_err(|e| unreadable("_server/boots", &e)))
            .transpose()?
            .unwrap_or(0)
            + 1;
        let token_key = match server.get("tokenKey") {
            Some(stored) => Arc::new(
                token_key_from(&serde_json::from_slice(stored).unwrap_or_default())
                    .map_err(|e| unreadable("_server/tokenKey", &e))?,
            ),
            None => Arc::new(crate::tokens::TokenKey::generate(seed)),
        };
        let mut store = Self::with(seed, boot, token_key.clone(), Some(persister.clone()));
        store.started_empty = scoped.is_empty();
        let mut ops = vec![
            Op::Put("_server/boots".into(), boot.to_string().into_bytes()),
            Op::Put("_server/tokenKey".into(), token_key_json(&token_key).to_string().into_bytes()),
        ];
        for (account, region, table, id, value) in scoped {
            let key = || format!("{account}/{region}/{table}/{id}");
            if table == "cloudcontrol" {
                let stored = serde_json::from_slice(value).map_err(|e| unreadable(&key(), &e))?;
                let requests = store.cloudcontrol_requests(account, region);
                requests.write().restore(stored);
                continue;
            }
            let scope = store.scope(account, region);
            let mut st = scope.write();
            match table {
                "meta" => {
                    let meta = serde_json::from_slice(value).map_err(|e| unreadable(&key(), &e))?;
                    st.set_meta(&meta).map_err(|e| unreadable(&key(), &e))?;
                }
                "events" => {
                    let seq: u64 = id.parse().map_err(|e| unreadable(&key(), &e))?;
                    let event =
                        serde_json::from_slice(value).map_err(|e| unreadable(&key(), &e))?;
                    st.events.restore(event, Some(seq));
                }
                _ => {
                    let Some(rows) = st.table_mut(table) else {
                        return Err(unreadable(&key(), &"no such table in this version"));
                    };
                    rows.load(id.to_string(), value).map_err(|e| unreadable(&key(), &e))?;
                }
            }
            // What was just read is stored already; nothing to write back.
            st.forget_changes();
        }
        persister.wait_blocking(persister.submit(std::mem::take(&mut ops)))?;
        Ok(store)
    }

    /// Whether the store started with no state: in memory, or on an empty data directory.
    pub fn started_empty(&self) -> bool {
        self.started_empty
    }

    /// Waits until every change handed over so far is on disk (nothing to wait for in memory).
    pub fn flush(&self) -> Result<(), String> {
        match &self.persister {
            Some(persister) => persister.wait_blocking(persister.submit(Vec::new())),
            None => Ok(()),
        }
    }

    /// The data directory's writer, when the store has one.
    pub fn persister(&self) -> Option<&Persister> {
        self.persister.as_deref()
    }

    /// New events of every scope, as they are recorded.
    pub fn events(&self) -> &crate::sim::events::Publisher {
        &self.events
    }

    /// The key that signs the participant tokens this server issues.
    pub fn token_key(&self) -> Arc<crate::tokens::TokenKey> {
        self.token_key.read().clone()
    }

    /// Every scope that exists, for the control API's searches across accounts and regions
    /// (a stream key names its region but not its account). Lock each one as needed.
    pub fn all_scopes(&self) -> Vec<Arc<ScopeLock>> {
        self.scopes.iter().map(|e| e.value().clone()).collect()
    }

    /// The state of one (account, region), created empty on first use.
    pub fn scope(&self, account: &str, region: &str) -> Arc<ScopeLock> {
        self.get_or_add(&self.scopes, account, region, |scope, persister| {
            self.new_scope(scope, persister)
        })
    }

    /// What `map` holds for (account, region), or a new value `make` makes for it, kept and
    /// persisted. While a reset or an import is under way it has retired every value it found,
    /// and one added now would escape it: the new value is then neither kept nor persisted, as
    /// if the request had come just before the replacement.
    fn get_or_add<V: Clone>(
        &self,
        map: &DashMap<Scope, V>,
        account: &str,
        region: &str,
        make: impl FnOnce(Scope, Option<Arc<Persister>>) -> V,
    ) -> V {
        if let Some(value) = existing(map, account, region) {
            return value;
        }
        let scope = Scope::new(account, region);
        let frozen = self.frozen.lock();
        if *frozen {
            return make(scope, None);
        }
        map.entry(scope.clone()).or_insert_with(|| make(scope, self.persister.clone())).clone()
    }

    /// The state of one (account, region) if anything has created it, else an empty one that
    /// is not kept (nor persisted): for requests that change nothing, or that can only succeed
    /// on a resource that exists. Any access key and any region name are accepted, so if these
    /// created scopes, a client could grow the server without bound by naming ever new ones.
    pub fn scope_or_scratch(&self, account: &str, region: &str) -> Arc<ScopeLock> {
        existing(&self.scopes, account, region)
            .unwrap_or_else(|| self.new_scope(Scope::new(account, region), None))
    }

    /// A new, empty scope, persisted by `persister` if it has one.
    fn new_scope(&self, scope: Scope, persister: Option<Arc<Persister>>) -> Arc<ScopeLock> {
        let generation = self.generation.load(std::sync::atomic::Ordering::Relaxed);
        let state = self.new_state(scope, generation, self.token_key());
        Arc::new(Persisted::new(state, persister))
    }

    /// An empty scope. Its id generator is seeded from `--seed` and `generation` (how many
    /// restarts and imports came before), so a seeded server makes the same ids on every fresh
    /// run but never again makes the ids of what it restored or imported.
    fn new_state(
        &self,
        scope: Scope,
        generation: u64,
        token_key: Arc<crate::tokens::TokenKey>,
    ) -> RegionState {
        let seed = self.seed.map(|s| s ^ generation.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut state = RegionState::new(scope, seed, token_key, self.events.clone());
        if self.persister.is_some() {
            state.tracking = true;
            state.each_table_mut(&mut |_, table| table.track_changes());
        }
        state
    }

    /// Cloud Control's request records of one (account, region).
    pub fn cloudcontrol_requests(&self, account: &str, region: &str) -> Arc<RequestsLock> {
        self.get_or_add(&self.cloudcontrol, account, region, no_requests)
    }

    /// Cloud Control's request records of one (account, region) if any were made there, else
    /// empty ones that are not kept: for the calls that only read them (see
    /// [`Store::scope_or_scratch`]).
    pub fn cloudcontrol_requests_or_scratch(
        &self,
        account: &str,
        region: &str,
    ) -> Arc<RequestsLock> {
        existing(&self.cloudcontrol, account, region)
            .unwrap_or_else(|| no_requests(Scope::new(account, region), None))
    }

    /// Forgets every resource (and Cloud Control request) in every scope.
    pub fn reset(&self) {
        self.replace(vec![Op::Clear], Replacement::default());
    }

    /// Replaces every scope and every scope's Cloud Control records with `new`, and the disk's
    /// rows with `ops` (which start with `Op::Clear`), as one step for concurrent requests:
    /// 1. No scope is added from here on (`frozen`): the scopes in the maps are all there are.
    /// 2. Each is retired, which waits for its writers, so every change made in it is handed to
    ///    the persister before `ops`, and any later one is not persisted at all.
    /// 3. `ops` goes to the persister, then the new scopes take the old ones' places, so every
    ///    change to a new scope goes after `ops`. A request sees a scope's old state or its new
    ///    one, never none in between.
    ///
    /// Without step 2, a request that had looked a scope up before the maps were emptied could
    /// hand its change over after the `Clear`: gone from memory, but back after a restart.
    fn replace(&self, ops: Vec<Op>, new: Replacement) {
        let _one_at_a_time = self.replacing.lock();
        *self.frozen.lock() = true;
        let scopes = self.all_scopes();
        let logs: Vec<Arc<RequestsLock>> =
            self.cloudcontrol.iter().map(|e| e.value().clone()).collect();
        // No lock of the store is held while waiting for writers: a writer may look up or add
        // a scope (a Cloud Control request holds its records while it runs IVS operations).
        scopes.iter().for_each(|scope| scope.retire());
        logs.iter().for_each(|log| log.retire());
        if let Some(persister) = &self.persister {
            persist::note_written(persister.submit(ops));
        }
        let mut frozen = self.frozen.lock();
        if let Some(token_key) = new.token_key {
            *self.token_key.write() = token_key;
        }
        swap_in(&self.scopes, new.scopes);
        swap_in(&self.cloudcontrol, new.logs);
        *frozen = false;
    }

    /// How many resources of each kind exist, summed over all scopes.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for entry in self.scopes.iter() {
            let state = entry.value().read();
            for (kind, n) in state.ivs.counts().into_iter().chain(state.realtime.counts()) {
                *counts.entry(kind).or_insert(0) += n;
            }
        }
        counts
    }

    /// The whole state as one versioned JSON document (`GET /_ivs-local/state`).
    pub fn export(&self) -> Value {
        let mut scopes: Vec<Value> = Vec::new();
        let mut keys: Vec<Scope> = self.scopes.iter().map(|e| e.key().clone()).collect();
        keys.extend(self.cloudcontrol.iter().map(|e| e.key().clone()));
        keys.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        keys.dedup();
        for key in keys {
            // A read: a scope with only Cloud Control request records (or none) gets no state
            // (or no records) made.
            let state = self.scope_or_scratch(&key.account, &key.region);
            let st = state.read();
            let mut tables = serde_json::Map::new();
            st.each_table(&mut |name, t| {
                tables.insert(name.to_string(), t.export());
            });
            let events: Vec<&crate::sim::events::Event> = st.events.iter().collect();
            let requests = self.cloudcontrol_requests_or_scratch(&key.account, &key.region);
            let requests: Vec<_> = requests.read().stored().collect();
            scopes.push(json!({
                "account": key.account,
                "region": key.region,
                "meta": st.meta(),
                "tables": tables,
                "events": events,
                "cloudControlRequests": requests,
            }));
        }
        json!({
            "ivsLocalState": STATE_VERSION,
            "writtenBy": env!("CARGO_PKG_VERSION"),
            "tokenKey": token_key_json(&self.token_key()),
            "scopes": scopes,
        })
    }

    /// Replaces the whole state with a document [`Self::export`] made. The document is read
    /// entirely first: a bad one changes nothing and the error says where it is wrong.
    pub fn import(&self, doc: &Value) -> Result<(), String> {
        match doc.get("ivsLocalState").and_then(Value::as_u64) {
            Some(STATE_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "ivsLocalState is {v}; this ivs-local reads state documents of version \
                     {STATE_VERSION}"
                ));
            }
            None => {
                return Err("not an ivs-local state document: ivsLocalState (the document \
                            version) is missing"
                    .into());
            }
        }
        let token_key =
            Arc::new(token_key_from(&doc["tokenKey"]).map_err(|e| format!("tokenKey: {e}"))?);
        let Some(scopes) = doc.get("scopes").and_then(Value::as_array) else {
            return Err("scopes must be an array".into());
        };
        // A seeded server must not make again the ids of what it imports.
        let generation = self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let mut states: Vec<RegionState> = Vec::new();
        let mut logs: Vec<ScopedRequests> = Vec::new();
        for (i, scope) in scopes.iter().enumerate() {
            let at = |what: &str, e: &dyn std::fmt::Display| format!("scopes[{i}].{what}: {e}");
            let (Some(account), Some(region)) =
                (scope["account"].as_str(), scope["region"].as_str())
            else {
                return Err(format!("scopes[{i}]: account and region must be strings"));
            };
            let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
            if !account_ok || region.is_empty() || region.contains('/') {
                return Err(format!(
                    "scopes[{i}]: {account}/{region} is not an account and region"
                ));
            }
            let key = Scope::new(account, region);
            if states.iter().any(|st| st.scope == key) {
                return Err(format!("scopes[{i}]: {account}/{region} appears twice"));
            }
            let mut st = self.new_state(key.clone(), generation, token_key.clone());
            st.set_meta(&scope["meta"]).map_err(|e| at("meta", &e))?;
            let Some(tables) = scope["tables"].as_object() else {
                return Err(format!("scopes[{i}].tables must be an object"));
            };
            for (name, rows) in tables {
                let Some(table) = st.table_mut(name) else {
                    return Err(format!("scopes[{i}].tables.{name}: no such table"));
                };
                table.import(rows.clone()).map_err(|e| at(&format!("tables.{name}"), &e))?;
            }
            for (j, event) in scope["events"].as_array().into_iter().flatten().enumerate() {
                let event = serde_json::from_value(event.clone())
                    .map_err(|e| at(&format!("events[{j}]"), &e))?;
                st.events.restore(event, None);
            }
            let mut log = ScopedRequests { scope: key, requests: Default::default() };
            for (j, stored) in
                scope["cloudControlRequests"].as_array().into_iter().flatten().enumerate()
            {
                let stored = serde_json::from_value(stored.clone())
                    .map_err(|e| at(&format!("cloudControlRequests[{j}]"), &e))?;
                log.restore(stored);
            }
            states.push(st);
            logs.push(log);
        }
        // Everything is read: swap it in, and persist it as one batch.
        let mut ops = vec![
            Op::Clear,
            Op::Put("_server/tokenKey".into(), token_key_json(&token_key).to_string().into_bytes()),
        ];
        for st in &mut states {
            st.drain_changes(&mut ops);
        }
        for log in &mut logs {
            // Restored requests are not changes: write them all.
            let prefix = scope_prefix(&log.scope);
            ops.extend(log.stored().map(|stored| request_row(&prefix, &stored)));
            log.forget_changes();
        }
        let persister = &self.persister;
        let new = Replacement {
            token_key: Some(token_key),
            scopes: states
                .into_iter()
                .map(|st| (st.scope.clone(), Arc::new(Persisted::new(st, persister.clone()))))
                .collect(),
            logs: logs
                .into_iter()
                .map(|log| (log.scope.clone(), Arc::new(Persisted::new(log, persister.clone()))))
                .collect(),
        };
        self.replace(ops, new);
        Ok(())
    }
}

/// What [`Store::replace`] puts in place of every scope: nothing, for a reset.
#[derive(Default)]
struct Replacement {
    token_key: Option<Arc<crate::tokens::TokenKey>>,
    scopes: Vec<(Scope, Arc<ScopeLock>)>,
    logs: Vec<(Scope, Arc<RequestsLock>)>,
}

/// What `map` holds for (account, region), if anything has added it.
fn existing<V: Clone>(map: &DashMap<Scope, V>, account: &str, region: &str) -> Option<V> {
    map.get(&(account, region) as &dyn ScopeKey).map(|value| value.clone())
}

/// Puts `new` in `map` in place of all it held. Each key holds its old value or its new one at
/// every moment, never none.
fn swap_in<V>(map: &DashMap<Scope, V>, new: Vec<(Scope, V)>) {
    let kept: HashSet<Scope> = new.iter().map(|(scope, _)| scope.clone()).collect();
    for (scope, value) in new {
        map.insert(scope, value);
    }
    map.retain(|scope, _| kept.contains(scope));
}

/// A scope's empty Cloud Control request records.
fn no_requests(scope: Scope, persister: Option<Arc<Persister>>) -> Arc<RequestsLock> {
    Arc::new(Persisted::new(ScopedRequests { scope, requests: Default::default() }, persister))
}

/// The token-signing key as persisted and exported: its private scalar in hex.
fn token_key_json(key: &crate::tokens::TokenKey) -> Value {
    let hex: String = key.secret_bytes().iter().map(|b| format!("{b:02x}")).collect();
    json!({ "privateKeyHex": hex })
}

fn token_key_from(value: &Value) -> Result<crate::tokens::TokenKey, String> {
    let hex = value["privateKeyHex"].as_str().ok_or("privateKeyHex must be a string")?;
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect();
    let key = bytes
        .and_then(|b| p384::ecdsa::SigningKey::from_slice(&b).ok())
        .ok_or("privateKeyHex is not a P-384 private key in hex")?;
    Ok(crate::tokens::TokenKey::from_signing_key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of `stream_keys` under `id`, written through `scope` as a handler would.
    fn write_row(scope: &ScopeLock, id: &str) {
        let mut st = scope.write();
        let row = crate::api::ivs::stream_key::new_record(&st, &Key::from("c"), Tags::new());
        st.ivs.stream_keys.insert(id, Box::new(row));
    }

    /// Each scope's tables in a state document, by account and region.
    fn tables(state: &Value) -> BTreeMap<String, Value> {
        let scopes = state["scopes"].as_array().unwrap().iter();
        scopes.map(|s| (format!("{}/{}", s["account"], s["region"]), s["tables"].clone())).collect()
    }

    /// A request that looked its scope up before a reset or an import, and writes after it
    /// (the race `Store::replace` closes): its change is gone from memory with the old state,
    /// and must not reach the disk either, behind the replacement's rows.
    #[test]
    fn a_write_through_a_replaced_scope_reaches_neither_memory_nor_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).unwrap();
        let before_reset = store.scope("000000000000", "us-east-1");
        write_row(&before_reset, "before");
        store.reset();
        write_row(&before_reset, "afterReset");
        write_row(&store.scope("000000000000", "us-east-1"), "kept");
        let document = store.export();
        let before_import = store.scope("000000000000", "us-east-1");
        store.import(&document).unwrap();
        write_row(&before_import, "afterImport");
        let in_memory = tables(&store.export());
        let keys = in_memory.values().flat_map(|t| t["streamKeys"].as_object().unwrap().keys());
        assert_eq!(keys.collect::<Vec<_>>(), ["kept"]);

        store.flush().unwrap();
        drop((store, before_reset, before_import));
        // The writer thread lets the directory go once it has seen the store go.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let reopened = loop {
            match Store::open(dir.path(), None) {
                Ok(store) => break store,
                Err(e) if std::time::Instant::now() > deadline => panic!("reopening: {e}"),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        };
        assert_eq!(tables(&reopened.export()), in_memory);
    }

    /// ARNs and channel endpoints come from the scope's text, which follows its endpoint
    /// prefix when an import or a restart sets it.
    #[test]
    fn scope_text_follows_the_endpoint_prefix() {
        let store = Store::new(Some(1));
        let scope = store.scope("123456789012", "eu-west-1");
        let mut st = scope.write();
        let id = "abcdABCD0123";
        assert_eq!(
            st.arn_of(arn::ResourceType::Channel, id),
            st.arn(arn::ResourceType::Channel, id).to_string()
        );
        st.set_meta(
            &json!({"endpointPrefix": "0123456789ab", "stageEndpointPrefix": "ba9876543210"}),
        )
        .unwrap();
        assert_eq!(st.endpoint_prefix, "0123456789ab");
        assert_eq!(st.text.ingest_endpoint, "0123456789ab.global-contribute.live-video.net");
        assert_eq!(st.text.srt_endpoint, "0123456789ab.srt.live-video.net");
        assert_eq!(
            st.text.playback_url_start,
            "https://0123456789ab.eu-west-1.playback.live-video.net/api/video/v1/\
             eu-west-1.123456789012.channel."
        );
        assert_eq!(
            st.arn_of(arn::ResourceType::StreamKey, id),
            "arn:aws:ivs:eu-west-1:123456789012:stream-key/abcdABCD0123"
        );
        assert!(st.set_meta(&json!({"endpointPrefix": "nope"})).is_err());
        assert_eq!(st.text.ingest_endpoint, "0123456789ab.global-contribute.live-video.net");
    }
}
