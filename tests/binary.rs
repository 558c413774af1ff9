//! The real `ivs-local` binary: it starts with no configuration, says where it listens, takes
//! its settings from flags or their environment twins (`--cors-origins` too), answers its
//! Docker health check and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ivs-local");

/// A running binary, killed if the test fails before stopping it.
struct Running {
    child: Child,
    port: u16,
    log: BufReader<std::process::ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args` and `env`, and reads the port from its listening line.
fn start(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let mut log = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    let port = line
        .split("listening on http://")
        .nth(1)
        .and_then(|addr| addr.trim().rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("first log line names the address: {line:?}"));
    Running { child, port, log }
}

fn sigterm(server: &Running) {
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
}

/// Reads `log` until a line containing `needle`: false if none comes within `limit`, or the log
/// ends first.
fn logged_within(
    log: &mut BufReader<std::process::ChildStdout>,
    needle: &str,
    limit: Duration,
) -> bool {
    use std::os::fd::AsRawFd;
    let deadline = Instant::now() + limit;
    let mut line = String::new();
    loop {
        // Lines come whole (one write each), so a line that has begun is read at once.
        if log.buffer().is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut fd =
                libc::pollfd { fd: log.get_ref().as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: `fd` is one valid pollfd, and the pipe it names stays open meanwhile.
            let ready = unsafe { libc::poll(&mut fd, 1, left.as_millis() as libc::c_int) };
            if ready <= 0 {
                return false;
            }
        }
        line.clear();
        if log.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        if line.contains(needle) {
            return true;
        }
    }
}

/// The exit status of a binary told to stop, which must come within `limit`.
fn stopped_within(server: &mut Running, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "still running {limit:?} after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn healthcheck(port: u16) -> bool {
    Command::new(BIN).args(["healthcheck", "--port", &port.to_string()]).status().unwrap().success()
}

#[test]
fn sigterm_answers_the_request_in_flight_and_closes_the_rest() {
    use std::io::{Read, Write};
    let mut server = start(&["--port", "0", "--host", "127.0.0.1"], &[]);
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = br#"{"name": "in-flight"}"#;
    // The head and part of the body: the request is being served when SIGTERM comes.
    let head = format!(
        "POST /CreateChannel HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(&body[..5]).unwrap();
    // And a connection that has sent half a head, which must not hold the stop up (the header
    // timeout is 30 s).
    let mut half = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    half.write_all(b"GET /_ivs-local/health HT").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&server);
    // The rest of the body goes only once the server has taken the signal: sent before, the
    // request would be answered as at any other time, and the test would prove nothing.
    assert!(
        logged_within(&mut server.log, "shutting down", Duration::from_secs(10)),
        "the server did not take SIGTERM"
    );
    conn.write_all(&body[5..]).unwrap();
    // The answer, then the end of the connection.
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answered, then closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""name":"in-flight""#), "{answer}");
    let status = stopped_within(&mut server, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

#[test]
fn port_zero_picks_a_free_port_and_sigterm_stops_it_gracefully() {
    let mut server = start(&["--port", "0", "--host", "127.0.0.1"], &[]);
    assert_ne!(server.port, 0);
    let health: serde_json::Value = http::blocking_get(server.port, "/_ivs-local/health");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        health["services"]["ivs"].is_object() && health["services"]["ivs-realtime"].is_object()
    );
    assert!(health["uptimeSeconds"].as_f64().unwrap() >= 0.0);
    assert!(healthcheck(server.port));

    sigterm(&server);
    let status = stopped_within(&mut server, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut server.log, &mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");
    assert!(!healthcheck(server.port));
}

#[test]
fn settings_have_environment_twins() {
    let server = start(
        &[],
        &[
            ("IVS_LOCAL_HOST", "127.0.0.1"),
            ("IVS_LOCAL_PORT", "0"),
            ("IVS_LOCAL_REGION", "eu-central-1"),
            ("IVS_LOCAL_ACCOUNT_ID", "999988887777"),
        ],
    );
    // An unsigned request falls back to the configured account and region.
    let created = http::blocking_post(server.port, "/CreateChannel", "{}");
    let arn = created["channel"]["arn"].as_str().unwrap();
    assert!(arn.starts_with("arn:aws:ivs:eu-central-1:999988887777:channel/"), "{arn}");
}

#[test]
fn cors_origins_come_from_the_flag_or_its_environment_twin() {
    let flag = start(&["--port", "0", "--cors-origins", "http://a.example,http://b.example"], &[]);
    let env = start(&["--port", "0"], &[("IVS_LOCAL_CORS_ORIGINS", "http://b.example")]);
    let default = start(&["--port", "0"], &[]);
    let allow_origin = |port: u16, origin: &str| {
        let head = http::head_of_get(port, "/_ivs-local/health", origin).to_ascii_lowercase();
        let line = head.lines().find_map(|l| l.strip_prefix("access-control-allow-origin: "));
        line.map(str::to_string)
    };
    assert_eq!(allow_origin(flag.port, "http://a.example").as_deref(), Some("http://a.example"));
    assert_eq!(allow_origin(flag.port, "http://c.example"), None);
    assert_eq!(allow_origin(env.port, "http://b.example").as_deref(), Some("http://b.example"));
    assert_eq!(allow_origin(env.port, "http://a.example"), None);
    assert_eq!(allow_origin(default.port, "http://c.example").as_deref(), Some("*"));
}

#[test]
fn head_limits_come_from_their_flags_or_environment_twins() {
    let server =
        start(&["--port", "0", "--max-header-bytes", "2048"], &[("IVS_LOCAL_MAX_HEADERS", "10")]);
    // Host, Connection and X-Pad, then `extra` more headers.
    let request = |pad: usize, extra: usize| {
        let extra: String = (0..extra).map(|i| format!("X-H{i}: v\r\n")).collect();
        let pad = "p".repeat(pad);
        format!(
            "GET /_ivs-local/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             X-Pad: {pad}\r\n{extra}\r\n"
        )
    };
    assert_eq!(http::status_line(server.port, &request(1000, 5)), "HTTP/1.1 200 OK");
    let too_long = http::status_line(server.port, &request(3000, 0));
    assert!(too_long.starts_with("HTTP/1.1 431"), "{too_long}");
    let too_many = http::status_line(server.port, &request(10, 12));
    assert!(too_many.starts_with("HTTP/1.1 431"), "{too_many}");
}

/// How many of the binary's threads are the runtime's workers (named `ivs-worker`).
fn workers_of(server: &Running) -> usize {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", server.child.id())).unwrap();
    let names = tasks.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok());
    names.filter(|name| name.trim_end() == "ivs-worker").count()
}

#[test]
fn workers_come_from_the_flag_or_its_environment_twin() {
    let three = start(&["--port", "0", "--workers", "3"], &[]);
    let one = start(&["--port", "0"], &[("IVS_LOCAL_WORKERS", "1")]);
    // Each serves.
    for server in [&three, &one] {
        let created = http::blocking_post(server.port, "/CreateChannel", "{}");
        assert!(created["channel"]["arn"].is_string(), "{created}");
    }
    assert_eq!(workers_of(&three), 3);
    // One worker is the main thread, on tokio's single-threaded runtime.
    assert_eq!(workers_of(&one), 0);
    let out = Command::new(BIN).args(["--workers", "0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1"));
}

#[test]
fn a_bad_account_id_is_refused_at_startup() {
    let out = Command::new(BIN).args(["--account-id", "12345"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("12 digits"));
}

/// Minimal blocking HTTP for these tests, which run without an async runtime.
mod http {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn exchange(port: u16, request: String) -> serde_json::Value {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        serde_json::from_str(body).unwrap()
    }

    /// The status line of the answer to `request`, sent as it is.
    pub fn status_line(port: u16, request: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let response = String::from_utf8_lossy(&response);
        response.lines().next().unwrap_or_default().to_string()
    }

    /// The status line and headers of a GET sent with an `Origin`.
    pub fn head_of_get(port: u16, path: &str, origin: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.split_once("\r\n\r\n").unwrap().0.to_string()
    }

    pub fn blocking_get(port: u16, path: &str) -> serde_json::Value {
        exchange(
            port,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        )
    }

    pub fn blocking_post(port: u16, path: &str, body: &str) -> serde_json::Value {
        exchange(
            port,
            format!(
                "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
    }
}
