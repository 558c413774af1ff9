//! Stage sessions and participants: people joining stages with tokens, publishing and
//! leaving; encoders publishing through ingest configurations; participants replicated from
//! one stage to another. Served at `/_ivs-local/stages/{join,update,leave}` and read back by
//! the ivs-realtime handlers (ListStageSessions, ListParticipants, ListParticipantEvents, ...).
//!
//! Every change of who is connected goes through [`join`], [`set_publishing`],
//! [`set_subscribing`] and [`leave`], which keep the session, the participant records, the
//! participant events and the `IVS Stage Update` EventBridge events in step. The ivs-realtime
//! handlers call the hooks here where a resource change affects what is connected (deleting a
//! stage ends its session, ...), so each rule lives in one place. Nothing here parses HTTP
//! beyond the three control routes, and nothing here answers an AWS operation.
//!
//! LIMITATIONS: participants never drop on their own (no network, no token expiry while
//! connected); a stage session ends as soon as its last participant leaves (AWS keeps it a
//! little longer); client details (browser, OS, ISP, SDK version) are never reported;
//! participant recording goes straight to ACTIVE and STOPPED, without STARTING or STOPPING.

use crate::api::types::Timestamp;
use crate::api::types::ivs_realtime::{
    Event, EventErrorCode, EventName, IngestConfigurationState, IngestProtocol, Participant,
    ParticipantProtocol, ParticipantRecordingState, ParticipantReplica, ReplicationState,
    ReplicationType,
};
use crate::server::App;
use crate::sim::{ControlError, parse_body};
use crate::store::Key;
use crate::store::RegionState;
use crate::store::arn::{Arn, ResourceType};
use crate::store::ivs_realtime::{Connection, StageSession};
use crate::tokens::{Jwt, parse_public_key};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The EventBridge detail-type of a stage's publishing and replication events.
const STAGE_UPDATE: &str = "IVS Stage Update";
/// The EventBridge detail-type of a participant's recording starting and ending.
const RECORDING_STATE_CHANGE: &str = "IVS Participant Recording State Change";

/// Who is joining a stage, and with what rights.
#[derive(Debug, Clone)]
pub struct Joiner {
    pub participant_id: String,
    pub user_id: String,
    pub attributes: BTreeMap<String, String>,
    pub allow_publish: bool,
    pub allow_subscribe: bool,
    pub protocol: ParticipantProtocol,
    /// Set for an encoder publishing through an ingest configuration.
    pub ingest_configuration_id: Option<String>,
    /// Set for a replica: the source's stage id and session id.
    pub replica_of: Option<(String, String)>,
}

// ---------------------------------------------------------------------------------------------
// Hooks called by the ivs-realtime handlers.
// ---------------------------------------------------------------------------------------------

/// Everyone connected to the stage with id `stage_id` is disconnected, its session ends and
/// its compositions stop: what DeleteStage does before the stage is removed.
pub fn on_stage_deleted(st: &mut RegionState, stage_id: &str) {
    let Some(stage) = st.realtime.stages.get(stage_id) else { return };
    let stage_arn = stage.arn.clone();
    let connected: Vec<String> = active_session(st, stage_id)
        .map(|s| s.connections.keys().cloned().collect())
        .unwrap_or_default();
    for participant_id in connected {
        if let Some(ingest_id) = ingest_of(st, stage_id, &participant_id) {
            // AWS's DeleteStage documentation: the configuration loses its stageArn when its
            // encoder was publishing to the deleted stage.
            if let Some(ingest) = st.realtime.ingest_configurations.get_mut(&ingest_id) {
                ingest.stage_arn.clear();
                ingest.state = IngestConfigurationState::Inactive;
            }
        }
        leave(st, stage_id, &participant_id);
    }
    // Compositions stop as StopComposition stops them (their channel goes offline, their
    // events are logged): one rule, owned by the composition module.
    let compositions: Vec<Key> = st
        .realtime
        .compositions
        .iter()
        .filter(|(_, c)| c.composition.stage_arn == stage_arn)
        .map(|(id, _)| id.clone())
        .collect();
    for id in compositions {
        crate::api::ivs_realtime::composition::stop(st, &id);
    }
}

/// Whether a participant of the stage's active session is being recorded now (UpdateStage
/// may not change the recording configuration then).
pub fn recording_active(st: &RegionState, stage_id: &str) -> bool {
    active_session(st, stage_id).is_some_and(|s| {
        s.participants
            .values()
            .any(|p| p.recording_state == Some(ParticipantRecordingState::Active))
    })
}

/// The encoder publishing with the ingest configuration `ingest_id`, if any, is disconnected:
/// what a forced DeleteIngestConfiguration does before the configuration is removed.
pub fn on_ingest_configuration_deleted(st: &mut RegionState, ingest_id: &str) {
    let _ = ingest_disconnect(st, ingest_id);
}

