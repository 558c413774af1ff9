//! The HTTP server: the axum router, the middleware every request passes (request id, access
//! log, CORS, panic guard) and [`run`], which serves a bound listener until shutdown.
//!
//! `/_ivs-local/...` goes to `api::internal`; everything else falls back to `api::handle`.
//! One port answers both HTTP and HTTPS: [`run`] peeks at each connection's first byte and
//! passes a TLS handshake through `tls.rs`'s acceptor, as LocalStack's edge port does.
//! The time limits and the bounds on connections and requests are `limits.rs`'s.

use crate::api;
use crate::auth::{self, AuthConfig};
use crate::context::Defaults;
use crate::cors::{self, AllowedOrigins};
use crate::error::{ApiError, ProtocolError};
use crate::limits::{self, Connections, InFlight, Limits, Requests, Slot};
use crate::store::Store;
use crate::tls::Tls;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;

/// Server settings that do not concern the socket.
#[derive(Debug, Clone)]
pub struct Config {
    pub defaults: Defaults,
    /// Seeds id generation, for reproducible runs.
    pub seed: Option<u64>,
    /// Where to POST every event as it is recorded (`--events-webhook`).
    pub events_webhook: Option<String>,
    /// An EventBridge-compatible endpoint to put every event on (`--eventbridge-endpoint`).
    pub eventbridge_endpoint: Option<String>,
    /// AWS API calls to run before the port opens (`--init`): the file's path and text.
    pub init: Option<(String, String)>,
    /// The certificate for HTTPS connections; by default one generated on first use.
    pub tls: Arc<Tls>,
    /// Origins that browsers may call from (`--cors-origins`); any by default, as AWS.
    pub cors_origins: AllowedOrigins,
    /// Where state is kept across restarts (`--data-dir`); in memory only when `None`.
    pub data_dir: Option<std::path::PathBuf>,
    /// A state document to load at start (`--state-file`): the file's path and text.
    pub state_file: Option<(String, String)>,
    /// Whether signatures are checked (`--auth`, `--credentials`); not by default.
    pub auth: AuthConfig,
    /// Time limits and bounds on connections and requests (`--header-timeout`, ...).
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            defaults: Defaults { account: "000000000000".into(), region: "us-east-1".into() },
            seed: None,
            events_webhook: None,
            eventbridge_endpoint: None,
            init: None,
            tls: Arc::default(),
            cors_origins: AllowedOrigins::Any,
            data_dir: None,
            state_file: None,
            auth: AuthConfig::default(),
            limits: Limits::default(),
        }
    }
}

/// What every handler shares.
pub struct App {
    pub store: Store,
    pub defaults: Defaults,
    pub started: Instant,
    pub tls: Arc<Tls>,
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
    let store = Store::new(config.seed);
    router_and_app(config, store).0
}

/// The router, and the state its handlers share (for the tasks that run beside them).
fn router_and_app(config: Config, store: Store) -> (Router, Arc<App>) {
    let cors_origins = config.cors_origins;
    let verifier = auth::verifier(&config.auth);
    let limits = config.limits;
    let app = Arc::new(App {
        store,
        defaults: config.defaults,
        started: Instant::now(),
        tls: config.tls,
    });
    let router = Router::new()
        .route(
            "/_ivs-local/health",
            get(api::internal::health).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/reset",
            post(api::internal::reset).fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/state",
            get(api::internal::export_state)
                .post(api::internal::import_state)
                .fallback(api::internal::wrong_method),
        )
        .route(
            "/_ivs-local/events",
            get(crate::sim::events::list).fallback(api::internal::wrong_method),
        )
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
        .route(
            "/_ivs-local/tls/cert.pem",
            get(crate::tls::cert_route).fallback(api::internal::wrong_method),
        )
        .route("/_ivs-local/{*rest}", any(api::internal::unknown))
        .fallback(api::handle)
        .with_state(app.clone());
    // The middleware wraps the router once, outermost first. (`Router::layer` would wrap
    // every route instead, and clone each route's boxed stack on every request.)
    let service = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(cors_origins, access_log))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a handler panicked").into_response()
        }))
        // Outside `whole_body`, so that bodies being read count as requests in flight.
        .layer(middleware::from_fn_with_state(
            InFlight::new(limits.max_in_flight),
            limits::in_flight,
        ))
        .layer(middleware::from_fn_with_state(limits.body_timeout, whole_body))
        // Inside `whole_body`, so the signature check has the body to hash.
        .option_layer(verifier.map(|v| middleware::from_fn_with_state(v, auth::layer)))
        .layer(middleware::from_fn_with_state(app.clone(), durable))
        .service(router);
    (Router::new().fallback_service(service), app)
}

