//! Public keys through the AWS SDK for Rust: import (parsed and fingerprinted as AWS does),
//! get, list with pagination, delete, and the modeled errors of each.

mod common;

use aws_sdk_ivsrealtime::operation::delete_public_key::DeletePublicKeyError;
use aws_sdk_ivsrealtime::operation::get_public_key::GetPublicKeyError;
use aws_sdk_ivsrealtime::operation::import_public_key::ImportPublicKeyError;
use ivs_local::tokens::TokenKey;

/// The worked example of the reference (6.4): a P-384 key and the fingerprint AWS gives it.
const EXAMPLE_PEM: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEkoK3G135hg7KULqTzD2uxb6OcNXFeB0M
2ZzXPn/8BqQe1tDCZZKAx4EwZ2KJbCWw+5zCSMRcaW5kyD5UsV0iPnKlAlKXa4ii
sV7y3DVuXN+VYtdNj2L964jjfC/tUlBt
-----END PUBLIC KEY-----
";

const P256_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9
q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==
-----END PUBLIC KEY-----
";

/// A distinct valid P-384 public key per seed.
fn pem(seed: u64) -> String {
    TokenKey::generate(Some(seed)).public_key_pem()
}

#[tokio::test]
async fn import_public_key_returns_material_fingerprint_and_tags() {
    let server = common::start().await;
    let rt = server.realtime();
    let out = rt
        .import_public_key()
        .public_key_material(EXAMPLE_PEM)
        .name("signer")
        .tags("team", "rt")
        .send()
        .await
        .unwrap();
    let key = out.public_key().unwrap();
    let arn = key.arn().unwrap();
    let id = arn
        .strip_prefix(&format!("arn:aws:ivs:{}:{}:public-key/", common::REGION, common::ACCOUNT))
        .unwrap();
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{arn}");
    assert_eq!(key.fingerprint(), Some("de:e4:29:d1:bf:5a:9e:5c:34:06:d6:4f:56:8e:b7:39"));
    assert_eq!(key.public_key_material(), Some(EXAMPLE_PEM));
    assert_eq!(key.name(), Some("signer"));
    assert_eq!(key.tags().unwrap().get("team").map(String::as_str), Some("rt"));

    let got = rt.get_public_key().arn(arn).send().await.unwrap();
    assert_eq!(got.public_key().unwrap(), key);
}

#[tokio::test]
async fn import_public_key_without_name_returns_empty_name_and_tags() {
    let server = common::start().await;
    let raw = server
        .post("ImportPublicKey", &serde_json::json!({"publicKeyMaterial": pem(1)}).to_string())
        .await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json["publicKey"]["name"], "");
    assert_eq!(raw.json["publicKey"]["tags"], serde_json::json!({}));
}

#[tokio::test]
async fn import_public_key_refuses_a_key_that_is_not_p384() {
    let server = common::start().await;
    let err = server
        .realtime()
        .import_public_key()
        .public_key_material(P256_PEM)
        .send()
        .await
        .unwrap_err();
    let ImportPublicKeyError::ValidationException(e) = err.into_service_error() else {
        panic!("expected ValidationException");
    };
    assert!(e.message().unwrap_or_default().contains("P-256"), "{e:?}");
}

#[tokio::test]
async fn importing_the_same_key_twice_is_409() {
    let server = common::start().await;
    let rt = server.realtime();
    rt.import_public_key().public_key_material(EXAMPLE_PEM).send().await.unwrap();
    // The same key with CRLF line breaks is still the same key.
    let crlf = EXAMPLE_PEM.replace('\n', "\r\n");
    let err = rt.import_public_key().public_key_material(crlf).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), ImportPublicKeyError::ConflictException(_)));
    assert_eq!(rt.list_public_keys().send().await.unwrap().public_keys().len(), 1);
}

#[tokio::test]
async fn a_fourth_public_key_exceeds_the_quota_with_402() {
    let server = common::start().await;
    let rt = server.realtime();
    for seed in 1..=3 {
        rt.import_public_key().public_key_material(pem(seed)).send().await.unwrap();
    }
    let err = rt.import_public_key().public_key_material(pem(4)).send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 402);
    assert!(matches!(
        err.into_service_error(),
        ImportPublicKeyError::ServiceQuotaExceededException(_)
    ));
    // Deleting one makes room again.
    let first =
        rt.list_public_keys().send().await.unwrap().public_keys()[0].arn().unwrap().to_string();
    rt.delete_public_key().arn(first).send().await.unwrap();
    rt.import_public_key().public_key_material(pem(4)).send().await.unwrap();
}

#[tokio::test]
async fn list_public_keys_pages_and_summaries_carry_tags() {
    let server = common::start().await;
    let rt = server.realtime();
    for seed in 1..=3 {
        rt.import_public_key()
            .public_key_material(pem(seed))
            .name(format!("k{seed}"))
            .send()
            .await
            .unwrap();
    }
    let first = rt.list_public_keys().max_results(2).send().await.unwrap();
    assert_eq!(first.public_keys().len(), 2);
    let token = first.next_token().unwrap();
    let second = rt.list_public_keys().max_results(2).next_token(token).send().await.unwrap();
    assert_eq!(second.public_keys().len(), 1);
    assert!(second.next_token().is_none());
    let mut names: Vec<&str> =
        first.public_keys().iter().chain(second.public_keys()).map(|k| k.name().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["k1", "k2", "k3"]);
    assert!(first.public_keys().iter().all(|k| k.tags().is_some()));
}

#[tokio::test]
async fn deleted_public_key_is_gone_and_unknown_ones_are_404() {
    let server = common::start().await;
    let rt = server.realtime();
    let out = rt.import_public_key().public_key_material(pem(9)).send().await.unwrap();
    let arn = out.public_key().unwrap().arn().unwrap().to_string();
    rt.delete_public_key().arn(&arn).send().await.unwrap();
    let err = rt.get_public_key().arn(&arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetPublicKeyError::ResourceNotFoundException(_)));
    let err = rt.delete_public_key().arn(&arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), DeletePublicKeyError::ResourceNotFoundException(_)));
    assert!(rt.list_public_keys().send().await.unwrap().public_keys().is_empty());
}

#[tokio::test]
async fn delete_public_key_answers_200_with_empty_object() {
    let server = common::start().await;
    let raw = server
        .post("ImportPublicKey", &serde_json::json!({"publicKeyMaterial": pem(2)}).to_string())
        .await;
    let arn = raw.json["publicKey"]["arn"].as_str().unwrap().to_string();
    let raw = server.post("DeletePublicKey", &serde_json::json!({"arn": arn}).to_string()).await;
    assert_eq!((raw.status, raw.json), (200, serde_json::json!({})));
}
