//! Participant tokens: issued in AWS's form (header, claims in AWS's order, DER ECDSA P-384
//! signature), verifiable with the key ivs-local publishes at `GET /_ivs-local/keys`.

mod common;

use aws_sdk_ivsrealtime::operation::create_participant_token::CreateParticipantTokenError;
use aws_sdk_ivsrealtime::types::{ParticipantTokenCapability, ParticipantTokenConfiguration};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p384::ecdsa::signature::Verifier;
use p384::ecdsa::{DerSignature, VerifyingKey};
use p384::pkcs8::DecodePublicKey;
use serde_json::Value;

/// The token's three parts, with header and payload decoded as raw JSON text.
fn split(token: &str) -> (String, String, Vec<u8>) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let text = |p: &str| String::from_utf8(URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
    (text(parts[0]), text(parts[1]), URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
}

/// The names of a JSON object's keys in the order the text gives them.
fn key_order(json: &str) -> Vec<String> {
    // serde_json's preserve_order is not enabled, so read the top-level keys by hand.
    let mut keys = Vec::new();
    let mut depth = 0;
    let mut chars = json.char_indices().peekable();
    let bytes = json.as_bytes();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            '"' => {
                let start = i + 1;
                let mut end = start;
                for (j, d) in chars.by_ref() {
                    if d == '"' && bytes[j - 1] != b'\\' {
                        end = j;
                        break;
                    }
                }
                let next = json[end + 1..].trim_start();
                if depth == 1 && next.starts_with(':') {
                    keys.push(json[start..end].to_string());
                }
            }
            _ => {}
        }
    }
    keys
}

async fn published_key(server: &common::TestServer) -> (VerifyingKey, VerifyingKey) {
    let keys =
        server.send(reqwest::Client::new().get(format!("{}/_ivs-local/keys", server.url))).await;
    assert_eq!(keys.status, 200);
    let jwk = &keys.json["keys"][0];
    assert_eq!(jwk["kty"], "EC");
    assert_eq!(jwk["crv"], "P-384");
    assert_eq!(jwk["alg"], "ES384");
    let coord = |c: &str| URL_SAFE_NO_PAD.decode(jwk[c].as_str().unwrap()).unwrap();
    let mut sec1 = vec![4u8];
    sec1.extend(coord("x"));
    sec1.extend(coord("y"));
    let from_jwk = VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    let from_pem =
        VerifyingKey::from_public_key_pem(keys.json["publicKeyPem"].as_str().unwrap()).unwrap();
    (from_jwk, from_pem)
}

fn verifies(key: &VerifyingKey, token: &str) -> bool {
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    DerSignature::from_bytes(&signature).is_ok_and(|s| key.verify(signed.as_bytes(), &s).is_ok())
}

#[tokio::test]
async fn create_participant_token_issues_an_aws_shaped_token_signed_by_the_published_key() {
    let server = common::start().await;
    let rt = server.realtime();
    let stage = rt.create_stage().name("s").send().await.unwrap().stage.unwrap();
    let out = rt
        .create_participant_token()
        .stage_arn(&stage.arn)
        .user_id("bob")
        .attributes("displayName", "Bob")
        .duration(60)
        .send()
        .await
        .unwrap();
    let t = out.participant_token().unwrap();
    let token = t.token().unwrap();
    let participant_id = t.participant_id().unwrap();
    assert!(
        participant_id.len() == 12 && participant_id.bytes().all(|b| b.is_ascii_alphanumeric())
    );
    assert_eq!(t.user_id(), Some("bob"));
    assert_eq!(t.duration(), Some(60));
    assert_eq!(
        t.capabilities(),
        [ParticipantTokenCapability::Publish, ParticipantTokenCapability::Subscribe]
    );

    let (header, payload, signature) = split(token);
    assert_eq!(header, r#"{"alg":"KMS","typ":"JWT"}"#);
    assert!(token.starts_with("eyJhbGciOiJLTVMiLCJ0eXAiOiJKV1QifQ."));
    // DER: a SEQUENCE of two INTEGERs.
    assert_eq!(signature[0], 0x30);
    assert_eq!(
        key_order(&payload),
        [
            "exp",
            "iat",
            "jti",
            "resource",
            "topic",
            "events_url",
            "whip_url",
            "user_id",
            "attributes",
            "capabilities",
            "version"
        ]
    );
    let claims: Value = serde_json::from_str(&payload).unwrap();
    let endpoints = stage.endpoints.unwrap();
    assert_eq!(claims["jti"], participant_id);
    assert_eq!(claims["resource"], stage.arn.as_str());
    assert_eq!(claims["topic"], stage.arn.rsplit('/').next().unwrap());
    assert_eq!(claims["events_url"], endpoints.events.unwrap().as_str());
    assert_eq!(claims["whip_url"], endpoints.whip.unwrap().as_str());
    assert_eq!(claims["user_id"], "bob");
    assert_eq!(claims["attributes"], serde_json::json!({"displayName": "Bob"}));
    assert_eq!(
        claims["capabilities"],
        serde_json::json!({"allow_publish": true, "allow_subscribe": true})
    );
    assert_eq!(claims["version"], "0.0");
    let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 3600);
    assert_eq!(t.expiration_time().unwrap().secs(), exp);

    let (from_jwk, from_pem) = published_key(&server).await;
    assert_eq!(from_jwk, from_pem);
    assert!(verifies(&from_jwk, token));
    // The same signature over a changed payload does not verify.
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = payload.replace("\"bob\"", "\"eve\"");
    let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(forged_claims), parts[2]);
    assert!(!verifies(&from_jwk, &forged));
}