/// Reads each request's whole body before any route sees it, so that no answer, however early
/// (an unknown path, a wrong method), leaves unread bytes on a keep-alive connection for the
/// client's next request to trip over. A body over the limit is answered 413 with
/// `Connection: close`, so the client knows not to reuse the connection; so is one that has not
/// all arrived within `body_timeout` (408), which cuts off an endless or trickled chunked body.
async fn whole_body(
    State(body_timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    use axum::body::{Body, HttpBody};
    // Bodiless requests (GETs, most of the control API's reads) pass straight through.
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let error = match tokio::time::timeout(body_timeout, read_body(body)).await {
        Ok(Ok(bytes)) => return next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(BodyError::TooLarge)) => api::body_too_large(),
        // The client went away mid-body; nobody reads this answer.
        Ok(Err(BodyError::Failed)) => ApiError::protocol(
            ProtocolError::PayloadTooLarge,
            "The request body could not be read.".to_string(),
        ),
        Err(_) => ApiError::protocol(
            ProtocolError::RequestTimeout,
            format!(
                "The request body did not arrive within {} seconds (--body-timeout).",
                body_timeout.as_secs_f64()
            ),
        ),
    };
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(axum::http::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Bytes of an oversized body read and thrown away before answering 413: a client that sends a
/// body a few times over the limit then reads its answer, rather than a connection reset that
/// loses it (closing a socket with unread data resets it). Beyond this, the connection closes.
const DISCARD_BYTES: usize = 16 * api::MAX_BODY_BYTES;

enum BodyError {
    TooLarge,
    Failed,
}

/// The body, up to [`api::MAX_BODY_BYTES`]; a larger one is read on (and discarded) up to
/// [`DISCARD_BYTES`] before it is refused.
async fn read_body(mut body: axum::body::Body) -> Result<bytes::Bytes, BodyError> {
    use http_body_util::BodyExt;
    let mut kept = bytes::BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| BodyError::Failed)?.into_data() else { continue };
        total += data.len();
        if total <= api::MAX_BODY_BYTES {
            kept.extend_from_slice(&data);
        } else if total > DISCARD_BYTES {
            return Err(BodyError::TooLarge);
        }
    }
    if total > api::MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    Ok(kept.freeze())
}

/// With `--data-dir`, holds each answer until what its request changed is on disk.
async fn durable(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(persister) = app.store.persister() else {
        return next.run(request).await;
    };
    let (response, written) = crate::store::persist::tracking(next.run(request)).await;
    if written == 0 {
        return response;
    }
    match persister.wait(written).await {
        Ok(()) => response,
        Err(e) => ApiError::internal(&e).into_response(),
    }
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
    let tls = config.tls.clone();
    let (webhook, eventbridge) =
        (config.events_webhook.clone(), config.eventbridge_endpoint.clone());
    let init = config.init.clone();
    let state_file = config.state_file.clone();
    let limits = config.limits;
    let invalid = |e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let store = match &config.data_dir {
        Some(dir) => {
            let store = Store::open(dir, config.seed).map_err(invalid)?;
            restarted(&store).map_err(invalid)?;
            store
        }
        None => Store::new(config.seed),
    };
    let (router, app) = router_and_app(config, store);
    if let Some((path, text)) = state_file {
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("state file {path}: not JSON: {e}")))?;
        app.store.import(&doc).map_err(|e| invalid(format!("state file {path}: {e}")))?;
        flush(&app.store).map_err(invalid)?;
        tracing::info!("state file {path} loaded");
    }
    let init = init.filter(|(path, _)| {
        let fresh = app.store.started_empty();
        if !fresh {
            tracing::info!("init file {path} not run: the data directory holds state already");
        }
        fresh
    });
    if let Some((path, text)) = init {
        let n = crate::init::run(&app, &path, &text).map_err(invalid)?;
        tracing::info!("init file {path}: {n} calls made");
    }
    if let Some(url) = webhook {
        crate::sim::delivery::spawn_webhook(app.store.events(), &url).map_err(invalid)?;
    }
    if let Some(url) = eventbridge {
        crate::sim::delivery::spawn_eventbridge(app.store.events(), &url).map_err(invalid)?;
    }
    release_free_heap();
    tracing::info!(
        "ivs-local {} listening on http://{}",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr()?
    );
    tracing::info!("HTTPS on the same port; its certificate is at /_ivs-local/tls/cert.pem");
    // Every connection task holds a receiver: `send(true)` asks them to finish, and
    // `closed()` completes once the last of them has.
    let (stopping, stop_seen) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let connections = Connections::new(limits.max_connections);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (slot, displaced) = tokio::select! {
            admitted = connections.admit() => admitted,
            () = &mut shutdown => break,
        };
        let serve =
            connection(stream, slot, router.clone(), tls.clone(), limits, stop_seen.clone());
        tokio::spawn(async move {
            // A displaced connection is idle: dropping it closes it between requests.
            tokio::select! {
                () = serve => {}
                _ = displaced => {}
            }
        });
    }
    drop(listener);
    drop(stop_seen);
    let _ = stopping.send(true);
    stopping.closed().await;
    Ok(())
}

