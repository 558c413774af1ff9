//! `--events-webhook URL`: every event is POSTed to the URL as it happens, in EventBridge's
//! envelope, in order, and retried when the listener fails.

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use ivs_local::server::Config;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A listener that refuses its first `fail` deliveries (500) and keeps the rest.
#[derive(Default)]
struct Listener {
    fail: usize,
    attempts: usize,
    accepted: Vec<Value>,
}

async fn receive(State(listener): State<Arc<Mutex<Listener>>>, body: String) -> StatusCode {
    let mut l = listener.lock().unwrap();
    l.attempts += 1;
    if l.attempts <= l.fail {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    l.accepted.push(serde_json::from_str(&body).unwrap());
    StatusCode::OK
}

#[tokio::test]
async fn events_are_posted_in_order_and_retried() {
    let listener = Arc::new(Mutex::new(Listener { fail: 2, ..Default::default() }));
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", socket.local_addr().unwrap());
    let app = Router::new().route("/hook", post(receive)).with_state(listener.clone());
    tokio::spawn(async move { axum::serve(socket, app).await.unwrap() });

    let server =
        common::start_with(Config { events_webhook: Some(hook), ..Config::default() }).await;
    let made = server.ivs().create_channel().name("hooked").send().await.unwrap();
    let channel = made.channel().unwrap().arn().unwrap().to_string();
    let key = made.stream_key().unwrap().value().unwrap().to_string();
    let client = reqwest::Client::new();
    for (route, body) in
        [("start", json!({"streamKey": key})), ("stop", json!({"channelArn": channel}))]
    {
        let url = format!("{}/_ivs-local/broadcasts/{route}", server.url);
        assert_eq!(server.send(client.post(url).json(&body)).await.status, 200);
    }

    // The same events as the log, in the same order, each once.
    let logged = server.send(client.get(format!("{}/_ivs-local/events", server.url))).await;
    let logged: Vec<Value> = logged.json["events"].as_array().unwrap().clone();
    assert_eq!(logged.len(), 4, "{logged:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while listener.lock().unwrap().accepted.len() < logged.len() {
        assert!(tokio::time::Instant::now() < deadline, "not all events were delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let l = listener.lock().unwrap();
    assert_eq!(l.accepted, logged);
    assert_eq!(l.attempts, logged.len() + 2, "the two refused deliveries were retried");
    assert_eq!(l.accepted[0]["detail-type"], "IVS Stream State Change");
}

#[tokio::test]
async fn a_webhook_that_is_not_an_http_url_stops_the_start() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = Config { events_webhook: Some("ftp://example".into()), ..Config::default() };
    let err = ivs_local::server::run(listener, config, async {}).await.unwrap_err();
    assert!(err.to_string().contains("http://"), "{err}");
}
