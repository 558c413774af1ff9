//! Playback key pairs through the AWS SDK for Rust: import with AWS's fingerprint, get, list
//! with pagination, delete, and the modeled errors (bad key 400, duplicate 409, fourth key
//! 402, unknown ARN 404).

mod common;

use aws_sdk_ivs::operation::delete_playback_key_pair::DeletePlaybackKeyPairError;
use aws_sdk_ivs::operation::get_playback_key_pair::GetPlaybackKeyPairError;
use aws_sdk_ivs::operation::import_playback_key_pair::ImportPlaybackKeyPairError;
use common::{ACCOUNT, REGION};
use p384::pkcs8::der::pem::LineEnding;
use p384::pkcs8::{EncodePrivateKey, EncodePublicKey};

/// A fresh P-384 key pair: the signing key and its public half as PEM.
fn p384_key() -> (p384::ecdsa::SigningKey, String) {
    let signing = loop {
        if let Ok(key) = p384::ecdsa::SigningKey::from_slice(&rand::random::<[u8; 48]>()) {
            break key;
        }
    };
    let pem =
        p384::PublicKey::from(signing.verifying_key()).to_public_key_pem(LineEnding::LF).unwrap();
    (signing, pem)
}

/// The worked example of reference 6.4 and the fingerprint AWS gives it.
const EXAMPLE_PEM: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEkoK3G135hg7KULqTzD2uxb6OcNXFeB0M
2ZzXPn/8BqQe1tDCZZKAx4EwZ2KJbCWw+5zCSMRcaW5kyD5UsV0iPnKlAlKXa4ii
sV7y3DVuXN+VYtdNj2L964jjfC/tUlBt
-----END PUBLIC KEY-----
";
const EXAMPLE_FINGERPRINT: &str = "de:e4:29:d1:bf:5a:9e:5c:34:06:d6:4f:56:8e:b7:39";

const P256_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9
q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==
-----END PUBLIC KEY-----
";

const RSA_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCqqYBEie4vFS0XWQxE9ITZLDga
Qjgx5fz3rIZgv5DEWbSAt1i9TyjbpamGZdLnzJ7iA9LN/0e7xE3gQZ+I14mawfkr
PhwcxvyrSC/pkmYZt5Dv1ITUsBxRPYBzkIkfFqc8RCyW5GHByJdWt8R2ekYVqxg9
9FjFkUc4DoX2FwfpywIDAQAB
-----END PUBLIC KEY-----
";

#[tokio::test]
async fn import_playback_key_pair_returns_arn_fingerprint_name_and_tags() {
    let server = common::start().await;
    let out = server
        .ivs()
        .import_playback_key_pair()
        .public_key_material(EXAMPLE_PEM)
        .name("viewers")
        .tags("team", "video")
        .send()
        .await
        .unwrap();
    let pair = out.key_pair().unwrap();
    let arn = pair.arn().unwrap();
    let id = arn.strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:playback-key/")).unwrap();
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{arn}");
    assert_eq!(pair.fingerprint(), Some(EXAMPLE_FINGERPRINT));
    assert_eq!(pair.name(), Some("viewers"));
    assert_eq!(pair.tags().unwrap().get("team").map(String::as_str), Some("video"));

    let got = server.ivs().get_playback_key_pair().arn(arn).send().await.unwrap();
    assert_eq!(got.key_pair(), Some(pair));
}

#[tokio::test]
async fn import_playback_key_pair_defaults_name_and_tags_to_empty() {
    let server = common::start().await;
    let (_, pem) = p384_key();
    let raw = server
        .post("ImportPlaybackKeyPair", &serde_json::json!({ "publicKeyMaterial": pem }).to_string())
        .await;
    assert_eq!(raw.status, 200, "{:?}", raw.json);
    assert_eq!(raw.json["keyPair"]["name"], "");
    assert_eq!(raw.json["keyPair"]["tags"], serde_json::json!({}));
    assert_eq!(raw.json["keyPair"]["fingerprint"].as_str().unwrap().len(), 47);
}

#[tokio::test]
async fn import_playback_key_pair_refuses_what_is_not_a_p384_public_key() {
    let server = common::start().await;
    let (signing, _) = p384_key();
    let private_pem = signing.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let cases = [
        (P256_PEM.to_string(), "P-256"),
        (RSA_PEM.to_string(), "RSA"),
        (private_pem, "private key"),
        ("garbage".to_string(), "PEM"),
        // The model allows an empty string; AWS still needs a key.
        (String::new(), "empty"),
    ];
    for (material, reason) in cases {
        let err = server
            .ivs()
            .import_playback_key_pair()
            .public_key_material(material)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        let ImportPlaybackKeyPairError::ValidationException(e) = &err else {
            panic!("expected ValidationException for {reason}, got {err:?}");
        };
        assert!(e.message().unwrap().contains(reason), "{reason}: {:?}", e.message());
    }
    let listed = server.ivs().list_playback_key_pairs().send().await.unwrap();
    assert!(listed.key_pairs().is_empty(), "a refused key must not be stored");
}

