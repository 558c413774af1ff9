//! Public keys: ImportPublicKey, GetPublicKey, ListPublicKeys, DeletePublicKey.
//!
//! Customers import the public half of the ECDSA P-384 key they sign their own participant
//! tokens with (reference 6.2). The PEM is parsed with `tokens::parse_public_key`, so a key
//! that is not P-384 is refused with the reason; unlike playback key pairs the PEM is returned
//! as given. The same key cannot be imported twice in an account and region (409), and at most
//! [`QUOTA`] keys may exist there (402).
//!
//! LIMITATIONS: the quota is not adjustable, and the quota and duplicate rules are inferred
//! (reference 10, 12.5 [uncertain]). DeletePublicKey never answers 409 (its modeled
//! ConflictException has no documented trigger).

use crate::api::types::ivs_realtime::{
    DeletePublicKeyRequest, DeletePublicKeyResponse, GetPublicKeyRequest, GetPublicKeyResponse,
    ImportPublicKeyRequest, ImportPublicKeyResponse, ListPublicKeysRequest, ListPublicKeysResponse,
    PublicKey, PublicKeySummary,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs_realtime::PublicKey as Record;
use crate::store::{RegionState, page};

/// ListPublicKeys' page size when the caller gives none (model doc: 50).
const DEFAULT_MAX_RESULTS: i32 = 50;

pub fn import_public_key(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: ImportPublicKeyRequest,
) -> Result<ImportPublicKeyResponse, ApiError> {
    let existing = st.realtime.public_keys.values();
    let parsed = super::super::imported_key::admit(
        &input.public_key_material,
        existing.map(|k| (k.public_key_sec1.as_slice(), k.arn.as_str())),
        "public key",
    )?;
    let id = st.ids.resource_id();
    let record = Record {
        id: id.clone(),
        arn: st.arn(ResourceType::PublicKey, &id).to_string(),
        name: input.name.unwrap_or_default(),
        public_key_material: input.public_key_material,
        public_key_sec1: parsed.sec1,
        fingerprint: parsed.fingerprint,
        tags: input.tags.unwrap_or_default(),
    };
    let output = to_api(&record);
    st.realtime.public_keys.insert(id, record);
    Ok(ImportPublicKeyResponse { public_key: Some(output) })
}

pub fn get_public_key(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetPublicKeyRequest,
) -> Result<GetPublicKeyResponse, ApiError> {
    Ok(GetPublicKeyResponse { public_key: Some(to_api(find(st, &input.arn)?)) })
}

pub fn list_public_keys(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListPublicKeysRequest,
) -> Result<ListPublicKeysResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.realtime.public_keys.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |_| true);
    Ok(ListPublicKeysResponse {
        public_keys: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn delete_public_key(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeletePublicKeyRequest,
) -> Result<DeletePublicKeyResponse, ApiError> {
    let id = find(st, &input.arn)?.id.clone();
    st.realtime.public_keys.remove(&id);
    Ok(DeletePublicKeyResponse {})
}

/// The public key an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::PublicKey)
        .and_then(|id| st.realtime.public_keys.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Public key not found: {arn}")))
}

pub fn to_api(k: &Record) -> PublicKey {
    PublicKey {
        arn: Some(k.arn.clone()),
        fingerprint: Some(k.fingerprint.clone()),
        name: Some(k.name.clone()),
        public_key_material: Some(k.public_key_material.clone()),
        tags: Some(k.tags.clone()),
    }
}

fn summary(k: &Record) -> PublicKeySummary {
    PublicKeySummary {
        arn: Some(k.arn.clone()),
        name: Some(k.name.clone()),
        tags: Some(k.tags.clone()),
    }
}
