//! `GET /_ivs-local/events` with `Accept: text/event-stream`: the recorded events first, then
//! each new one as it happens, filtered like the JSON answer, in server-sent-events framing.

mod common;

use serde_json::{Value, json};
use std::time::Duration;

/// An open event stream and what has arrived on it so far.
struct Stream {
    response: reqwest::Response,
    text: String,
}

impl Stream {
    async fn open(url: &str) -> Stream {
        let response = reqwest::Client::new()
            .get(url)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");
        Stream { response, text: String::new() }
    }

    /// Reads until `needle` has arrived (or fails after a few seconds).
    async fn until(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.text.contains(needle) {
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} on the stream; got:\n{}", self.text))
                .unwrap()
                .expect("the stream stays open");
            self.text.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The envelopes received, in order.
    fn events(&self) -> Vec<Value> {
        self.text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(|data| serde_json::from_str(data.trim()).unwrap())
            .collect()
    }
}

async fn control(server: &common::TestServer, route: &str, body: Value) -> Value {
    let r = server
        .send(reqwest::Client::new().post(format!("{}/_ivs-local/{route}", server.url)).json(&body))
        .await;
    assert_eq!(r.status, 200, "{route}: {:?}", r.json);
    r.json
}

#[tokio::test]
async fn new_events_arrive_on_an_open_stream_after_the_recorded_ones() {
    let server = common::start().await;
    let ivs = server.ivs();
    let made = ivs.create_channel().name("show").send().await.unwrap();
    let channel = made.channel().unwrap().arn().unwrap().to_string();
    let key = made.stream_key().unwrap().value().unwrap().to_string();
    let other = ivs.create_channel().name("other").send().await.unwrap();
    let other_key = other.stream_key().unwrap().value().unwrap().to_string();
    control(&server, "broadcasts/start", json!({"streamKey": key})).await;

    // Filtered to one channel: what was recorded comes first.
    let url = format!("{}/_ivs-local/events?resource={channel}", server.url);
    let mut filtered = Stream::open(&url).await;
    filtered.until("Stream Start").await;
    let mut everything = Stream::open(&format!("{}/_ivs-local/events", server.url)).await;
    everything.until("Stream Start").await;

    // Then what happens while the stream is open.
    control(&server, "broadcasts/start", json!({"streamKey": other_key})).await;
    control(&server, "broadcasts/stop", json!({"channelArn": channel})).await;
    filtered.until("Session Ended").await;
    everything.until("Session Ended").await;

    let names: Vec<String> = filtered
        .events()
        .iter()
        .map(|e| e["detail"]["event_name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names[..2], ["Session Created", "Stream Start"], "{names:?}");
    assert!(names.contains(&"Stream End".to_string()), "{names:?}");
    for event in filtered.events() {
        assert_eq!(event["source"], "aws.ivs");
        assert_eq!(event["resources"], json!([channel]), "only the channel asked for");
    }
    assert!(filtered.text.contains("event: IVS Stream State Change"), "{}", filtered.text);
    // Each event once, in order, on the unfiltered stream, which also saw the other channel.
    let ids: Vec<String> =
        everything.events().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique);
    let other_arn = other.channel().unwrap().arn().unwrap();
    assert!(everything.events().iter().any(|e| e["resources"] == json!([other_arn])));

    // The JSON answer is unchanged for clients that do not ask for a stream.
    let r = server.send(reqwest::Client::new().get(&url)).await;
    assert_eq!(r.json["events"].as_array().unwrap().len(), filtered.events().len());
}

/// The server's socket for the connection from `client` (a socket of this process, as the
/// server runs in it): its `TCP_NODELAY` setting, found among this process's descriptors by
/// its two ends.
fn server_side_no_delay(server: std::net::SocketAddr, client: std::net::SocketAddr) -> bool {
    fn port(fd: i32, get: unsafe extern "C" fn(i32, *mut libc::sockaddr, *mut u32) -> i32) -> u16 {
        // SAFETY: a zeroed sockaddr_in is a valid value, and `get` writes at most `len` bytes
        // of the address into it (a descriptor that is no socket only makes the call fail).
        let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        let ok = unsafe { get(fd, &mut addr as *mut _ as *mut libc::sockaddr, &mut len) } == 0;
        if ok && i32::from(addr.sin_family) == libc::AF_INET {
            u16::from_be(addr.sin_port)
        } else {
            0
        }
    }
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        let Ok(fd) = entry.unwrap().file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if port(fd, libc::getsockname) != server.port()
            || port(fd, libc::getpeername) != client.port()
        {
            continue;
        }
        let mut on: i32 = 0;
        let mut len = std::mem::size_of::<i32>() as u32;
        // SAFETY: `on` and `len` are live for the call, and `len` is `on`'s size.
        let got = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                &mut on as *mut i32 as *mut libc::c_void,
                &mut len,
            )
        };
        assert_eq!(got, 0, "getsockopt on the server's socket");
        return on != 0;
    }
    panic!("no socket of this process from {server} to {client}");
}

/// An event stream writes each event as it happens: a small write, which Nagle's algorithm
/// would hold back until the client acknowledged the last one (up to 40 ms on Linux).
#[tokio::test]
async fn the_server_sends_each_write_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = common::start().await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"GET /_ivs-local/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n",
        )
        .await
        .unwrap();
    // The head has come, so the server has taken the connection up.
    let mut head = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut head))
        .await
        .expect("the stream's head")
        .unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    assert!(server_side_no_delay(server.addr, stream.local_addr().unwrap()));
}
