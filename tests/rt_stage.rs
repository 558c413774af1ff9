//! Stages through the AWS SDK for Rust: every stage operation, AWS's defaults and endpoint
//! formats, pagination, and the modeled errors a client can meet.

mod common;

use aws_sdk_ivsrealtime::operation::create_stage::CreateStageError;
use aws_sdk_ivsrealtime::operation::delete_stage::DeleteStageError;
use aws_sdk_ivsrealtime::operation::get_stage::GetStageError;
use aws_sdk_ivsrealtime::operation::update_stage::UpdateStageError;
use aws_sdk_ivsrealtime::types::{
    AutoParticipantRecordingConfiguration, ParticipantRecordingMediaType,
    ParticipantThumbnailConfiguration, S3StorageConfiguration, ThumbnailRecordingMode,
    ThumbnailStorageType,
};
use common::{ACCOUNT, REGION};

fn recording(storage_arn: &str) -> AutoParticipantRecordingConfiguration {
    AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(storage_arn)
        .build()
        .unwrap()
}

async fn storage_configuration(rt: &aws_sdk_ivsrealtime::Client) -> String {
    let s3 = S3StorageConfiguration::builder().bucket_name("my-bucket").build().unwrap();
    let out = rt.create_storage_configuration().s3(s3).send().await.unwrap();
    out.storage_configuration.unwrap().arn
}

#[tokio::test]
async fn create_stage_returns_stage_with_aws_endpoints_and_defaults() {
    let server = common::start().await;
    let rt = server.realtime();
    let out = rt.create_stage().name("demo").tags("team", "rt").send().await.unwrap();
    assert!(out.participant_tokens().is_empty());
    let stage = out.stage().unwrap();
    let id = stage.arn.strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:stage/")).unwrap();
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{}", stage.arn);
    assert_eq!(stage.name(), Some("demo"));
    assert_eq!(stage.tags().unwrap().get("team").map(String::as_str), Some("rt"));
    // No session until someone joins.
    assert_eq!(stage.active_session_id(), None);

    let e = stage.endpoints().unwrap();
    assert_eq!(e.events(), Some("wss://global.events.live-video.net"));
    let whip = e.whip().unwrap();
    let prefix = whip
        .strip_prefix("https://")
        .unwrap()
        .strip_suffix(".global-bm.whip.live-video.net")
        .unwrap();
    assert!(prefix.len() == 12 && prefix.bytes().all(|b| b.is_ascii_hexdigit()), "{whip}");
    assert_eq!(
        e.rtmp(),
        Some(format!("rtmp://{prefix}.global-contribute-staging.live-video.net/app/").as_str())
    );
    assert_eq!(
        e.rtmps(),
        Some(
            format!("rtmps://{prefix}.global-contribute-staging.live-video.net:443/app/").as_str()
        )
    );

    let r = stage.auto_participant_recording_configuration().unwrap();
    assert_eq!(r.storage_configuration_arn(), "");
    assert_eq!(r.media_types(), [ParticipantRecordingMediaType::AudioVideo]);
    let thumb = r.thumbnail_configuration().unwrap();
    assert_eq!(thumb.target_interval_seconds(), Some(60));
    assert_eq!(thumb.storage(), [ThumbnailStorageType::Sequential]);
    assert_eq!(thumb.recording_mode(), Some(&ThumbnailRecordingMode::Disabled));
    assert_eq!(r.recording_reconnect_window_seconds(), 0);
    assert_eq!(r.hls_configuration().unwrap().target_segment_duration_seconds(), Some(6));
    assert!(r.record_participant_replicas());

    let got = rt.get_stage().arn(&stage.arn).send().await.unwrap();
    assert_eq!(got.stage().unwrap(), stage);
}

#[tokio::test]
async fn create_stage_without_name_or_tags_returns_empty_ones() {
    let server = common::start().await;
    let raw = server.post("CreateStage", "{}").await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json["stage"]["name"], "");
    assert_eq!(raw.json["stage"]["tags"], serde_json::json!({}));
    assert_eq!(raw.json["participantTokens"], serde_json::json!([]));
    assert!(raw.json["stage"].get("activeSessionId").is_none());
}

#[tokio::test]
async fn partial_recording_configuration_is_completed_with_defaults() {
    let server = common::start().await;
    let rt = server.realtime();
    let storage = storage_configuration(&rt).await;
    let requested = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(&storage)
        .media_types(ParticipantRecordingMediaType::AudioOnly)
        .thumbnail_configuration(
            ParticipantThumbnailConfiguration::builder()
                .recording_mode(ThumbnailRecordingMode::Interval)
                .build(),
        )
        .build()
        .unwrap();
    let out = rt.create_stage().auto_participant_recording_configuration(requested).send().await;
    let stage = out.unwrap().stage.unwrap();
    let r = stage.auto_participant_recording_configuration().unwrap();
    assert_eq!(r.storage_configuration_arn(), storage);
    assert_eq!(r.media_types(), [ParticipantRecordingMediaType::AudioOnly]);
    let thumb = r.thumbnail_configuration().unwrap();
    assert_eq!(thumb.recording_mode(), Some(&ThumbnailRecordingMode::Interval));
    assert_eq!(thumb.target_interval_seconds(), Some(60));
    assert_eq!(thumb.storage(), [ThumbnailStorageType::Sequential]);
    assert_eq!(r.hls_configuration().unwrap().target_segment_duration_seconds(), Some(6));
    assert!(r.record_participant_replicas());
}

