//! Playback key pairs: ImportPlaybackKeyPair, GetPlaybackKeyPair, ListPlaybackKeyPairs,
//! DeletePlaybackKeyPair.
//!
//! Only the public half is imported; its private half signs the viewer tokens of private
//! channels, which `sim::playback` verifies against every key pair of the account and region.
//! Key parsing and the fingerprint live in `tokens.rs`; this module owns the business rules:
//! one import per public key (409) and AWS's quota of 3 key pairs per region (402).
//!
//! LIMITATIONS: the quota is fixed at 3 (adjustable in AWS through a quota request).

use crate::api::types::ivs::{
    DeletePlaybackKeyPairRequest, DeletePlaybackKeyPairResponse, GetPlaybackKeyPairRequest,
    GetPlaybackKeyPairResponse, ImportPlaybackKeyPairRequest, ImportPlaybackKeyPairResponse,
    ListPlaybackKeyPairsRequest, ListPlaybackKeyPairsResponse, PlaybackKeyPair,
    PlaybackKeyPairSummary,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs::PlaybackKeyPair as Record;
use crate::store::{RegionState, page};

/// ListPlaybackKeyPairs' page size when the caller gives none (model doc: the quota or 100,
/// whichever is smaller).
const DEFAULT_MAX_RESULTS: i32 = 100;

pub fn import_playback_key_pair(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: ImportPlaybackKeyPairRequest,
) -> Result<ImportPlaybackKeyPairResponse, ApiError> {
    let existing = st.ivs.playback_key_pairs.values();
    let key = super::super::imported_key::admit(
        &input.public_key_material,
        existing.map(|k| (k.public_key_sec1.as_slice(), k.arn.as_str())),
        "playback key pair",
    )?;
    let id = st.ids.resource_id();
    let record = Record {
        arn: st.arn(ResourceType::PlaybackKey, &id).to_string(),
        id: id.clone(),
        name: input.name.unwrap_or_default(),
        public_key_pem: input.public_key_material,
        public_key_sec1: key.sec1,
        fingerprint: key.fingerprint,
        tags: input.tags.unwrap_or_default(),
    };
    let key_pair = to_api(&record);
    st.ivs.playback_key_pairs.insert(id, record);
    Ok(ImportPlaybackKeyPairResponse { key_pair: Some(key_pair) })
}

pub fn get_playback_key_pair(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetPlaybackKeyPairRequest,
) -> Result<GetPlaybackKeyPairResponse, ApiError> {
    Ok(GetPlaybackKeyPairResponse { key_pair: Some(to_api(find(st, &input.arn)?)) })
}

pub fn list_playback_key_pairs(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListPlaybackKeyPairsRequest,
) -> Result<ListPlaybackKeyPairsResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.ivs.playback_key_pairs.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |_| true);
    Ok(ListPlaybackKeyPairsResponse {
        key_pairs: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

/// Answers 200 with `{}` (the model's `responseCode`), unlike most `ivs` deletes (204).
pub fn delete_playback_key_pair(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeletePlaybackKeyPairRequest,
) -> Result<DeletePlaybackKeyPairResponse, ApiError> {
    let id = find(st, &input.arn)?.id.clone();
    st.ivs.playback_key_pairs.remove(&id);
    Ok(DeletePlaybackKeyPairResponse {})
}

/// The key pair an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::PlaybackKey)
        .and_then(|id| st.ivs.playback_key_pairs.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Playback key pair not found: {arn}")))
}

fn to_api(k: &Record) -> PlaybackKeyPair {
    PlaybackKeyPair {
        arn: Some(k.arn.clone()),
        name: Some(k.name.clone()),
        fingerprint: Some(k.fingerprint.clone()),
        tags: Some(k.tags.clone()),
    }
}

/// Summaries carry no fingerprint (the model's `PlaybackKeyPairSummary`).
fn summary(k: &Record) -> PlaybackKeyPairSummary {
    PlaybackKeyPairSummary {
        arn: Some(k.arn.clone()),
        name: Some(k.name.clone()),
        tags: Some(k.tags.clone()),
    }
}
