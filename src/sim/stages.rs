//! Stage sessions and participants: people joining stages with tokens, publishing and
//! leaving; encoders publishing through ingest configurations; compositions running.
//!
//! The ivs-realtime handlers call in here where a resource change affects what is connected
//! (deleting a stage ends its session, ...), so that rule lives in one place.

use crate::store::RegionState;

/// Everyone connected to the stage with id `stage_id` is disconnected, its session ends and
/// its compositions stop: what DeleteStage does before the stage is removed.
pub fn on_stage_deleted(_st: &mut RegionState, _stage_id: &str) {}

/// Whether a participant of the stage's active session is being recorded now (UpdateStage
/// may not change the recording configuration then).
pub fn recording_active(_st: &RegionState, _stage_id: &str) -> bool {
    false
}

/// The encoder publishing with the ingest configuration `ingest_id`, if any, is disconnected:
/// what a forced DeleteIngestConfiguration does before the configuration is removed.
pub fn on_ingest_configuration_deleted(_st: &mut RegionState, _ingest_id: &str) {}

/// An encoder connecting with the stream key of the ingest configuration `ingest_id` over
/// `protocol` (`RTMPS` or `RTMP`): the configuration goes ACTIVE and its participant joins the
/// attached stage, publishing. Answers the control API's JSON (`ingestConfigurationArn`,
/// `stageArn`, `sessionId`, `participantId`).
pub fn ingest_connect(
    _st: &mut RegionState,
    _ingest_id: &str,
    _protocol: &str,
) -> Result<serde_json::Value, crate::sim::ControlError> {
    Err(crate::sim::ControlError::bad_request("Ingest configurations cannot publish yet."))
}

/// The encoder of the ingest configuration `ingest_id` hanging up: the configuration goes
/// INACTIVE and its participant leaves the stage.
pub fn ingest_disconnect(
    _st: &mut RegionState,
    _ingest_id: &str,
) -> Result<serde_json::Value, crate::sim::ControlError> {
    Err(crate::sim::ControlError::bad_request("Ingest configurations cannot publish yet."))
}