/// An encoder connecting with the stream key of the ingest configuration `ingest_id` over
/// `protocol` (`RTMPS` or `RTMP`): the configuration goes ACTIVE and its participant joins the
/// attached stage, publishing. Answers the control API's JSON (`ingestConfigurationArn`,
/// `stageArn`, `sessionId`, `participantId`).
pub fn ingest_connect(
    st: &mut RegionState,
    ingest_id: &str,
    protocol: &str,
) -> Result<serde_json::Value, crate::sim::ControlError> {
    let Some(ingest) = st.realtime.ingest_configurations.get(ingest_id) else {
        return Err(ControlError::not_found(format!("No ingest configuration {ingest_id}.")));
    };
    let protocol = match protocol {
        "RTMPS" => IngestProtocol::Rtmps,
        "RTMP" => IngestProtocol::Rtmp,
        other => {
            return Err(ControlError::bad_request(format!(
                "Stages take RTMPS or RTMP from encoders, not {other}."
            )));
        }
    };
    // The stream key works on the configuration's own protocol; plain RTMP also works on an
    // RTMPS configuration that allows insecure ingest (the field documentation of
    // insecureIngest), never the other way round. AWS reports the refusals as participant
    // errors INVALID_PROTOCOL and REUSE_OF_STREAM_KEY (API reference, Event.errorCode); they
    // are recorded as JOIN_ERRORs when the attached stage has a session to hold them.
    let refusal = if protocol != ingest.ingest_protocol
        && !(protocol == IngestProtocol::Rtmp && ingest.insecure_ingest)
    {
        Some((
            EventErrorCode::InvalidProtocol,
            ControlError::forbidden(format!(
                "Ingest configuration {} takes {}, not {}.",
                ingest.arn,
                ingest.ingest_protocol.as_str(),
                protocol.as_str()
            )),
        ))
    } else if ingest.state == IngestConfigurationState::Active {
        Some((
            EventErrorCode::ReuseOfStreamKey,
            ControlError::conflict(format!(
                "An encoder is already publishing with the stream key of {}.",
                ingest.arn
            )),
        ))
    } else {
        None
    };
    if let Some((code, error)) = refusal {
        let pid = ingest.participant_id.clone();
        if let Some(stage_id) = st.find_id(&ingest.stage_arn, ResourceType::Stage) {
            join_error(st, &stage_id, &pid, Some(code));
        }
        return Err(error);
    }
    if ingest.stage_arn.is_empty() {
        return Err(ControlError::conflict(format!(
            "Ingest configuration {} is attached to no stage.",
            ingest.arn
        )));
    }
    let Some(stage_id) = st
        .find_id(&ingest.stage_arn, ResourceType::Stage)
        .filter(|id| st.realtime.stages.contains_key(id))
    else {
        return Err(ControlError::not_found(format!("Stage not found: {}", ingest.stage_arn)));
    };
    let joiner = Joiner {
        participant_id: ingest.participant_id.clone(),
        user_id: ingest.user_id.clone(),
        attributes: ingest.attributes.clone(),
        allow_publish: true,
        allow_subscribe: false,
        protocol: match protocol {
            IngestProtocol::Rtmp => ParticipantProtocol::Rtmp,
            IngestProtocol::Rtmps => ParticipantProtocol::Rtmps,
        },
        ingest_configuration_id: Some(ingest_id.to_string()),
        replica_of: None,
    };
    let (ingest_arn, stage_arn) = (ingest.arn.clone(), ingest.stage_arn.clone());
    let session_id = join(st, &stage_id, joiner.clone(), true, false)?;
    if let Some(ingest) = st.realtime.ingest_configurations.get_mut(ingest_id) {
        ingest.state = IngestConfigurationState::Active;
    }
    Ok(json!({
        "ingestConfigurationArn": ingest_arn,
        "stageArn": stage_arn,
        "sessionId": session_id,
        "participantId": joiner.participant_id,
    }))
}

/// The encoder of the ingest configuration `ingest_id` hanging up: the configuration goes
/// INACTIVE and its participant leaves the stage.
pub fn ingest_disconnect(
    st: &mut RegionState,
    ingest_id: &str,
) -> Result<serde_json::Value, crate::sim::ControlError> {
    let Some(ingest) = st.realtime.ingest_configurations.get_mut(ingest_id) else {
        return Err(ControlError::not_found(format!("No ingest configuration {ingest_id}.")));
    };
    if ingest.state != IngestConfigurationState::Active {
        return Err(ControlError::conflict(format!(
            "No encoder is publishing with the stream key of {}.",
            ingest.arn
        )));
    }
    ingest.state = IngestConfigurationState::Inactive;
    let ingest_arn = ingest.arn.clone();
    let participant_id = ingest.participant_id.clone();
    // The participant may be in a stage other than the configuration's current one (it
    // cannot change while ACTIVE, but DisconnectParticipant detaches it); find it by its
    // connection.
    let mut left = None;
    let stage_ids: Vec<Key> = st.realtime.stages.keys().cloned().collect();
    for stage_id in stage_ids {
        if ingest_of(st, &stage_id, &participant_id).as_deref() == Some(ingest_id) {
            let session_id = active_session(st, &stage_id).map(|s| s.session_id.clone());
            leave(st, &stage_id, &participant_id);
            left = Some((st.realtime.stages[&stage_id].arn.clone(), session_id));
            break;
        }
    }
    let (stage_arn, session_id) = left.unwrap_or_default();
    Ok(json!({
        "ingestConfigurationArn": ingest_arn,
        "stageArn": stage_arn,
        "sessionId": session_id,
        "participantId": participant_id,
    }))
}

// ---------------------------------------------------------------------------------------------
// Sessions and participants: the one place who is connected changes.
// ---------------------------------------------------------------------------------------------

/// The stage's session in progress, if any.
pub fn active_session<'a>(st: &'a RegionState, stage_id: &str) -> Option<&'a StageSession> {
    let stage = st.realtime.stages.get(stage_id)?;
    let id = stage.active_session_id.as_deref()?;
    stage.sessions.iter().rev().find(|s| s.session_id == id)
}

