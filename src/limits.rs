//! What keeps a broken or hostile client from taking the server down: how long a client may
//! take to send a request's head or body or leave its answer unread, how large a head may be,
//! how many connections are open at once and how many requests are served at once.
//! `server.rs` applies them; the numbers come from `server::Config` (flags in `main.rs`,
//! listed in the README).
//!
//! A client over a time limit is cut off. A connection beyond the connection limit displaces an
//! idle one ([`Connections::admit`]), so silent or slow clients cannot crowd out real ones. A
//! request beyond the in-flight limit is answered 429 `ThrottlingException`, which the AWS SDKs
//! retry with backoff. The request body's size limit is `api::MAX_BODY_BYTES`.

use crate::error::{ApiError, ErrorCode};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, SemaphorePermit, oneshot};

/// The limits, with defaults that ordinary use (test suites, Terraform, benchmarks with a few
/// dozen connections) never reaches.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time a connection has to send a complete request head, counted from when it opens or
    /// its previous answer ends, so it also closes idle keep-alive connections. On a new
    /// connection the TLS handshake, if any, must also fit in it.
    pub header_timeout: Duration,
    /// Time to receive a request's whole body; beyond it the answer is 408 and the connection
    /// is closed.
    pub body_timeout: Duration,
    /// Time an answer may wait, without any of it being taken, for a client that does not
    /// read; then the connection is closed.
    pub write_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Requests being read or answered at once.
    pub max_in_flight: usize,
    /// Bytes of a request's head (request line and headers); beyond, hyper answers 431 and
    /// closes the connection. Also what a connection may hold of a head still arriving.
    pub max_header_bytes: usize,
    /// Headers in a request; beyond, hyper answers 431 and closes the connection.
    pub max_headers: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        header_timeout: Duration::from_secs(30),
        body_timeout: Duration::from_secs(30),
        write_timeout: Duration::from_secs(30),
        max_connections: 512,
        max_in_flight: 256,
        max_header_bytes: 64 * 1024,
        max_headers: HYPER_MAX_HEADERS,
    };
}

/// hyper's own limit on the headers of a request. It keeps their indices on the stack; any
/// other limit puts them on the heap, an allocation per request, so it is only set when it
/// differs.
pub const HYPER_MAX_HEADERS: usize = 100;

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// The open connections, and which of them are serving a request.
pub struct Connections {
    max: usize,
    epoch: Instant,
    open: Mutex<Registry>,
    /// Connections whose task has not ended. The registry forgets a connection as soon as it
    /// is told to close at once (displaced, or idle too long); this counts it until it has.
    live: AtomicUsize,
    /// Signalled when a connection closes or finishes a request, for an admission or a
    /// shutdown waiting.
    freed: Notify,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    entries: HashMap<u64, Entry>,
}

struct Entry {
    state: Arc<State>,
    /// Sending asks the connection to finish its request and close; dropping it closes the
    /// connection at once (see [`Closing`]).
    close: Option<oneshot::Sender<()>>,
}

/// What a connection's requests update as they start and end: atomics, so that serving a
/// request takes no lock; only admitting and closing connections take the registry's.
struct State {
    /// Requests on it between their head arriving and their answer being written.
    busy: AtomicUsize,
    /// Whether it has had an answer: a client that has is a real one, and is displaced last.
    served: AtomicBool,
    /// When it last became idle, in microseconds since `Connections::epoch`.
    idle_since: AtomicU64,
}

impl State {
    /// Whether a request on it is being read or answered. Acquire: a connection seen idle is
    /// seen with the time its last request ended.
    fn serving(&self) -> bool {
        self.busy.load(Acquire) > 0
    }
}

/// How often [`Connections::close_idle`] looks, as a fraction of the header timeout: a
/// connection is closed between 1 and 17/16 of the timeout after it last became idle.
const IDLE_CHECKS_PER_TIMEOUT: u32 = 16;

/// A connection's place among the open ones, given up when dropped.
pub struct Slot {
    requests: Requests,
    id: u64,
}

/// Completes when the connection must close: with `Ok` at shutdown, once the request it is
/// serving is answered; with `Err` at once, because it is idle and was displaced by a newcomer
/// or waited past the header timeout. A oneshot per connection, so that a connection's task,
/// which looks at it every time it wakes, shares no lock with the others.
pub type Closing = oneshot::Receiver<()>;

