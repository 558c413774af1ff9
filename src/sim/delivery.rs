//! Delivering events where applications listen: `--events-webhook URL` POSTs each event, in
//! EventBridge's envelope, to an HTTP endpoint.
//!
//! Delivery runs in its own task, fed by the event publisher, so it never slows an API
//! request. Events go out one at a time in the order they were recorded (so in order per
//! resource too); a failed POST (a connection error or a non-2xx answer) is retried with
//! exponential backoff before the next event is sent.
//!
//! LIMITATIONS: plain `http://` endpoints only (an emulator's webhook is a local listener);
//! an event is given up after [`ATTEMPTS`] tries, and a listener that falls more than the
//! publisher's backlog behind misses events (both are logged).

use crate::sim::events::{Event, Publisher};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Tries per event before it is given up.
pub const ATTEMPTS: u32 = 8;
/// The first retry's delay; each next one doubles, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long one POST may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Checks `url` and starts delivering every new event to it. Must be called inside the
/// runtime; the task ends when the server (the publisher) goes away.
pub fn spawn_webhook(events: &Publisher, url: &str) -> Result<(), String> {
    let uri: Uri =
        url.parse().map_err(|e| format!("--events-webhook {url:?} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(format!("--events-webhook {url:?} must be an http:// URL"));
    }
    let mut receiver = events.subscribe();
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    tokio::spawn(async move {
        loop {
            match receiver.recv().await {
                Ok(event) => deliver(&client, &uri, &event).await,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "webhook delivery fell behind; events were missed")
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    Ok(())
}

async fn deliver(client: &Client<HttpConnector, Full<Bytes>>, uri: &Uri, event: &Arc<Event>) {
    let body = Bytes::from(serde_json::to_vec(event.as_ref()).expect("events serialize"));
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let request = Request::post(uri.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-ivs-local-event-id", &event.id)
            .body(Full::new(body.clone()))
            .expect("a valid request");
        let outcome = tokio::time::timeout(TIMEOUT, client.request(request)).await;
        let why = match outcome {
            Ok(Ok(response)) if response.status().is_success() => return,
            Ok(Ok(response)) => format!("answered {}", response.status()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_string(),
        };
        if attempt == ATTEMPTS {
            tracing::warn!(event = %event.id, %why, "webhook delivery gave up");
            return;
        }
        tracing::debug!(event = %event.id, attempt, %why, "webhook delivery failed; retrying");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