#[tokio::test]
async fn create_stage_with_unknown_storage_configuration_is_a_validation_error() {
    let server = common::start().await;
    let err = server
        .realtime()
        .create_stage()
        .auto_participant_recording_configuration(recording(&common::missing_arn(
            "storage-configuration",
        )))
        .send()
        .await
        .unwrap_err();
    // CreateStage models no ResourceNotFoundException.
    assert!(matches!(err.into_service_error(), CreateStageError::ValidationException(_)));
    assert!(server.realtime().list_stages().send().await.unwrap().stages().is_empty());
}

#[tokio::test]
async fn get_stage_with_unknown_arn_is_404() {
    let server = common::start().await;
    let err = server.realtime().get_stage().arn(common::missing_arn("stage")).send().await;
    assert!(matches!(
        err.unwrap_err().into_service_error(),
        GetStageError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn list_stages_pages_through_every_stage_once() {
    let server = common::start().await;
    let rt = server.realtime();
    let mut created = Vec::new();
    for i in 0..5 {
        let out = rt.create_stage().name(format!("s{i}")).send().await.unwrap();
        created.push(out.stage.unwrap().arn);
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page =
            rt.list_stages().max_results(2).set_next_token(token.clone()).send().await.unwrap();
        assert!(page.stages().len() <= 2);
        for s in page.stages() {
            assert!(s.tags().is_some());
            assert!(s.name().unwrap().starts_with('s'));
            seen.push(s.arn().to_string());
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    created.sort();
    assert_eq!(seen, created);
    let all = rt.list_stages().send().await.unwrap();
    assert_eq!(all.stages().len(), 5);
    assert!(all.next_token().is_none());
}

#[tokio::test]
async fn update_stage_changes_name_and_recording_and_empty_arn_resets_defaults() {
    let server = common::start().await;
    let rt = server.realtime();
    let storage = storage_configuration(&rt).await;
    let arn = rt.create_stage().name("a").send().await.unwrap().stage.unwrap().arn;

    let requested = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(&storage)
        .recording_reconnect_window_seconds(30)
        .build()
        .unwrap();
    let out = rt
        .update_stage()
        .arn(&arn)
        .auto_participant_recording_configuration(requested)
        .send()
        .await
        .unwrap();
    let stage = out.stage().unwrap();
    assert_eq!(stage.name(), Some("a"));
    let r = stage.auto_participant_recording_configuration().unwrap();
    assert_eq!(r.storage_configuration_arn(), storage);
    assert_eq!(r.recording_reconnect_window_seconds(), 30);

    // Renaming leaves the recording configuration alone.
    let out = rt.update_stage().arn(&arn).name("b").send().await.unwrap();
    let r = out.stage().unwrap().auto_participant_recording_configuration().unwrap();
    assert_eq!(out.stage().unwrap().name(), Some("b"));
    assert_eq!(r.storage_configuration_arn(), storage);

    let disable = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn("")
        .recording_reconnect_window_seconds(60)
        .build()
        .unwrap();
    let out = rt
        .update_stage()
        .arn(&arn)
        .auto_participant_recording_configuration(disable)
        .send()
        .await
        .unwrap();
    let r = out.stage().unwrap().auto_participant_recording_configuration().unwrap();
    assert_eq!(r.storage_configuration_arn(), "");
    assert_eq!(r.recording_reconnect_window_seconds(), 0);
}

#[tokio::test]
async fn update_stage_errors_are_modeled_and_change_nothing() {
    let server = common::start().await;
    let rt = server.realtime();
    let err = rt.update_stage().arn(common::missing_arn("stage")).name("x").send().await;
    assert!(matches!(
        err.unwrap_err().into_service_error(),
        UpdateStageError::ResourceNotFoundException(_)
    ));

    let arn = rt.create_stage().name("a").send().await.unwrap().stage.unwrap().arn;
    let err = rt
        .update_stage()
        .arn(&arn)
        .name("b")
        .auto_participant_recording_configuration(recording(&common::missing_arn(
            "storage-configuration",
        )))
        .send()
        .await;
    assert!(matches!(
        err.unwrap_err().into_service_error(),
        UpdateStageError::ResourceNotFoundException(_)
    ));
    let stage = rt.get_stage().arn(&arn).send().await.unwrap().stage.unwrap();
    assert_eq!(stage.name(), Some("a"));
}

#[tokio::test]
async fn delete_stage_removes_it_and_answers_empty_object() {
    let server = common::start().await;
    let rt = server.realtime();
    let arn = rt.create_stage().send().await.unwrap().stage.unwrap().arn;
    let raw = server.post("DeleteStage", &serde_json::json!({"arn": arn}).to_string()).await;
    // Unsigned raw requests land in the default account, so delete through the SDK too.
    assert_eq!(raw.status, 404);
    rt.delete_stage().arn(&arn).send().await.unwrap();
    let err = rt.get_stage().arn(&arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetStageError::ResourceNotFoundException(_)));
    let err = rt.delete_stage().arn(&arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), DeleteStageError::ResourceNotFoundException(_)));

    let raw = server.post("CreateStage", "{}").await;
    let arn = raw.json["stage"]["arn"].as_str().unwrap();
    let raw = server.post("DeleteStage", &serde_json::json!({"arn": arn}).to_string()).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json, serde_json::json!({}));
}
