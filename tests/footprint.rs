//! What the request path and the records cost in memory, counted exactly by a counting global
//! allocator (no clock is read, so the machine's load cannot change the figures): allocations
//! per GetChannel and CreateChannel request on the server's threads, and heap bytes held per
//! channel with its stream key, in glibc malloc chunks (what resident memory pays).
//!
//! The server runs in this process on its own runtime, whose threads are the only ones
//! counted, with the access log on (`info`, as by default) into a sink; the client is a
//! hyper connection on the test's runtime. Timing is measured in `benches/load.rs`, never here.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

struct Counting;

/// Allocations made on counted threads.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes held in malloc chunks, on every thread.
static HELD: AtomicI64 = AtomicI64::new(0);

thread_local! {
    /// Set on the server's runtime threads.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// The chunk glibc's malloc takes for a request of `size` bytes: 8 bytes of header, rounded up
/// to 16, at least 32.
fn chunk(size: usize) -> i64 {
    (size.saturating_add(8 + 15) & !15).max(32) as i64
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTED.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        HELD.fetch_add(chunk(layout.size()), Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(chunk(layout.size()), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTED.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        HELD.fetch_add(chunk(new_size) - chunk(layout.size()), Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

type Conn = SendRequest<Full<Bytes>>;

/// Starts the server on its own two-worker runtime, whose threads are counted.
fn start_server() -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    ivs_local::logging::install("info", std::io::sink);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(|| COUNTED.with(|c| c.set(true)))
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind an ephemeral port");
    let addr = listener.local_addr().expect("address");
    runtime.spawn(ivs_local::server::run(
        listener,
        ivs_local::server::Config::default(),
        std::future::pending(),
    ));
    (addr, runtime)
}

async fn connect(addr: std::net::SocketAddr) -> Conn {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(connection);
    sender
}

async fn post(conn: &mut Conn, path: &str, body: String) -> serde_json::Value {
    let request = Request::post(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    conn.ready().await.expect("connection ready");
    let response = conn.send_request(request).await.expect("answer");
    let status = response.status();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("JSON")
}

/// Average allocations on the server's threads per request, over `n` requests.
async fn allocations_per_request(
    conn: &mut Conn,
    path: &str,
    n: usize,
    body: impl Fn(usize) -> String,
) -> f64 {
    // Warm up: lazily built tables, buffers that grow once.
    for i in 0..20 {
        post(conn, path, body(n + i)).await;
    }
    let before = ALLOCATIONS.load(Relaxed);
    for i in 0..n {
        post(conn, path, body(i)).await;
    }
    (ALLOCATIONS.load(Relaxed) - before) as f64 / n as f64
}

/// Heap bytes (in malloc chunks) that `f` leaves held.
fn held_by(f: impl FnOnce()) -> i64 {
    let before = HELD.load(Relaxed);
    f();
    HELD.load(Relaxed) - before
}

#[test]
fn request_allocations_and_bytes_per_channel() {
    // What the server keeps from startup, each part built before the server would build it.
    use ivs_local::api::model::{Service, cloudcontrol_model, model};
    let models = held_by(|| {
        for service in Service::ALL {
            let _ = model(service);
        }
    });
    let routing = held_by(ivs_local::api::routing::init);
    // Both are built on the first Cloud Control request, not at startup.
    let cloudcontrol = held_by(|| {
        let _ = cloudcontrol_model();
    });
    let schemas = held_by(|| {
        let _ = ivs_local::cloudcontrol::schema::get("AWS::IVS::Channel");
    });
    println!("held after startup: service models {models} bytes, routing table {routing} bytes");
    println!(
        "held after the first Cloud Control request: its model {cloudcontrol} bytes, \
         the CloudFormation schemas {schemas} bytes"
    );

    let (addr, server_runtime) = start_server();
    let client = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    client.block_on(async {
        let mut conn = connect(addr).await;
        let create = |i: usize| format!(r#"{{"name":"footprint-{i}"}}"#);

        // Held bytes per channel with its stream key, between 1,000 and 5,000 channels, so
        // that what is made once (the scope, the tables' first nodes) does not count.
        const FEW: usize = 1_000;
        const MANY: usize = 5_000;
        for i in 0..FEW {
            post(&mut conn, "/CreateChannel", create(i)).await;
        }
        let held_few = HELD.load(Relaxed);
        for i in FEW..MANY {
            post(&mut conn, "/CreateChannel", create(i)).await;
        }
        let per_channel = (HELD.load(Relaxed) - held_few) as f64 / (MANY - FEW) as f64;

        let created = post(&mut conn, "/CreateChannel", create(MANY)).await;
        let arn = created["channel"]["arn"].as_str().expect("arn").to_string();
        let get = |_: usize| format!(r#"{{"arn":"{arn}"}}"#);
        let get_allocations = allocations_per_request(&mut conn, "/GetChannel", 1_000, get).await;
        let create_allocations = allocations_per_request(&mut conn, "/CreateChannel", 1_000, |i| {
            format!(r#"{{"name":"again-{i}"}}"#)
        })
        .await;

        println!("heap per channel with its stream key: {per_channel:.0} bytes in malloc chunks");
        println!("allocations per GetChannel: {get_allocations:.1}");
        println!("allocations per CreateChannel: {create_allocations:.1}");
        // The target of issue 9: at most 1 KB per channel with its stream key (this counts
        // the heap; resident memory adds the allocator's slack, measured in the bench).
        assert!(per_channel <= 1000.0, "{per_channel:.0} bytes per channel");
        // Ceilings a little above what the request path makes today (GetChannel 22,
        // CreateChannel 29; 87 and 132 before issue 9): a new allocation on every request should
        // be a choice.
        assert!(get_allocations <= 26.0, "{get_allocations} allocations per GetChannel");
        assert!(create_allocations <= 34.0, "{create_allocations} allocations per CreateChannel");
    });
    drop(server_runtime);
}
