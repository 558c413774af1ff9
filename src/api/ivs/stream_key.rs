//! Stream keys: CreateStreamKey, GetStreamKey, BatchGetStreamKey, ListStreamKeys,
//! DeleteStreamKey.
//!
//! A channel has at most one stream key (an AWS hard quota), so a second CreateStreamKey is a
//! 402 ServiceQuotaExceededException: the operation models no ConflictException. The value is
//! `sk_{region}_{streamKeyId}_{30 alphanumerics}` (reference 2.2).

use super::channel;
use crate::api::types::ivs::{
    BatchGetStreamKeyRequest, BatchGetStreamKeyResponse, CreateStreamKeyRequest,
    CreateStreamKeyResponse, DeleteStreamKeyRequest, GetStreamKeyRequest, GetStreamKeyResponse,
    ListStreamKeysRequest, ListStreamKeysResponse, StreamKey, StreamKeySummary,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs::StreamKey as Record;
use crate::store::{Key, RegionState, Tags, page};

/// Stream keys per channel: 1, not adjustable.
const KEYS_PER_CHANNEL: usize = 1;
/// ListStreamKeys' page size when the caller gives none (model doc: 1).
const DEFAULT_MAX_RESULTS: i32 = 1;

pub fn create_stream_key(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateStreamKeyRequest,
) -> Result<CreateStreamKeyResponse, ApiError> {
    let channel = channel::find(st, &input.channel_arn)?;
    if channel.stream_keys.len() >= KEYS_PER_CHANNEL {
        return Err(ApiError::quota_exceeded(format!(
            "Channel {} already has a stream key; the limit is {KEYS_PER_CHANNEL} per channel.",
            channel::arn(st, channel)
        )));
    }
    let channel_id = channel.id.clone();
    let key = insert(st, &channel_id, input.tags.unwrap_or_default());
    Ok(CreateStreamKeyResponse { stream_key: Some(key) })
}

pub fn get_stream_key(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetStreamKeyRequest,
) -> Result<GetStreamKeyResponse, ApiError> {
    Ok(GetStreamKeyResponse { stream_key: Some(to_api(st, find(st, &input.arn)?)) })
}

pub fn batch_get_stream_key(
    _ctx: &RequestContext,
    st: &RegionState,
    input: BatchGetStreamKeyRequest,
) -> Result<BatchGetStreamKeyResponse, ApiError> {
    let (stream_keys, errors) = super::batch_get(input.arns, |arn| Ok(to_api(st, find(st, arn)?)));
    Ok(BatchGetStreamKeyResponse { stream_keys: Some(stream_keys), errors: Some(errors) })
}

pub fn list_stream_keys(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListStreamKeysRequest,
) -> Result<ListStreamKeysResponse, ApiError> {
    let channel = channel::find(st, &input.channel_arn)?;
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let start = page::start(input.next_token.as_deref())?;
    let ids = channel.stream_keys.iter().filter(|id| std::ops::RangeBounds::contains(&start, *id));
    let keys = ids.filter_map(|id| Some((id, st.ivs.stream_keys.get(id)?)));
    let page = page::collect(keys, max, |_| true);
    Ok(ListStreamKeysResponse {
        stream_keys: page.items.into_iter().map(|k| summary(st, k)).collect(),
        next_token: page.next_token,
    })
}

pub fn delete_stream_key(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeleteStreamKeyRequest,
) -> Result<(), ApiError> {
    let id = find(st, &input.arn)?.id.clone();
    let key = st.ivs.stream_keys.remove(&id).expect("found above under the same lock");
    if let Some(channel) = st.ivs.channels.get_mut(&key.channel_id) {
        channel.stream_keys.retain(|k| *k != id);
    }
    Ok(())
}

/// Gives the channel with id `channel_id` a new stream key; the key's answer.
fn insert(st: &mut RegionState, channel_id: &Key, tags: Tags) -> StreamKey {
    let key = new_record(st, channel_id, tags);
    let channel = st.ivs.channels.get_mut(channel_id).expect("caller checked the channel exists");
    // In order, for ListStreamKeys' pages.
    let at = channel.stream_keys.partition_point(|k| *k < key.id);
    channel.stream_keys.insert(at, key.id.clone());
    let answer = to_api(st, &key);
    st.ivs.stream_keys.insert(key.id.clone(), Box::new(key));
    answer
}

/// A new stream key for the channel with id `channel_id`, not yet stored: the caller stores
/// it and lists its id in the channel's `stream_keys`.
pub fn new_record(st: &RegionState, channel_id: &Key, tags: Tags) -> Record {
    const SECRET_LEN: usize = 30;
    let id = st.ids.resource_id();
    // `sk_{region}_{id}_{secret}` (reference, quick fact 5), in one allocation.
    let region = &st.scope.region;
    let mut value = String::with_capacity(3 + region.len() + 1 + id.len() + 1 + SECRET_LEN);
    for part in ["sk_", region, "_", &id, "_"] {
        value.push_str(part);
    }
    st.ids.push_alphanumeric(&mut value, SECRET_LEN);
    Record { value: value.into(), channel_id: channel_id.clone(), id, tags }
}

/// The stream key an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::StreamKey)
        .and_then(|id| st.ivs.stream_keys.get(&id))
        .map(|k| &**k)
        .ok_or_else(|| ApiError::not_found(format!("Stream key not found: {arn}")))
}

pub fn to_api(st: &RegionState, k: &Record) -> StreamKey {
    StreamKey {
        arn: Some(st.arn_of(ResourceType::StreamKey, &k.id)),
        channel_arn: Some(st.arn_of(ResourceType::Channel, &k.channel_id)),
        value: Some(String::from(&*k.value)),
        tags: Some(k.tags.clone()),
    }
}

fn summary(st: &RegionState, k: &Record) -> StreamKeySummary {
    StreamKeySummary {
        arn: Some(st.arn_of(ResourceType::StreamKey, &k.id)),
        channel_arn: Some(st.arn_of(ResourceType::Channel, &k.channel_id)),
        tags: Some(k.tags.clone()),
    }
}