/// After a restart on a data directory: what was live when the server stopped ends, as a
/// restart of the media servers would end it, with its events; then everything is on disk.
fn restarted(store: &Store) -> Result<(), String> {
    let counts = store.counts();
    tracing::info!(?counts, "state restored from the data directory");
    for scope in store.all_scopes() {
        crate::sim::media_restarted(&mut scope.write());
    }
    flush(store)
}

/// Waits until every change made so far is on disk (start-up, before the port opens).
fn flush(store: &Store) -> Result<(), String> {
    match store.persister() {
        Some(persister) => persister.wait_blocking(persister.submit(Vec::new())),
        None => Ok(()),
    }
}

/// Gives the memory that startup used and freed (the parse trees of the service models, about
/// 0.7 MiB) back to the system, so that an idle server holds only what it keeps. glibc's
/// allocator keeps freed memory below live allocations otherwise.
fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the system; it may be called at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Serves one connection, over TLS when its first byte is a handshake record (0x16), until the
/// client closes it or shutdown asks it to finish its current request.
async fn connection(
    stream: TcpStream,
    slot: Slot,
    router: Router,
    tls: Arc<Tls>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    const TLS_HANDSHAKE: u8 = 0x16;
    // The first byte and any TLS handshake must come within the header timeout; from then on
    // hyper times each request head.
    let deadline = tokio::time::Instant::now() + limits.header_timeout;
    let mut first = [0u8; 1];
    // A client that connects and sends nothing must not hold shutdown up.
    let peeked = tokio::select! {
        peeked = tokio::time::timeout_at(deadline, stream.peek(&mut first)) => match peeked {
            Ok(peeked) => peeked,
            Err(_) => return,
        },
        _ = stop.wait_for(|s| *s) => return,
    };
    // Every write must make progress within the write timeout, or the connection fails; this
    // covers the TLS handshake's writes and every answer.
    let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
    stream.set_write_timeout(Some(limits.write_timeout));
    let stream = Box::pin(stream);
    let requests = slot.requests();
    match peeked {
        Ok(1..) if first[0] == TLS_HANDSHAKE => {
            let acceptor = match tls.acceptor() {
                Ok(acceptor) => acceptor,
                Err(e) => {
                    tracing::error!("refusing a TLS connection: {e}");
                    return;
                }
            };
            let handshake = tokio::select! {
                handshake = tokio::time::timeout_at(deadline, acceptor.accept(stream)) => handshake,
                _ = stop.wait_for(|s| *s) => return,
            };
            match handshake {
                Ok(Ok(stream)) => {
                    serve_http1(TokioIo::new(stream), router, requests, limits, stop).await
                }
                Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
        Ok(_) => serve_http1(TokioIo::new(stream), router, requests, limits, stop).await,
        Err(e) => tracing::debug!("connection failed before its first byte: {e}"),
    }
    // Only now is its place among the open connections given up.
    drop(slot);
}

/// HTTP/1.1 with keep-alive, as `axum::serve` configured it (the router enables no HTTP/2).
/// Each request marks the connection busy until its answer's last byte is written, so it is
/// never displaced mid-answer (a long event stream included).
async fn serve_http1<I>(
    io: TokioIo<I>,
    router: Router,
    requests: Requests,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use http_body_util::BodyExt;
    use tower::Service;
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let busy = requests.start();
        let mut router = router.clone();
        async move {
            let response = router.call(request).await?;
            // The guard lives as long as the body, which hyper drops once it is written.
            Ok::<_, std::convert::Infallible>(response.map(|body| {
                axum::body::Body::new(body.map_frame(move |frame| {
                    let _ = &busy;
                    frame
                }))
            }))
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Per-connection failures (a client that reset before we accepted) are routine; anything else
/// (out of file descriptors) would repeat at once, so wait before accepting again.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!("accept failed: {e}");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

/// Gives every request an id, answers with it, and logs one line per request. Calls the CORS
/// layer itself (one middleware fewer on every request): outside the panic guard, so a 500 from
/// a panic still reaches the browser's script; inside the log, so preflights are logged and
/// get a request id.
async fn access_log(
    State(cors_origins): State<AllowedOrigins>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let id: &str = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    let method = request.method().clone();
    // Shares the request's bytes: no copy of the path.
    let uri = request.uri().clone();
    request.extensions_mut().insert(RequestId(id.to_string()));
    let mut response = cors::layer(State(cors_origins), request, next).await;
    let (service, operation) = match response.extensions().get::<Handled>() {
        Some(h) => (h.service, h.operation),
        None => ("-", "-"),
    };
    let error =
        response.headers().get("x-amzn-ErrorType").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info!(
        request_id = %id,
        %method,
        path = %uri.path(),
        service = %service,
        operation = %operation,
        status = response.status().as_u16(),
        error = %error,
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
    response
}
