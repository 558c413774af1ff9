//! The HTTP server: [`Front`], which every request passes (request id, access log, CORS, panic
//! guard, limits, body, signature, durability), and [`run`], which serves a bound listener until
//! shutdown.
//!
//! `/_ivs-local/...` goes to the control API's router; everything else to `api::handle`.
//! One port answers both HTTP and HTTPS: [`run`] peeks at each connection's first byte and
//! passes a TLS handshake through `tls.rs`'s acceptor, as LocalStack's edge port does.
//! The time limits and the bounds on connections and requests are `limits.rs`'s.

use crate::api;
use crate::api::internal::HEALTH_PATH;
use crate::auth::{self, AuthConfig};
use crate::context::Defaults;
use crate::cors::{self, AllowedOrigins, Cors};
use crate::error::{ApiError, ProtocolError};
use crate::limits::{self, Closing, Connections, InFlight, Limits, Requests, Slot};
use crate::store::Store;
use crate::tls::Tls;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::FutureExt;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

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

/// What `api::handle` routed a request to, for the access log.
#[derive(Clone, Copy)]
pub struct Handled {
    pub service: &'static str,
    pub operation: &'static str,
}

/// A runtime builder with `workers` worker threads: one is tokio's single-threaded runtime,
/// on the thread that calls `block_on`, with no work stealing; more, its work-stealing one;
/// `None`, that one with tokio's default of one worker per core. The binary's `--workers`
/// and the load bench's bare server (`--bare-workers`) both build theirs with it.
pub fn runtime_builder(workers: Option<usize>) -> tokio::runtime::Builder {
    match workers {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    }
}

/// The whole server as an axum router, every request passing [`Front`] (for tests that drive
/// it without a socket, such as the fuzz target).
pub fn router(config: Config) -> Router {
    let store = Store::new(config.seed);
    Router::new().fallback_service(front_and_app(config, store).0)
}

/// The front door, and the state its handlers share (for the tasks that run beside them).
fn front_and_app(config: Config, store: Store) -> (Front, Arc<App>) {
    let cors_origins = config.cors_origins;
    let verifier = auth::verifier(&config.auth);
    let limits = config.limits;
    let app = Arc::new(App {
        store,
        defaults: config.defaults,
        started: Instant::now(),
        tls: config.tls,
    });
    let internal = Router::new()
        .route(HEALTH_PATH, get(api::internal::health).fallback(api::internal::wrong_method))
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
        .fallback(api::internal::unknown)
        .with_state(app.clone());
    let front = Front(Arc::new(FrontState {
        app: app.clone(),
        internal,
        cors_origins,
        in_flight: InFlight::new(limits.max_in_flight),
        body_timeout: limits.body_timeout,
        verifier,
    }));
    (front, app)
}

/// Everything between hyper and the handlers, in one service: the request id and access log,
/// CORS, the panic guard, the in-flight bound, reading the whole body, strict authentication,
/// holding answers until they are durable, and dispatch: `/_ivs-local/...` to the control API's
/// router, everything else to `api::handle`.
///
/// One `async fn` in place of a stack of middleware: each `from_fn` layer boxed its future and
/// cloned its inner service per request, and the router matched every AWS request against the
/// control API's routes before falling back; together about a fifth of a GetChannel's
/// instructions.
#[derive(Clone)]
pub struct Front(Arc<FrontState>);

struct FrontState {
    app: Arc<App>,
    /// The control API's routes, under `/_ivs-local/`.
    internal: Router,
    cors_origins: AllowedOrigins,
    in_flight: Arc<InFlight>,
    body_timeout: Duration,
    verifier: Option<Arc<auth::Verifier>>,
}

impl Front {
    /// Serves one request; never fails.
    pub async fn serve<B>(self, request: axum::http::Request<B>) -> Response
    where
        B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let state = &*self.0;
        let started = Instant::now();
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id: &str = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
        let (mut parts, body) = request.into_parts();
        let has_body = !body.is_end_stream();
        let cors = Cors::new(&state.cors_origins, &parts.headers);
        let (mut response, handled) = if Cors::is_preflight(&parts.method, has_body) {
            (cors::preflight(&parts.headers), None)
        } else {
            // Outside the panic guard only what cannot panic: a 500 from a panic still gets
            // its CORS headers, request id and log line.
            let guarded = AssertUnwindSafe(state.admit(&mut parts, body, has_body, id));
            match guarded.catch_unwind().await {
                Ok(answer) => answer,
                Err(_) => (ApiError::internal("a handler panicked").into_response(), None),
            }
        };
        cors.finish(&mut response);
        log_request(id, &parts, &response, handled, started);
        if let Ok(value) = HeaderValue::from_str(id) {
            response.headers_mut().insert(crate::error::REQUEST_ID, value);
        }
        response
    }
}

