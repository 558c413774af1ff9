//! Test harness: a real ivs-local server on 127.0.0.1:0, one per test, and clients for it.
//!
//! Each test starts its own server, so tests share no state and need no ordering. Clients
//! are the real AWS SDK for Rust (plain HTTP, static credentials) and a raw HTTP client for
//! input the SDKs refuse to send.

#![allow(dead_code)]

pub mod cli;
pub mod invariants;
pub mod model_inputs;
pub mod requests;

use aws_sdk_ivs::config::retry::RetryConfig;
use aws_sdk_ivs::config::{BehaviorVersion, Credentials, Region};
use ivs_local::server::{self, Config};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The account the SDK clients below sign as: a 12-digit access key id is the account.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-west-2";

/// The ARN of a resource of `resource_type` that does not exist, in the clients' scope.
pub fn missing_arn(resource_type: &str) -> String {
    format!("arn:aws:ivs:{REGION}:{ACCOUNT}:{resource_type}/abcdABCDefgh")
}

/// An `Authorization` header naming `account` and `region` in its credential, for raw
/// requests: the server takes the scope from it and checks no signature.
pub fn authorization(account: &str, region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={account}/20240101/{region}/ivs/aws4_request, SignedHeaders=host, Signature=0"
    )
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a server with default settings on an ephemeral port.
pub async fn start() -> TestServer {
    start_with(Config::default()).await
}

pub async fn start_with(config: Config) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind an ephemeral port");
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        server::run(listener, config, async {
            let _ = stopped.await;
        })
        .await
        .expect("server runs");
    });
    TestServer { addr, url: format!("http://{addr}"), stop: Some(stop) }
}

/// Starts a server on its own runtime and OS threads, apart from the test's: a server whose
/// handlers block (a deadlock) then cannot also stall the test's clients and timers, so the
/// test's `tokio::time::timeout` reports it instead of hanging.
pub fn start_apart(config: Config) -> TestServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ivs-local-server")
            .enable_all()
            .build()
            .expect("a runtime for the server");
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            server::run(listener, config, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
    });
    TestServer { addr, url: format!("http://{addr}"), stop: Some(stop) }
}

impl TestServer {
    /// A server started elsewhere (the real binary) on 127.0.0.1:`port`.
    pub fn at(port: u16) -> TestServer {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        TestServer { addr, url: format!("http://{addr}"), stop: None }
    }

    /// An `ivs` client signing as [`ACCOUNT`] in [`REGION`].
    pub fn ivs(&self) -> aws_sdk_ivs::Client {
        self.ivs_as(ACCOUNT, REGION)
    }

    /// An `ivs` client signing with `access_key` in `region`.
    pub fn ivs_as(&self, access_key: &str, region: &str) -> aws_sdk_ivs::Client {
        aws_sdk_ivs::Client::from_conf(self.ivs_config(access_key, "secret", region).build())
    }

    /// The configuration of an `ivs` client signing with `access_key` and `secret` in
    /// `region`, to adjust before building (a clock, retries).
    pub fn ivs_config(
        &self,
        access_key: &str,
        secret: &str,
        region: &str,
    ) -> aws_sdk_ivs::config::Builder {
        aws_sdk_ivs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
    }

    /// An `ivs` client signing with `access_key` in `region` that never retries, so that a
    /// 5xx or a dropped connection reaches the test instead of being tried again.
    pub fn ivs_strict(&self, access_key: &str, region: &str) -> aws_sdk_ivs::Client {
        let config = self.ivs_config(access_key, "secret", region);
        aws_sdk_ivs::Client::from_conf(config.retry_config(RetryConfig::disabled()).build())
    }

    /// An `ivs-realtime` client signing as [`ACCOUNT`] in [`REGION`].
    pub fn realtime(&self) -> aws_sdk_ivsrealtime::Client {
        self.realtime_as(ACCOUNT, REGION)
    }

    /// An `ivs-realtime` client signing with `access_key` in `region`.
    pub fn realtime_as(&self, access_key: &str, region: &str) -> aws_sdk_ivsrealtime::Client {
        let config = aws_sdk_ivsrealtime::Config::builder()
            .behavior_version(aws_sdk_ivsrealtime::config::BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(aws_sdk_ivsrealtime::config::Region::new(region.to_string()))
            .credentials_provider(aws_sdk_ivsrealtime::config::Credentials::new(
                access_key, "secret", None, None, "test",
            ))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_ivsrealtime::Client::from_conf(config)
    }

    /// [`Self::realtime_as`] without retries, as [`Self::ivs_strict`].
    pub fn realtime_strict(&self, access_key: &str, region: &str) -> aws_sdk_ivsrealtime::Client {
        let config = self.realtime_as(access_key, region).config().to_builder();
        aws_sdk_ivsrealtime::Client::from_conf(config.retry_config(RetryConfig::disabled()).build())
    }

    /// A Cloud Control client signing as [`ACCOUNT`] in [`REGION`].
    pub fn cloudcontrol(&self) -> aws_sdk_cloudcontrol::Client {
        aws_sdk_cloudcontrol::Client::from_conf(self.cloudcontrol_as(ACCOUNT, "secret").build())
    }

    /// The configuration of a Cloud Control client signing with `access_key` and `secret` in
    /// [`REGION`].
    pub fn cloudcontrol_as(
        &self,
        access_key: &str,
        secret: &str,
    ) -> aws_sdk_cloudcontrol::config::Builder {
        use aws_sdk_cloudcontrol::config;
        aws_sdk_cloudcontrol::Config::builder()
            .behavior_version(config::BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(config::Region::new(REGION))
            .credentials_provider(config::Credentials::new(access_key, secret, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
    }

    /// A POST of a raw JSON body to `/{operation}`, unsigned (so in the default account and
    /// region). Returns status, `x-amzn-ErrorType` and the body parsed as JSON (or `null`).
    pub async fn post(&self, operation: &str, body: &str) -> RawResponse {
        let response = reqwest::Client::new()
            .post(format!("{}/{operation}", self.url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request is answered");
        RawResponse::read(response).await
    }

    /// Any raw request.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> RawResponse {
        RawResponse::read(request.send().await.expect("request is answered")).await
    }
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub error_type: Option<String>,
    pub request_id: Option<String>,
    pub content_type: Option<String>,
    pub json: serde_json::Value,
}

impl RawResponse {
    async fn read(response: reqwest::Response) -> Self {
        let header = |name: &str| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
        };
        let status = response.status().as_u16();
        let error_type = header("x-amzn-errortype");
        let request_id = header("x-amzn-requestid");
        let content_type = header("content-type");
        let bytes = response.bytes().await.expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        RawResponse { status, error_type, request_id, content_type, json }
    }

    /// The error message as botocore reads it.
    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or_default()
    }
}
