//! Ad configurations through the AWS SDK for Rust: create, read, list with pagination,
//! channel references, and the 409 while a channel uses one.

mod common;

use aws_sdk_ivs::operation::create_ad_configuration::CreateAdConfigurationError;
use aws_sdk_ivs::operation::create_channel::CreateChannelError;
use aws_sdk_ivs::operation::delete_ad_configuration::DeleteAdConfigurationError;
use aws_sdk_ivs::operation::get_ad_configuration::GetAdConfigurationError;
use aws_sdk_ivs::types::MediaTailorPlaybackConfiguration;
use common::{ACCOUNT, REGION};

fn playback(id: &str) -> MediaTailorPlaybackConfiguration {
    MediaTailorPlaybackConfiguration::builder()
        .playback_configuration_arn(format!(
            "arn:aws:mediatailor:{REGION}:{ACCOUNT}:playbackConfiguration/{id}"
        ))
        .build()
}

async fn create(client: &aws_sdk_ivs::Client) -> String {
    let out = client
        .create_ad_configuration()
        .media_tailor_playback_configurations(playback("config-1"))
        .send()
        .await
        .unwrap();
    out.ad_configuration().unwrap().arn().to_string()
}

#[tokio::test]
async fn create_ad_configuration_returns_it_with_defaults() {
    let server = common::start().await;
    let ivs = server.ivs();
    let out = ivs
        .create_ad_configuration()
        .media_tailor_playback_configurations(playback("one"))
        .media_tailor_playback_configurations(playback("two"))
        .send()
        .await
        .unwrap();
    let ad = out.ad_configuration().unwrap();
    let id = ad
        .arn()
        .strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:ad-configuration/"))
        .unwrap();
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    assert_eq!(ad.name(), Some(""));
    assert!(ad.tags().unwrap().is_empty());
    let configs: Vec<_> = ad
        .media_tailor_playback_configurations()
        .iter()
        .map(|c| c.playback_configuration_arn().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(configs, ["one", "two"]);

    let got = ivs.get_ad_configuration().arn(ad.arn()).send().await.unwrap();
    assert_eq!(got.ad_configuration(), Some(ad));
}

#[tokio::test]
async fn create_ad_configuration_with_more_than_three_playback_configurations_is_400() {
    let server = common::start().await;
    let mut request = server.ivs().create_ad_configuration();
    for id in ["a", "b", "c", "d"] {
        request = request.media_tailor_playback_configurations(playback(id));
    }
    let err = request.send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), CreateAdConfigurationError::ValidationException(_)));
}

#[tokio::test]
async fn create_ad_configuration_entry_without_arn_is_400() {
    let server = common::start().await;
    let r =
        server.post("CreateAdConfiguration", r#"{"mediaTailorPlaybackConfigurations":[{}]}"#).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type.as_deref(), Some("ValidationException"));
}

#[tokio::test]
async fn get_unknown_ad_configuration_is_404() {
    let server = common::start().await;
    let err = server
        .ivs()
        .get_ad_configuration()
        .arn(common::missing_arn("ad-configuration"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetAdConfigurationError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn list_ad_configurations_paginates() {
    let server = common::start().await;
    let ivs = server.ivs();
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(create(&ivs).await);
    }
    let first = ivs.list_ad_configurations().max_results(2).send().await.unwrap();
    assert_eq!(first.ad_configurations().len(), 2);
    let second = ivs
        .list_ad_configurations()
        .max_results(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.ad_configurations().len(), 1);
    assert!(second.next_token().is_none());
    let mut seen: Vec<String> = first
        .ad_configurations()
        .iter()
        .chain(second.ad_configurations())
        .map(|a| {
            assert!(a.tags().is_some());
            a.arn().to_string()
        })
        .collect();
    seen.sort();
    created.sort();
    assert_eq!(seen, created);
}

#[tokio::test]
async fn channel_with_unknown_ad_configuration_is_404() {
    let server = common::start().await;
    let err = server
        .ivs()
        .create_channel()
        .ad_configuration_arn(common::missing_arn("ad-configuration"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), CreateChannelError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn delete_ad_configuration_in_use_is_409_then_deletes_once_free() {
    let server = common::start().await;
    let ivs = server.ivs();
    let arn = create(&ivs).await;
    let channel = ivs.create_channel().ad_configuration_arn(&arn).send().await.unwrap();
    let channel = channel.channel().unwrap();
    assert_eq!(channel.ad_configuration_arn(), Some(arn.as_str()));
    let channel_arn = channel.arn().unwrap().to_string();
    ivs.create_channel().send().await.unwrap();

    let listed = ivs.list_channels().filter_by_ad_configuration_arn(&arn).send().await.unwrap();
    let arns: Vec<_> = listed.channels().iter().filter_map(|c| c.arn()).collect();
    assert_eq!(arns, vec![channel_arn.as_str()]);

    let err = ivs.delete_ad_configuration().arn(&arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), DeleteAdConfigurationError::ConflictException(_)));

    ivs.delete_channel().arn(&channel_arn).send().await.unwrap();
    ivs.delete_ad_configuration().arn(&arn).send().await.unwrap();
    let err = ivs.delete_ad_configuration().arn(&arn).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DeleteAdConfigurationError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn delete_ad_configuration_answers_204() {
    let server = common::start().await;
    let created = server
        .post(
            "CreateAdConfiguration",
            r#"{"mediaTailorPlaybackConfigurations":[{"playbackConfigurationArn":"arn:aws:mediatailor:us-east-1:000000000000:playbackConfiguration/x"}]}"#,
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.json);
    let arn = created.json["adConfiguration"]["arn"].as_str().unwrap().to_string();
    let deleted =
        server.post("DeleteAdConfiguration", &serde_json::json!({ "arn": arn }).to_string()).await;
    assert_eq!(deleted.status, 204);
}
