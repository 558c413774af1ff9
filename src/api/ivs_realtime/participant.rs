//! Participants: ListParticipants, GetParticipant, ListParticipantEvents,
//! DisconnectParticipant.
//!
//! Participants exist once they join a stage (`/_ivs-local/stages/join`, an encoder through an
//! ingest configuration, or a replication); `sim::stages` keeps their records and events, and
//! these handlers read them. DisconnectParticipant goes through `sim::stages::leave` like any
//! other departure.
//!
//! LIMITATIONS: ListParticipants and ListParticipantEvents model no ResourceNotFoundException,
//! so an unknown stage, session or participant lists nothing. The `reason` of
//! DisconnectParticipant is accepted and not reported anywhere (AWS reports it nowhere in the
//! API either).

use super::session::{self, DEFAULT_MAX_RESULTS, paginate};
use crate::api::types::ivs_realtime::{
    DisconnectParticipantRequest, DisconnectParticipantResponse, GetParticipantRequest,
    GetParticipantResponse, IngestConfigurationState, ListParticipantEventsRequest,
    ListParticipantEventsResponse, ListParticipantsRequest, ListParticipantsResponse, Participant,
    ParticipantSummary,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::sim::stages;
use crate::store::RegionState;
use crate::store::page;

pub fn list_participants(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListParticipantsRequest,
) -> Result<ListParticipantsResponse, ApiError> {
    let filters = [
        input.filter_by_user_id.is_some(),
        input.filter_by_published.is_some(),
        input.filter_by_state.is_some(),
        input.filter_by_recording_state.is_some(),
    ];
    // The API reference: only one filterBy* may be given per request.
    if filters.iter().filter(|f| **f).count() > 1 {
        return Err(ApiError::validation(
            "Only one of filterByUserId, filterByPublished, filterByState and \
             filterByRecordingState may be provided.",
        ));
    }
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let Ok(session) = session::find(st, &input.stage_arn, &input.session_id) else {
        return Ok(ListParticipantsResponse { participants: Vec::new(), next_token: None });
    };
    let keep = |p: &Participant| {
        input.filter_by_user_id.as_ref().is_none_or(|u| p.user_id.as_ref() == Some(u))
            && input.filter_by_published.is_none_or(|b| p.published == Some(b))
            && input.filter_by_state.is_none_or(|s| p.state == Some(s))
            && input
                .filter_by_recording_state
                .is_none_or(|r| p.recording_state.is_some_and(|state| state.as_str() == r.as_str()))
    };
    // Participants are keyed by id, so a page costs O(page + log n) however many joined.
    let range = session.participants.range(page::start(input.next_token.as_deref())?);
    let page = page::collect(range, max, |p| keep(p));
    Ok(ListParticipantsResponse {
        participants: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn get_participant(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetParticipantRequest,
) -> Result<GetParticipantResponse, ApiError> {
    let session = session::find(st, &input.stage_arn, &input.session_id)?;
    let participant = session.participants.get(input.participant_id.as_str()).ok_or_else(|| {
        ApiError::not_found(format!(
            "Participant {} not found in session {} of stage {}",
            input.participant_id, input.session_id, input.stage_arn
        ))
    })?;
    Ok(GetParticipantResponse { participant: Some(participant.clone()) })
}

pub fn list_participant_events(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListParticipantEventsRequest,
) -> Result<ListParticipantEventsResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let events = session::find(st, &input.stage_arn, &input.session_id)
        .ok()
        .and_then(|s| s.events.get(&input.participant_id))
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Oldest first: the order they happened in.
    let entries = events.iter().enumerate().map(|(i, e)| (format!("{i:08}"), e.clone()));
    let (events, next_token) = paginate(entries, input.next_token.as_deref(), max)?;
    Ok(ListParticipantEventsResponse { events, next_token })
}

pub fn disconnect_participant(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DisconnectParticipantRequest,
) -> Result<DisconnectParticipantResponse, ApiError> {
    let stage_id = session::stage(st, &input.stage_arn)
        .ok_or_else(|| ApiError::not_found(format!("Stage not found: {}", input.stage_arn)))?
        .id
        .clone();
    let pid = &input.participant_id;
    let Some(connection) =
        stages::active_session(st, &stage_id).and_then(|s| s.connections.get(pid)).cloned()
    else {
        return Err(ApiError::not_found(format!(
            "Participant {pid} is not connected to stage {}",
            input.stage_arn
        )));
    };
    match &connection.ingest_configuration_id {
        // The operation's documentation: disconnecting an ingest configuration's participant
        // also detaches the configuration from the stage, so the encoder cannot reconnect.
        Some(ingest_id) => {
            if let Some(ingest) = st.realtime.ingest_configurations.get_mut(ingest_id) {
                ingest.stage_arn.clear();
                ingest.state = IngestConfigurationState::Inactive;
            }
        }
        // The token of a disconnected participant cannot join again. A replica's id is its
        // source's, whose token remains good for the source stage.
        None if connection.replica_of.is_none() => {
            let stage = st.realtime.stages.get_mut(&stage_id).expect("found above");
            stage.disconnected_participants.insert(pid.clone());
        }
        None => {}
    }
    stages::leave(st, &stage_id, pid);
    Ok(DisconnectParticipantResponse {})
}

fn summary(p: &Participant) -> ParticipantSummary {
    ParticipantSummary {
        participant_id: p.participant_id.clone(),
        user_id: p.user_id.clone(),
        state: p.state,
        first_join_time: p.first_join_time,
        published: p.published,
        recording_state: p.recording_state,
        replication_type: p.replication_type,
        replication_state: p.replication_state,
        source_stage_arn: p.source_stage_arn.clone(),
        source_session_id: p.source_session_id.clone(),
        redundant_ingest: p.redundant_ingest,
        ingest_configuration_arn: p.ingest_configuration_arn.clone(),
    }
}
