//! Strict SigV4 authentication (`--auth strict`), driven by the AWS SDK for Rust, boto3, the
//! aws CLI and requests signed (or presigned) here with `aws-sigv4`: the right key passes on
//! all three protocols (rest-json IVS, JSON 1.0 Cloud Control, STS query) and acts in the
//! account the credentials file gives it; a wrong secret, an unknown key, a clock 20 minutes
//! off and a missing signature each get AWS's error, in each protocol's shape.

mod common;

use aws_sdk_ivs::config::http::HttpResponse;
use aws_sdk_ivs::error::{ProvideErrorMetadata, SdkError};
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use axum::http;
use common::cli::{Cli, aws_available};
use common::{ACCOUNT, REGION, RawResponse, TestServer};
use ivs_local::auth::{AuthConfig, AuthMode, Credentials, MISMATCH, UNKNOWN_KEY};
use ivs_local::server::Config;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A key the credentials file maps to an account of its own.
const KEY: &str = "AKIAIVSLOCALTEST0001";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const KEY_ACCOUNT: &str = "111122223333";
/// The file also lists the key the common clients sign with (`ACCOUNT`, "secret"), with no
/// account: a 12-digit key id is its own account, as in open mode.
const CREDENTIALS: &str = "# ivs-local test keys\n\n123456789012 secret\n\
     AKIAIVSLOCALTEST0001 wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY 111122223333\n";
const UNKNOWN: &str = "AKIAUNKNOWNKEY000000";
const TWENTY_MINUTES: Duration = Duration::from_secs(20 * 60);
const STS_BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

async fn start(mode: AuthMode) -> TestServer {
    let credentials = Arc::new(Credentials::parse(CREDENTIALS).unwrap());
    common::start_with(Config { auth: AuthConfig { mode, credentials }, ..Config::default() }).await
}

/// A clock `offset` behind (or ahead of) the real one, for the SDK to sign with.
#[derive(Debug)]
struct Skewed {
    offset: Duration,
    ahead: bool,
}

impl aws_smithy_async::time::TimeSource for Skewed {
    fn now(&self) -> SystemTime {
        if self.ahead { SystemTime::now() + self.offset } else { SystemTime::now() - self.offset }
    }
}

/// Status, error code and message of a failed SDK call.
fn failure<E: ProvideErrorMetadata>(e: SdkError<E, HttpResponse>) -> (u16, String, String) {
    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or_default();
    (status, e.code().unwrap_or_default().to_string(), e.message().unwrap_or_default().to_string())
}

fn ivs(server: &TestServer, key: &str, secret: &str) -> aws_sdk_ivs::Client {
    aws_sdk_ivs::Client::from_conf(server.ivs_config(key, secret, REGION).build())
}

fn cloudcontrol(server: &TestServer, key: &str, secret: &str) -> aws_sdk_cloudcontrol::Client {
    aws_sdk_cloudcontrol::Client::from_conf(server.cloudcontrol_as(key, secret).build())
}

