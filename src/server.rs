//! The HTTP server: the axum router, the middleware every request passes (request id, access
//! log, CORS, panic guard) and [`run`], which serves a bound listener until shutdown.
//!
//! `/_ivs-local/...` goes to `api::internal`; everything else falls back to `api::handle`.

use crate::api;
use crate::context::Defaults;
use crate::cors::{self, AllowedOrigins};
use crate::error::ApiError;
use crate::store::Store;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

/// Server settings that do not concern the socket.
#[derive(Debug, Clone)]
pub struct Config {
    pub defaults: Defaults,
    /// Seeds id generation, for reproducible runs.
    pub seed: Option<u64>,
    /// Origins that browsers may call from (`--cors-origins`); any by default, as AWS.
    pub cors_origins: AllowedOrigins,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            defaults: Defaults { account: "000000000000".into(), region: "us-east-1".into() },
            seed: None,
            cors_origins: AllowedOrigins::Any,
        }
    }
}

/// What every handler shares.
pub struct App {
    pub store: Store,
    pub defaults: Defaults,
    pub started: Instant,
}

/// The request id, made by the middleware and sent back as `x-amzn-RequestId`.
#[derive(Clone)]
pub struct RequestId(pub String);

/// Set on a response by `api::handle`, for the access log.
#[derive(Clone)]
pub struct Handled {
    pub service: &'static str,
    pub operation: &'static str,
}

pub fn router(config: Config) -> Router {
    let app = Arc::new(App {
        store: Store::new(config.seed),
        defaults: config.defaults,
        started: Instant::now(),
    });
    Router::new()
        .route(
            "/_ivs-local/health",
            get(api::internal::health).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/reset",
            post(api::internal::reset).fallback(api::internal::wrong_method),
        )
        .route("/_ivs-local/events", get(crate::sim::events::list))
        .route(
            "/_ivs-local/playback/authorize",
            post(crate::sim::playback::authorize).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/broadcasts",
            get(crate::sim::broadcast::list_route).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/broadcasts/start",
            post(crate::sim::broadcast::start_route).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/broadcasts/update",
            post(crate::sim::broadcast::update_route).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/broadcasts/stop",
            post(crate::sim::broadcast::stop_route).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/stages/join",
            post(crate::sim::stages::join_route).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/stages/update",
            post(crate::sim::stages::update_route).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/stages/leave",
            post(crate::sim::stages::leave_route).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/keys",
            get(crate::sim::keys::keys).fallback(crate::sim::keys::wrong_method),
        )
        .route("/_ivs-local/{*rest}", any(api::internal::unknown))
        .fallback(api::handle)
        .with_state(app)
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a handler panicked").into_response()
        }))
        // Outside the panic guard, so a 500 from a panic still reaches the browser's script;
        // inside the access log, so preflights are logged and get a request id.
        .layer(middleware::from_fn_with_state(config.cors_origins, cors::layer))
        .layer(middleware::from_fn(access_log))
}

/// Serves `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Parse the models and build the routing table before the first request, not during it.
    for service in api::model::Service::ALL {
        api::model::model(service);
    }
    api::routing::init();
    axum::serve(listener, router(config)).with_graceful_shutdown(shutdown).await
}

/// Gives every request an id, answers with it, and logs one line per request.
async fn access_log(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = uuid::Uuid::new_v4().to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    let (service, operation) = match response.extensions().get::<Handled>() {
        Some(h) => (h.service, h.operation),
        None => ("-", "-"),
    };
    let error =
        response.headers().get("x-amzn-ErrorType").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info!(
        request_id = %id,
        %method,
        path = %path,
        service = %service,
        operation = %operation,
        status = response.status().as_u16(),
        error = %error,
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
    response
}
