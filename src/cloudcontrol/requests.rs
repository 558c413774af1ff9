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
    next: u64,
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
            && let Some((_, old)) = self.events.pop_first()
            && let Some(token) = &old.request_token
        {
            self.by_token.remove(token);
        }
        let seq = self.next;
        self.next += 1;
        let token = event.request_token.clone().unwrap_or_default();
        self.by_token.insert(token.clone(), seq);
        if let Some((client_token, request)) = client_token {
            self.by_client_token.insert(client_token, (token, request));
        }
        self.events.insert(seq, event);
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
