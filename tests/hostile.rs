//! Hostile clients are cut off after a bounded time and never starve the others: headers sent a
//! byte at a time, hundreds of connections that send nothing, a client that stops reading its
//! answer, endless chunked bodies, heads over the size limits, more requests at once than the
//! server takes. In each test a well-behaved client (the AWS SDK) is served while the hostile
//! one is at work.
//!
//! The servers run with short limits set in their `Config`, so the file takes a few seconds.
//! The bound on a well-behaved call is generous: it checks that the call is answered at all,
//! not how fast.

mod common;

use common::TestServer;
use ivs_local::limits::Limits;
use ivs_local::server::Config;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};

/// How long a well-behaved call may take and still count as answered while under attack.
const PROMPTLY: Duration = Duration::from_secs(5);

async fn start(limits: Limits) -> TestServer {
    common::start_with(Config { limits, ..Config::default() }).await
}

/// `future`'s output, or a failure naming `what` when it takes more than [`PROMPTLY`].
async fn promptly<F: std::future::Future>(what: &str, future: F) -> F::Output {
    timeout(PROMPTLY, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {PROMPTLY:?}"))
}

/// A few SDK calls, each answered within [`PROMPTLY`].
async fn well_behaved(server: &TestServer, label: &str) {
    let ivs = server.ivs();
    for i in 0..3 {
        let name = format!("{label}-{i}");
        promptly(&format!("CreateChannel {name}"), ivs.create_channel().name(&name).send())
            .await
            .expect("CreateChannel succeeds");
        let listed = promptly(
            &format!("ListChannels {name}"),
            ivs.list_channels().filter_by_name(&name).send(),
        )
        .await
        .expect("ListChannels succeeds");
        assert_eq!(listed.channels().len(), 1);
    }
}

async fn connect(addr: SocketAddr) -> TcpStream {
    promptly("connect", TcpStream::connect(addr)).await.expect("connected")
}

/// Reads until the server closes the connection (or resets it), for at most `limit`; what
/// arrived, or `None` when the connection was still open at the end.
async fn read_until_closed(
    stream: &mut (impl AsyncReadExt + Unpin),
    limit: Duration,
) -> Option<Vec<u8>> {
    let deadline = Instant::now() + limit;
    let mut received = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

const SLOW_HEAD: &[u8] = b"POST /ListChannels HTTP/1.1\r\nHost: localhost\r\n\
    Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

/// Sends [`SLOW_HEAD`] one byte every 50 ms (about 5 s in all), and returns how many bytes
/// were sent before the server closed the connection.
async fn slowloris(addr: SocketAddr) -> usize {
    let mut stream = connect(addr).await;
    let mut buf = [0u8; 1024];
    for (sent, byte) in SLOW_HEAD.iter().enumerate() {
        if stream.write_all(&[*byte]).await.is_err() {
            return sent;
        }
        // Anything read (an end, a reset, an answer) means the server is done with us.
        if timeout(Duration::from_millis(50), stream.read(&mut buf)).await.is_ok() {
            return sent + 1;
        }
    }
    SLOW_HEAD.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_silent_connections_are_cut_off_at_the_header_timeout() {
    let server =
        start(Limits { header_timeout: Duration::from_millis(500), ..Limits::default() }).await;
    let mut slow = JoinSet::new();
    for _ in 0..20 {
        slow.spawn(slowloris(server.addr));
    }
    // A connection that never sends a byte, and one that starts a TLS handshake and stops.
    let mut silent = connect(server.addr).await;
    let mut half_tls = connect(server.addr).await;
    half_tls.write_all(&[0x16, 0x03, 0x01]).await.unwrap();

    well_behaved(&server, "slowloris").await;

    while let Some(sent) = slow.join_next().await {
        let sent = sent.unwrap();
        assert!(sent < SLOW_HEAD.len(), "cut off before its head was complete ({sent} bytes)");
    }
    for (what, stream) in [("silent", &mut silent), ("half a TLS handshake", &mut half_tls)] {
        assert!(
            read_until_closed(stream, Duration::from_secs(5)).await.is_some(),
            "the {what} connection is closed"
        );
    }
    // The header timeout also closes a keep-alive connection left idle after its answer.
    let mut idle = connect(server.addr).await;
    idle.write_all(b"GET /_ivs-local/health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let answered = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    let answered = String::from_utf8_lossy(answered.as_deref().expect("closed once idle"));
    assert!(answered.starts_with("HTTP/1.1 200"), "answered first: {answered}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_silent_connections_beyond_the_limit_do_not_crowd_out_a_client() {
    // The header timeout stays at its default: the connection limit alone must do it.
    const MAX: usize = 16;
    let server = start(Limits { max_connections: MAX, ..Limits::default() }).await;
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(connect(server.addr).await);
    }
    // And more keep coming while the client works.
    let addr = server.addr;
    let flood = tokio::spawn(async move {
        let mut more = Vec::new();
        while more.len() < 200 {
            match timeout(PROMPTLY, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => more.push(stream),
                _ => break,
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        std::future::pending::<()>().await;
    });

    well_behaved(&server, "crowded").await;
    flood.abort();

    // The server holds at most MAX connections: the rest of the first 300 were closed.
    let mut checks = JoinSet::new();
    for mut stream in silent {
        checks.spawn(async move {
            read_until_closed(&mut stream, Duration::from_millis(500)).await.is_some()
        });
    }
    let mut closed = 0;
    while let Some(was_closed) = checks.join_next().await {
        closed += usize::from(was_closed.unwrap());
    }
    assert!(closed >= 300 - MAX, "only {closed} of 300 silent connections were closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_keep_alive_connection_outlasts_silent_newcomers() {
    const MAX: usize = 8;
    let server = start(Limits { max_connections: MAX, ..Limits::default() }).await;
    let stream = connect(server.addr).await;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, String>(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let health = || {
        hyper::Request::get("/_ivs-local/health")
            .header("host", "localhost")
            .body(String::new())
            .unwrap()
    };
    let first = promptly("the first request", sender.send_request(health())).await.unwrap();
    assert_eq!(first.status(), 200);
    drop(first);

    // Silent connections, many times the limit, all newer than the client's last answer.
    let mut silent = Vec::new();
    for _ in 0..10 * MAX {
        silent.push(connect(server.addr).await);
    }
    // The silent ones were displaced first: the keep-alive connection still serves.
    promptly("the connection is still usable", sender.ready()).await.unwrap();
    let second = promptly("the second request", sender.send_request(health())).await.unwrap();
    assert_eq!(second.status(), 200);
}

/// An init file making 100 channels with 50 long tags each: a ListChannels page of about 2 MB.
fn big_channels() -> String {
    let tags: serde_json::Map<String, serde_json::Value> =
        (0..50).map(|t| (format!("{t:02}{}", "k".repeat(126)), json!("v".repeat(256)))).collect();
    let calls: Vec<_> = (0..100)
        .map(|i| {
            json!({"service": "ivs", "operation": "CreateChannel",
                   "input": {"name": format!("big-{i}"), "tags": tags}})
        })
        .collect();
    serde_json::to_string(&calls).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_its_answers_is_cut_off() {
    let server = common::start_with(Config {
        init: Some(("big.json".into(), big_channels())),
        limits: Limits { write_timeout: Duration::from_millis(500), ..Limits::default() },
        ..Config::default()
    })
    .await;
    let page = server.post("ListChannels", r#"{"maxResults": 100}"#).await;
    let page_len = page.json.to_string().len();
    assert!(page_len > 1_000_000, "a big page: {page_len} bytes");

    // Eight pages asked for at once on a socket with a tiny receive buffer, and not read:
    // several times what the kernel's buffers on both sides can hold.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = promptly("connect", socket.connect(server.addr)).await.unwrap();
    let request = b"POST /ListChannels HTTP/1.1\r\nHost: localhost\r\n\
        Content-Type: application/json\r\nContent-Length: 19\r\n\r\n{\"maxResults\": 100}";
    stalled.write_all(&request.repeat(8)).await.unwrap();

    well_behaved(&server, "reader").await;
    // Well past the write timeout, the client starts reading again: it gets what the kernel
    // had buffered, then the end, not the eight pages.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = read_until_closed(&mut stalled, Duration::from_secs(20))
        .await
        .expect("the server closed the stalled connection");
    assert!(received.starts_with(b"HTTP/1.1 200"), "the first answer had begun");
    assert!(
        received.len() < 8 * page_len,
        "cut off: {} bytes of {} arrived",
        received.len(),
        8 * page_len
    );
}

/// Starts a chunked POST whose body never ends: `chunk` sent every `interval`. The request
/// asks `Expect: 100-continue`, so the server's `100 Continue` shows it has begun reading the
/// body (and so taken a place among the requests in flight) before this returns. The task
/// returned yields the final answer, read until the server closed the connection.
async fn endless_chunked_body(
    addr: SocketAddr,
    chunk: Vec<u8>,
    interval: Duration,
) -> tokio::task::JoinHandle<String> {
    let stream = connect(addr).await;
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(
            b"POST /CreateChannel HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n\
              Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
    const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut interim = vec![0u8; CONTINUE.len()];
    promptly("100 Continue", reader.read_exact(&mut interim)).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&interim), String::from_utf8_lossy(CONTINUE));
    let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk, b"\r\n".to_vec()].concat();
    let sender = tokio::spawn(async move {
        while writer.write_all(&framed).await.is_ok() {
            tokio::time::sleep(interval).await;
        }
    });
    tokio::spawn(async move {
        let answer = read_until_closed(&mut reader, Duration::from_secs(10))
            .await
            .expect("the server closed the connection");
        sender.abort();
        String::from_utf8_lossy(&answer).into_owned()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_chunked_bodies_end_at_the_size_limit_or_the_body_timeout() {
    let server = start(Limits { body_timeout: Duration::from_secs(1), ..Limits::default() }).await;
    // Sent as fast as the server takes it: the 1 MiB limit comes first.
    let flood = endless_chunked_body(server.addr, vec![b' '; 64 * 1024], Duration::ZERO).await;
    // A byte every 50 ms: the body timeout comes first.
    let trickle = endless_chunked_body(server.addr, b" ".to_vec(), Duration::from_millis(50)).await;

    well_behaved(&server, "chunked").await;

    let flood = flood.await.unwrap();
    assert!(flood.starts_with("HTTP/1.1 413"), "{flood}");
    assert!(flood.to_lowercase().contains("x-amzn-errortype: payloadtoolargeexception"), "{flood}");
    let trickle = trickle.await.unwrap();
    assert!(trickle.starts_with("HTTP/1.1 408"), "{trickle}");
    let lower = trickle.to_lowercase();
    assert!(lower.contains("x-amzn-errortype: requesttimeoutexception"), "{trickle}");
    assert!(lower.contains("connection: close"), "{trickle}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_with_broken_chunked_framing_is_a_bad_request() {
    let server = start(Limits::default()).await;
    let mut stream = connect(server.addr).await;
    stream
        .write_all(
            b"POST /CreateChannel HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
              zz\r\n{}\r\n0\r\n\r\n",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the server answers and closes the connection");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let lower = answer.to_lowercase();
    assert!(lower.contains("x-amzn-errortype: serializationexception"), "{answer}");
    assert!(lower.contains("connection: close"), "{answer}");
    well_behaved(&server, "after-bad-framing").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_over_the_size_or_header_count_limit_are_refused_with_431() {
    let server =
        start(Limits { max_header_bytes: 4096, max_headers: 20, ..Limits::default() }).await;
    let head = |pad: usize, headers: usize, end: &str| {
        let extra: String = (0..headers).map(|i| format!("X-H{i}: v\r\n")).collect();
        let pad = "p".repeat(pad);
        format!("GET /_ivs-local/health HTTP/1.1\r\nHost: x\r\nX-Pad: {pad}\r\n{extra}{end}")
    };
    // Within both limits: answered, and the connection stays open.
    let mut within = connect(server.addr).await;
    within.write_all(head(3000, 15, "\r\n").as_bytes()).await.unwrap();
    let mut answer = [0u8; 12];
    promptly("an answer", within.read_exact(&mut answer)).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    // Too long, too many headers, and too long while still arriving (no end of head).
    for (what, request) in [
        ("a 5,000-byte header", head(5000, 0, "\r\n")),
        ("25 headers", head(10, 25, "\r\n")),
        ("a head that grows past the limit", head(5000, 0, "")),
    ] {
        let mut stream = connect(server.addr).await;
        stream.write_all(request.as_bytes()).await.unwrap();
        let answer = read_until_closed(&mut stream, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("{what}: the connection is closed"));
        let answer = String::from_utf8_lossy(&answer).to_lowercase();
        assert!(answer.starts_with("http/1.1 431"), "{what}: {answer}");
        assert!(answer.contains("connection: close"), "{what}: {answer}");
    }
    well_behaved(&server, "after-big-heads").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_limit_are_throttled_until_slots_free() {
    let server = start(Limits {
        max_in_flight: 2,
        body_timeout: Duration::from_secs(2),
        ..Limits::default()
    })
    .await;
    // Two trickled bodies hold both places until the body timeout.
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(
            endless_chunked_body(server.addr, b" ".to_vec(), Duration::from_millis(50)).await,
        );
    }
    let refused = promptly("refused at once, not queued", server.post("ListChannels", "{}")).await;
    assert_eq!(refused.status, 429, "{:?}", refused.json);
    assert_eq!(refused.error_type.as_deref(), Some("ThrottlingException"));
    assert!(refused.message().contains("--max-in-flight"), "{}", refused.message());
    // A busy server is not a dead one: the health check still answers.
    let health = reqwest::Client::new().get(format!("{}/_ivs-local/health", server.url));
    let health = promptly("health at the limit", server.send(health)).await;
    assert_eq!(health.status, 200, "{:?}", health.json);
    assert_eq!(health.json["status"], "running", "{:?}", health.json);

    for held in held {
        assert!(held.await.unwrap().starts_with("HTTP/1.1 408"));
    }
    well_behaved(&server, "after").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_outlives_the_header_timeout_and_is_never_displaced() {
    let server = start(Limits {
        header_timeout: Duration::from_millis(300),
        max_connections: 4,
        ..Limits::default()
    })
    .await;
    let made =
        promptly("CreateChannel", server.ivs().create_channel().name("live").send()).await.unwrap();
    let channel = made.channel().unwrap().arn().unwrap().to_string();
    let key = made.stream_key().unwrap().value().unwrap().to_string();
    let events = reqwest::Client::new()
        .get(format!("{}/_ivs-local/events?resource={channel}", server.url))
        .header("accept", "text/event-stream");
    let mut stream = promptly("the event stream opens", events.send()).await.unwrap();
    assert_eq!(stream.status(), 200);

    // Silent connections fill the limit, and time passes beyond the header timeout.
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(connect(server.addr).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let start = reqwest::Client::new()
        .post(format!("{}/_ivs-local/broadcasts/start", server.url))
        .json(&json!({"streamKey": key}));
    let started = promptly("broadcasts/start", server.send(start)).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text.contains("Stream Start") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no event on the stream; got:\n{text}"))
            .expect("the stream is still open")
            .expect("the stream has not ended");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}