fn active_session_mut<'a>(st: &'a mut RegionState, stage_id: &str) -> Option<&'a mut StageSession> {
    let stage = st.realtime.stages.get_mut(stage_id)?;
    let id = stage.active_session_id.clone()?;
    stage.sessions.iter_mut().rev().find(|s| s.session_id == id)
}

fn ingest_of(st: &RegionState, stage_id: &str, participant_id: &str) -> Option<String> {
    active_session(st, stage_id)?.connections.get(participant_id)?.ingest_configuration_id.clone()
}

/// Whether `participant_id` is connected to the stage now.
pub fn is_connected(st: &RegionState, stage_id: &str, participant_id: &str) -> bool {
    active_session(st, stage_id).is_some_and(|s| s.connections.contains_key(participant_id))
}

/// Connects a participant to the stage with id `stage_id`, starting a session if none is in
/// progress, and answers the session id. The caller has checked the participant's right to
/// join; this checks what depends on the stage's state.
pub fn join(
    st: &mut RegionState,
    stage_id: &str,
    joiner: Joiner,
    publish: bool,
    subscribe: bool,
) -> Result<String, ControlError> {
    let Some(stage) = st.realtime.stages.get(stage_id) else {
        return Err(ControlError::not_found(format!("No stage with id {stage_id}.")));
    };
    let stage_arn = stage.arn.clone();
    let pid = joiner.participant_id.clone();
    if is_connected(st, stage_id, &pid) {
        return Err(ControlError::conflict(format!(
            "Participant {pid} is already connected to stage {stage_arn}."
        )));
    }
    let refusal = if publish && !joiner.allow_publish {
        Some("publish")
    } else if subscribe && !joiner.allow_subscribe {
        Some("subscribe")
    } else {
        None
    };
    if let Some(what) = refusal {
        join_error(st, stage_id, &pid, Some(EventErrorCode::InsufficientCapabilities));
        return Err(ControlError::forbidden(format!(
            "The token of participant {pid} does not allow it to {what}."
        )));
    }

    let now = Timestamp::now();
    if active_session(st, stage_id).is_none() {
        let session_id = format!("st-{}", st.ids.alphanumeric(13));
        let stage = st.realtime.stages.get_mut(stage_id).expect("checked above");
        stage.active_session_id = Some(session_id.clone());
        stage.sessions.push(StageSession {
            session_id: session_id.clone(),
            start_time: now,
            end_time: None,
            participants: BTreeMap::new(),
            events: BTreeMap::new(),
            connections: BTreeMap::new(),
            replicas: BTreeMap::new(),
        });
    }
    let recording = recording_target(st, stage_id)
        .filter(|_| joiner.replica_of.is_none() || records_replicas(st, stage_id));
    let source_stage_arn =
        joiner.replica_of.as_ref().map(|(id, _)| st.arn(ResourceType::Stage, id).to_string());
    let session = active_session_mut(st, stage_id).expect("started above");
    let session_id = session.session_id.clone();
    let participant =
        session.participants.entry(pid.as_str().into()).or_insert_with(|| Participant {
            participant_id: Some(pid.clone()),
            first_join_time: Some(now),
            published: Some(false),
            ..Default::default()
        });
    // A participant rejoining the session keeps its first join time and `published`.
    participant.state = Some(crate::api::types::ivs_realtime::ParticipantState::Connected);
    participant.user_id = Some(joiner.user_id.clone());
    participant.attributes = Some(joiner.attributes.clone());
    participant.protocol = Some(joiner.protocol);
    // Recording starts when the participant publishes (set_publishing); until then a
    // recorded participant is STOPPED, one of a stage that does not record DISABLED.
    match &recording {
        Some((bucket, _)) => {
            participant.recording_s3_bucket_name = Some(bucket.clone());
            participant.recording_s3_prefix = Some(format!("{stage_id}/{session_id}/{pid}"));
            participant.recording_state = Some(ParticipantRecordingState::Stopped);
        }
        None => participant.recording_state = Some(ParticipantRecordingState::Disabled),
    }
    match &joiner.replica_of {
        Some((_, source_session_id)) => {
            participant.replication_type = Some(ReplicationType::Replica);
            participant.replication_state = Some(ReplicationState::Active);
            participant.source_stage_arn = source_stage_arn;
            participant.source_session_id = Some(source_session_id.clone());
        }
        // A participant keeps SOURCE once it has been replicated in this session; one that was
        // a replica here and comes back on its own token is an ordinary participant.
        None if participant.replication_type == Some(ReplicationType::Source) => {}
        None => {
            participant.replication_type = Some(ReplicationType::None);
            participant.replication_state = None;
            participant.source_stage_arn = None;
            participant.source_session_id = None;
        }
    }
    session.connections.insert(
        pid.clone(),
        Connection {
            allow_publish: joiner.allow_publish,
            allow_subscribe: joiner.allow_subscribe,
            publishing: false,
            subscribing: false,
            ingest_configuration_id: joiner.ingest_configuration_id.clone(),
            replica_of: joiner.replica_of.clone(),
        },
    );
    if let Some(ingest_id) = &joiner.ingest_configuration_id {
        let arn = st.arn(ResourceType::IngestConfiguration, ingest_id).to_string();
        let redundant =
            st.realtime.ingest_configurations.get(ingest_id.as_str()).map(|i| i.redundant_ingest);
        let p = participant_mut(st, stage_id, &pid).expect("inserted above");
        p.ingest_configuration_arn = Some(arn);
        p.redundant_ingest = redundant;
    }
    record(st, stage_id, &pid, EventName::Joined, None, None);
    if publish {
        set_publishing(st, stage_id, &pid, true)?;
    }
    if subscribe {
        set_subscribing(st, stage_id, &pid, true)?;
    }
    Ok(session_id)
}

