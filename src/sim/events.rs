//! The events AWS would have sent to Amazon EventBridge, kept per (account, region) in a
//! bounded log and read at `GET /_ivs-local/events`.
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
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub version: &'static str,
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: &'static str,
    pub account: String,
    pub time: Timestamp,
    pub region: String,
    pub resources: Vec<String>,
    pub detail: Value,
    #[serde(skip)]
    pub sequence: u64,
}

#[derive(Default)]
pub struct EventLog {
    events: VecDeque<Event>,
}

impl EventLog {
    /// Records an event of `detail_type` (e.g. `IVS Stream State Change`) about `resources`.
    pub fn push(
        &mut self,
        scope: &crate::store::Scope,
        detail_type: &str,
        time: Timestamp,
        resources: Vec<String>,
        detail: Value,
    ) -> &Event {
        if self.events.len() == CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(Event {
            version: "0",
            id: uuid::Uuid::new_v4().to_string(),
            detail_type: detail_type.to_string(),
            source: "aws.ivs",
            account: scope.account.clone(),
            time,
            region: scope.region.clone(),
            resources,
            detail,
            sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
        });
        self.events.back().expect("just pushed")
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

/// `GET /_ivs-local/events`: the events of every account and region, oldest first.
pub async fn list(
    State(app): State<Arc<App>>,
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
    let mut events: Vec<Event> = Vec::new();
    for scope in app.store.all_scopes() {
        let state = scope.read();
        events.extend(
            state
                .events
                .iter()
                .filter(|e| query.resource.as_ref().is_none_or(|r| e.resources.contains(r)))
                .filter(|e| since.is_none_or(|s| e.time >= s))
                .filter(|e| query.detail_type.as_ref().is_none_or(|t| &e.detail_type == t))
                .cloned(),
        );
    }
    events.sort_by_key(|e| e.sequence);
    Json(serde_json::json!({ "events": events })).into_response()
}

fn parse_time(text: &str) -> Result<Timestamp, ControlError> {
    use aws_smithy_types::date_time::{DateTime, Format};
    DateTime::from_str(text, Format::DateTime).map(Timestamp).map_err(|_| {
        ControlError::bad_request(format!(
            "since '{text}' is not an RFC 3339 time such as 2024-01-01T00:00:00Z"
        ))
    })
}
