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

use dashmap::DashMap;
use ids::IdGen;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a resource lives. Nothing is visible across scopes, as in AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account: String,
    pub region: String,
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
    pub ivs: ivs::IvsState,
    pub realtime: ivs_realtime::RealtimeState,
    /// What AWS would have sent to EventBridge from this account and region.
    pub events: crate::sim::events::EventLog,
    /// The server's participant-token signing key (one for the whole server).
    pub token_key: Arc<crate::tokens::TokenKey>,
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

    /// Whether an ARN belongs to this scope. An ARN of another account or region names
    /// nothing here, as in AWS.
    pub fn in_scope(&self, arn: &arn::Arn) -> bool {
        arn.account == self.scope.account && arn.region == self.scope.region
    }

    /// The id in `arn` if it names a resource of `resource_type` in this scope.
    pub fn find_id(&self, arn: &str, resource_type: arn::ResourceType) -> Option<String> {
        let (region, account, kind, id) = arn::Arn::split(arn).ok()?;
        let here = account == self.scope.account && region == self.scope.region;
        (kind == resource_type && here).then(|| id.to_string())
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
        arn::format(&self.scope.region, &self.scope.account, resource_type, id)
    }
}

/// All state of the server.
pub struct Store {
    scopes: DashMap<Scope, Arc<RwLock<RegionState>>>,
    /// Cloud Control's request records, per scope. Apart from the scope's state because a
    /// Cloud Control request holds them while its IVS operations take the scope's lock.
    cloudcontrol: DashMap<Scope, Arc<parking_lot::Mutex<crate::cloudcontrol::requests::Requests>>>,
    seed: Option<u64>,
    token_key: Arc<crate::tokens::TokenKey>,
    /// Every scope's new events, for listeners of all accounts and regions.
    events: crate::sim::events::Publisher,
}

impl Store {
    pub fn new(seed: Option<u64>) -> Self {
        let token_key = Arc::new(crate::tokens::TokenKey::generate(seed));
        let (events, _) = tokio::sync::broadcast::channel(crate::sim::events::PUBLISH_BACKLOG);
        Store { scopes: DashMap::new(), cloudcontrol: DashMap::new(), seed, token_key, events }
    }

    /// New events of every scope, as they are recorded.
    pub fn events(&self) -> &crate::sim::events::Publisher {
        &self.events
    }

    /// The key that signs the participant tokens this server issues.
    pub fn token_key(&self) -> &crate::tokens::TokenKey {
        &self.token_key
    }

    /// Every scope that exists, for the control API's searches across accounts and regions
    /// (a stream key names its region but not its account). Lock each one as needed.
    pub fn all_scopes(&self) -> Vec<Arc<RwLock<RegionState>>> {
        self.scopes.iter().map(|e| e.value().clone()).collect()
    }

    /// The state of one (account, region), created empty on first use.
    pub fn scope(&self, account: &str, region: &str) -> Arc<RwLock<RegionState>> {
        if let Some(state) = self.scopes.get(&(account, region) as &dyn ScopeKey) {
            return state.clone();
        }
        let key = Scope { account: account.to_string(), region: region.to_string() };
        self.scopes
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(RwLock::new(RegionState::new(
                    key,
                    self.seed,
                    self.token_key.clone(),
                    self.events.clone(),
                )))
            })
            .clone()
    }

    /// Cloud Control's request records of one (account, region).
    pub fn cloudcontrol_requests(
        &self,
        account: &str,
        region: &str,
    ) -> Arc<parking_lot::Mutex<crate::cloudcontrol::requests::Requests>> {
        let key = Scope { account: account.to_string(), region: region.to_string() };
        self.cloudcontrol.entry(key).or_default().clone()
    }

    /// Forgets every resource (and Cloud Control request) in every scope.
    pub fn reset(&self) {
        self.scopes.clear();
        self.cloudcontrol.clear();
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
}
