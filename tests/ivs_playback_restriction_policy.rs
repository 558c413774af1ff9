//! Playback restriction policies through the AWS SDK for Rust: create with AWS's defaults,
//! get, list (default page size 1), partial update, delete, the 409 while a channel uses the
//! policy, 404s, and ListChannels' filter by policy.

mod common;

use aws_sdk_ivs::operation::create_channel::CreateChannelError;
use aws_sdk_ivs::operation::delete_playback_restriction_policy::DeletePlaybackRestrictionPolicyError;
use aws_sdk_ivs::operation::get_playback_restriction_policy::GetPlaybackRestrictionPolicyError;
use aws_sdk_ivs::operation::update_playback_restriction_policy::UpdatePlaybackRestrictionPolicyError;
use common::{ACCOUNT, REGION};

#[tokio::test]
async fn create_playback_restriction_policy_fills_aws_defaults() {
    let server = common::start().await;
    let raw = server.post("CreatePlaybackRestrictionPolicy", "{}").await;
    assert_eq!(raw.status, 200, "{:?}", raw.json);
    let p = &raw.json["playbackRestrictionPolicy"];
    assert_eq!(p["allowedCountries"], serde_json::json!([]));
    assert_eq!(p["allowedOrigins"], serde_json::json!([]));
    assert_eq!(p["enableStrictOriginEnforcement"], false);
    assert_eq!(p["name"], "");
    assert_eq!(p["tags"], serde_json::json!({}));
    let arn = p["arn"].as_str().unwrap();
    let id = arn.strip_prefix("arn:aws:ivs:us-east-1:000000000000:playback-restriction-policy/");
    assert!(id.is_some_and(|id| id.len() == 12), "{arn}");
}

#[tokio::test]
async fn create_and_get_playback_restriction_policy_round_trip() {
    let server = common::start().await;
    let out = server
        .ivs()
        .create_playback_restriction_policy()
        .name("eu-only")
        .allowed_countries("FR")
        .allowed_countries("DE")
        .allowed_origins("https://example.com")
        .enable_strict_origin_enforcement(true)
        .tags("team", "video")
        .send()
        .await
        .unwrap();
    let p = out.playback_restriction_policy().unwrap();
    assert!(
        p.arn()
            .starts_with(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:playback-restriction-policy/"))
    );
    assert_eq!(p.allowed_countries(), ["FR", "DE"]);
    assert_eq!(p.allowed_origins(), ["https://example.com"]);
    assert_eq!(p.enable_strict_origin_enforcement(), Some(true));
    assert_eq!(p.name(), Some("eu-only"));
    assert_eq!(p.tags().unwrap().get("team").map(String::as_str), Some("video"));

    let got = server.ivs().get_playback_restriction_policy().arn(p.arn()).send().await.unwrap();
    assert_eq!(got.playback_restriction_policy(), Some(p));
}

#[tokio::test]
async fn list_playback_restriction_policies_defaults_to_one_per_page() {
    let server = common::start().await;
    let mut created = Vec::new();
    for name in ["a", "b", "c"] {
        let out =
            server.ivs().create_playback_restriction_policy().name(name).send().await.unwrap();
        created.push(out.playback_restriction_policy().unwrap().arn().to_string());
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = server
            .ivs()
            .list_playback_restriction_policies()
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(page.playback_restriction_policies().len() <= 1, "the model's default is 1");
        seen.extend(page.playback_restriction_policies().iter().map(|p| p.arn().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    created.sort();
    assert_eq!(seen, created);

    let all =
        server.ivs().list_playback_restriction_policies().max_results(100).send().await.unwrap();
    assert_eq!(all.playback_restriction_policies().len(), 3);
    assert!(all.next_token().is_none());
    let summary = &all.playback_restriction_policies()[0];
    assert!(summary.allowed_countries().is_empty() && summary.tags().is_some());
}

#[tokio::test]
async fn update_playback_restriction_policy_changes_only_what_is_given() {
    let server = common::start().await;
    let out = server
        .ivs()
        .create_playback_restriction_policy()
        .name("before")
        .allowed_countries("US")
        .allowed_origins("https://a.example")
        .send()
        .await
        .unwrap();
    let arn = out.playback_restriction_policy().unwrap().arn().to_string();

    let updated = server
        .ivs()
        .update_playback_restriction_policy()
        .arn(&arn)
        .enable_strict_origin_enforcement(true)
        .allowed_countries("CA")
        .send()
        .await
        .unwrap();
    let p = updated.playback_restriction_policy().unwrap();
    assert_eq!(p.name(), Some("before"));
    assert_eq!(p.allowed_countries(), ["CA"]);
    assert_eq!(p.allowed_origins(), ["https://a.example"]);
    assert_eq!(p.enable_strict_origin_enforcement(), Some(true));

    // An empty list given is a change (back to "all countries"), not an omission.
    let cleared = server
        .ivs()
        .update_playback_restriction_policy()
        .arn(&arn)
        .set_allowed_countries(Some(vec![]))
        .send()
        .await
        .unwrap();
    assert!(cleared.playback_restriction_policy().unwrap().allowed_countries().is_empty());
    let got = server.ivs().get_playback_restriction_policy().arn(&arn).send().await.unwrap();
    assert_eq!(got.playback_restriction_policy(), cleared.playback_restriction_policy());
}

#[tokio::test]
async fn playback_restriction_policy_operations_on_unknown_arn_are_404() {
    let server = common::start().await;
    let missing = common::missing_arn("playback-restriction-policy");
    let err = server
        .ivs()
        .get_playback_restriction_policy()
        .arn(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, GetPlaybackRestrictionPolicyError::ResourceNotFoundException(_)),
        "{err:?}"
    );
    let err = server
        .ivs()
        .update_playback_restriction_policy()
        .arn(&missing)
        .name("x")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, UpdatePlaybackRestrictionPolicyError::ResourceNotFoundException(_)),
        "{err:?}"
    );
    let err = server
        .ivs()
        .delete_playback_restriction_policy()
        .arn(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, DeletePlaybackRestrictionPolicyError::ResourceNotFoundException(_)),
        "{err:?}"
    );
    // A channel cannot name a policy that does not exist.
    let err = server
        .ivs()
        .create_channel()
        .playback_restriction_policy_arn(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(err, CreateChannelError::ResourceNotFoundException(_)), "{err:?}");
}