/// The bucket and storage-configuration ARN participants of the stage are recorded to, when
/// the stage records them.
fn recording_target(st: &RegionState, stage_id: &str) -> Option<(String, String)> {
    let stage = st.realtime.stages.get(stage_id)?;
    let arn = &stage.auto_participant_recording_configuration.storage_configuration_arn;
    if arn.is_empty() {
        return None;
    }
    let bucket = st
        .find_id(arn, ResourceType::StorageConfiguration)
        .and_then(|id| st.realtime.storage_configurations.get(&id))
        .map(|s| s.bucket_name.clone())
        .unwrap_or_default();
    Some((bucket, arn.clone()))
}

/// Whether replicas are recorded too (`recordParticipantReplicas`, default true).
fn records_replicas(st: &RegionState, stage_id: &str) -> bool {
    st.realtime.stages.get(stage_id).is_none_or(|s| {
        s.auto_participant_recording_configuration.record_participant_replicas.unwrap_or(true)
    })
}

fn participant_mut<'a>(
    st: &'a mut RegionState,
    stage_id: &str,
    participant_id: &str,
) -> Option<&'a mut Participant> {
    active_session_mut(st, stage_id)?.participants.get_mut(participant_id)
}

/// Starts or stops a connected participant's publishing. Subscribers of the stage start or
/// stop receiving it, with their SUBSCRIBE events naming it as the remote participant.
pub fn set_publishing(
    st: &mut RegionState,
    stage_id: &str,
    participant_id: &str,
    publish: bool,
) -> Result<(), ControlError> {
    let Some(conn) = connection(st, stage_id, participant_id) else {
        return Err(not_connected(st, stage_id, participant_id));
    };
    if conn.publishing == publish {
        return Ok(());
    }
    if publish && !conn.allow_publish {
        record(
            st,
            stage_id,
            participant_id,
            EventName::PublishError,
            None,
            Some(EventErrorCode::InsufficientCapabilities),
        );
        return Err(ControlError::forbidden(format!(
            "The token of participant {participant_id} does not allow it to publish."
        )));
    }
    let session = active_session_mut(st, stage_id).expect("connected");
    session.connections.get_mut(participant_id).expect("connected").publishing = publish;
    let p = session.participants.get_mut(participant_id).expect("connected");
    // `published` says whether the participant ever published in the session (API reference
    // of Participant), so it stays true after publishing stops.
    if publish {
        p.published = Some(true);
    }
    // Recorded participants (recording state not DISABLED since they joined) record while
    // they publish.
    let mut recording_change = None;
    if p.recording_state != Some(ParticipantRecordingState::Disabled) {
        let state = if publish {
            ParticipantRecordingState::Active
        } else {
            ParticipantRecordingState::Stopped
        };
        if p.recording_state != Some(state) {
            let name = if publish { "Recording Start" } else { "Recording End" };
            let detail = json!({
                "session_id": session.session_id,
                "participant_id": participant_id,
                "user_id": p.user_id.clone().unwrap_or_default(),
                "event_name": name,
                "recording_s3_bucket_name": p.recording_s3_bucket_name,
                "recording_s3_key_prefix": p.recording_s3_prefix,
            });
            recording_change = Some(detail);
        }
        p.recording_state = Some(state);
    }
    let subscribers: Vec<String> = session
        .connections
        .iter()
        .filter(|(id, c)| c.subscribing && id.as_str() != participant_id)
        .map(|(id, _)| id.clone())
        .collect();
    if publish {
        record(st, stage_id, participant_id, EventName::PublishStarted, None, None);
    }
    if let Some(detail) = recording_change {
        let stage_arn = st.realtime.stages[stage_id].arn.clone();
        st.events.push(
            &st.scope,
            RECORDING_STATE_CHANGE,
            Timestamp::now(),
            vec![stage_arn],
            detail,
        );
    }
    let name = if publish { EventName::SubscribeStarted } else { EventName::SubscribeStopped };
    for subscriber in subscribers {
        record(st, stage_id, &subscriber, name, Some(participant_id), None);
    }
    if !publish {
        record(st, stage_id, participant_id, EventName::PublishStopped, None, None);
        // A participant that stops publishing stops being replicated.
        stop_replicas_of(st, stage_id, participant_id);
    }
    Ok(())
}

/// Starts or stops a connected participant's subscribing: it receives every publisher of the
/// stage, one SUBSCRIBE event per publisher.
pub fn set_subscribing(
    st: &mut RegionState,
    stage_id: &str,
    participant_id: &str,
    subscribe: bool,
) -> Result<(), ControlError> {
    let Some(conn) = connection(st, stage_id, participant_id) else {
        return Err(not_connected(st, stage_id, participant_id));
    };
    if conn.subscribing == subscribe {
        return Ok(());
    }
    if subscribe && !conn.allow_subscribe {
        record(
            st,
            stage_id,
            participant_id,
            EventName::SubscribeError,
            None,
            Some(EventErrorCode::InsufficientCapabilities),
        );
        return Err(ControlError::forbidden(format!(
            "The token of participant {participant_id} does not allow it to subscribe."
        )));
    }
    let session = active_session_mut(st, stage_id).expect("connected");
    session.connections.get_mut(participant_id).expect("connected").subscribing = subscribe;
    let publishers: Vec<String> = session
        .connections
        .iter()
        .filter(|(id, c)| c.publishing && id.as_str() != participant_id)
        .map(|(id, _)| id.clone())
        .collect();
    let name = if subscribe { EventName::SubscribeStarted } else { EventName::SubscribeStopped };
    for publisher in publishers {
        record(st, stage_id, participant_id, name, Some(&publisher), None);
    }
    Ok(())
}