#[tokio::test]
async fn tokens_default_to_720_minutes_and_carry_only_granted_capabilities() {
    let server = common::start().await;
    let rt = server.realtime();
    let stage = rt.create_stage().send().await.unwrap().stage.unwrap();
    let out = rt.create_participant_token().stage_arn(&stage.arn).send().await.unwrap();
    let t = out.participant_token().unwrap();
    assert_eq!(t.duration(), Some(720));
    assert_eq!(t.user_id(), None);
    let (_, payload, _) = split(t.token().unwrap());
    let claims: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 43_200);
    assert!(claims.get("user_id").is_none() && claims.get("attributes").is_none());

    let out = rt
        .create_participant_token()
        .stage_arn(&stage.arn)
        .capabilities(ParticipantTokenCapability::Subscribe)
        .send()
        .await
        .unwrap();
    let t = out.participant_token().unwrap();
    assert_eq!(t.capabilities(), [ParticipantTokenCapability::Subscribe]);
    let (_, payload, _) = split(t.token().unwrap());
    let claims: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(claims["capabilities"], serde_json::json!({"allow_subscribe": true}));
}

#[tokio::test]
async fn create_stage_issues_one_verifiable_token_per_configuration() {
    let server = common::start().await;
    let rt = server.realtime();
    let out = rt
        .create_stage()
        .participant_token_configurations(
            ParticipantTokenConfiguration::builder().user_id("a").duration(5).build(),
        )
        .participant_token_configurations(
            ParticipantTokenConfiguration::builder()
                .capabilities(ParticipantTokenCapability::Publish)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let tokens = out.participant_tokens();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0].participant_id(), tokens[1].participant_id());
    assert_eq!(tokens[0].user_id(), Some("a"));
    assert_eq!(tokens[0].duration(), Some(5));
    assert_eq!(tokens[1].duration(), Some(720));
    let (key, _) = published_key(&server).await;
    for t in tokens {
        assert!(verifies(&key, t.token().unwrap()));
    }
    let (_, payload, _) = split(tokens[1].token().unwrap());
    let claims: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(claims["capabilities"], serde_json::json!({"allow_publish": true}));
    assert_eq!(claims["resource"], out.stage().unwrap().arn.as_str());
}

#[tokio::test]
async fn create_participant_token_for_unknown_stage_is_404() {
    let server = common::start().await;
    let err = server
        .realtime()
        .create_participant_token()
        .stage_arn(common::missing_arn("stage"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        CreateParticipantTokenError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn keys_route_answers_only_get() {
    let server = common::start().await;
    let r =
        server.send(reqwest::Client::new().post(format!("{}/_ivs-local/keys", server.url))).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.error_type.as_deref(), Some("MethodNotAllowedException"));
    assert!(r.message().contains("GET /_ivs-local/keys"), "{}", r.message());
}
