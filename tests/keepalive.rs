//! One keep-alive connection survives answers given without looking at the request body (an
//! unknown path, a wrong method, an unknown `/_ivs-local/` route, an `OPTIONS` with a body),
//! and the next request on it is served; a body over the limit is answered 413 with `Connection: close`.

mod common;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

async fn connect(addr: std::net::SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    sender
}

async fn send(
    conn: &mut SendRequest<Full<Bytes>>,
    method: Method,
    path: &str,
    body: &'static [u8],
) -> (StatusCode, Option<String>) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body)))
        .unwrap();
    conn.ready().await.expect("the connection is still usable");
    let response = conn.send_request(request).await.expect("an answer on the same connection");
    let status = response.status();
    let connection = response.headers().get("connection").map(|v| v.to_str().unwrap().to_string());
    response.into_body().collect().await.unwrap();
    (status, connection)
}

/// A JSON object padded to 256 KiB: more than one read of the socket, so a server that answers
/// without reading it leaves most of it unread on the connection.
static PADDED: [u8; 256 * 1024] = {
    let mut body = [b' '; 256 * 1024];
    body[0] = b'{';
    body[256 * 1024 - 1] = b'}';
    body
};

#[tokio::test]
async fn early_answers_keep_the_connection_usable() {
    let server = common::start().await;
    let mut conn = connect(server.addr).await;
    for (method, path, expected) in [
        (Method::POST, "/NoSuchOperation", StatusCode::NOT_FOUND),
        (Method::PUT, "/CreateChannel", StatusCode::METHOD_NOT_ALLOWED),
        (Method::POST, "/_ivs-local/nowhere", StatusCode::NOT_FOUND),
        (Method::PUT, "/_ivs-local/health", StatusCode::METHOD_NOT_ALLOWED),
        // Not a CORS preflight (those have no body): read, and refused by the router.
        (Method::OPTIONS, "/CreateChannel", StatusCode::METHOD_NOT_ALLOWED),
    ] {
        let (status, connection) = send(&mut conn, method.clone(), path, &PADDED).await;
        assert_eq!(status, expected, "{method} {path}");
        assert_ne!(connection.as_deref(), Some("close"), "{method} {path}");
    }
    let (status, _) =
        send(&mut conn, Method::POST, "/CreateChannel", br#"{"name": "after"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let listed = server.post("ListChannels", "{}").await;
    assert_eq!(listed.json["channels"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_oversized_body_is_refused_and_the_connection_closed_openly() {
    let server = common::start().await;
    let mut conn = connect(server.addr).await;
    static BIG: [u8; 2 * 1024 * 1024] = [b' '; 2 * 1024 * 1024];
    let (status, connection) = send(&mut conn, Method::POST, "/CreateChannel", &BIG).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(connection.as_deref(), Some("close"), "the client is told not to reuse it");
    // A new connection is served as usual.
    let mut fresh = connect(server.addr).await;
    let (status, _) = send(&mut fresh, Method::POST, "/ListChannels", b"{}").await;
    assert_eq!(status, StatusCode::OK);
}
