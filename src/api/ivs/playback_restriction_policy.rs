//! Playback restriction policies: CreatePlaybackRestrictionPolicy,
//! GetPlaybackRestrictionPolicy, ListPlaybackRestrictionPolicies,
//! UpdatePlaybackRestrictionPolicy, DeletePlaybackRestrictionPolicy.
//!
//! A policy limits where a channel plays (countries, origin sites); channels name it in
//! `playbackRestrictionPolicyArn`, and `sim::playback` applies it. This module owns the policy
//! records and the rule that a policy in use cannot be deleted (409).
//!
//! LIMITATIONS: the policy quota (20 per region in AWS's quota pages, unconfirmed) is not
//! enforced, so CreatePlaybackRestrictionPolicy never answers 402.

use crate::api::types::ivs::{
    CreatePlaybackRestrictionPolicyRequest, CreatePlaybackRestrictionPolicyResponse,
    DeletePlaybackRestrictionPolicyRequest, GetPlaybackRestrictionPolicyRequest,
    GetPlaybackRestrictionPolicyResponse, ListPlaybackRestrictionPoliciesRequest,
    ListPlaybackRestrictionPoliciesResponse, PlaybackRestrictionPolicy,
    PlaybackRestrictionPolicySummary, UpdatePlaybackRestrictionPolicyRequest,
    UpdatePlaybackRestrictionPolicyResponse,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs::PlaybackRestrictionPolicy as Record;
use crate::store::{RegionState, page};

/// ListPlaybackRestrictionPolicies' page size when the caller gives none: the model's doc says
/// 1, as for ListStreamKeys (reference 4).
const DEFAULT_MAX_RESULTS: i32 = 1;

pub fn create_playback_restriction_policy(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreatePlaybackRestrictionPolicyRequest,
) -> Result<CreatePlaybackRestrictionPolicyResponse, ApiError> {
    let id = st.ids.resource_id();
    // Empty lists mean "every country" and "every origin" (model doc), not "none".
    let record = Record {
        arn: st.arn(ResourceType::PlaybackRestrictionPolicy, &id).to_string(),
        id: id.clone(),
        name: input.name.unwrap_or_default(),
        allowed_countries: input.allowed_countries.unwrap_or_default(),
        allowed_origins: input.allowed_origins.unwrap_or_default(),
        enable_strict_origin_enforcement: input.enable_strict_origin_enforcement.unwrap_or(false),
        tags: input.tags.unwrap_or_default(),
    };
    let policy = to_api(&record);
    st.ivs.playback_restriction_policies.insert(id, record);
    Ok(CreatePlaybackRestrictionPolicyResponse { playback_restriction_policy: Some(policy) })
}

pub fn get_playback_restriction_policy(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetPlaybackRestrictionPolicyRequest,
) -> Result<GetPlaybackRestrictionPolicyResponse, ApiError> {
    let policy = to_api(find(st, &input.arn)?);
    Ok(GetPlaybackRestrictionPolicyResponse { playback_restriction_policy: Some(policy) })
}

pub fn list_playback_restriction_policies(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListPlaybackRestrictionPoliciesRequest,
) -> Result<ListPlaybackRestrictionPoliciesResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range =
        st.ivs.playback_restriction_policies.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |_| true);
    Ok(ListPlaybackRestrictionPoliciesResponse {
        playback_restriction_policies: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

/// A partial update: members the request omits keep their values.
pub fn update_playback_restriction_policy(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: UpdatePlaybackRestrictionPolicyRequest,
) -> Result<UpdatePlaybackRestrictionPolicyResponse, ApiError> {
    let id = find(st, &input.arn)?.id.clone();
    let policy = st.ivs.playback_restriction_policies.get_mut(&id).expect("found above");
    if let Some(name) = input.name {
        policy.name = name;
    }
    if let Some(countries) = input.allowed_countries {
        policy.allowed_countries = countries;
    }
    if let Some(origins) = input.allowed_origins {
        policy.allowed_origins = origins;
    }
    if let Some(strict) = input.enable_strict_origin_enforcement {
        policy.enable_strict_origin_enforcement = strict;
    }
    Ok(UpdatePlaybackRestrictionPolicyResponse {
        playback_restriction_policy: Some(to_api(policy)),
    })
}

/// Refused with 409 while a channel names the policy, as DeleteRecordingConfiguration is:
/// the operation models ConflictException, and deleting it would leave channels pointing at
/// nothing (reference 5.5).
pub fn delete_playback_restriction_policy(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeletePlaybackRestrictionPolicyRequest,
) -> Result<(), ApiError> {
    let policy = find(st, &input.arn)?;
    // A scan of the channels: deletes are rare and the channel table is in memory.
    if let Some(channel) =
        st.ivs.channels.values().find(|c| *c.playback_restriction_policy_arn == policy.arn)
    {
        return Err(ApiError::conflict(format!(
            "Playback restriction policy {} is in use by channel {}; detach it first.",
            policy.arn,
            super::channel::arn(st, channel)
        )));
    }
    let id = policy.id.clone();
    st.ivs.playback_restriction_policies.remove(&id);
    Ok(())
}

/// The policy an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::PlaybackRestrictionPolicy)
        .and_then(|id| st.ivs.playback_restriction_policies.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Playback restriction policy not found: {arn}")))
}

fn to_api(p: &Record) -> PlaybackRestrictionPolicy {
    PlaybackRestrictionPolicy {
        arn: p.arn.clone(),
        name: Some(p.name.clone()),
        allowed_countries: p.allowed_countries.clone(),
        allowed_origins: p.allowed_origins.clone(),
        enable_strict_origin_enforcement: Some(p.enable_strict_origin_enforcement),
        tags: Some(p.tags.clone()),
    }
}

fn summary(p: &Record) -> PlaybackRestrictionPolicySummary {
    PlaybackRestrictionPolicySummary {
        arn: p.arn.clone(),
        name: Some(p.name.clone()),
        allowed_countries: p.allowed_countries.clone(),
        allowed_origins: p.allowed_origins.clone(),
        enable_strict_origin_enforcement: Some(p.enable_strict_origin_enforcement),
        tags: Some(p.tags.clone()),
    }
}
