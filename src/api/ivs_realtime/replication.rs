//! Participant replication: StartParticipantReplication, StopParticipantReplication,
//! ListParticipantReplicas.
//!
//! A participant publishing in one stage is replicated into another, where it appears as a
//! REPLICA publishing the same media; the source shows SOURCE. The media side (joining the
//! destination, events) is `sim::stages::replicate`; these handlers check the request.
//!
//! LIMITATIONS: `reconnectWindowSeconds` is accepted and has no effect (nothing drops
//! offline); the quota of replications per participant is not enforced.

use super::session::{self, DEFAULT_MAX_RESULTS, paginate};
use crate::api::types::ivs_realtime::{
    ListParticipantReplicasRequest, ListParticipantReplicasResponse,
    StartParticipantReplicationRequest, StartParticipantReplicationResponse,
    StopParticipantReplicationRequest, StopParticipantReplicationResponse,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::sim::stages;
use crate::store::Key;
use crate::store::RegionState;

pub fn start_participant_replication(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: StartParticipantReplicationRequest,
) -> Result<StartParticipantReplicationResponse, ApiError> {
    let (source_id, destination_id) =
        stage_ids(st, &input.source_stage_arn, &input.destination_stage_arn)?;
    if source_id == destination_id {
        return Err(ApiError::validation("The source and destination stages must differ."));
    }
    let pid = &input.participant_id;
    let connection = stages::active_session(st, &source_id)
        .and_then(|s| s.connections.get(pid))
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Participant {pid} is not connected to stage {}",
                input.source_stage_arn
            ))
        })?;
    // The operation replicates a publishing participant (API reference).
    if !connection.publishing {
        return Err(ApiError::conflict(format!("Participant {pid} is not publishing.")));
    }
    if connection.replica_of.is_some() {
        return Err(ApiError::conflict(format!(
            "Participant {pid} is itself a replica; replicate it from its source stage."
        )));
    }
    if stages::active_replica(st, &source_id, pid, &input.destination_stage_arn).is_some() {
        return Err(ApiError::conflict(format!(
            "Participant {pid} is already replicated to {}.",
            input.destination_stage_arn
        )));
    }
    if stages::is_connected(st, &destination_id, pid) {
        return Err(ApiError::conflict(format!(
            "A participant {pid} is already connected to {}.",
            input.destination_stage_arn
        )));
    }
    stages::replicate(st, &source_id, &destination_id, pid, input.attributes)
        .map_err(|e| ApiError::conflict(e.message))?;
    Ok(StartParticipantReplicationResponse {})
}

pub fn stop_participant_replication(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: StopParticipantReplicationRequest,
) -> Result<StopParticipantReplicationResponse, ApiError> {
    let (source_id, destination_id) =
        stage_ids(st, &input.source_stage_arn, &input.destination_stage_arn)?;
    let pid = &input.participant_id;
    if stages::active_replica(st, &source_id, pid, &input.destination_stage_arn).is_none() {
        return Err(ApiError::not_found(format!(
            "Participant {pid} of {} is not replicated to {}",
            input.source_stage_arn, input.destination_stage_arn
        )));
    }
    stages::stop_replication(st, &source_id, pid, &destination_id);
    Ok(StopParticipantReplicationResponse {})
}

pub fn list_participant_replicas(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListParticipantReplicasRequest,
) -> Result<ListParticipantReplicasResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let sessions = session::stage(st, &input.source_stage_arn)
        .map(|s| s.sessions.as_slice())
        .unwrap_or_default();
    // Every replication of the participant from the stage, oldest first.
    let entries = sessions
        .iter()
        .filter_map(|s| Some((s.session_id.as_str(), s.replicas.get(&input.participant_id)?)))
        .flat_map(|(session_id, rs)| {
            rs.iter().enumerate().map(move |(i, r)| (format!("{session_id}/{i:06}"), r.clone()))
        });
    let (replicas, next_token) = paginate(entries, input.next_token.as_deref(), max)?;
    Ok(ListParticipantReplicasResponse { replicas, next_token })
}

/// The ids of the source and destination stages, which must exist.
fn stage_ids(st: &RegionState, source: &str, destination: &str) -> Result<(Key, Key), ApiError> {
    let id = |arn: &str| {
        session::stage(st, arn)
            .map(|s| s.id.clone())
            .ok_or_else(|| ApiError::not_found(format!("Stage not found: {arn}")))
    };
    Ok((id(source)?, id(destination)?))
}
