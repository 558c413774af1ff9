//! The simulated data plane: what broadcasters, viewers and stage participants do on AWS's
//! media servers, played through ivs-local's control API under `/_ivs-local/` (DESIGN.md,
//! "The simulated data plane").
//!
//! Each control call changes state through the same store records the AWS handlers read, so
//! GetStream, ListParticipants and the business rules (409 on a live channel,
//! ChannelNotBroadcasting) see what they would see on AWS. Every answer is JSON; errors are
//! [`ControlError`]s: `{"message"}` with a 4xx status and `x-amzn-ErrorType`.

pub mod broadcast;
pub mod delivery;
pub mod events;
pub mod keys;
pub mod playback;
pub mod stages;

use crate::store::Key;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

/// An error answer of the control API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError {
    pub status: StatusCode,
    /// A short name, sent as `x-amzn-ErrorType` (e.g. `ResourceNotFoundException`).
    pub code: &'static str,
    pub message: String,
}

impl ControlError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ControlError {
            status: StatusCode::BAD_REQUEST,
            code: "ValidationException",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ControlError {
            status: StatusCode::NOT_FOUND,
            code: "ResourceNotFoundException",
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ControlError {
            status: StatusCode::CONFLICT,
            code: "ConflictException",
            message: message.into(),
        }
    }

    /// Refused as the media service would refuse it (a bad token, insecure ingest, ...).
    pub fn forbidden(message: impl Into<String>) -> Self {
        ControlError {
            status: StatusCode::FORBIDDEN,
            code: "AccessDeniedException",
            message: message.into(),
        }
    }
}

impl From<crate::error::ApiError> for ControlError {
    fn from(e: crate::error::ApiError) -> Self {
        ControlError {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            code: e.name(),
            message: e.message,
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.status, [("x-amzn-ErrorType", self.code)], Json(json!({"message": self.message})))
            .into_response()
    }
}

/// Reads a control request's JSON body into `T`, with a clear error when it does not fit.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body)
        .map_err(|e| ControlError::bad_request(format!("The request body is not valid: {e}")))
}

/// What a restart of the media servers does, for a server restarted on its data directory:
/// compositions stop, encoders and participants are disconnected (stage sessions end) and live
/// streams end, each with the events AWS would send.
pub fn media_restarted(st: &mut crate::store::RegionState) {
    let compositions: Vec<Key> = st.realtime.compositions.keys().cloned().collect();
    for id in compositions {
        crate::api::ivs_realtime::composition::stop(st, &id);
    }
    let active_ingests: Vec<Key> = st
        .realtime
        .ingest_configurations
        .iter()
        .filter(|(_, i)| {
            i.state == crate::api::types::ivs_realtime::IngestConfigurationState::Active
        })
        .map(|(id, _)| id.clone())
        .collect();
    for id in active_ingests {
        let _ = stages::ingest_disconnect(st, &id);
    }
    let stage_ids: Vec<Key> = st.realtime.stages.keys().cloned().collect();
    for stage_id in stage_ids {
        let connected: Vec<String> = stages::active_session(st, &stage_id)
            .map(|s| s.connections.keys().cloned().collect())
            .unwrap_or_default();
        for participant_id in connected {
            stages::leave(st, &stage_id, &participant_id);
        }
    }
    let live: Vec<Key> = st.ivs.live.keys().cloned().collect();
    for channel_id in live {
        let _ = broadcast::go_offline(st, &channel_id);
    }
}
