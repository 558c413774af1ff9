//! ivs-local's own endpoints under `/_ivs-local/`, a prefix no AWS operation can use.
//!
//! - `GET /_ivs-local/health`: version, services, uptime and resource counts, as JSON.
//! - `POST /_ivs-local/reset`: forget every resource in every account and region.

use super::model::{Operation, Service};
use crate::server::App;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// The paths of the control API start with this; every other path is an AWS API's.
pub const PREFIX: &str = "/_ivs-local/";

/// Where [`health`] is served. Strict authentication leaves it open, and the in-flight limit
/// does not refuse it (`server.rs`).
pub const HEALTH_PATH: &str = "/_ivs-local/health";

pub async fn health(State(app): State<Arc<App>>) -> Json<Value> {
    let services: serde_json::Map<String, Value> = Service::ALL
        .iter()
        .map(|&service| {
            let ops: Vec<Operation> =
                Operation::all().filter(|op| op.service() == service).collect();
            let implemented = ops.iter().filter(|op| super::is_implemented(**op)).count();
            (
                service.name().to_string(),
                json!({"operations": ops.len(), "implemented": implemented}),
            )
        })
        .chain([
            (
                "cloudcontrol".to_string(),
                json!({"operations": 8, "types": crate::cloudcontrol::schema::type_names()}),
            ),
            ("sts".to_string(), json!({"operations": ["GetCallerIdentity"]})),
        ])
        .collect();
    Json(json!({
        "status": "running",
        "version": env!("CARGO_PKG_VERSION"),
        "services": services,
        "uptimeSeconds": app.started.elapsed().as_secs_f64(),
        "resources": app.store.counts(),
    }))
}

pub async fn reset(State(app): State<Arc<App>>) -> Json<Value> {
    app.store.reset();
    tracing::info!("state reset");
    Json(json!({"reset": true}))
}

/// `GET /_ivs-local/state`: the whole state, as one versioned JSON document.
pub async fn export_state(State(app): State<Arc<App>>) -> Json<Value> {
    Json(app.store.export())
}

/// `POST /_ivs-local/state`: replaces the whole state with a document `GET` answered. A
/// document that cannot be read changes nothing.
pub async fn import_state(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let doc: Value = match serde_json::from_slice(&body) {
        Ok(doc) => doc,
        Err(e) => {
            let message = format!("The body is not a JSON state document: {e}");
            return crate::sim::ControlError::bad_request(message).into_response();
        }
    };
    match app.store.import(&doc) {
        Ok(()) => {
            tracing::info!("state imported");
            Json(json!({"imported": true, "resources": app.store.counts()})).into_response()
        }
        Err(e) => crate::sim::ControlError::bad_request(format!("Invalid state document: {e}"))
            .into_response(),
    }
}

/// A method an internal endpoint does not take.
pub async fn wrong_method() -> Response {
    let body = json!({"message": "Wrong method: GET /_ivs-local/health, POST /_ivs-local/reset."});
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [("x-amzn-ErrorType", "MethodNotAllowedException")],
        Json(body),
    )
        .into_response()
}

/// Any other path under the prefix.
pub async fn unknown() -> Response {
    let body = json!({
        "message": "Unknown ivs-local endpoint; see GET /_ivs-local/health and POST /_ivs-local/reset.",
    });
    (StatusCode::NOT_FOUND, [("x-amzn-ErrorType", "UnknownOperationException")], Json(body))
        .into_response()
}
