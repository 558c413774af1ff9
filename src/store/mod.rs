//! State: one namespace per (account, region), created on first use, holding one ordered
//! table per resource type.
//!
//! Handlers get `&RegionState` (reads) or `&mut RegionState` (writes) under that scope's
//! lock, so a cross-resource rule (one stream key per channel, delete-if-unused) is checked
//! and applied under one lock. Nothing here knows HTTP or JSON; `api/` does.

pub mod arn;
pub mod ids;
pub mod ivs;
pub mod page;

use dashmap::DashMap;
use ids::IdGen;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a resource lives. Nothing is visible across scopes, as in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

/// Tags on a resource: key -> value, at most 50 (enforced by the model and `api/tags.rs`).
pub type Tags = BTreeMap<String, String>;

/// Everything one (account, region) holds.
pub struct RegionState {
    pub scope: Scope,
    pub ids: IdGen,
    /// The 12-hex "customer prefix" AWS puts in every ingest, playback and SRT host of an
    /// account and region (reference 2.2).
    pub endpoint_prefix: String,
    pub ivs: ivs::IvsState,
}

impl RegionState {
    fn new(scope: Scope, seed: Option<u64>) -> Self {
        let mut ids = IdGen::new(seed, &scope.account, &scope.region);
        let endpoint_prefix = ids.hex(12);
        RegionState { scope, ids, endpoint_prefix, ivs: ivs::IvsState::default() }
    }

    /// Whether an ARN belongs to this scope. An ARN of another account or region names
    /// nothing here, as in AWS.
    pub fn in_scope(&self, arn: &arn::Arn) -> bool {
        arn.account == self.scope.account && arn.region == self.scope.region
    }

    /// The id in `arn` if it names a resource of `resource_type` in this scope.
    pub fn find_id(&self, arn: &str, resource_type: arn::ResourceType) -> Option<String> {
        let arn = arn::Arn::parse(arn).ok()?;
        (arn.resource_type == resource_type && self.in_scope(&arn)).then_some(arn.id)
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
            // Resource types whose operations are not implemented yet have no instances.
            _ => None,
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
            _ => None,
        }
    }

    /// Builds this scope's ARN for a resource.
    pub fn arn(&self, resource_type: arn::ResourceType, id: &str) -> arn::Arn {
        arn::Arn::new(&self.scope.region, &self.scope.account, resource_type, id)
    }
}

/// All state of the server.
pub struct Store {
    scopes: DashMap<Scope, Arc<RwLock<RegionState>>>,
    seed: Option<u64>,
}

impl Store {
    pub fn new(seed: Option<u64>) -> Self {
        Store { scopes: DashMap::new(), seed }
    }

    /// The state of one (account, region), created empty on first use.
    pub fn scope(&self, account: &str, region: &str) -> Arc<RwLock<RegionState>> {
        let key = Scope { account: account.to_string(), region: region.to_string() };
        if let Some(state) = self.scopes.get(&key) {
            return state.clone();
        }
        self.scopes
            .entry(key.clone())
            .or_insert_with(|| Arc::new(RwLock::new(RegionState::new(key, self.seed))))
            .clone()
    }

    /// Forgets every resource in every scope.
    pub fn reset(&self) {
        self.scopes.clear();
    }

    /// How many resources of each kind exist, summed over all scopes.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for entry in self.scopes.iter() {
            let state = entry.value().read();
            for (kind, n) in state.ivs.counts() {
                *counts.entry(kind).or_insert(0) += n;
            }
        }
        counts
    }
}
