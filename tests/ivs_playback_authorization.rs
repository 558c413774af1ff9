//! Viewer access to low-latency channels: `POST /_ivs-local/playback/authorize` with real
//! ES384 playback tokens minted here from a P-384 key whose public half is imported with
//! ImportPlaybackKeyPair, playback restriction policies, and viewer-session revocation
//! (StartViewerSessionRevocation, BatchStartViewerSessionRevocation) through the SDK.

mod common;

use aws_sdk_ivs::operation::start_viewer_session_revocation::StartViewerSessionRevocationError;
use aws_sdk_ivs::types::BatchStartViewerSessionRevocationViewerSession;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{RawResponse, TestServer};
use p384::ecdsa::signature::Signer;
use p384::ecdsa::{Signature, SigningKey};
use p384::pkcs8::EncodePublicKey;
use p384::pkcs8::der::pem::LineEnding;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

fn signing_key() -> SigningKey {
    loop {
        if let Ok(key) = SigningKey::from_slice(&rand::random::<[u8; 48]>()) {
            return key;
        }
    }
}

fn public_pem(key: &SigningKey) -> String {
    p384::PublicKey::from(key.verifying_key()).to_public_key_pem(LineEnding::LF).unwrap()
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A playback token as AWS's guide describes it: ES384 over `header.payload`, the signature
/// the 96 bytes `r || s`, all base64url.
fn mint(key: &SigningKey, claims: &Value) -> String {
    mint_with_header(key, r#"{"alg":"ES384","typ":"JWT"}"#, claims)
}

fn mint_with_header(key: &SigningKey, header: &str, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: Signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// The claims of a token for `channel_arn` valid for five more minutes.
fn claims(channel_arn: &str) -> Value {
    json!({ "aws:channel-arn": channel_arn, "exp": now() + 300 })
}

async fn authorize(server: &TestServer, body: Value) -> RawResponse {
    server
        .send(
            reqwest::Client::new()
                .post(format!("{}/_ivs-local/playback/authorize", server.url))
                .json(&body),
        )
        .await
}

/// Whether playing `url` (with `origin`, `country`) is allowed; panics on a non-200 answer.
async fn allowed(
    server: &TestServer,
    url: &str,
    origin: Option<&str>,
    country: Option<&str>,
) -> (bool, String) {
    let mut body = json!({ "playbackUrl": url });
    if let Some(origin) = origin {
        body["origin"] = json!(origin);
    }
    if let Some(country) = country {
        body["country"] = json!(country);
    }
    let raw = authorize(server, body).await;
    assert_eq!(raw.status, 200, "{:?}", raw.json);
    (raw.json["allowed"].as_bool().unwrap(), raw.json["reason"].as_str().unwrap().to_string())
}

/// A private channel, a key pair imported for it: (channel ARN, playback URL, private key).
async fn private_channel(server: &TestServer) -> (String, String, SigningKey) {
    let key = signing_key();
    server
        .ivs()
        .import_playback_key_pair()
        .public_key_material(public_pem(&key))
        .send()
        .await
        .unwrap();
    let out = server.ivs().create_channel().authorized(true).send().await.unwrap();
    let channel = out.channel().unwrap();
    (channel.arn().unwrap().to_string(), channel.playback_url().unwrap().to_string(), key)
}

fn with_token(url: &str, token: &str) -> String {
    format!("{url}?token={token}")
}

#[tokio::test]
async fn public_channel_plays_without_a_token() {
    let server = common::start().await;
    let out = server.ivs().create_channel().send().await.unwrap();
    let channel = out.channel().unwrap();
    let raw = authorize(&server, json!({ "playbackUrl": channel.playback_url().unwrap() })).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json["allowed"], true);
    assert_eq!(raw.json["channelArn"], channel.arn().unwrap());
    assert_eq!(raw.json["live"], false);
    assert!(raw.json["reason"].as_str().unwrap().contains("public"));
    // A token on a public channel's URL is not read, even a broken one.
    let (ok, _) =
        allowed(&server, &with_token(channel.playback_url().unwrap(), "x.y.z"), None, None).await;
    assert!(ok);
}

/// `live` follows the channel's broadcast: true while an encoder is connected, false after.
#[tokio::test]
async fn live_says_whether_the_channel_is_broadcasting() {
    let server = common::start().await;
    let out = server.ivs().create_channel().send().await.unwrap();
    let channel = out.channel().unwrap();
    let url = channel.playback_url().unwrap();
    let key = out.stream_key().unwrap().value().unwrap();
    let client = reqwest::Client::new();
    let control = |route: &str, body: Value| {
        client.post(format!("{}/_ivs-local/broadcasts/{route}", server.url)).json(&body)
    };
    assert_eq!(server.send(control("start", json!({"streamKey": key}))).await.status, 200);
    assert_eq!(authorize(&server, json!({ "playbackUrl": url })).await.json["live"], true);
    let stop = control("stop", json!({"channelArn": channel.arn().unwrap()}));
    assert_eq!(server.send(stop).await.status, 200);
    assert_eq!(authorize(&server, json!({ "playbackUrl": url })).await.json["live"], false);
}

#[tokio::test]
async fn private_channel_plays_with_a_valid_token_only() {
    let server = common::start().await;
    let (arn, url, key) = private_channel(&server).await;

    let (ok, reason) =
        allowed(&server, &with_token(&url, &mint(&key, &claims(&arn))), None, None).await;
    assert!(ok, "{reason}");
    // A valid token may be used again: only single-use tokens are spent.
    let (ok, _) = allowed(&server, &with_token(&url, &mint(&key, &claims(&arn))), None, None).await;
    assert!(ok);

    let (ok, reason) = allowed(&server, &url, None, None).await;
    assert!(!ok && reason.contains("no token"), "{reason}");

    let stranger = signing_key();
    let (ok, reason) =
        allowed(&server, &with_token(&url, &mint(&stranger, &claims(&arn))), None, None).await;
    assert!(!ok && reason.contains("signature"), "{reason}");

    let expired = json!({ "aws:channel-arn": arn, "exp": now() - 5 });
    let (ok, reason) = allowed(&server, &with_token(&url, &mint(&key, &expired)), None, None).await;
    assert!(!ok && reason.contains("expired"), "{reason}");

    let no_exp = json!({ "aws:channel-arn": arn });
    let (ok, reason) = allowed(&server, &with_token(&url, &mint(&key, &no_exp)), None, None).await;
    assert!(!ok && reason.contains("exp"), "{reason}");

    let other = server.ivs().create_channel().authorized(true).send().await.unwrap();
    let other_arn = other.channel().unwrap().arn().unwrap();
    let (ok, reason) =
        allowed(&server, &with_token(&url, &mint(&key, &claims(other_arn))), None, None).await;
    assert!(!ok && reason.contains(other_arn), "{reason}");

    let hs256 = mint_with_header(&key, r#"{"alg":"HS256","typ":"JWT"}"#, &claims(&arn));
    let (ok, reason) = allowed(&server, &with_token(&url, &hs256), None, None).await;
    assert!(!ok && reason.contains("ES384"), "{reason}");

    let (ok, reason) = allowed(&server, &with_token(&url, "not-a-jwt"), None, None).await;
    assert!(!ok && reason.contains("JWT"), "{reason}");
}

#[tokio::test]
async fn any_imported_key_pair_verifies_and_a_deleted_one_no_longer_does() {
    let server = common::start().await;
    let (arn, url, key) = private_channel(&server).await;
    let second = signing_key();
    let imported = server
        .ivs()
        .import_playback_key_pair()
        .public_key_material(public_pem(&second))
        .send()
        .await
        .unwrap();
    let (ok, _) =
        allowed(&server, &with_token(&url, &mint(&second, &claims(&arn))), None, None).await;
    assert!(ok);

    server
        .ivs()
        .delete_playback_key_pair()
        .arn(imported.key_pair().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    let (ok, _) =
        allowed(&server, &with_token(&url, &mint(&second, &claims(&arn))), None, None).await;
    assert!(!ok);
    let (ok, _) = allowed(&server, &with_token(&url, &mint(&key, &claims(&arn))), None, None).await;
    assert!(ok);
}

#[tokio::test]
async fn a_private_channel_without_any_key_pair_refuses_every_token() {
    let server = common::start().await;
    let out = server.ivs().create_channel().authorized(true).send().await.unwrap();
    let channel = out.channel().unwrap();
    let token = mint(&signing_key(), &claims(channel.arn().unwrap()));
    let (ok, reason) =
        allowed(&server, &with_token(channel.playback_url().unwrap(), &token), None, None).await;
    assert!(!ok && reason.contains("ImportPlaybackKeyPair"), "{reason}");
}

#[tokio::test]
async fn a_single_use_token_plays_once() {
    let server = common::start().await;
    let (arn, url, key) = private_channel(&server).await;
    let mut c = claims(&arn);
    c["aws:single-use-uuid"] = json!("1f0ac47e-1a6f-4c4e-9bf7-4c1d8a7b9f10");
    let played = with_token(&url, &mint(&key, &c));
    let (ok, reason) = allowed(&server, &played, None, None).await;
    assert!(ok, "{reason}");
    let (ok, reason) = allowed(&server, &played, None, None).await;
    assert!(!ok && reason.contains("already been used"), "{reason}");

    // A refused play does not spend the id.
    let mut c = claims(&arn);
    c["aws:single-use-uuid"] = json!("6a3e8a54-5a3c-4b0e-8d0f-0d6f1c0b2a77");
    c["aws:access-control-allow-origin"] = json!("https://app.example");
    let token = mint(&key, &c);
    let (ok, _) =
        allowed(&server, &with_token(&url, &token), Some("https://evil.example"), None).await;
    assert!(!ok);
    let (ok, reason) =
        allowed(&server, &with_token(&url, &token), Some("https://app.example"), None).await;
    assert!(ok, "{reason}");
}

#[tokio::test]
async fn single_use_and_viewer_tokens_may_expire_at_most_ten_minutes_ahead() {
    let server = common::start().await;
    let (arn, url, key) = private_channel(&server).await;
    for claim in ["aws:single-use-uuid", "aws:viewer-id"] {
        let mut c = json!({ "aws:channel-arn": arn, "exp": now() + 3600 });
        c[claim] = json!("a1b2c3");
        let (ok, reason) = allowed(&server, &with_token(&url, &mint(&key, &c)), None, None).await;
        assert!(!ok && reason.contains("at most 600 seconds"), "{claim}: {reason}");
    }
    // Without them, an hour is fine.
    let c = json!({ "aws:channel-arn": arn, "exp": now() + 3600 });
    let (ok, _) = allowed(&server, &with_token(&url, &mint(&key, &c)), None, None).await;
    assert!(ok);
}

#[tokio::test]
async fn a_revoked_viewer_session_is_refused_up_to_the_revoked_version() {
    let server = common::start().await;
    let (arn, url, key) = private_channel(&server).await;
    let viewer_token = |version: Option<i64>| {
        let mut c = claims(&arn);
        c["aws:viewer-id"] = json!("viewer-1");
        if let Some(v) = version {
            c["aws:viewer-session-version"] = json!(v);
        }
        with_token(&url, &mint(&key, &c))
    };
    let (ok, _) = allowed(&server, &viewer_token(None), None, None).await;
    assert!(ok, "nothing is revoked yet");

    server
        .ivs()
        .start_viewer_session_revocation()
        .channel_arn(&arn)
        .viewer_id("viewer-1")
        .viewer_session_versions_less_than_or_equal_to(2)
        .send()
        .await
        .unwrap();
    for version in [None, Some(0), Some(2)] {
        let (ok, reason) = allowed(&server, &viewer_token(version), None, None).await;
        assert!(!ok && reason.contains("revoked"), "{version:?}: {reason}");
    }
    let (ok, reason) = allowed(&server, &viewer_token(Some(3)), None, None).await;
    assert!(ok, "{reason}");

    // A later, lower revocation does not un-revoke version 2.
    server
        .ivs()
        .start_viewer_session_revocation()
        .channel_arn(&arn)
        .viewer_id("viewer-1")
        .send()
        .await
        .unwrap();
    let (ok, _) = allowed(&server, &viewer_token(Some(2)), None, None).await;
    assert!(!ok);

    // Other viewers are not affected.
    let mut c = claims(&arn);
    c["aws:viewer-id"] = json!("viewer-2");
    let (ok, _) = allowed(&server, &with_token(&url, &mint(&key, &c)), None, None).await;
    assert!(ok);
}

#[tokio::test]
async fn start_viewer_session_revocation_on_unknown_channel_is_404() {
    let server = common::start().await;
    let err = server
        .ivs()
        .start_viewer_session_revocation()
        .channel_arn(common::missing_arn("channel"))
        .viewer_id("v")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, StartViewerSessionRevocationError::ResourceNotFoundException(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn batch_start_viewer_session_revocation_reports_each_failed_item() {
    let server = common::start().await;
    let (arn, url, key) = private_channel(&server).await;
    let session = |channel: &str, viewer: &str| {
        BatchStartViewerSessionRevocationViewerSession::builder()
            .channel_arn(channel)
            .viewer_id(viewer)
            .viewer_session_versions_less_than_or_equal_to(1)
            .build()
            .unwrap()
    };
    let missing = common::missing_arn("channel");
    let foreign = "arn:aws:ivs:eu-west-1:210987654321:channel/abcdABCDefgh";
    let out = server
        .ivs()
        .batch_start_viewer_session_revocation()
        .viewer_sessions(session(&arn, "viewer-1"))
        .viewer_sessions(session(&missing, "viewer-2"))
        .viewer_sessions(session(foreign, "viewer-3"))
        .send()
        .await
        .unwrap();
    let errors = out.errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[0].channel_arn(), errors[0].viewer_id()), (missing.as_str(), "viewer-2"));
    assert_eq!(errors[0].code(), Some("404"));
    assert!(errors[0].message().unwrap().contains(&missing));
    assert_eq!((errors[1].channel_arn(), errors[1].viewer_id()), (foreign, "viewer-3"));
    assert_eq!(errors[1].code(), Some("403"));

    let mut c = claims(&arn);
    c["aws:viewer-id"] = json!("viewer-1");
    c["aws:viewer-session-version"] = json!(1);
    let (ok, reason) = allowed(&server, &with_token(&url, &mint(&key, &c)), None, None).await;
    assert!(!ok && reason.contains("revoked"), "{reason}");

    // All items fine: `errors` is still there, empty.
    let raw = server
        .post(
            "BatchStartViewerSessionRevocation",
            &json!({ "viewerSessions": [{ "channelArn": missing, "viewerId": "v" }] }).to_string(),
        )
        .await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json["errors"][0]["code"], "403", "unsigned: the default account");
    let ok = server
        .ivs()
        .batch_start_viewer_session_revocation()
        .viewer_sessions(session(&arn, "viewer-9"))
        .send()
        .await
        .unwrap();
    assert!(ok.errors().is_empty());
}

#[tokio::test]
async fn token_origins_bind_browsers_and_strict_enforcement_binds_everyone() {
    let server = common::start().await;
    let (arn, url, key) = private_channel(&server).await;
    let mut c = claims(&arn);
    c["aws:access-control-allow-origin"] = json!("https://*.example.com, https://app.test");
    let token = with_token(&url, &mint(&key, &c));
    for origin in ["https://www.example.com", "https://app.test"] {
        let (ok, reason) = allowed(&server, &token, Some(origin), None).await;
        assert!(ok, "{origin}: {reason}");
    }
    for origin in ["https://example.com", "https://evil.test", "http://www.example.com"] {
        let (ok, reason) = allowed(&server, &token, Some(origin), None).await;
        assert!(!ok && reason.contains("not allowed"), "{origin}: {reason}");
    }
    // Without strict enforcement a client that sends no Origin (not a browser) plays.
    let (ok, _) = allowed(&server, &token, None, None).await;
    assert!(ok);

    c["aws:strict-origin-enforcement"] = json!(true);
    let strict = with_token(&url, &mint(&key, &c));
    let (ok, reason) = allowed(&server, &strict, None, None).await;
    assert!(!ok && reason.contains("no Origin"), "{reason}");
    let (ok, _) = allowed(&server, &strict, Some("https://www.example.com"), None).await;
    assert!(ok);
}

#[tokio::test]
async fn a_playback_restriction_policy_applies_countries_and_origins() {
    let server = common::start().await;
    let policy = server
        .ivs()
        .create_playback_restriction_policy()
        .allowed_countries("US")
        .allowed_countries("CA")
        .allowed_origins("https://shop.example")
        .send()
        .await
        .unwrap();
    let policy_arn = policy.playback_restriction_policy().unwrap().arn().to_string();
    let out = server
        .ivs()
        .create_channel()
        .playback_restriction_policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    let channel_arn = out.channel().unwrap().arn().unwrap().to_string();
    let url = out.channel().unwrap().playback_url().unwrap().to_string();

    let (ok, reason) = allowed(&server, &url, Some("https://shop.example"), Some("us")).await;
    assert!(ok && reason.contains("policy"), "{reason}");
    let (ok, reason) = allowed(&server, &url, None, Some("CA")).await;
    assert!(ok, "without strict enforcement a missing Origin passes: {reason}");
    let (ok, reason) = allowed(&server, &url, Some("https://shop.example"), Some("FR")).await;
    assert!(!ok && reason.contains("FR"), "{reason}");
    let (ok, reason) = allowed(&server, &url, Some("https://shop.example"), None).await;
    assert!(!ok && reason.contains("country"), "{reason}");
    let (ok, reason) = allowed(&server, &url, Some("https://other.example"), Some("US")).await;
    assert!(!ok && reason.contains("not allowed"), "{reason}");

    server
        .ivs()
        .update_playback_restriction_policy()
        .arn(&policy_arn)
        .enable_strict_origin_enforcement(true)
        .send()
        .await
        .unwrap();
    let (ok, reason) = allowed(&server, &url, None, Some("US")).await;
    assert!(!ok && reason.contains("Strict origin enforcement"), "{reason}");
    let (ok, _) = allowed(&server, &url, Some("https://shop.example"), Some("US")).await;
    assert!(ok);

    // The policy also applies to a private channel, after its token.
    let key = signing_key();
    server
        .ivs()
        .import_playback_key_pair()
        .public_key_material(public_pem(&key))
        .send()
        .await
        .unwrap();
    server.ivs().update_channel().arn(&channel_arn).authorized(true).send().await.unwrap();
    let token = with_token(&url, &mint(&key, &claims(&channel_arn)));
    let (ok, reason) = allowed(&server, &token, Some("https://shop.example"), Some("DE")).await;
    assert!(!ok && reason.contains("DE"), "{reason}");
    let (ok, reason) = allowed(&server, &token, Some("https://shop.example"), Some("US")).await;
    assert!(ok && reason.contains("token"), "{reason}");
}

#[tokio::test]
async fn authorize_refuses_bad_requests_and_unknown_channels() {
    let server = common::start().await;
    let out = server.ivs().create_channel().send().await.unwrap();
    let url = out.channel().unwrap().playback_url().unwrap().to_string();

    let raw = server
        .send(
            reqwest::Client::new()
                .post(format!("{}/_ivs-local/playback/authorize", server.url))
                .body("not json"),
        )
        .await;
    assert_eq!((raw.status, raw.error_type.as_deref()), (400, Some("ValidationException")));

    for body in [
        json!({}),
        json!({ "playbackUrl": "https://example.com/live.m3u8" }),
        json!({ "playbackUrl": url, "orign": "https://typo.example" }),
    ] {
        let raw = authorize(&server, body.clone()).await;
        assert_eq!(raw.status, 400, "{body}: {:?}", raw.json);
        assert!(!raw.message().is_empty());
    }

    // Same host, a channel id that does not exist; and an account with no channel at all.
    let unknown_id = url.replace(&url[url.len() - 17..url.len() - 5], "abcdABCDefgh");
    let raw = authorize(&server, json!({ "playbackUrl": unknown_id })).await;
    assert_eq!((raw.status, raw.error_type.as_deref()), (404, Some("ResourceNotFoundException")));
    let foreign = url.replace(common::ACCOUNT, "210987654321");
    let raw = authorize(&server, json!({ "playbackUrl": foreign })).await;
    assert_eq!(raw.status, 404, "{:?}", raw.json);

    let raw = server
        .send(reqwest::Client::new().get(format!("{}/_ivs-local/playback/authorize", server.url)))
        .await;
    assert_eq!(raw.status, 405);
}
