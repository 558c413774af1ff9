//! `GET /_ivs-local/keys`: the public half of the key that signs the participant tokens
//! ivs-local issues, as a JWK set with the PEM beside it.
//!
//! AWS publishes no key for its `KMS` tokens; this route exists so that an application or a
//! test can check that a token really came from ivs-local. It never exposes the private key.

use crate::server::App;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

pub async fn keys(State(app): State<Arc<App>>) -> Json<Value> {
    let key = app.store.token_key();
    Json(json!({"keys": [key.public_jwk()], "publicKeyPem": key.public_key_pem()}))
}

/// Any method but GET: answered in the control API's error form, naming the one that works.
pub async fn wrong_method() -> Response {
    let body = json!({"message": "Wrong method: use GET /_ivs-local/keys."});
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [("x-amzn-ErrorType", "MethodNotAllowedException")],
        Json(body),
    )
        .into_response()
}