impl FrontState {
    /// Within the in-flight bound: the whole body, the signature, then the answer, with what
    /// `api::handle` routed the request to.
    async fn admit<B>(
        &self,
        parts: &mut axum::http::request::Parts,
        body: B,
        has_body: bool,
        request_id: &str,
    ) -> (Response, Option<Handled>)
    where
        B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        // The health check is answered even at the limit: an orchestrator asking whether the
        // server is up must not take a busy server for a dead one. It is cheap, and the
        // connection limit still bounds how many can come at once.
        let _permit = match self.in_flight.enter() {
            Ok(permit) => Some(permit),
            Err(_) if parts.uri.path() == HEALTH_PATH => None,
            // The body is not read, so the connection cannot be used again.
            Err(refused) if has_body => return (closing(refused.into_response()), None),
            Err(refused) => return (refused.into_response(), None),
        };
        let body = if has_body {
            match self.whole_body(body).await {
                Ok(bytes) => bytes,
                Err(refused) => return (closing(refused.into_response()), None),
            }
        } else {
            bytes::Bytes::new()
        };
        let caller = match &self.verifier {
            Some(verifier) => match auth::check(verifier, parts, &body, request_id) {
                Ok(caller) => caller,
                Err(refused) => return (*refused, None),
            },
            None => None,
        };
        let Some(persister) = self.app.store.persister() else {
            return self.dispatch(parts, body, request_id, caller.as_ref()).await;
        };
        // With `--data-dir`, the answer waits until what the request changed is on disk.
        let ((response, handled), written) = crate::store::persist::tracking(self.dispatch(
            parts,
            body,
            request_id,
            caller.as_ref(),
        ))
        .await;
        if written == 0 {
            return (response, handled);
        }
        match persister.wait(written).await {
            Ok(()) => (response, handled),
            Err(e) => (ApiError::internal(&e).into_response(), handled),
        }
    }

    /// The handler: the control API's router for `/_ivs-local/`, the AWS APIs for the rest.
    async fn dispatch(
        &self,
        parts: &mut axum::http::request::Parts,
        body: bytes::Bytes,
        request_id: &str,
        caller: Option<&auth::Caller>,
    ) -> (Response, Option<Handled>) {
        use tower::ServiceExt;
        if !parts.uri.path().starts_with(api::internal::PREFIX) {
            return api::handle(&self.app, parts, &body, request_id, caller);
        }
        // The parts stay with the caller, for the access log; the router gets what it reads.
        let mut request = axum::http::Request::new(axum::body::Body::from(body));
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = parts.uri.clone();
        *request.headers_mut() = std::mem::take(&mut parts.headers);
        match self.internal.clone().oneshot(request).await {
            Ok(response) => (response, None),
            Err(never) => match never {},
        }
    }

    /// Reads a request's whole body before any handler sees it, so that no answer, however
    /// early (an unknown path, a wrong method), leaves unread bytes on a keep-alive connection
    /// for the client's next request to trip over. A body over the limit is answered 413 with
    /// `Connection: close`, so the client knows not to reuse the connection; so is one that
    /// has not all arrived within `body_timeout` (408), which cuts off an endless or trickled
    /// chunked body.
    async fn whole_body<B>(&self, body: B) -> Result<bytes::Bytes, ApiError>
    where
        B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let mut reading = std::pin::pin!(read_body(body));
        // A small body usually arrives with the head and is read in one poll: then no timer is
        // set, which is most of what the timeout would cost.
        let first = std::future::poll_fn(|cx| Poll::Ready(reading.as_mut().poll(cx))).await;
        let read = match first {
            Poll::Ready(read) => Ok(read),
            Poll::Pending => tokio::time::timeout(self.body_timeout, reading).await,
        };
        let error = match read {
            Ok(Ok(bytes)) => return Ok(bytes),
            Ok(Err(BodyError::TooLarge)) => api::body_too_large(),
            // Broken framing (a bad chunk size, a body cut short): the request is malformed, not
            // too large. If the client went away, nobody reads this answer.
            Ok(Err(BodyError::Failed)) => ApiError::protocol(
                ProtocolError::Serialization,
                "The request body could not be read.".to_string(),
            ),
            Err(_) => ApiError::protocol(
                ProtocolError::RequestTimeout,
                format!(
                    "The request body did not arrive within {} seconds (--body-timeout).",
                    self.body_timeout.as_secs_f64()
                ),
            ),
        };
        Err(error)
    }
}

/// An answer that closes its connection (`Connection: close`): one given before the request's
/// body was read in full.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(axum::http::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