/// Disconnects a participant: it stops publishing and subscribing, its replicas leave their
/// stages, and the session ends when it was the last one connected. Nothing happens when it
/// is not connected.
pub fn leave(st: &mut RegionState, stage_id: &str, participant_id: &str) {
    let Some(conn) = connection(st, stage_id, participant_id) else { return };
    let _ = set_subscribing(st, stage_id, participant_id, false);
    let _ = set_publishing(st, stage_id, participant_id, false);
    stop_replicas_of(st, stage_id, participant_id);
    if let Some((source_stage_id, _)) = &conn.replica_of {
        // A replica leaving ends its replication on the source side.
        let dest_arn = st.realtime.stages[stage_id].arn.clone();
        mark_replica_stopped(st, source_stage_id, participant_id, &dest_arn);
        if let Some(p) = participant_mut(st, stage_id, participant_id) {
            p.replication_state = Some(ReplicationState::Stopped);
        }
    }
    let session = active_session_mut(st, stage_id).expect("connected");
    session.connections.remove(participant_id);
    let empty = session.connections.is_empty();
    if let Some(p) = session.participants.get_mut(participant_id) {
        p.state = Some(crate::api::types::ivs_realtime::ParticipantState::Disconnected);
    }
    record(st, stage_id, participant_id, EventName::Left, None, None);
    if empty {
        let now = Timestamp::now();
        let stage = st.realtime.stages.get_mut(stage_id).expect("connected");
        let session_id = stage.active_session_id.take().expect("connected");
        if let Some(s) = stage.sessions.iter_mut().rev().find(|s| s.session_id == session_id) {
            s.end_time = Some(now);
        }
    }
}

fn connection(st: &RegionState, stage_id: &str, participant_id: &str) -> Option<Connection> {
    active_session(st, stage_id)?.connections.get(participant_id).cloned()
}

fn not_connected(st: &RegionState, stage_id: &str, participant_id: &str) -> ControlError {
    let arn = st.realtime.stages.get(stage_id).map(|s| s.arn.as_str()).unwrap_or(stage_id);
    ControlError::not_found(format!(
        "Participant {participant_id} is not connected to stage {arn}."
    ))
}

// ---------------------------------------------------------------------------------------------
// Replication.
// ---------------------------------------------------------------------------------------------

/// Replicates a participant publishing in `source_stage_id` into `destination_stage_id`, where
/// it joins as a REPLICA publishing the same media. The caller checked that the participant is
/// connected and publishing and that no replication to that stage is active.
pub fn replicate(
    st: &mut RegionState,
    source_stage_id: &str,
    destination_stage_id: &str,
    participant_id: &str,
    attributes: Option<BTreeMap<String, String>>,
) -> Result<(), ControlError> {
    let source_session = active_session(st, source_stage_id).expect("caller checked");
    let source_session_id = source_session.session_id.clone();
    let source = source_session.participants[participant_id].clone();
    let joiner = Joiner {
        participant_id: participant_id.to_string(),
        user_id: source.user_id.clone().unwrap_or_default(),
        attributes: attributes.or(source.attributes).unwrap_or_default(),
        allow_publish: true,
        allow_subscribe: false,
        protocol: source.protocol.unwrap_or(ParticipantProtocol::Unknown),
        ingest_configuration_id: None,
        replica_of: Some((source_stage_id.to_string(), source_session_id.clone())),
    };
    let destination_session_id = join(st, destination_stage_id, joiner, true, false)?;
    let source_arn = st.realtime.stages[source_stage_id].arn.clone();
    let destination_arn = st.realtime.stages[destination_stage_id].arn.clone();
    let session = active_session_mut(st, source_stage_id).expect("caller checked");
    session.replicas.entry(participant_id.to_string()).or_default().push(ParticipantReplica {
        source_stage_arn: source_arn,
        source_session_id,
        destination_stage_arn: destination_arn.clone(),
        destination_session_id: destination_session_id.clone(),
        participant_id: participant_id.to_string(),
        replication_state: ReplicationState::Active,
    });
    let p = session.participants.get_mut(participant_id).expect("caller checked");
    p.replication_type = Some(ReplicationType::Source);
    p.replication_state = Some(ReplicationState::Active);
    record_replication(
        st,
        source_stage_id,
        participant_id,
        EventName::ReplicationStarted,
        &destination_arn,
        &destination_session_id,
    );
    Ok(())
}

/// The replication of a participant of `source_stage_id` to the stage `destination_arn`, if
/// active.
pub fn active_replica<'a>(
    st: &'a RegionState,
    source_stage_id: &str,
    participant_id: &str,
    destination_arn: &str,
) -> Option<&'a ParticipantReplica> {
    active_session(st, source_stage_id)?.replicas.get(participant_id)?.iter().find(|r| {
        r.destination_stage_arn == destination_arn
            && r.replication_state == ReplicationState::Active
    })
}

