//! Recording configurations through the AWS SDK for Rust: defaults, the CREATING -> ACTIVE
//! step, pagination, the thumbnail and rendition rules, and the 409 while a channel uses one.

mod common;

use aws_sdk_ivs::operation::create_recording_configuration::CreateRecordingConfigurationError;
use aws_sdk_ivs::operation::delete_recording_configuration::DeleteRecordingConfigurationError;
use aws_sdk_ivs::operation::get_recording_configuration::GetRecordingConfigurationError;
use aws_sdk_ivs::types::{
    DestinationConfiguration, RecordingConfigurationState, RecordingMode, RenditionConfiguration,
    RenditionConfigurationRendition, RenditionConfigurationRenditionSelection,
    S3DestinationConfiguration, ThumbnailConfiguration, ThumbnailConfigurationResolution,
    ThumbnailConfigurationStorage,
};
use common::{ACCOUNT, REGION};

fn bucket(name: &str) -> DestinationConfiguration {
    DestinationConfiguration::builder()
        .s3(S3DestinationConfiguration::builder().bucket_name(name).build().unwrap())
        .build()
}

async fn create(client: &aws_sdk_ivs::Client, bucket_name: &str) -> String {
    let out = client
        .create_recording_configuration()
        .destination_configuration(bucket(bucket_name))
        .send()
        .await
        .unwrap();
    out.recording_configuration().unwrap().arn().to_string()
}

#[tokio::test]
async fn create_recording_configuration_fills_defaults_and_is_creating_then_active() {
    let server = common::start().await;
    let ivs = server.ivs();
    let out = ivs
        .create_recording_configuration()
        .destination_configuration(bucket("my-recordings"))
        .tags("env", "test")
        .send()
        .await
        .unwrap();
    let rc = out.recording_configuration().unwrap();
    let id = rc
        .arn()
        .strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:recording-configuration/"))
        .unwrap();
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    assert_eq!(rc.state(), &RecordingConfigurationState::Creating);
    assert_eq!(rc.name(), Some(""));
    assert_eq!(rc.recording_reconnect_window_seconds(), 0);
    assert_eq!(
        rc.destination_configuration().unwrap().s3().unwrap().bucket_name(),
        "my-recordings"
    );
    let thumbs = rc.thumbnail_configuration().unwrap();
    assert_eq!(thumbs.recording_mode(), Some(&RecordingMode::Interval));
    assert_eq!(thumbs.target_interval_seconds(), Some(60));
    assert_eq!(thumbs.storage(), &[ThumbnailConfigurationStorage::Sequential]);
    assert!(thumbs.resolution().is_none());
    let renditions = rc.rendition_configuration().unwrap();
    assert_eq!(
        renditions.rendition_selection(),
        Some(&RenditionConfigurationRenditionSelection::All)
    );
    assert_eq!(rc.tags().unwrap().get("env").map(String::as_str), Some("test"));

    let got = ivs.get_recording_configuration().arn(rc.arn()).send().await.unwrap();
    let got = got.recording_configuration().unwrap();
    assert_eq!(got.state(), &RecordingConfigurationState::Active);
    assert_eq!(got.thumbnail_configuration(), rc.thumbnail_configuration());
}

#[tokio::test]
async fn create_recording_configuration_keeps_given_settings() {
    let server = common::start().await;
    let out = server
        .ivs()
        .create_recording_configuration()
        .name("rec")
        .destination_configuration(bucket("b.with.dots"))
        .recording_reconnect_window_seconds(30)
        .thumbnail_configuration(
            ThumbnailConfiguration::builder()
                .recording_mode(RecordingMode::Interval)
                .target_interval_seconds(10)
                .resolution(ThumbnailConfigurationResolution::Hd)
                .storage(ThumbnailConfigurationStorage::Latest)
                .storage(ThumbnailConfigurationStorage::Sequential)
                .build(),
        )
        .rendition_configuration(
            RenditionConfiguration::builder()
                .rendition_selection(RenditionConfigurationRenditionSelection::Custom)
                .renditions(RenditionConfigurationRendition::Hd)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rc = out.recording_configuration().unwrap();
    assert_eq!(rc.name(), Some("rec"));
    assert_eq!(rc.recording_reconnect_window_seconds(), 30);
    let thumbs = rc.thumbnail_configuration().unwrap();
    assert_eq!(thumbs.target_interval_seconds(), Some(10));
    assert_eq!(thumbs.resolution(), Some(&ThumbnailConfigurationResolution::Hd));
    assert_eq!(thumbs.storage().len(), 2);
    assert_eq!(
        rc.rendition_configuration().unwrap().renditions(),
        &[RenditionConfigurationRendition::Hd]
    );
}

#[tokio::test]
async fn thumbnail_interval_without_interval_mode_is_a_validation_error() {
    let server = common::start().await;
    let err = server
        .ivs()
        .create_recording_configuration()
        .destination_configuration(bucket("bucket"))
        .thumbnail_configuration(
            ThumbnailConfiguration::builder()
                .recording_mode(RecordingMode::Disabled)
                .target_interval_seconds(10)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        CreateRecordingConfigurationError::ValidationException(_)
    ));
}