impl<B> tower::Service<axum::http::Request<B>> for Front
where
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<Response, std::convert::Infallible>> + Send + 'static>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let front = self.clone();
        Box::pin(async move { Ok(front.serve(request).await) })
    }
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
async fn read_body<B>(body: B) -> Result<bytes::Bytes, BodyError>
where
    B: axum::body::HttpBody<Data = bytes::Bytes>,
{
    use http_body_util::BodyExt;
    let mut body = std::pin::pin!(body);
    // A body that comes in one piece, as a small one does, is kept as it came, uncopied.
    let mut first: Option<bytes::Bytes> = None;
    let mut kept = bytes::BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| BodyError::Failed)?.into_data() else { continue };
        total += data.len();
        if total <= api::MAX_BODY_BYTES {
            if first.is_none() && kept.is_empty() {
                first = Some(data);
            } else {
                // A second piece: the first joins it in `kept`.
                if let Some(first) = first.take() {
                    kept.extend_from_slice(&first);
                }
                kept.extend_from_slice(&data);
            }
        } else if total > DISCARD_BYTES {
            return Err(BodyError::TooLarge);
        }
    }
    if total > api::MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    Ok(first.unwrap_or_else(|| kept.freeze()))
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
    let (front, app) = front_and_app(config, store);
    if let Some((path, text)) = state_file {
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("state file {path}: not JSON: {e}")))?;
        app.store.import(&doc).map_err(|e| invalid(format!("state file {path}: {e}")))?;
        app.store.flush().map_err(invalid)?;
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
    crate::memory::release_startup_memory();
    tracing::info!(
        "ivs-local {} listening on http://{}",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr()?
    );
    tracing::info!("HTTPS on the same port; its certificate is at /_ivs-local/tls/cert.pem");
    let mut shutdown = std::pin::pin!(shutdown);
    let connections = Connections::new(limits.max_connections);
    let closing_idle = connections.close_idle(limits.header_timeout);
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
        let (slot, closing) = tokio::select! {
            admitted = connections.admit() => admitted,
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(stream, slot, closing, front.clone(), tls.clone(), limits));
    }
    drop(listener);
    connections.finish_all();
    connections.all_closed().await;
    closing_idle.abort();
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
    store.flush()
}

/// Serves one connection, over TLS when its first byte is a handshake record (0x16), until the
/// client closes it or `closing` says to close (see `limits::Closing`).
async fn connection(
    stream: TcpStream,
    slot: Slot,
    mut closing: Closing,
    front: Front,
    tls: Arc<Tls>,
    limits: Limits,
) {
    const TLS_HANDSHAKE: u8 = 0x16;
    no_delay(&stream);
    // The first byte and any TLS handshake must come within the header timeout; from then on
    // `Connections::close_idle` times each request head.
    let deadline = tokio::time::Instant::now() + limits.header_timeout;
    let mut first = [0u8; 1];
    // A client that connects and sends nothing must not hold shutdown up.
    let peeked = tokio::select! {
        peeked = tokio::time::timeout_at(deadline, stream.peek(&mut first)) => match peeked {
            Ok(peeked) => peeked,
            Err(_) => return,
        },
        _ = &mut closing => return,
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
                _ = &mut closing => return,
            };
            match handshake {
                Ok(Ok(stream)) => {
                    serve_http1(TokioIo::new(stream), front, requests, limits, closing).await
                }
                Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
        Ok(_) => serve_http1(TokioIo::new(stream), front, requests, limits, closing).await,
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
    front: Front,
    requests: Requests,
    limits: Limits,
    mut closing: Closing,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let busy = requests.start();
        let front = front.clone();
        async move {
            let response = front.serve(request).await;
            // The guard lives as long as the body, which hyper drops once it is written.
            Ok::<_, std::convert::Infallible>(response.map(|body| Answer { body, _busy: busy }))
        }
    });
    // No `header_read_timeout`: `Connections::close_idle` closes a connection whose head is
    // late, without a timer per request.
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1.max_header_size(limits.max_header_bytes);
    if limits.max_headers != limits::HYPER_MAX_HEADERS {
        http1.max_headers(limits.max_headers);
    }
    let conn = http1.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            // The connection first: it is what wakes the task, nearly every time.
            biased;
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            asked = &mut closing, if !stopping => match asked {
                // Shutdown: the request being served, if any, is answered first.
                Ok(()) => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
                // Displaced or past the header timeout, so idle: closed between requests.
                Err(_) => return,
            }
        }
    }
}

/// Sends each write at once (`TCP_NODELAY`) rather than holding a small one back until the
/// client acknowledges the last (Nagle's algorithm). An answer is one write either way, but an
/// event stream writes each event as it happens, and a client that delays its acknowledgement
/// (Linux waits up to 40 ms) held the next event back as long: of 19 runs of 80 quick
/// broadcast starts and stops on a watched channel, 4 had events arrive 30-37 ms late; with
/// this, none of 12 did. A TLS handshake's flights are small writes too.
fn no_delay(stream: &TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        // Only a connection already gone fails here; serving it will say so.
        tracing::debug!("cannot set TCP_NODELAY: {e}");
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

/// The access log: one line per request, at `info` (`logging::Access`).
fn log_request(
    id: &str,
    request: &axum::http::request::Parts,
    response: &Response,
    handled: Option<Handled>,
    started: Instant,
) {
    if !crate::logging::Access::enabled() {
        return;
    }
    let (service, operation) = match handled {
        Some(h) => (h.service, h.operation),
        None => ("-", "-"),
    };
    let error = response
        .headers()
        .get(crate::error::ERROR_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    crate::logging::Access {
        request_id: id,
        method: request.method.as_str(),
        path: request.uri.path(),
        service,
        operation,
        status: response.status().as_u16(),
        error,
        latency_us: started.elapsed().as_micros() as u64,
    }
    .log();
}

/// An answer's body, holding its connection busy until hyper has written it and drops it.
struct Answer {
    body: axum::body::Body,
    _busy: limits::Busy,
}

impl axum::body::HttpBody for Answer {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, axum::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