impl Connections {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Connections {
            max,
            epoch: Instant::now(),
            open: Mutex::default(),
            live: AtomicUsize::new(0),
            freed: Notify::new(),
        })
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// Makes room for one more connection. Below the limit that is at once. At the limit, an
    /// idle connection is closed: first one that has never finished a request (a client that
    /// sends nothing, or its head a byte at a time), the oldest first; else the keep-alive
    /// connection idle the longest, whose client can open another. When every connection is
    /// serving a request, this waits until one finishes, and new clients wait in the listen
    /// queue meanwhile.
    pub async fn admit(self: &Arc<Self>) -> (Slot, Closing) {
        loop {
            if let Some(admitted) = self.try_admit() {
                return admitted;
            }
            // A notification sent since `try_admit` looked is kept, so none is missed.
            self.freed.notified().await;
        }
    }

    fn try_admit(self: &Arc<Self>) -> Option<(Slot, Closing)> {
        let mut open = self.open.lock();
        if open.entries.len() >= self.max {
            let (&idle, _) =
                open.entries.iter().filter(|(_, e)| !e.state.serving()).min_by_key(|(_, e)| {
                    (e.state.served.load(Relaxed), e.state.idle_since.load(Relaxed))
                })?;
            open.entries.remove(&idle);
            tracing::debug!(max = self.max, "connection limit reached: closed an idle connection");
        }
        let id = open.next_id;
        open.next_id += 1;
        let (close, closing) = oneshot::channel();
        let state = Arc::new(State {
            busy: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            idle_since: AtomicU64::new(self.now()),
        });
        open.entries.insert(id, Entry { state: state.clone(), close: Some(close) });
        self.live.fetch_add(1, Relaxed);
        Some((Slot { requests: Requests { connections: self.clone(), state }, id }, closing))
    }

    /// At shutdown: asks every connection serving a request to answer it and close, and
    /// closes the others at once, including one still sending a head (hyper would wait for
    /// that head, and the header timeout no longer applies once asked).
    pub fn finish_all(&self) {
        self.open.lock().entries.retain(|_, entry| {
            if !entry.state.serving() {
                return false;
            }
            if let Some(close) = entry.close.take() {
                let _ = close.send(());
            }
            true
        });
    }

    /// Completes once every connection's task has ended.
    pub async fn all_closed(&self) {
        loop {
            // Listening before looking, so that a connection closing in between is not missed.
            let mut freed = std::pin::pin!(self.freed.notified());
            freed.as_mut().enable();
            if self.live.load(Acquire) == 0 {
                return;
            }
            freed.await;
        }
    }

    /// A task that closes, until it is aborted, every connection that has waited longer than
    /// `timeout` for a request head since it opened or since its last answer was written: a
    /// client sending its head a byte at a time, one that never sends, and keep-alive
    /// connections left idle.
    /// A connection serving a request (a long event stream included) is never closed here;
    /// its body and its answer have time limits of their own.
    ///
    /// One task looks at every connection a few times per timeout, in place of a timer per
    /// request (hyper's header timeout set one, and took it down again, for every request
    /// head: about 2.5% of a GetChannel's server CPU under load). A request costs nothing
    /// more here: its end already notes when the connection became idle.
    pub fn close_idle(self: &Arc<Self>, timeout: Duration) -> tokio::task::JoinHandle<()> {
        let connections = Arc::downgrade(self);
        let tick = (timeout / IDLE_CHECKS_PER_TIMEOUT).max(Duration::from_millis(1));
        let limit = timeout.as_micros() as u64;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(tick);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(connections) = connections.upgrade() else { return };
                let now = connections.now();
                connections.open.lock().entries.retain(|_, entry| {
                    let state = &entry.state;
                    state.serving() || now.saturating_sub(state.idle_since.load(Relaxed)) < limit
                });
            }
        })
    }
}

impl Slot {
    /// What marks the requests on this connection, for the service that serves them.
    pub fn requests(&self) -> Requests {
        self.requests.clone()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let connections = &self.requests.connections;
        connections.open.lock().entries.remove(&self.id);
        connections.live.fetch_sub(1, Release);
        connections.freed.notify_one();
    }
}

/// Marks requests on one connection as being served.
#[derive(Clone)]
pub struct Requests {
    connections: Arc<Connections>,
    state: Arc<State>,
}

impl Requests {
    /// The connection is busy until the returned guard is dropped (after the answer's last
    /// byte is written), and cannot be displaced meanwhile.
    pub fn start(&self) -> Busy {
        self.state.busy.fetch_add(1, Relaxed);
        Busy(self.clone())
    }
}

pub struct Busy(Requests);

impl Drop for Busy {
    fn drop(&mut self) {
        let Requests { connections, state } = &self.0;
        state.served.store(true, Relaxed);
        state.idle_since.store(connections.now(), Relaxed);
        // Release: whoever sees the connection idle also sees when it became so.
        state.busy.fetch_sub(1, Release);
        // Wakes an admission waiting for an idle connection; without one, this is an atomic
        // store.
        connections.freed.notify_one();
    }
}

/// The requests being read or answered, at most `max` at once.
pub struct InFlight {
    permits: Semaphore,
    max: usize,
}

impl InFlight {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(InFlight { permits: Semaphore::new(max), max })
    }
}

impl InFlight {
    /// A place among the requests in flight, held until dropped; beyond the limit, the error
    /// to answer at once: AWS's throttling error, which the SDKs retry with backoff, rather
    /// than a queue.
    pub fn enter(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        self.permits.try_acquire().map_err(|_| {
            let message = format!(
                "Rate exceeded: more than {} requests at once (--max-in-flight).",
                self.max
            );
            ApiError::new(ErrorCode::ThrottlingException, message)
        })
    }
}