/// How a hand-signed request declares its payload.
#[derive(Clone, Copy, Debug)]
enum Payload {
    /// The body's hash, not sent as a header (what the SDKs do for IVS).
    Hashed,
    /// The body's hash, also sent as `x-amz-content-sha256`.
    HashHeader,
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER` (its seed signature).
    StreamingTrailer,
}

/// What to sign with.
struct Signing<'a> {
    key: &'a str,
    secret: &'a str,
    service: &'a str,
    time: SystemTime,
    payload: Payload,
    /// Presign for this long instead of signing the headers.
    presign: Option<Duration>,
}

impl Default for Signing<'_> {
    fn default() -> Self {
        Signing {
            key: KEY,
            secret: SECRET,
            service: "ivs",
            time: SystemTime::now(),
            payload: Payload::Hashed,
            presign: None,
        }
    }
}

/// A request to `server` signed with `aws-sigv4` as an SDK would sign it.
fn signed(
    server: &TestServer,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
    s: &Signing,
) -> http::Request<Vec<u8>> {
    let url = format!("{}{path_and_query}", server.url);
    let mut headers: Vec<(&str, &str)> = headers.to_vec();
    let mut settings = SigningSettings::default();
    let signable_body = match s.payload {
        Payload::Hashed => SignableBody::Bytes(body.as_bytes()),
        Payload::HashHeader => {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            SignableBody::Bytes(body.as_bytes())
        }
        Payload::Unsigned => {
            headers.push(("x-amz-content-sha256", "UNSIGNED-PAYLOAD"));
            SignableBody::UnsignedPayload
        }
        Payload::StreamingTrailer => {
            headers.push(("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"));
            SignableBody::StreamingUnsignedPayloadTrailer
        }
    };
    if let Some(expires) = s.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    let identity =
        aws_credential_types::Credentials::new(s.key, s.secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(s.service)
        .time(s.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable =
        SignableRequest::new(method, url.clone(), headers.iter().copied(), signable_body).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in &headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(body.as_bytes().to_vec()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    request
}

fn builder(request: http::Request<Vec<u8>>) -> reqwest::RequestBuilder {
    reqwest::RequestBuilder::from_parts(
        reqwest::Client::new(),
        reqwest::Request::try_from(request).unwrap(),
    )
}

/// Status and body text (for STS's XML).
async fn text(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.expect("answered");
    (response.status().as_u16(), response.text().await.unwrap())
}

fn sts_request(server: &TestServer, s: &Signing) -> http::Request<Vec<u8>> {
    let s = Signing { service: "sts", ..*s };
    let form = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    signed(server, "POST", "/", &form, STS_BODY, &s)
}

#[tokio::test]
async fn a_listed_key_works_on_all_three_protocols_in_the_files_account() {
    let server = start(AuthMode::Strict).await;
    let made = ivs(&server, KEY, SECRET).create_channel().name("signed").send().await.unwrap();
    let arn = made.channel().unwrap().arn().unwrap().to_string();
    assert!(arn.starts_with(&format!("arn:aws:ivs:{REGION}:{KEY_ACCOUNT}:channel/")), "{arn}");

    // The common clients' key is listed too, without an account: its 12 digits are the account.
    let stage = server.realtime().create_stage().name("room").send().await.unwrap();
    assert!(stage.stage().unwrap().arn().contains(&format!(":{ACCOUNT}:stage/")));

    let listed = cloudcontrol(&server, KEY, SECRET)
        .list_resources()
        .type_name("AWS::IVS::Channel")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> =
        listed.resource_descriptions().iter().filter_map(|r| r.identifier()).collect();
    assert_eq!(ids, [arn.as_str()]);

    let (status, body) = text(builder(sts_request(&server, &Signing::default()))).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("<Account>{KEY_ACCOUNT}</Account>")), "{body}");
}

#[tokio::test]
async fn a_wrong_secret_is_aws_signature_mismatch_in_each_protocol() {
    let server = start(AuthMode::Strict).await;
    let e = ivs(&server, KEY, "not-the-secret").list_channels().send().await.unwrap_err();
    assert_eq!(failure(e), (403, "InvalidSignatureException".into(), MISMATCH.into()));
    let e = cloudcontrol(&server, KEY, "not-the-secret")
        .list_resources()
        .type_name("AWS::IVS::Stage")
        .send()
        .await
        .unwrap_err();
    // Coral JSON services answer front-end errors with 400.
    assert_eq!(failure(e), (400, "InvalidSignatureException".into(), MISMATCH.into()));
    let wrong = Signing { secret: "not-the-secret", ..Signing::default() };
    let (status, body) = text(builder(sts_request(&server, &wrong))).await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
    assert!(body.contains(&format!("<Message>{MISMATCH}</Message>")), "{body}");
}

#[tokio::test]
async fn an_unknown_key_is_unrecognized_in_each_protocol() {
    let server = start(AuthMode::Strict).await;
    let e = ivs(&server, UNKNOWN, SECRET).list_channels().send().await.unwrap_err();
    assert_eq!(failure(e), (403, "UnrecognizedClientException".into(), UNKNOWN_KEY.into()));
    let e = cloudcontrol(&server, UNKNOWN, SECRET)
        .list_resources()
        .type_name("AWS::IVS::Stage")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(e), (400, "UnrecognizedClientException".into(), UNKNOWN_KEY.into()));
    let unknown = Signing { key: UNKNOWN, ..Signing::default() };
    let (status, body) = text(builder(sts_request(&server, &unknown))).await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>InvalidClientTokenId</Code>"), "{body}");
    assert!(body.contains(UNKNOWN_KEY), "{body}");
}

#[tokio::test]
async fn a_clock_20_minutes_off_is_signature_expired_and_the_sdk_corrects_it() {
    let server = start(AuthMode::Strict).await;
    let behind = Skewed { offset: TWENTY_MINUTES, ahead: false };
    let config = server
        .ivs_config(KEY, SECRET, REGION)
        .time_source(behind)
        .retry_config(aws_sdk_ivs::config::retry::RetryConfig::disabled());
    let e = aws_sdk_ivs::Client::from_conf(config.build()).list_channels().send().await;
    let (status, code, message) = failure(e.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "InvalidSignatureException"));
    // "Signature expired: <signed> is now earlier than <now - 15 min> (<now> - 15 min.)"
    let words: Vec<&str> = message.split(' ').collect();
    assert_eq!(words[..2], ["Signature", "expired:"], "{message}");
    assert_eq!(words[3..7], ["is", "now", "earlier", "than"], "{message}");
    assert!(message.ends_with(" - 15 min.)"), "{message}");
    for stamp in [words[2], words[7], &words[8][1..]] {
        assert!(stamp.len() == 16 && stamp.as_bytes()[8] == b'T' && stamp.ends_with('Z'));
    }
    assert!(words[2] < words[7] && words[7] < &words[8][1..], "{message}");

    // A clock ahead is "not yet current".
    let ahead = Signing { time: SystemTime::now() + TWENTY_MINUTES, ..Signing::default() };
    let request = signed(&server, "POST", "/ListChannels", &[], "{}", &ahead);
    let answer = server.send(builder(request)).await;
    assert_eq!(answer.error_type.as_deref(), Some("InvalidSignatureException"));
    assert!(answer.message().starts_with("Signature not yet current: "), "{answer:?}");
    assert!(answer.message().ends_with(" + 15 min.)"), "{answer:?}");

    // With its retries on, the SDK reads the server's Date, corrects its clock and succeeds,
    // as it does against AWS.
    let config = server
        .ivs_config(KEY, SECRET, REGION)
        .time_source(Skewed { offset: TWENTY_MINUTES, ahead: false });
    aws_sdk_ivs::Client::from_conf(config.build()).list_channels().send().await.unwrap();
}

#[tokio::test]
async fn an_unsigned_request_is_missing_authentication_token_in_each_protocol() {
    let server = start(AuthMode::Strict).await;
    let client = reqwest::Client::new();
    for path in ["/ListChannels", "/NoSuchOperation"] {
        let answer = server.send(client.post(format!("{}{path}", server.url)).body("{}")).await;
        assert_eq!(answer.status, 403, "{path}");
        assert_eq!(answer.error_type.as_deref(), Some("MissingAuthenticationTokenException"));
        assert_eq!(answer.message(), "Missing Authentication Token");
    }
    let cloudcontrol = client
        .post(format!("{}/", server.url))
        .header("x-amz-target", "CloudApiService.ListResources")
        .header("content-type", "application/x-amz-json-1.0")
        .body(r#"{"TypeName": "AWS::IVS::Stage"}"#);
    let answer = server.send(cloudcontrol).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json["__type"],
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    assert_eq!(answer.message(), "Request is missing Authentication Token");
    let sts = client.get(format!("{}/?{STS_BODY}", server.url));
    let (status, body) = text(sts).await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>MissingAuthenticationToken</Code>"), "{body}");
    assert!(body.contains("<Message>Request is missing Authentication Token</Message>"));

    // Credentials in the wrong place or without a part are incomplete, not missing.
    let half = client
        .post(format!("{}/ListChannels", server.url))
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={KEY}/20240101/{REGION}/ivs/aws4_request"),
        )
        .body("{}");
    let answer = server.send(half).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.error_type.as_deref(), Some("IncompleteSignatureException"));
    assert!(answer.message().contains("Authorization header requires 'Signature' parameter."));
}

#[tokio::test]
async fn presigned_urls_verify_and_any_change_to_them_fails() {
    let server = start(AuthMode::Strict).await;
    let made = ivs(&server, KEY, SECRET)
        .create_channel()
        .name("tagged")
        .tags("team", "video")
        .send()
        .await
        .unwrap();
    let arn = made.channel().unwrap().arn().unwrap();
    let encoded: String = url_encode(arn);
    let path = format!("/tags/{encoded}");
    let presign = Signing { presign: Some(Duration::from_secs(300)), ..Signing::default() };

    let request = signed(&server, "GET", &path, &[], "", &presign);
    let url = request.uri().to_string();
    assert!(url.contains("X-Amz-Signature=") && !url.contains("Authorization"), "{url}");
    let answer = server.send(reqwest::Client::new().get(&url)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json["tags"], json!({"team": "video"}));

    // Another expiry than the one signed, or a wrong secret: the signature no longer matches.
    let tampered = url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000");
    let answer = server.send(reqwest::Client::new().get(&tampered)).await;
    assert_eq!((answer.status, answer.message()), (403, MISMATCH));
    let wrong = Signing { secret: "not-the-secret", ..presign };
    let url = signed(&server, "GET", &path, &[], "", &wrong).uri().to_string();
    let answer = server.send(reqwest::Client::new().get(&url)).await;
    assert_eq!(answer.error_type.as_deref(), Some("InvalidSignatureException"));

    // An STS GetCallerIdentity URL, as EKS and Vault hand them around.
    let sts = Signing { service: "sts", ..presign };
    let url = signed(&server, "GET", &format!("/?{STS_BODY}"), &[], "", &sts).uri().to_string();
    let (status, body) = text(reqwest::Client::new().get(&url)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("<Account>{KEY_ACCOUNT}</Account>")));
}

fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn signed_unsigned_and_streaming_payload_hashes_verify_and_a_changed_body_does_not() {
    let server = start(AuthMode::Strict).await;
    let json = [("content-type", "application/json")];
    for (n, payload) in
        [Payload::Hashed, Payload::HashHeader, Payload::Unsigned, Payload::StreamingTrailer]
            .into_iter()
            .enumerate()
    {
        let body = format!(r#"{{"name": "payload-{n}"}}"#);
        let s = Signing { payload, ..Signing::default() };
        let answer =
            server.send(builder(signed(&server, "POST", "/CreateChannel", &json, &body, &s))).await;
        assert_eq!(answer.status, 200, "{payload:?}: {answer:?}");
        assert_eq!(answer.json["channel"]["name"], format!("payload-{n}"));
    }
    // A body changed after signing: refused when its hash was signed ...
    for payload in [Payload::Hashed, Payload::HashHeader] {
        let s = Signing { payload, ..Signing::default() };
        let mut request = signed(&server, "POST", "/CreateChannel", &json, r#"{"name": "a"}"#, &s);
        *request.body_mut() = br#"{"name": "b"}"#.to_vec();
        let answer = server.send(builder(request)).await;
        assert_eq!((answer.status, answer.message()), (403, MISMATCH), "{payload:?}");
    }
    // ... and accepted when the client chose not to sign it.
    let s = Signing { payload: Payload::Unsigned, ..Signing::default() };
    let mut request = signed(&server, "POST", "/CreateChannel", &json, r#"{"name": "a"}"#, &s);
    *request.body_mut() = br#"{"name": "b"}"#.to_vec();
    assert_eq!(server.send(builder(request)).await.json["channel"]["name"], "b");

    // A scope naming another service than the endpoint's is refused, as AWS does.
    let s = Signing { service: "s3", ..Signing::default() };
    let answer =
        server.send(builder(signed(&server, "POST", "/ListChannels", &json, "{}", &s))).await;
    assert_eq!(answer.error_type.as_deref(), Some("InvalidSignatureException"));
    assert_eq!(answer.message(), "Credential should be scoped to correct service: 'ivs'. ");
}

#[tokio::test]
async fn the_control_api_needs_a_signature_in_strict_mode_only_and_health_never_does() {
    let server = start(AuthMode::Strict).await;
    let get = |path: &str| reqwest::Client::new().get(format!("{}{path}", server.url));
    assert_eq!(server.send(get("/_ivs-local/health")).await.status, 200);
    let answer = server.send(get("/_ivs-local/broadcasts")).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.error_type.as_deref(), Some("MissingAuthenticationTokenException"));
    // Signed with any listed key, for any service name (`curl --aws-sigv4` picks its own).
    for service in ["ivs", "execute-api"] {
        let s = Signing { service, ..Signing::default() };
        let request = signed(&server, "GET", "/_ivs-local/broadcasts", &[], "", &s);
        let answer = server.send(builder(request)).await;
        assert_eq!(answer.status, 200, "{service}: {answer:?}");
    }
    let s = Signing { secret: "not-the-secret", ..Signing::default() };
    let request = signed(&server, "GET", "/_ivs-local/broadcasts", &[], "", &s);
    assert_eq!(server.send(builder(request)).await.status, 403);

    let server = start(AuthMode::StrictAwsOnly).await;
    let get = |path: &str| reqwest::Client::new().get(format!("{}{path}", server.url));
    assert_eq!(server.send(get("/_ivs-local/broadcasts")).await.status, 200);
    assert_eq!(server.send(get("/_ivs-local/health")).await.status, 200);
    let answer =
        server.send(reqwest::Client::new().post(format!("{}/ListChannels", server.url))).await;
    assert_eq!(answer.error_type.as_deref(), Some("MissingAuthenticationTokenException"));
    let e = ivs(&server, KEY, "not-the-secret").list_channels().send().await.unwrap_err();
    assert_eq!(failure(e).1, "InvalidSignatureException");
}

#[tokio::test]
async fn open_mode_takes_any_credentials_or_none() {
    let server = common::start().await;
    ivs(&server, UNKNOWN, "anything").list_channels().send().await.unwrap();
    let answer: RawResponse = server.post("ListChannels", "{}").await;
    assert_eq!(answer.status, 200);
}

/// boto3 against a strict server: every protocol, presigned URLs, and its errors.
const BOTO3: &str = r#"
import json, sys, urllib.request, urllib.error
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, key, secret = sys.argv[1:4]
def client(service, k=key, s=secret):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-west-2",
                        aws_access_key_id=k, aws_secret_access_key=s,
                        config=Config(retries={"max_attempts": 1}))
def call(service, k=key, s=secret):
    c = client(service, k, s)
    if service == "ivs": return c.list_channels()
    if service == "ivs-realtime": return c.list_stages()
    if service == "cloudcontrol": return c.list_resources(TypeName="AWS::IVS::Channel")
    return c.get_caller_identity()
def outcome(service, k=key, s=secret):
    try:
        call(service, k, s)
        return "ok"
    except ClientError as e:
        return [e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"],
                e.response["Error"].get("Message", "")]
def fetch(url, method="GET"):
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request) as r:
            return [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]

out = {}
arn = client("ivs").create_channel(name="boto", tags={"by": "boto3"})["channel"]["arn"]
out["arn"] = arn
out["account"] = client("sts").get_caller_identity()["Account"]
listed = client("cloudcontrol").list_resources(TypeName="AWS::IVS::Channel")
out["cloudcontrol"] = [r["Identifier"] for r in listed["ResourceDescriptions"]]
out["ok"] = {s: outcome(s) for s in ["ivs", "ivs-realtime", "cloudcontrol", "sts"]}
out["wrong_secret"] = {s: outcome(s, s="not-the-secret") for s in ["ivs", "cloudcontrol", "sts"]}
out["unknown_key"] = {s: outcome(s, k="AKIAUNKNOWNKEY000000") for s in ["ivs", "cloudcontrol", "sts"]}
out["presigned_tags"] = fetch(client("ivs").generate_presigned_url(
    "list_tags_for_resource", Params={"resourceArn": arn}, ExpiresIn=120))
out["presigned_sts"] = fetch(client("sts").generate_presigned_url(
    "get_caller_identity", HttpMethod="GET"))
# Without HttpMethod, botocore signs an STS URL for POST (its own default for the query
# protocol): it works as a POST, and as a GET it fails, on AWS too (boto/boto3#756).
post_signed = client("sts").generate_presigned_url("get_caller_identity")
out["presigned_sts_post"] = fetch(post_signed, "POST")
out["presigned_sts_post_as_get"] = fetch(post_signed)
out["presigned_wrong"] = fetch(client("sts", s="not-the-secret").generate_presigned_url(
    "get_caller_identity", HttpMethod="GET"))
print(json.dumps(out))
"#;

fn boto3_available() -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "boto3 is missing, and CI must have it");
        eprintln!("skipping the boto3 test: no boto3 (pip install boto3)");
    }
    found
}

#[tokio::test]
async fn boto3_passes_with_the_right_key_and_gets_aws_errors_otherwise() {
    if !boto3_available() {
        return;
    }
    let server = start(AuthMode::Strict).await;
    let home = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new("python3")
        .args(["-c", BOTO3, &server.url, KEY, SECRET])
        .env_clear()
        .envs(
            ["PATH", "PYENV_ROOT", "LANG"]
                .into_iter()
                .filter_map(|k| Some((k, std::env::var_os(k)?))),
        )
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arn = out["arn"].as_str().unwrap();
    assert!(arn.contains(&format!(":{KEY_ACCOUNT}:channel/")), "{arn}");
    assert_eq!(out["account"], KEY_ACCOUNT);
    assert_eq!(out["cloudcontrol"], json!([arn]));
    assert_eq!(
        out["ok"],
        json!({"ivs": "ok", "ivs-realtime": "ok", "cloudcontrol": "ok", "sts": "ok"})
    );
    assert_eq!(
        out["wrong_secret"],
        json!({
            "ivs": [403, "InvalidSignatureException", MISMATCH],
            "cloudcontrol": [400, "InvalidSignatureException", MISMATCH],
            "sts": [403, "SignatureDoesNotMatch", MISMATCH],
        })
    );
    assert_eq!(
        out["unknown_key"],
        json!({
            "ivs": [403, "UnrecognizedClientException", UNKNOWN_KEY],
            "cloudcontrol": [400, "UnrecognizedClientException", UNKNOWN_KEY],
            "sts": [403, "InvalidClientTokenId", UNKNOWN_KEY],
        })
    );
    let tags = &out["presigned_tags"];
    assert_eq!(tags[0], 200, "{tags}");
    let tags: Value = serde_json::from_str(tags[1].as_str().unwrap()).unwrap();
    assert_eq!(tags["tags"], json!({"by": "boto3"}));
    for case in ["presigned_sts", "presigned_sts_post"] {
        assert_eq!(out[case][0], 200, "{case}: {}", out[case]);
        assert!(out[case][1].as_str().unwrap().contains(KEY_ACCOUNT));
    }
    for case in ["presigned_sts_post_as_get", "presigned_wrong"] {
        assert_eq!(out[case][0], 403, "{case}: {}", out[case]);
        assert!(out[case][1].as_str().unwrap().contains("<Code>SignatureDoesNotMatch</Code>"));
    }
}

#[tokio::test]
async fn the_aws_cli_passes_with_the_right_key_and_reports_aws_errors() {
    if !aws_available() {
        return;
    }
    let server = start(AuthMode::Strict).await;
    let cli = Cli::new(&server.url);
    let as_key = |secret: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![("AWS_ACCESS_KEY_ID", KEY), ("AWS_SECRET_ACCESS_KEY", secret)]
    };
    let endpoint = ["--endpoint-url", server.url.as_str(), "--output", "json"];
    let run = |args: &[&'static str], env: Vec<(&'static str, &'static str)>| {
        let mut all: Vec<&str> = endpoint.to_vec();
        all.extend_from_slice(args);
        let cli = &cli;
        async move { cli.run(&all, &env).await }
    };
    let out = run(&["sts", "get-caller-identity"], as_key(SECRET)).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let identity: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(identity["Account"], KEY_ACCOUNT);
    // The default test credentials (also listed) work through the usual helper.
    cli.ok(&["ivs", "list-channels"]).await;
    cli.ok(&["cloudcontrol", "list-resources", "--type-name", "AWS::IVS::Stage"]).await;

    for (args, secret, expected) in [
        (&["ivs", "list-channels"][..], "not-the-secret", "(InvalidSignatureException)"),
        (&["sts", "get-caller-identity"][..], "not-the-secret", "(SignatureDoesNotMatch)"),
        (
            &["cloudcontrol", "list-resources", "--type-name", "AWS::IVS::Stage"][..],
            "not-the-secret",
            "(InvalidSignatureException)",
        ),
    ] {
        let out = run(args, as_key(secret)).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains(MISMATCH), "{stderr}");
    }
    for (args, expected) in [
        (&["ivs", "list-channels"][..], "(UnrecognizedClientException)"),
        (&["sts", "get-caller-identity"][..], "(InvalidClientTokenId)"),
    ] {
        let env = vec![("AWS_ACCESS_KEY_ID", UNKNOWN), ("AWS_SECRET_ACCESS_KEY", SECRET)];
        let out = run(args, env).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected) && stderr.contains(UNKNOWN_KEY), "{args:?}: {stderr}");
    }
}

/// The real binary: flags and their environment twins, refusals at startup, and no secret in
/// its log even at the most verbose level.
#[tokio::test]
async fn the_binary_reads_its_flags_and_never_logs_a_secret() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    const BIN: &str = env!("CARGO_BIN_EXE_ivs-local");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(&file, CREDENTIALS).unwrap();

    let out = Command::new(BIN).args(["--port", "0", "--auth", "strict"]).output().unwrap();
    assert!(!out.status.success());
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("--auth strict needs --credentials FILE"), "{log}");
    let bad = dir.path().join("bad");
    std::fs::write(&bad, format!("{KEY} {SECRET} 1234\n")).unwrap();
    let out = Command::new(BIN)
        .args(["--port", "0", "--auth", "strict", "--credentials"])
        .arg(&bad)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && log.contains("line 1: the account id must be 12 digits"),
        "{log}"
    );
    assert!(!log.contains(SECRET), "{log}");

    let mut child = Command::new(BIN)
        .args(["--port", "0", "--host", "127.0.0.1"])
        .env("IVS_LOCAL_AUTH", "strict")
        .env("IVS_LOCAL_CREDENTIALS", &file)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let mut log = String::new();
    let port: u16 = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no listening line: {log}");
        log.push_str(&line);
        if let Some(addr) = line.split("listening on http://").nth(1) {
            break addr.trim().rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    let reader = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        let _ = stderr.read_to_string(&mut rest);
        rest
    });
    let server = TestServer::at(port);
    ivs(&server, KEY, SECRET).list_channels().send().await.unwrap();
    let e = ivs(&server, KEY, "not-the-secret").list_channels().send().await.unwrap_err();
    assert_eq!(failure(e).1, "InvalidSignatureException");
    let presign = Signing { presign: Some(Duration::from_secs(60)), ..Signing::default() };
    let url = signed(&server, "GET", "/_ivs-local/broadcasts", &[], "", &presign).uri().to_string();
    assert_eq!(server.send(reqwest::Client::new().get(&url)).await.status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
    log.push_str(&reader.join().unwrap());
    assert!(log.contains("--auth strict: SigV4 signatures are checked against 2 key(s)"), "{log}");
    assert!(log.contains("InvalidSignatureException"), "the refusal is logged: {log}");
    assert!(!log.contains(SECRET) && !log.contains("wJalrXUtnFEMI"), "a secret was logged");
}