/// Ends a replication: the replica leaves the destination stage.
pub fn stop_replication(
    st: &mut RegionState,
    source_stage_id: &str,
    participant_id: &str,
    destination_stage_id: &str,
) {
    let destination_arn = st.realtime.stages[destination_stage_id].arn.clone();
    mark_replica_stopped(st, source_stage_id, participant_id, &destination_arn);
    let is_replica = connection(st, destination_stage_id, participant_id)
        .is_some_and(|c| c.replica_of.as_ref().is_some_and(|(s, _)| s == source_stage_id));
    if is_replica {
        if let Some(p) = participant_mut(st, destination_stage_id, participant_id) {
            p.replication_state = Some(ReplicationState::Stopped);
        }
        leave(st, destination_stage_id, participant_id);
    }
}

/// Stops every active replication of a participant of `stage_id`.
fn stop_replicas_of(st: &mut RegionState, stage_id: &str, participant_id: &str) {
    let destinations: Vec<String> = active_session(st, stage_id)
        .and_then(|s| s.replicas.get(participant_id))
        .map(|rs| {
            rs.iter()
                .filter(|r| r.replication_state == ReplicationState::Active)
                .map(|r| r.destination_stage_arn.clone())
                .collect()
        })
        .unwrap_or_default();
    for arn in destinations {
        match st.find_id(&arn, ResourceType::Stage).filter(|id| st.realtime.stages.contains_key(id))
        {
            Some(destination_id) => stop_replication(st, stage_id, participant_id, &destination_id),
            None => mark_replica_stopped(st, stage_id, participant_id, &arn),
        }
    }
}

/// Marks the replication of a participant of `source_stage_id` to `destination_arn` stopped,
/// with its REPLICATION_STOPPED event, if it is active.
fn mark_replica_stopped(
    st: &mut RegionState,
    source_stage_id: &str,
    participant_id: &str,
    destination_arn: &str,
) {
    let Some(session) = active_session_mut(st, source_stage_id) else { return };
    let Some(replicas) = session.replicas.get_mut(participant_id) else { return };
    let Some(replica) = replicas.iter_mut().find(|r| {
        r.destination_stage_arn == destination_arn
            && r.replication_state == ReplicationState::Active
    }) else {
        return;
    };
    replica.replication_state = ReplicationState::Stopped;
    let destination_session_id = replica.destination_session_id.clone();
    let any_active = replicas.iter().any(|r| r.replication_state == ReplicationState::Active);
    if let Some(p) = session.participants.get_mut(participant_id).filter(|_| !any_active) {
        p.replication_state = Some(ReplicationState::Stopped);
    }
    record_replication(
        st,
        source_stage_id,
        participant_id,
        EventName::ReplicationStopped,
        destination_arn,
        &destination_session_id,
    );
}

// ---------------------------------------------------------------------------------------------
// Events: the participant events of ListParticipantEvents and the EventBridge events.
// ---------------------------------------------------------------------------------------------

/// Records a participant event in the stage's active session and sends its EventBridge
/// counterpart.
fn record(
    st: &mut RegionState,
    stage_id: &str,
    participant_id: &str,
    name: EventName,
    remote: Option<&str>,
    error: Option<EventErrorCode>,
) {
    let Some(session) = active_session(st, stage_id) else { return };
    let is_replica = |id: &str| {
        session
            .participants
            .get(id)
            .is_some_and(|p| p.replication_type == Some(ReplicationType::Replica))
    };
    // For a subscribe event `replica` describes the remote participant (API doc of Event).
    let replica = match remote {
        Some(remote) => is_replica(remote),
        None => is_replica(participant_id),
    };
    let event = Event {
        name: Some(name),
        participant_id: Some(participant_id.to_string()),
        event_time: Some(Timestamp::now()),
        remote_participant_id: remote.map(str::to_string),
        error_code: error,
        replica: Some(replica),
        ..Default::default()
    };
    push(st, stage_id, event);
}

fn record_replication(
    st: &mut RegionState,
    stage_id: &str,
    participant_id: &str,
    name: EventName,
    destination_arn: &str,
    destination_session_id: &str,
) {
    let event = Event {
        name: Some(name),
        participant_id: Some(participant_id.to_string()),
        event_time: Some(Timestamp::now()),
        destination_stage_arn: Some(destination_arn.to_string()),
        destination_session_id: Some(destination_session_id.to_string()),
        replica: Some(false),
        ..Default::default()
    };
    push(st, stage_id, event);
}

/// A join refused by the stage itself: recorded when a session is in progress to hold it.
fn join_error(
    st: &mut RegionState,
    stage_id: &str,
    participant_id: &str,
    error: Option<EventErrorCode>,
) {
    let Some(session) = active_session_mut(st, stage_id) else { return };
    let event = Event {
        name: Some(EventName::JoinError),
        participant_id: Some(participant_id.to_string()),
        event_time: Some(Timestamp::now()),
        error_code: error,
        replica: Some(false),
        ..Default::default()
    };
    // A refused join is a participant event only: AWS documents no EventBridge event for it.
    session.events.entry(participant_id.to_string()).or_default().push(event);
}