#[tokio::test]
async fn import_playback_key_pair_twice_is_409_even_in_another_pem_layout() {
    let server = common::start().await;
    server.ivs().import_playback_key_pair().public_key_material(EXAMPLE_PEM).send().await.unwrap();
    // The same key with CRLF line endings and no trailing newline is still the same key.
    let relaid = EXAMPLE_PEM.trim_end().replace('\n', "\r\n");
    let err = server
        .ivs()
        .import_playback_key_pair()
        .public_key_material(relaid)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(err, ImportPlaybackKeyPairError::ConflictException(_)), "{err:?}");
}

#[tokio::test]
async fn a_fourth_playback_key_pair_is_402() {
    let server = common::start().await;
    for _ in 0..3 {
        let (_, pem) = p384_key();
        server.ivs().import_playback_key_pair().public_key_material(pem).send().await.unwrap();
    }
    let (_, pem) = p384_key();
    let err = server
        .ivs()
        .import_playback_key_pair()
        .public_key_material(pem)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(err, ImportPlaybackKeyPairError::ServiceQuotaExceededException(_)), "{err:?}");

    // The quota is per account and region: another region still has room.
    let (_, pem) = p384_key();
    server
        .ivs_as(ACCOUNT, "eu-west-1")
        .import_playback_key_pair()
        .public_key_material(pem)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn list_playback_key_pairs_pages_through_every_key_pair() {
    let server = common::start().await;
    let mut imported = Vec::new();
    for name in ["a", "b", "c"] {
        let (_, pem) = p384_key();
        let out = server
            .ivs()
            .import_playback_key_pair()
            .public_key_material(pem)
            .name(name)
            .send()
            .await
            .unwrap();
        imported.push(out.key_pair().unwrap().arn().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = server
            .ivs()
            .list_playback_key_pairs()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(page.key_pairs().len() <= 2);
        seen.extend(page.key_pairs().iter().map(|k| k.arn().unwrap().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    imported.sort();
    assert_eq!(seen, imported);
}

#[tokio::test]
async fn list_playback_key_pairs_summaries_omit_the_fingerprint() {
    let server = common::start().await;
    let (_, pem) = p384_key();
    let body = serde_json::json!({ "publicKeyMaterial": pem }).to_string();
    assert_eq!(server.post("ImportPlaybackKeyPair", &body).await.status, 200);
    let raw = server.post("ListPlaybackKeyPairs", "{}").await;
    assert_eq!(raw.status, 200);
    let first = &raw.json["keyPairs"][0];
    assert!(first.get("fingerprint").is_none(), "{first}");
    assert_eq!(first["name"], "");
    assert_eq!(first["tags"], serde_json::json!({}));
    assert!(raw.json.get("nextToken").is_none());
}

#[tokio::test]
async fn delete_playback_key_pair_answers_200_and_forgets_it() {
    let server = common::start().await;
    let out = server
        .ivs()
        .import_playback_key_pair()
        .public_key_material(EXAMPLE_PEM)
        .send()
        .await
        .unwrap();
    let arn = out.key_pair().unwrap().arn().unwrap().to_string();

    server.ivs().delete_playback_key_pair().arn(&arn).send().await.unwrap();

    let err = server
        .ivs()
        .get_playback_key_pair()
        .arn(&arn)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(err, GetPlaybackKeyPairError::ResourceNotFoundException(_)), "{err:?}");
    let err = server
        .ivs()
        .delete_playback_key_pair()
        .arn(&arn)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(err, DeletePlaybackKeyPairError::ResourceNotFoundException(_)), "{err:?}");
    // Deleted, the same key may be imported again.
    server.ivs().import_playback_key_pair().public_key_material(EXAMPLE_PEM).send().await.unwrap();
}

#[tokio::test]
async fn delete_playback_key_pair_body_is_an_empty_object() {
    let server = common::start().await;
    let (_, pem) = p384_key();
    let body = serde_json::json!({ "publicKeyMaterial": pem }).to_string();
    let imported = server.post("ImportPlaybackKeyPair", &body).await;
    let arn = imported.json["keyPair"]["arn"].as_str().unwrap();
    let raw = server.post("DeletePlaybackKeyPair", &format!(r#"{{"arn":"{arn}"}}"#)).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json, serde_json::json!({}));
}

#[tokio::test]
async fn get_playback_key_pair_with_unknown_arn_is_404() {
    let server = common::start().await;
    let err = server
        .ivs()
        .get_playback_key_pair()
        .arn(common::missing_arn("playback-key"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(err, GetPlaybackKeyPairError::ResourceNotFoundException(_)), "{err:?}");
}
