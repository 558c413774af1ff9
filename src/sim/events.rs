//! The events AWS would have sent to Amazon EventBridge, kept per (account, region) in a
//! bounded log and read at `GET /_ivs-local/events`: as one JSON answer, or, with `Accept:
//! text/event-stream`, as server-sent events that go on with each new event as it happens.
//!
//! Each [`Event`] serializes in EventBridge's envelope (`version`, `id`, `detail-type`,
//! `source`, `account`, `time`, `region`, `resources`, `detail`). Whoever changes state pushes
//! the event under the same lock, so the log and the state never disagree.

use crate::api::types::Timestamp;
use crate::server::App;
use crate::sim::ControlError;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Events kept per (account, region); the oldest go first.
pub const CAPACITY: usize = 10_000;

/// Orders events across scopes: the log of each scope is in order, and this merges them.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// One event, in EventBridge's envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub version: String,
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub account: String,
    pub time: Timestamp,
    pub region: String,
    pub resources: Vec<String>,
    pub detail: Value,
    #[serde(skip)]
    pub sequence: u64,
}

/// Live events, as they are recorded, for whoever listens (server-sent events, deliveries).
pub type Publisher = tokio::sync::broadcast::Sender<Arc<Event>>;

/// How many recorded events a slow listener may fall behind before it misses some.
pub const PUBLISH_BACKLOG: usize = 4096;

pub struct EventLog {
    events: VecDeque<Event>,
    publisher: Publisher,
    /// How many of the newest events were pushed since the last `drain_changes`.
    appended: usize,
    /// Sequence numbers of the events dropped since then to keep within [`CAPACITY`].
    evicted: Vec<u64>,
}

impl EventLog {
    /// An empty log that announces each new event on `publisher`.
    pub fn new(publisher: Publisher) -> Self {
        EventLog { events: VecDeque::new(), publisher, appended: 0, evicted: Vec::new() }
    }

    /// Events pushed and dropped since the last call, for persistence: each new event with its
    /// sequence number, and the sequence numbers of those dropped.
    pub fn drain_changes(&mut self) -> (Vec<&Event>, Vec<u64>) {
        let appended = std::mem::take(&mut self.appended).min(self.events.len());
        let evicted = std::mem::take(&mut self.evicted);
        (self.events.iter().skip(self.events.len() - appended).collect(), evicted)
    }

    /// Forgets what changed (nothing is persisted).
    pub fn forget_changes(&mut self) {
        self.appended = 0;
        self.evicted.clear();
    }

    /// Puts back an event read from disk or from an exported state, oldest first. `sequence`
    /// is the one it had (from disk), or `None` to number it now (an imported one, which then
    /// counts as changed).
    pub fn restore(&mut self, mut event: Event, sequence: Option<u64>) {
        match sequence {
            Some(seq) => {
                SEQUENCE.fetch_max(seq + 1, Ordering::Relaxed);
                event.sequence = seq;
            }
            None => {
                event.sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
                self.appended += 1;
            }
        }
        if self.events.len() == CAPACITY
            && let Some(old) = self.events.pop_front()
        {
            self.evicted.push(old.sequence);
        }
        self.events.push_back(event);
    }

    /// Records an event of `detail_type` (e.g. `IVS Stream State Change`) about `resources`.
    pub fn push(
        &mut self,
        scope: &crate::store::Scope,
        detail_type: &str,
        time: Timestamp,
        resources: Vec<String>,
        detail: Value,
    ) -> &Event {
        if self.events.len() == CAPACITY
            && let Some(old) = self.events.pop_front()
        {
            self.evicted.push(old.sequence);
        }
        self.appended += 1;
        self.events.push_back(Event {
            version: "0".into(),
            id: uuid::Uuid::new_v4().to_string(),
            detail_type: detail_type.to_string(),
            source: "aws.ivs".into(),
            account: scope.account.clone(),
            time,
            region: scope.region.clone(),
            resources,
            detail,
            sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
        });
        let event = self.events.back().expect("just pushed");
        // Nobody listening is the usual case, and not an error.
        if self.publisher.receiver_count() > 0 {
            let _ = self.publisher.send(Arc::new(event.clone()));
        }
        event
    }

