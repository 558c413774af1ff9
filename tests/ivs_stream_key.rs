//! Stream keys through the AWS SDK for Rust: one per channel, listed per channel, deleted
//! alone or with their channel.

mod common;

use aws_sdk_ivs::error::SdkError;
use aws_sdk_ivs::operation::create_stream_key::CreateStreamKeyError;
use aws_sdk_ivs::operation::get_stream_key::GetStreamKeyError;
use aws_sdk_ivs::operation::list_stream_keys::ListStreamKeysError;

#[tokio::test]
async fn a_second_stream_key_on_a_channel_is_a_402_quota_error() {
    let server = common::start().await;
    let ivs = server.ivs();
    let channel = ivs.create_channel().send().await.unwrap().channel.unwrap().arn.unwrap();
    let err = ivs.create_stream_key().channel_arn(&channel).send().await.unwrap_err();
    let SdkError::ServiceError(e) = &err else { panic!("{err:?}") };
    assert_eq!(e.raw().status().as_u16(), 402);
    assert!(matches!(
        err.into_service_error(),
        CreateStreamKeyError::ServiceQuotaExceededException(_)
    ));
    let keys = ivs.list_stream_keys().channel_arn(&channel).send().await.unwrap();
    assert_eq!(keys.stream_keys().len(), 1);
}

#[tokio::test]
async fn a_deleted_key_can_be_replaced() {
    let server = common::start().await;
    let ivs = server.ivs();
    let out = ivs.create_channel().send().await.unwrap();
    let channel = out.channel().unwrap().arn().unwrap();
    let old = out.stream_key().unwrap();
    ivs.delete_stream_key().arn(old.arn().unwrap()).send().await.unwrap();
    assert!(
        ivs.list_stream_keys().channel_arn(channel).send().await.unwrap().stream_keys().is_empty()
    );

    let new = ivs
        .create_stream_key()
        .channel_arn(channel)
        .tags("k", "v")
        .send()
        .await
        .unwrap()
        .stream_key
        .unwrap();
    assert_ne!(new.arn(), old.arn());
    assert_ne!(new.value(), old.value());
    assert_eq!(new.channel_arn(), Some(channel));
    assert_eq!(new.tags().unwrap().get("k").map(String::as_str), Some("v"));

    let got =
        ivs.get_stream_key().arn(new.arn().unwrap()).send().await.unwrap().stream_key.unwrap();
    assert_eq!(got, new);
    let err = ivs.get_stream_key().arn(old.arn().unwrap()).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetStreamKeyError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn list_stream_keys_shows_summaries_without_the_secret() {
    let server = common::start().await;
    let ivs = server.ivs();
    let out = ivs.create_channel().send().await.unwrap();
    let channel = out.channel().unwrap().arn().unwrap();
    ivs.create_channel().send().await.unwrap();
    let list = ivs.list_stream_keys().channel_arn(channel).send().await.unwrap();
    assert_eq!(list.stream_keys().len(), 1);
    let summary = &list.stream_keys()[0];
    assert_eq!(summary.arn(), out.stream_key().unwrap().arn());
    assert_eq!(summary.channel_arn(), Some(channel));
    assert!(list.next_token().is_none());
    let raw = server.post("ListStreamKeys", &format!(r#"{{"channelArn":"{channel}"}}"#)).await;
    assert!(raw.json["streamKeys"][0].get("value").is_none(), "{:?}", raw.json);
}

#[tokio::test]
async fn stream_keys_of_an_unknown_channel_are_404() {
    let server = common::start().await;
    let ivs = server.ivs();
    let missing = common::missing_arn("channel");
    let err = ivs.list_stream_keys().channel_arn(&missing).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), ListStreamKeysError::ResourceNotFoundException(_)));
    let err = ivs.create_stream_key().channel_arn(&missing).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), CreateStreamKeyError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn batch_get_stream_key_reports_each_missing_arn() {
    let server = common::start().await;
    let ivs = server.ivs();
    let key = ivs.create_channel().send().await.unwrap().stream_key.unwrap();
    let missing = common::missing_arn("stream-key");
    let out =
        ivs.batch_get_stream_key().arns(key.arn().unwrap()).arns(&missing).send().await.unwrap();
    assert_eq!(out.stream_keys(), [key]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].arn(), Some(missing.as_str()));
    assert_eq!(out.errors()[0].code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn delete_stream_key_answers_204_then_404() {
    let server = common::start().await;
    let created = server.post("CreateChannel", "{}").await;
    let key = created.json["streamKey"]["arn"].as_str().unwrap();
    let body = format!(r#"{{"arn":"{key}"}}"#);
    assert_eq!(server.post("DeleteStreamKey", &body).await.status, 204);
    let again = server.post("DeleteStreamKey", &body).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.error_type.as_deref(), Some("ResourceNotFoundException"));
}