#[tokio::test]
async fn delete_playback_restriction_policy_in_use_is_409_until_detached() {
    let server = common::start().await;
    let policy = server.ivs().create_playback_restriction_policy().send().await.unwrap();
    let arn = policy.playback_restriction_policy().unwrap().arn().to_string();
    let channel =
        server.ivs().create_channel().playback_restriction_policy_arn(&arn).send().await.unwrap();
    let channel_arn = channel.channel().unwrap().arn().unwrap().to_string();

    let err = server
        .ivs()
        .delete_playback_restriction_policy()
        .arn(&arn)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let DeletePlaybackRestrictionPolicyError::ConflictException(e) = &err else {
        panic!("expected ConflictException, got {err:?}");
    };
    assert!(e.message().unwrap().contains(&channel_arn), "{:?}", e.message());
    server.ivs().get_playback_restriction_policy().arn(&arn).send().await.unwrap();

    server
        .ivs()
        .update_channel()
        .arn(&channel_arn)
        .playback_restriction_policy_arn("")
        .send()
        .await
        .unwrap();
    server.ivs().delete_playback_restriction_policy().arn(&arn).send().await.unwrap();
    let err = server
        .ivs()
        .get_playback_restriction_policy()
        .arn(&arn)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, GetPlaybackRestrictionPolicyError::ResourceNotFoundException(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn delete_playback_restriction_policy_answers_204() {
    let server = common::start().await;
    let created = server.post("CreatePlaybackRestrictionPolicy", "{}").await;
    let arn = created.json["playbackRestrictionPolicy"]["arn"].as_str().unwrap();
    let raw =
        server.post("DeletePlaybackRestrictionPolicy", &format!(r#"{{"arn":"{arn}"}}"#)).await;
    assert_eq!(raw.status, 204);
    assert_eq!(raw.json, serde_json::Value::Null);
}

#[tokio::test]
async fn list_channels_filters_by_playback_restriction_policy() {
    let server = common::start().await;
    let policy = server.ivs().create_playback_restriction_policy().send().await.unwrap();
    let arn = policy.playback_restriction_policy().unwrap().arn().to_string();
    let with = server
        .ivs()
        .create_channel()
        .name("with")
        .playback_restriction_policy_arn(&arn)
        .send()
        .await
        .unwrap();
    server.ivs().create_channel().name("without").send().await.unwrap();

    let listed = server
        .ivs()
        .list_channels()
        .filter_by_playback_restriction_policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let arns: Vec<_> = listed.channels().iter().map(|c| c.arn().unwrap()).collect();
    assert_eq!(arns, [with.channel().unwrap().arn().unwrap()]);
    assert_eq!(listed.channels()[0].playback_restriction_policy_arn(), Some(arn.as_str()));
}