    /// Every event kept, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> {
        self.events.iter()
    }
}

#[derive(Deserialize)]
pub struct EventsQuery {
    /// Only events naming this ARN among their `resources`.
    resource: Option<String>,
    /// Only events at or after this time (RFC 3339).
    since: Option<String>,
    /// Only events of this `detail-type`.
    #[serde(rename = "detail-type")]
    detail_type: Option<String>,
}

impl EventsQuery {
    fn matches(&self, e: &Event, since: Option<Timestamp>) -> bool {
        self.resource.as_ref().is_none_or(|r| e.resources.contains(r))
            && since.is_none_or(|s| e.time >= s)
            && self.detail_type.as_ref().is_none_or(|t| &e.detail_type == t)
    }
}

/// `GET /_ivs-local/events`: the events of every account and region, oldest first; as a
/// stream of server-sent events when the client accepts `text/event-stream`.
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return ControlError::bad_request(
            "Query parameters are resource=ARN, since=RFC3339 time and detail-type=TYPE.",
        )
        .into_response();
    };
    let since = match query.since.as_deref().map(parse_time).transpose() {
        Ok(since) => since,
        Err(e) => return e.into_response(),
    };
    let wants_stream = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    // Subscribe before reading the log, so no event falls between the two.
    let live = wants_stream.then(|| app.store.events().subscribe());
    let mut events: Vec<Event> = Vec::new();
    for scope in app.store.all_scopes() {
        let state = scope.read();
        events.extend(state.events.iter().filter(|e| query.matches(e, since)).cloned());
    }
    events.sort_by_key(|e| e.sequence);
    let Some(live) = live else {
        return Json(serde_json::json!({ "events": events })).into_response();
    };
    stream(events, live, query, since)
}

/// The recorded events, then each new one as it is recorded, as server-sent events (`event:`
/// the detail-type, `id:` the event id, `data:` the envelope). A listener that falls more than
/// [`PUBLISH_BACKLOG`] events behind gets a `lagged` event saying how many it missed.
fn stream(
    recorded: Vec<Event>,
    live: tokio::sync::broadcast::Receiver<Arc<Event>>,
    query: EventsQuery,
    since: Option<Timestamp>,
) -> Response {
    use axum::response::sse::{Event as Sse, KeepAlive};
    use tokio_stream::StreamExt;
    use tokio_stream::wrappers::BroadcastStream;
    use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

    let last_recorded = recorded.last().map(|e| e.sequence);
    let to_sse =
        |e: &Event| Sse::default().event(e.detail_type.clone()).id(e.id.clone()).json_data(e).ok();
    let first: Vec<Sse> = recorded.iter().filter_map(to_sse).collect();
    let new = BroadcastStream::new(live).filter_map(move |item| match item {
        // Already sent from the log.
        Ok(e) if last_recorded.is_some_and(|last| e.sequence <= last) => None,
        Ok(e) if query.matches(&e, since) => to_sse(&e),
        Ok(_) => None,
        Err(BroadcastStreamRecvError::Lagged(n)) => {
            Some(Sse::default().event("lagged").data(format!("{n} events were missed")))
        }
    });
    let all = tokio_stream::iter(first).chain(new).map(Ok::<_, std::convert::Infallible>);
    axum::response::sse::Sse::new(all).keep_alive(KeepAlive::default()).into_response()
}

fn parse_time(text: &str) -> Result<Timestamp, ControlError> {
    use aws_smithy_types::date_time::{DateTime, Format};
    DateTime::from_str(text, Format::DateTime).map(Timestamp).map_err(|_| {
        ControlError::bad_request(format!(
            "since '{text}' is not an RFC 3339 time such as 2024-01-01T00:00:00Z"
        ))
    })
}
