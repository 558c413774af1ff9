//! Cloud Control's resource-operation requests of one (account, region): every Create,
//! Update and Delete leaves a ProgressEvent, found by its request token, listed newest first,
//! and remembered by client token so that a retried request is answered, not repeated.
//!
//! Records are kept in a bounded log (AWS keeps them for 7 days). Nothing here runs a
//! handler; `cloudcontrol/mod.rs` decides what a request does.

use crate::api::types::cloudcontrol::ProgressEvent;
use std::collections::{BTreeMap, HashMap};

/// Requests kept per (account, region); the oldest go first.
pub const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct Requests {
    /// By sequence number, oldest first.
    events: BTreeMap<u64, ProgressEvent>,
    /// Request token -> sequence number.
    by_token: HashMap<String, u64>,
    /// Client token -> (request token, the request it came with).
    by_client_token: HashMap<String, (String, String)>,
    /// Request token -> the client token it came with.
    client_token_of: HashMap<String, String>,
    next: u64,
    /// Sequence numbers inserted and dropped since the last `drain_changes`, for persistence.
    inserted: Vec<u64>,
    evicted: Vec<u64>,
}

/// One request as persisted and exported: its event and the client token it came with.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
    pub sequence: u64,
    pub event: ProgressEvent,
    pub client_token: Option<(String, String)>,
}

/// What a client token says about a new request.
pub enum ClientToken<'a> {
    /// Never seen: go ahead.
    New,
    /// Seen with the same request: answer this event again.
    Repeat(&'a ProgressEvent),
    /// Seen with a different request.
    Conflict,
}

impl Requests {
    /// Checks `client_token` against the requests made with it before; `request` identifies
    /// what is asked (operation, type, input).
    pub fn client_token(&self, client_token: &str, request: &str) -> ClientToken<'_> {
        match self.by_client_token.get(client_token) {
            None => ClientToken::New,
            Some((token, seen)) if seen == request => {
                match self.by_token.get(token).and_then(|seq| self.events.get(seq)) {
                    Some(event) => ClientToken::Repeat(event),
                    None => ClientToken::New,
                }
            }
            Some(_) => ClientToken::Conflict,
        }
    }

    /// Records a request's final event.
    pub fn insert(&mut self, event: ProgressEvent, client_token: Option<(String, String)>) {
        if self.events.len() == CAPACITY
            && let Some((seq, old)) = self.events.pop_first()
        {
            self.evicted.push(seq);
            if let Some(token) = &old.request_token {
                self.by_token.remove(token);
                self.client_token_of.remove(token);
            }
        }
        let seq = self.next;
        self.next += 1;
        self.inserted.push(seq);
        let token = event.request_token.clone().unwrap_or_default();
        self.by_token.insert(token.clone(), seq);
        if let Some((client_token, request)) = client_token {
            self.client_token_of.insert(token.clone(), client_token.clone());
            self.by_client_token.insert(client_token, (token, request));
        }
        self.events.insert(seq, event);
    }

    /// Every request kept, oldest first, in the form it is persisted and exported.
    pub fn stored(&self) -> impl Iterator<Item = Stored> + '_ {
        self.events.keys().filter_map(|seq| self.stored_one(*seq))
    }

    fn stored_one(&self, seq: u64) -> Option<Stored> {
        let event = self.events.get(&seq)?.clone();
        let token = event.request_token.as_deref().unwrap_or_default();
        let client_token = self.client_token_of.get(token).and_then(|c| {
            let (_, request) = self.by_client_token.get(c)?;
            Some((c.clone(), request.clone()))
        });
        Some(Stored { sequence: seq, event, client_token })
    }

    /// Puts back a request read from disk or from an exported state, oldest first.
    pub fn restore(&mut self, stored: Stored) {
        let seq = stored.sequence;
        let token = stored.event.request_token.clone().unwrap_or_default();
        self.by_token.insert(token.clone(), seq);
        if let Some((client_token, request)) = stored.client_token {
            self.client_token_of.insert(token.clone(), client_token.clone());
            self.by_client_token.insert(client_token, (token, request));
        }
        self.events.insert(seq, stored.event);
        self.next = self.next.max(seq + 1);
    }

    /// The requests inserted and dropped since the last call: each new one as persisted, and
    /// the sequence numbers of those dropped.
    pub fn drain_changes(&mut self) -> (Vec<Stored>, Vec<u64>) {
        let inserted = std::mem::take(&mut self.inserted);
        let evicted = std::mem::take(&mut self.evicted);
        (inserted.into_iter().filter_map(|seq| self.stored_one(seq)).collect(), evicted)
    }

    /// Forgets what changed (nothing is persisted).
    pub fn forget_changes(&mut self) {
        self.inserted.clear();
        self.evicted.clear();
    }

    pub fn get(&self, request_token: &str) -> Option<&ProgressEvent> {
        self.by_token.get(request_token).and_then(|seq| self.events.get(seq))
    }

    /// Events newest first, starting after the one with sequence number `after` (exclusive),
    /// for ListResourceRequests' pages; each with its sequence number.
    pub fn newest_first(&self, before: Option<u64>) -> impl Iterator<Item = (u64, &ProgressEvent)> {
        let end = before.unwrap_or(u64::MAX);
        self.events.range(..end).rev().map(|(seq, e)| (*seq, e))
    }
}
