//! Delivering events where applications listen: `--events-webhook URL` POSTs each event, in
//! EventBridge's envelope, to an HTTP endpoint; `--eventbridge-endpoint URL` puts each one on
//! an EventBridge-compatible API (LocalStack, moto) with `PutEvents`, signed with SigV4 by
//! `aws-sigv4`, on the default bus of the event's own account and region, so rules and targets
//! there receive `IVS Stream State Change` and `IVS Stage Update` as they would from AWS.
//!
//! Delivery runs in its own task per target, fed by the event publisher, so it never slows an
//! API request. Events go out one at a time in the order they were recorded (so in order per
//! resource too); a failed request (a connection error or a non-2xx answer) is retried with
//! exponential backoff before the next event is sent.
//!
//! LIMITATIONS: plain `http://` endpoints only (webhooks, LocalStack and moto are local
//! listeners); entries EventBridge refuses inside a 200 answer are logged, not retried; an
//! event is given up after [`ATTEMPTS`] tries, and a target that falls more than the
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
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(10);

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Where events go.
enum Target {
    /// The envelope as JSON, POSTed as it is.
    Webhook(Uri),
    /// `AWSEvents.PutEvents` on an EventBridge-compatible endpoint.
    EventBridge(Uri),
}

/// Checks `url` and starts delivering every new event to it as a webhook. Must be called
/// inside the runtime; the task ends when the server (the publisher) goes away.
pub fn spawn_webhook(events: &Publisher, url: &str) -> Result<(), String> {
    spawn(events, Target::Webhook(http_url("--events-webhook", url)?));
    Ok(())
}

/// Checks `url` and starts putting every new event on that EventBridge endpoint.
pub fn spawn_eventbridge(events: &Publisher, url: &str) -> Result<(), String> {
    spawn(events, Target::EventBridge(http_url("--eventbridge-endpoint", url)?));
    Ok(())
}

fn http_url(flag: &str, url: &str) -> Result<Uri, String> {
    let uri: Uri = url.parse().map_err(|e| format!("{flag} {url:?} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(format!("{flag} {url:?} must be an http:// URL"));
    }
    Ok(uri)
}

fn spawn(events: &Publisher, target: Target) {
    let mut receiver = events.subscribe();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    tokio::spawn(async move {
        loop {
            match receiver.recv().await {
                Ok(event) => deliver(&client, &target, &event).await,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "event delivery fell behind; events were missed")
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

async fn deliver(client: &HttpClient, target: &Target, event: &Arc<Event>) {
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let outcome = tokio::time::timeout(TIMEOUT, client.request(request(target, event))).await;
        let why = match outcome {
            Ok(Ok(response)) if response.status().is_success() => {
                if let Target::EventBridge(_) = target {
                    log_refused_entries(response, event).await;
                }
                return;
            }
            Ok(Ok(response)) => format!("answered {}", response.status()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_string(),
        };
        if attempt == ATTEMPTS {
            tracing::warn!(event = %event.id, %why, "event delivery gave up");
            return;
        }
        tracing::debug!(event = %event.id, attempt, %why, "event delivery failed; retrying");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// The request that delivers `event` to `target`.
fn request(target: &Target, event: &Event) -> Request<Full<Bytes>> {
    match target {
        Target::Webhook(uri) => {
            let body = serde_json::to_vec(event).expect("events serialize");
            Request::post(uri.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-ivs-local-event-id", &event.id)
                .body(Full::new(Bytes::from(body)))
                .expect("a valid request")
        }
        Target::EventBridge(uri) => put_events(uri, event),
    }
}

/// `PutEvents` with one entry, signed for the event's own account and region: a 12-digit
/// access key is the account to LocalStack and to moto, as it is to ivs-local.
fn put_events(uri: &Uri, event: &Event) -> Request<Full<Bytes>> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let entry = serde_json::json!({
        "Entries": [{
            "Source": event.source,
            "DetailType": event.detail_type,
            "Detail": event.detail.to_string(),
            "Resources": event.resources,
            "Time": event.time.0.as_secs_f64(),
            "EventBusName": "default",
        }],
    });
    let body = serde_json::to_vec(&entry).expect("events serialize");
    let host = uri.authority().map(|a| a.as_str().to_string()).unwrap_or_default();
    let mut request = Request::post(uri.clone())
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSEvents.PutEvents")
        .header(header::HOST, host)
        .body(Full::new(Bytes::from(body.clone())))
        .expect("a valid request");
    let identity = aws_credential_types::Credentials::new(
        &event.account,
        "ivs-local",
        None,
        None,
        "ivs-local",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&event.region)
        .name("events")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("complete signing parameters")
        .into();
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let signed = SignableRequest::new(
        "POST",
        uri.to_string(),
        headers.into_iter(),
        SignableBody::Bytes(&body),
    )
    .and_then(|signable| sign(signable, &params));
    match signed {
        Ok(output) => output.into_parts().0.apply_to_request_http1x(&mut request),
        Err(e) => tracing::warn!(error = %e, "could not sign PutEvents; sending it unsigned"),
    }
    request
}

/// PutEvents answers 200 even when it refuses an entry; say so in the log.
async fn log_refused_entries(response: hyper::Response<hyper::body::Incoming>, event: &Event) {
    use http_body_util::BodyExt;
    let Ok(body) = response.into_body().collect().await else { return };
    let answer: serde_json::Value = serde_json::from_slice(&body.to_bytes()).unwrap_or_default();
    if answer["FailedEntryCount"].as_u64().unwrap_or(0) > 0 {
        tracing::warn!(event = %event.id, answer = %answer, "EventBridge refused the event");
    }
}
