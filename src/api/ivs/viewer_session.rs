//! Viewer-session revocation: StartViewerSessionRevocation and
//! BatchStartViewerSessionRevocation.
//!
//! A revocation is remembered per (channel ARN, viewer id) as the highest
//! `viewerSessionVersionsLessThanOrEqualTo` asked for; `sim::playback` then refuses viewer
//! tokens carrying that `aws:viewer-id` with an `aws:viewer-session-version` at or below it.
//! Revocations outlive their channel: AWS shows no record of them, and no later channel
//! can have the same ARN.
//!
//! LIMITATIONS: AWS revokes asynchronously ("starts the process"); here it takes effect at once.

use crate::api::ivs::channel;
use crate::api::types::ivs::{
    BatchStartViewerSessionRevocationError, BatchStartViewerSessionRevocationRequest,
    BatchStartViewerSessionRevocationResponse, StartViewerSessionRevocationRequest,
    StartViewerSessionRevocationResponse,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::RegionState;
use crate::store::arn::Arn;

pub fn start_viewer_session_revocation(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: StartViewerSessionRevocationRequest,
) -> Result<StartViewerSessionRevocationResponse, ApiError> {
    channel::find(st, &input.channel_arn)?;
    revoke(
        st,
        input.channel_arn,
        input.viewer_id,
        input.viewer_session_versions_less_than_or_equal_to,
    );
    Ok(StartViewerSessionRevocationResponse {})
}

/// Each item succeeds or fails on its own; the call itself answers 200 with `errors` listing
/// the failures (always present, `[]` when none).
pub fn batch_start_viewer_session_revocation(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: BatchStartViewerSessionRevocationRequest,
) -> Result<BatchStartViewerSessionRevocationResponse, ApiError> {
    let mut errors = Vec::new();
    for session in input.viewer_sessions {
        if channel::find(st, &session.channel_arn).is_ok() {
            let version = session.viewer_session_versions_less_than_or_equal_to;
            revoke(st, session.channel_arn, session.viewer_id, version);
            continue;
        }
        let (code, message) = item_error(st, &session.channel_arn);
        errors.push(BatchStartViewerSessionRevocationError {
            channel_arn: session.channel_arn,
            viewer_id: session.viewer_id,
            code: Some(code.to_string()),
            message: Some(message),
        });
    }
    Ok(BatchStartViewerSessionRevocationResponse { errors: Some(errors) })
}

/// The per-item error of a channel that cannot be revoked on. AWS documents `code` only as
/// "error code"; its one published sample (the CLI example) is `"403"` / `"not authorized"`,
/// an HTTP status rather than an exception name. So: a channel ARN of another account or
/// region is that `403`, and a channel missing from the caller's own scope is `404`.
fn item_error(st: &RegionState, channel_arn: &str) -> (&'static str, String) {
    match Arn::parse(channel_arn) {
        Ok(arn) if st.in_scope(&arn) => ("404", format!("Channel not found: {channel_arn}")),
        _ => ("403", "not authorized".to_string()),
    }
}

/// Remembers the highest revoked version: a later, lower revocation does not un-revoke.
fn revoke(st: &mut RegionState, channel_arn: String, viewer_id: String, version: Option<i32>) {
    let version = i64::from(version.unwrap_or(0));
    let revoked = st
        .ivs
        .revocations
        .get_or_insert_with(&channel_arn, Default::default)
        .entry(viewer_id)
        .or_insert(version);
    *revoked = (*revoked).max(version);
}
