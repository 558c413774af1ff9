//! Stage sessions: ListStageSessions and GetStageSession.
//!
//! Sessions are made by participants joining (`sim::stages`); these handlers only read them.
//! A session lasts from the first participant joining until the last one leaves.
//!
//! LIMITATIONS: ListStageSessions models no ResourceNotFoundException, so an unknown stage
//! lists no sessions rather than failing. AWS does not document the order of the list; it is
//! newest first here, as the console shows sessions [uncertain].

use crate::api::types::ivs_realtime::{
    GetStageSessionRequest, GetStageSessionResponse, ListStageSessionsRequest,
    ListStageSessionsResponse, StageSession, StageSessionSummary,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs_realtime::{Stage, StageSession as Record};
use crate::store::{RegionState, page};
use std::ops::Bound;

/// The page size of the participant and session lists when the caller gives none (model
/// docs: 50).
pub const DEFAULT_MAX_RESULTS: i32 = 50;

pub fn list_stage_sessions(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListStageSessionsRequest,
) -> Result<ListStageSessionsResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let sessions = stage(st, &input.stage_arn).map(|s| s.sessions.as_slice()).unwrap_or_default();
    // Newest first, as the console shows them.
    let entries = sessions.iter().rev().map(|s| (s.session_id.clone(), summary(s)));
    let (stage_sessions, next_token) = paginate(entries, input.next_token.as_deref(), max)?;
    Ok(ListStageSessionsResponse { stage_sessions, next_token })
}

pub fn get_stage_session(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetStageSessionRequest,
) -> Result<GetStageSessionResponse, ApiError> {
    let session = find(st, &input.stage_arn, &input.session_id)?;
    Ok(GetStageSessionResponse {
        stage_session: Some(StageSession {
            session_id: Some(session.session_id.clone()),
            start_time: Some(session.start_time),
            end_time: session.end_time,
        }),
    })
}

fn summary(s: &Record) -> StageSessionSummary {
    StageSessionSummary {
        session_id: Some(s.session_id.clone()),
        start_time: Some(s.start_time),
        end_time: s.end_time,
    }
}

/// The stage an ARN names in this scope, if any.
pub fn stage<'a>(st: &'a RegionState, arn: &str) -> Option<&'a Stage> {
    st.find_id(arn, ResourceType::Stage).and_then(|id| st.realtime.stages.get(&id))
}

/// A session of a stage, or AWS's 404.
pub fn find<'a>(
    st: &'a RegionState,
    stage_arn: &str,
    session_id: &str,
) -> Result<&'a Record, ApiError> {
    let stage = stage(st, stage_arn)
        .ok_or_else(|| ApiError::not_found(format!("Stage not found: {stage_arn}")))?;
    stage.sessions.iter().find(|s| s.session_id == session_id).ok_or_else(|| {
        ApiError::not_found(format!("Session {session_id} not found in stage {stage_arn}"))
    })
}

/// One page of a list that is built in order on each call (sessions newest first, a
/// participant's events oldest first): `nextToken` names the last key returned.
pub fn paginate<T>(
    entries: impl Iterator<Item = (String, T)>,
    next_token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let after = match page::start(next_token)?.0 {
        Bound::Excluded(key) => Some(key),
        _ => None,
    };
    let mut entries = entries.peekable();
    if let Some(after) = &after {
        // A token names a key of this list; skip to just past it.
        while entries.next_if(|(k, _)| k != after).is_some() {}
        if entries.next().is_none() {
            return Ok((Vec::new(), None));
        }
    }
    // Only as far as the page goes, and one past it to know whether another page follows.
    let mut items = Vec::with_capacity(max.min(128));
    let mut last = None;
    for (key, item) in entries {
        if items.len() == max {
            return Ok((items, last.map(|k: String| page::token(&k))));
        }
        items.push(item);
        last = Some(key);
    }
    Ok((items, None))
}
