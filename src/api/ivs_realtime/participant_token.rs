//! Participant tokens: CreateParticipantToken, and the tokens CreateStage issues with a stage.
//!
//! A token has the form of AWS's (reference 6.1): a compact JWS whose header is
//! `{"alg":"KMS","typ":"JWT"}`, whose claims come in AWS's order, and whose signature is a
//! DER-encoded ECDSA P-384 signature, here by the server's key published at
//! `GET /_ivs-local/keys` so that a test can check a token came from ivs-local. Tokens are not
//! stored: a participant exists once it joins (`sim::stages` verifies the token then).
//!
//! LIMITATIONS: the CreateParticipantToken rate quota (50 TPS) is not enforced; the signature
//! cannot be verified with AWS's keys, only with ivs-local's.

use super::stage;
use crate::api::types::Timestamp;
use crate::api::types::ivs_realtime::{
    CreateParticipantTokenRequest, CreateParticipantTokenResponse, ParticipantToken,
    ParticipantTokenCapability, ParticipantTokenConfiguration,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::RegionState;
use serde::Serialize;
use std::collections::BTreeMap;

/// Token lifetime in minutes when the caller gives none (model doc: 720, i.e. 12 hours).
const DEFAULT_DURATION_MINUTES: i32 = 720;

/// A read: the token is minted and signed, but nothing is stored, so tokens for many
/// participants are signed in parallel.
pub fn create_participant_token(
    _ctx: &RequestContext,
    st: &RegionState,
    input: CreateParticipantTokenRequest,
) -> Result<CreateParticipantTokenResponse, ApiError> {
    let stage_id = stage::find(st, &input.stage_arn)?.id.clone();
    let config = ParticipantTokenConfiguration {
        attributes: input.attributes,
        capabilities: input.capabilities,
        duration: input.duration,
        user_id: input.user_id,
    };
    Ok(CreateParticipantTokenResponse { participant_token: Some(issue(st, &stage_id, config)) })
}

/// The claims of an issued token, declared in the order AWS writes them (reference 6.1).
#[derive(Serialize)]
struct Claims<'a> {
    exp: i64,
    iat: i64,
    /// The participant id.
    jti: &'a str,
    /// The stage ARN.
    resource: &'a str,
    /// The stage id.
    topic: &'a str,
    events_url: &'a str,
    whip_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<&'a BTreeMap<String, String>>,
    capabilities: Capabilities,
    version: &'static str,
}

/// Only granted capabilities appear: a subscribe-only token carries `{"allow_subscribe": true}`.
#[derive(Serialize)]
struct Capabilities {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_publish: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_subscribe: bool,
}

/// Issues a token for the existing stage `stage_id`, with AWS's defaults filled in: what
/// CreateParticipantToken answers and what CreateStage answers for each configuration.
pub fn issue(
    st: &RegionState,
    stage_id: &str,
    config: ParticipantTokenConfiguration,
) -> ParticipantToken {
    let participant_id = st.ids.resource_id();
    let stage = &st.realtime.stages[stage_id];
    let endpoints = stage::endpoints(st);
    let duration = config.duration.unwrap_or(DEFAULT_DURATION_MINUTES);
    let capabilities = config.capabilities.unwrap_or_else(|| {
        vec![ParticipantTokenCapability::Publish, ParticipantTokenCapability::Subscribe]
    });
    // An empty userId or attributes map is as good as none; AWS's tokens omit the claim then.
    let user_id = config.user_id.filter(|u| !u.is_empty());
    let attributes = config.attributes.filter(|a| !a.is_empty());
    let iat = Timestamp::now().secs();
    let exp = iat + i64::from(duration) * 60;
    let claims = Claims {
        exp,
        iat,
        jti: &participant_id,
        resource: &stage.arn,
        topic: &stage.id,
        events_url: endpoints.events.as_deref().unwrap_or_default(),
        whip_url: endpoints.whip.as_deref().unwrap_or_default(),
        user_id: user_id.as_deref(),
        attributes: attributes.as_ref(),
        capabilities: Capabilities {
            allow_publish: capabilities.contains(&ParticipantTokenCapability::Publish),
            allow_subscribe: capabilities.contains(&ParticipantTokenCapability::Subscribe),
        },
        version: "0.0",
    };
    let token = st.token_key.sign_kms(&claims);
    ParticipantToken {
        attributes,
        capabilities: Some(capabilities),
        duration: Some(duration),
        expiration_time: Some(Timestamp::from_secs(exp)),
        participant_id: Some(participant_id.to_string()),
        token: Some(token),
        user_id,
    }
}