#[tokio::test]
async fn custom_renditions_without_a_list_is_a_validation_error() {
    let server = common::start().await;
    let err = server
        .ivs()
        .create_recording_configuration()
        .destination_configuration(bucket("bucket"))
        .rendition_configuration(
            RenditionConfiguration::builder()
                .rendition_selection(RenditionConfigurationRenditionSelection::Custom)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        CreateRecordingConfigurationError::ValidationException(_)
    ));
}

#[tokio::test]
async fn create_recording_configuration_without_s3_is_400() {
    let server = common::start().await;
    let r = server.post("CreateRecordingConfiguration", r#"{"destinationConfiguration":{}}"#).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type.as_deref(), Some("ValidationException"));
    // A refused create leaves nothing behind.
    let list = server.post("ListRecordingConfigurations", "{}").await;
    assert_eq!(list.json["recordingConfigurations"], serde_json::json!([]));
}

#[tokio::test]
async fn get_unknown_recording_configuration_is_404() {
    let server = common::start().await;
    let err = server
        .ivs()
        .get_recording_configuration()
        .arn(common::missing_arn("recording-configuration"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetRecordingConfigurationError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn list_recording_configurations_paginates_every_item_once() {
    let server = common::start().await;
    let ivs = server.ivs();
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(create(&ivs, &format!("bucket-{i}")).await);
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let out = ivs
            .list_recording_configurations()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(out.recording_configurations().len() <= 2);
        for s in out.recording_configurations() {
            assert_eq!(s.state(), &RecordingConfigurationState::Active);
            assert!(s.tags().is_some());
            seen.push(s.arn().to_string());
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    created.sort();
    assert_eq!(seen, created);
}

#[tokio::test]
async fn delete_recording_configuration_in_use_is_409_then_deletes_once_free() {
    let server = common::start().await;
    let ivs = server.ivs();
    let arn = create(&ivs, "bucket").await;
    let channel = ivs.create_channel().recording_configuration_arn(&arn).send().await.unwrap();
    let channel_arn = channel.channel().unwrap().arn().unwrap().to_string();
    let _other = ivs.create_channel().send().await.unwrap();

    // ListChannels can find the channels that record with it.
    let listed =
        ivs.list_channels().filter_by_recording_configuration_arn(&arn).send().await.unwrap();
    let arns: Vec<_> = listed.channels().iter().filter_map(|c| c.arn()).collect();
    assert_eq!(arns, vec![channel_arn.as_str()]);

    let err = ivs.delete_recording_configuration().arn(&arn).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DeleteRecordingConfigurationError::ConflictException(_)
    ));
    ivs.get_recording_configuration().arn(&arn).send().await.unwrap();

    ivs.update_channel().arn(&channel_arn).recording_configuration_arn("").send().await.unwrap();
    ivs.delete_recording_configuration().arn(&arn).send().await.unwrap();
    let err = ivs.get_recording_configuration().arn(&arn).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetRecordingConfigurationError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn delete_recording_configuration_answers_204() {
    let server = common::start().await;
    let created = server
        .post(
            "CreateRecordingConfiguration",
            r#"{"destinationConfiguration":{"s3":{"bucketName":"bucket"}}}"#,
        )
        .await;
    assert_eq!(created.status, 200);
    assert_eq!(created.json["recordingConfiguration"]["state"], "CREATING");
    let arn = created.json["recordingConfiguration"]["arn"].as_str().unwrap().to_string();
    let deleted = server
        .post("DeleteRecordingConfiguration", &serde_json::json!({ "arn": arn }).to_string())
        .await;
    assert_eq!(deleted.status, 204);
}