fn push(st: &mut RegionState, stage_id: &str, event: Event) {
    let stage_arn = st.realtime.stages[stage_id].arn.clone();
    let Some(session) = active_session_mut(st, stage_id) else { return };
    let participant_id = event.participant_id.clone().unwrap_or_default();
    let user_id = session
        .participants
        .get(participant_id.as_str())
        .and_then(|p| p.user_id.clone())
        .unwrap_or_default();
    let session_id = session.session_id.clone();
    let time = event.event_time.unwrap_or_else(Timestamp::now);
    let bridge = event.name.and_then(bridge_name).map(|event_name| {
        let mut detail = json!({
            "session_id": session_id,
            "event_name": event_name,
            "user_id": user_id,
            "participant_id": participant_id,
        });
        if let Some(remote) = &event.remote_participant_id {
            detail["remote_participant_id"] = json!(remote);
        }
        if let Some(code) = event.error_code {
            detail["error_code"] = json!(code.as_str());
        }
        detail
    });
    session.events.entry(participant_id).or_default().push(event);
    if let Some(detail) = bridge {
        st.events.push(&st.scope, STAGE_UPDATE, time, vec![stage_arn], detail);
    }
}

/// The `event_name` of the `IVS Stage Update` event a participant event sends. AWS's "Using
/// Amazon EventBridge with IVS Real-Time Streaming" page lists exactly these five; joining,
/// leaving, subscribing and sessions starting or ending are reported by
/// ListParticipantEvents and ListStageSessions only.
fn bridge_name(name: EventName) -> Option<&'static str> {
    Some(match name {
        EventName::PublishStarted => "Participant Published",
        EventName::PublishStopped => "Participant Unpublished",
        EventName::PublishError => "Participant Publish Error",
        EventName::ReplicationStarted => "Participant Replication Started",
        EventName::ReplicationStopped => "Participant Replication Stopped",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// The control routes.
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JoinRequest {
    token: String,
    #[serde(default)]
    publish: bool,
    #[serde(default)]
    subscribe: bool,
    /// `WHIP` (default) or another protocol the participant says it uses.
    protocol: Option<ParticipantProtocol>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateRequest {
    stage_arn: String,
    participant_id: String,
    publish: Option<bool>,
    subscribe: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LeaveRequest {
    stage_arn: String,
    participant_id: String,
}

/// `POST /_ivs-local/stages/join`.
pub async fn join_route(State(app): State<Arc<App>>, body: Bytes) -> Response {
    respond(join_with_token(&app, &body))
}

/// `POST /_ivs-local/stages/update`.
pub async fn update_route(State(app): State<Arc<App>>, body: Bytes) -> Response {
    respond(update_participant(&app, &body))
}

/// `POST /_ivs-local/stages/leave`.
pub async fn leave_route(State(app): State<Arc<App>>, body: Bytes) -> Response {
    respond(leave_stage(&app, &body))
}

fn respond(result: Result<Value, ControlError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Joins as the real-time service admits a participant (reference 6.1, 6.2): a token it
/// issued (`alg` `KMS`, checked with the server's key) or one signed by the customer (`alg`
/// `ES384`, `kid` the ARN of a public key imported in the stage's account and region), not
/// expired, for a stage that exists, not disconnected by DisconnectParticipant, with the
/// capabilities it asks to use.
fn join_with_token(app: &App, body: &[u8]) -> Result<Value, ControlError> {
    let request: JoinRequest = parse_body(body)?;
    let jwt = Jwt::parse(request.token.trim()).map_err(ControlError::forbidden)?;
    let resource = jwt.claim("resource").and_then(Value::as_str).unwrap_or_default();
    let stage_arn = Arn::parse(resource)
        .ok()
        .filter(|a| a.resource_type == ResourceType::Stage)
        .ok_or_else(|| {
            ControlError::forbidden(format!(
                "The token's resource claim '{resource}' is not a stage ARN."
            ))
        })?;
    // Only a stage that exists can be joined, so a token naming a new region or account makes
    // no scope.
    let scope = app.store.scope_or_scratch(&stage_arn.account, &stage_arn.region);
    let mut st = scope.write();
    // Token problems (signature, expiry) send no participant event: AWS's monitoring guide
    // says token signature errors are not reported as events, only to the client.
    verify_signature(&st, &jwt)?;
    let topic = jwt.claim("topic").and_then(Value::as_str);
    if topic.is_some_and(|t| t != stage_arn.id) {
        return Err(ControlError::forbidden(format!(
            "The token's topic claim '{}' is not the id of the stage its resource claim names.",
            topic.unwrap_or_default()
        )));
    }
    let exp = jwt.claim("exp").and_then(|e| e.as_i64().or(e.as_f64().map(|f| f as i64)));
    let exp = exp.ok_or_else(|| {
        ControlError::forbidden("The token has no exp claim (seconds since the epoch).")
    })?;
    if exp <= Timestamp::now().secs() {
        return Err(ControlError::forbidden(format!(
            "The token expired at {}.",
            serde_json::to_value(Timestamp::from_secs(exp)).unwrap_or_default()
        )));
    }
    let stage_id = stage_arn.id.clone();
    if !st.realtime.stages.contains_key(&stage_id) {
        return Err(ControlError::not_found(format!("Stage not found: {resource}")));
    }
    let participant_id = jwt
        .claim("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty())
        .ok_or_else(|| ControlError::forbidden("The token has no jti claim (the participant id)."))?
        .to_string();
    let user_id = jwt.claim("user_id").and_then(Value::as_str).unwrap_or_default().to_string();
    if st.realtime.stages[&stage_id].disconnected_participants.contains(&participant_id) {
        join_error(&mut st, &stage_id, &participant_id, None);
        return Err(ControlError::forbidden(format!(
            "Participant {participant_id} was disconnected from the stage by \
             DisconnectParticipant; its token cannot join again."
        )));
    }
    let capabilities = jwt.claim("capabilities");
    let allowed = |name: &str| {
        capabilities.and_then(|c| c.get(name)).and_then(Value::as_bool).unwrap_or(false)
    };
    let attributes = jwt
        .claim("attributes")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    let joiner = Joiner {
        participant_id: participant_id.clone(),
        user_id,
        attributes,
        allow_publish: allowed("allow_publish"),
        allow_subscribe: allowed("allow_subscribe"),
        protocol: request.protocol.unwrap_or(ParticipantProtocol::Whip),
        ingest_configuration_id: None,
        replica_of: None,
    };
    let session_id = join(&mut st, &stage_id, joiner, request.publish, request.subscribe)?;
    Ok(json!({
        "stageArn": resource,
        "sessionId": session_id,
        "participantId": participant_id,
    }))
}

fn verify_signature(st: &RegionState, jwt: &Jwt) -> Result<(), ControlError> {
    match jwt.alg() {
        "KMS" => {
            if jwt.verify_der(st.token_key.verifying_key()) {
                Ok(())
            } else {
                Err(ControlError::forbidden(
                    "The token's signature does not verify with the key ivs-local signs \
                     participant tokens with (GET /_ivs-local/keys).",
                ))
            }
        }
        "ES384" => {
            let kid = jwt.kid().unwrap_or_default();
            let key = st
                .find_id(kid, ResourceType::PublicKey)
                .and_then(|id| st.realtime.public_keys.get(&id))
                .ok_or_else(|| {
                    ControlError::forbidden(format!(
                        "The token's kid '{kid}' names no public key imported in {} {}.",
                        st.scope.account, st.scope.region
                    ))
                })?;
            let parsed = parse_public_key(&key.public_key_material)
                .map_err(|e| ControlError::forbidden(format!("Public key {kid}: {e}.")))?;
            if jwt.verify_es384(&parsed.verifying_key) {
                Ok(())
            } else {
                Err(ControlError::forbidden(format!(
                    "The token's ES384 signature does not verify with public key {kid}."
                )))
            }
        }
        other => Err(ControlError::forbidden(format!(
            "The token's alg '{other}' is not one the real-time service accepts (KMS, ES384)."
        ))),
    }
}

/// The scope and stage id an ARN names, if that stage exists.
fn find_stage(
    app: &App,
    stage_arn: &str,
) -> Result<(Arc<crate::store::ScopeLock>, Key), ControlError> {
    let arn = Arn::parse(stage_arn)
        .ok()
        .filter(|a| a.resource_type == ResourceType::Stage)
        .ok_or_else(|| ControlError::bad_request(format!("'{stage_arn}' is not a stage ARN.")))?;
    let scope = app.store.scope_or_scratch(&arn.account, &arn.region);
    if !scope.read().realtime.stages.contains_key(&arn.id) {
        return Err(ControlError::not_found(format!("Stage not found: {stage_arn}")));
    }
    Ok((scope, arn.id))
}

fn update_participant(app: &App, body: &[u8]) -> Result<Value, ControlError> {
    let request: UpdateRequest = parse_body(body)?;
    let (scope, stage_id) = find_stage(app, &request.stage_arn)?;
    let mut st = scope.write();
    let pid = &request.participant_id;
    let Some(conn) = connection(&st, &stage_id, pid) else {
        return Err(not_connected(&st, &stage_id, pid));
    };
    if conn.ingest_configuration_id.is_some() || conn.replica_of.is_some() {
        return Err(ControlError::conflict(format!(
            "Participant {pid} is an encoder or a replica; its publishing follows its source."
        )));
    }
    // Check both before changing either, so a refused request changes nothing.
    if request.publish == Some(true) && !conn.allow_publish {
        return set_publishing(&mut st, &stage_id, pid, true).map(|_| Value::Null);
    }
    if request.subscribe == Some(true) && !conn.allow_subscribe {
        return set_subscribing(&mut st, &stage_id, pid, true).map(|_| Value::Null);
    }
    if let Some(publish) = request.publish {
        set_publishing(&mut st, &stage_id, pid, publish)?;
    }
    if let Some(subscribe) = request.subscribe {
        set_subscribing(&mut st, &stage_id, pid, subscribe)?;
    }
    let conn = connection(&st, &stage_id, pid).expect("still connected");
    Ok(json!({
        "stageArn": request.stage_arn,
        "sessionId": active_session(&st, &stage_id).map(|s| s.session_id.clone()),
        "participantId": pid,
        "publishing": conn.publishing,
        "subscribing": conn.subscribing,
    }))
}

fn leave_stage(app: &App, body: &[u8]) -> Result<Value, ControlError> {
    let request: LeaveRequest = parse_body(body)?;
    let (scope, stage_id) = find_stage(app, &request.stage_arn)?;
    let mut st = scope.write();
    let pid = &request.participant_id;
    let Some(conn) = connection(&st, &stage_id, pid) else {
        return Err(not_connected(&st, &stage_id, pid));
    };
    if conn.ingest_configuration_id.is_some() {
        return Err(ControlError::conflict(format!(
            "Participant {pid} is an encoder: stop it with POST /_ivs-local/broadcasts/stop."
        )));
    }
    let session_id = active_session(&st, &stage_id).map(|s| s.session_id.clone());
    leave(&mut st, &stage_id, pid);
    Ok(json!({
        "stageArn": request.stage_arn,
        "sessionId": session_id,
        "participantId": pid,
        "sessionEnded": active_session(&st, &stage_id).is_none(),
    }))
}
