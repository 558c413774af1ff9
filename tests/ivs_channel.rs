//! Channels through the AWS SDK for Rust: every channel operation, its defaults, and the
//! modeled errors a client can meet.

mod common;

use aws_sdk_ivs::error::SdkError;
use aws_sdk_ivs::operation::create_channel::CreateChannelError;
use aws_sdk_ivs::operation::get_channel::GetChannelError;
use aws_sdk_ivs::operation::list_channels::ListChannelsError;
use aws_sdk_ivs::operation::update_channel::UpdateChannelError;
use aws_sdk_ivs::types::{
    ChannelLatencyMode, ChannelType, ContainerFormat, MultitrackInputConfiguration,
    MultitrackMaximumResolution, MultitrackPolicy, TranscodePreset,
};
use common::{ACCOUNT, REGION};

fn is_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[tokio::test]
async fn create_channel_returns_channel_and_stream_key_in_aws_formats() {
    let server = common::start().await;
    let out =
        server.ivs().create_channel().name("demo").tags("team", "video").send().await.unwrap();

    let channel = out.channel().unwrap();
    let arn = channel.arn().unwrap();
    let id = arn.strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:channel/")).unwrap();
    assert!(is_id(id), "{arn}");
    let ingest = channel.ingest_endpoint().unwrap();
    let prefix = ingest.strip_suffix(".global-contribute.live-video.net").unwrap();
    assert!(prefix.len() == 12 && prefix.bytes().all(|b| b.is_ascii_hexdigit()), "{ingest}");
    assert_eq!(
        channel.playback_url().unwrap(),
        format!(
            "https://{prefix}.{REGION}.playback.live-video.net/api/video/v1/{REGION}.{ACCOUNT}.channel.{id}.m3u8"
        )
    );
    let srt = channel.srt().unwrap();
    assert_eq!(srt.endpoint(), Some(format!("{prefix}.srt.live-video.net").as_str()));
    assert!(srt.passphrase().unwrap().len() >= 32);
    assert_eq!(channel.tags().unwrap().get("team").map(String::as_str), Some("video"));

    let key = out.stream_key().unwrap();
    assert_eq!(key.channel_arn(), Some(arn));
    let key_id = key.arn().unwrap().rsplit('/').next().unwrap();
    let value = key.value().unwrap();
    let secret = value.strip_prefix(&format!("sk_{REGION}_{key_id}_")).unwrap();
    assert_eq!(secret.len(), 30);
    assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()));
    // The request's tags go on the channel, not on the key created with it.
    assert!(key.tags().unwrap().is_empty());
}

#[tokio::test]
async fn create_channel_fills_aws_defaults() {
    let server = common::start().await;
    let out = server.ivs().create_channel().send().await.unwrap();
    let c = out.channel().unwrap();
    assert_eq!(c.name(), Some(""));
    assert_eq!(c.latency_mode(), Some(&ChannelLatencyMode::LowLatency));
    assert_eq!(c.r#type(), Some(&ChannelType::StandardChannelType));
    assert!(!c.authorized());
    assert!(!c.insecure_ingest());
    assert_eq!(c.preset().map(|p| p.as_str()), Some(""));
    assert_eq!(c.container_format(), Some(&ContainerFormat::Ts));
    assert_eq!(c.recording_configuration_arn(), Some(""));
    assert_eq!(c.playback_restriction_policy_arn(), Some(""));
    assert_eq!(c.ad_configuration_arn(), Some(""));
    let multitrack = c.multitrack_input_configuration().unwrap();
    assert!(!multitrack.enabled());
    assert_eq!(multitrack.policy(), Some(&MultitrackPolicy::Allow));
    assert_eq!(multitrack.maximum_resolution(), Some(&MultitrackMaximumResolution::FullHd));
    assert!(c.tags().unwrap().is_empty());
}

#[tokio::test]
async fn advanced_channels_get_a_preset_and_others_refuse_one() {
    let server = common::start().await;
    let ivs = server.ivs();
    let out = ivs.create_channel().r#type(ChannelType::AdvancedHdChannelType).send().await.unwrap();
    assert_eq!(
        out.channel().unwrap().preset(),
        Some(&TranscodePreset::HigherBandwidthTranscodePreset)
    );

    let err = ivs
        .create_channel()
        .r#type(ChannelType::BasicChannelType)
        .preset(TranscodePreset::ConstrainedBandwidthTranscodePreset)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), CreateChannelError::ValidationException(_)));
}

#[tokio::test]
async fn multitrack_needs_a_standard_channel_with_fragmented_mp4() {
    let server = common::start().await;
    let ivs = server.ivs();
    let enabled = MultitrackInputConfiguration::builder()
        .enabled(true)
        .policy(MultitrackPolicy::Require)
        .build();
    let err = ivs
        .create_channel()
        .multitrack_input_configuration(enabled.clone())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), CreateChannelError::ValidationException(_)));

    let out = ivs
        .create_channel()
        .multitrack_input_configuration(enabled)
        .container_format(ContainerFormat::FragmentedMp4)
        .send()
        .await
        .unwrap();
    let multitrack = out.channel().unwrap().multitrack_input_configuration().unwrap();
    assert!(multitrack.enabled());
    assert_eq!(multitrack.policy(), Some(&MultitrackPolicy::Require));
    assert_eq!(multitrack.maximum_resolution(), Some(&MultitrackMaximumResolution::FullHd));
}

#[tokio::test]
async fn create_channel_with_an_unknown_recording_configuration_is_404() {
    let server = common::start().await;
    let err = server
        .ivs()
        .create_channel()
        .recording_configuration_arn(format!(
            "arn:aws:ivs:{REGION}:{ACCOUNT}:recording-configuration/abcdABCDefgh"
        ))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), CreateChannelError::ResourceNotFoundException(_)));
    assert!(server.ivs().list_channels().send().await.unwrap().channels().is_empty());
}

#[tokio::test]
async fn get_channel_returns_what_create_returned() {
    let server = common::start().await;
    let ivs = server.ivs();
    let created = ivs.create_channel().name("x").send().await.unwrap().channel.unwrap();
    let got = ivs.get_channel().arn(created.arn().unwrap()).send().await.unwrap().channel.unwrap();
    assert_eq!(got, created);
}

#[tokio::test]
async fn get_channel_with_unknown_arn_is_404() {
    let server = common::start().await;
    let err =
        server.ivs().get_channel().arn(common::missing_arn("channel")).send().await.unwrap_err();
    let SdkError::ServiceError(e) = &err else { panic!("{err:?}") };
    assert_eq!(e.raw().status().as_u16(), 404);
    let GetChannelError::ResourceNotFoundException(e) = err.into_service_error() else { panic!() };
    assert!(e.exception_message().unwrap().contains("abcdABCDefgh"));
}

#[tokio::test]
async fn batch_get_channel_reports_each_missing_arn() {
    let server = common::start().await;
    let ivs = server.ivs();
    let a = ivs.create_channel().name("a").send().await.unwrap().channel.unwrap().arn.unwrap();
    let missing = common::missing_arn("channel");
    let out = ivs.batch_get_channel().arns(&a).arns(&missing).send().await.unwrap();
    assert_eq!(out.channels().len(), 1);
    assert_eq!(out.channels()[0].arn(), Some(a.as_str()));
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].arn(), Some(missing.as_str()));
    assert_eq!(out.errors()[0].code(), Some("ResourceNotFoundException"));
    assert!(out.errors()[0].message().is_some());
}

#[tokio::test]
async fn list_channels_pages_with_an_opaque_token_and_filters() {
    let server = common::start().await;
    let ivs = server.ivs();
    for i in 0..7 {
        let name = if i % 2 == 0 { "even" } else { "odd" };
        ivs.create_channel().name(name).send().await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ivs.list_channels().max_results(3).set_next_token(token).send().await.unwrap();
        assert!(page.channels().len() <= 3);
        seen.extend(page.channels().iter().map(|c| c.arn().unwrap().to_string()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7);

    let evens = ivs.list_channels().filter_by_name("even").send().await.unwrap();
    assert_eq!(evens.channels().len(), 4);
    assert!(evens.next_token().is_none());
    let summary = &evens.channels()[0];
    assert_eq!(summary.name(), Some("even"));
    assert_eq!(summary.preset().map(|p| p.as_str()), Some(""));
    assert!(summary.tags().is_some());

    let pages: Vec<_> = ivs
        .list_channels()
        .max_results(2)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 4);
    assert_eq!(pages.iter().map(|p| p.channels().len()).sum::<usize>(), 7);
}

#[tokio::test]
async fn list_channels_with_two_filters_is_a_conflict() {
    let server = common::start().await;
    let err = server
        .ivs()
        .list_channels()
        .filter_by_name("a")
        .filter_by_recording_configuration_arn(format!(
            "arn:aws:ivs:{REGION}:{ACCOUNT}:recording-configuration/abcdABCDefgh"
        ))
        .send()
        .await
        .unwrap_err();
    let SdkError::ServiceError(e) = &err else { panic!("{err:?}") };
    assert_eq!(e.raw().status().as_u16(), 409);
    assert!(matches!(err.into_service_error(), ListChannelsError::ConflictException(_)));
}

#[tokio::test]
async fn update_channel_changes_only_what_it_is_given() {
    let server = common::start().await;
    let ivs = server.ivs();
    let created =
        ivs.create_channel().name("before").tags("k", "v").send().await.unwrap().channel.unwrap();
    let arn = created.arn().unwrap();
    let updated = ivs
        .update_channel()
        .arn(arn)
        .name("after")
        .latency_mode(ChannelLatencyMode::NormalLatency)
        .r#type(ChannelType::BasicChannelType)
        .authorized(true)
        .send()
        .await
        .unwrap()
        .channel
        .unwrap();
    assert_eq!(updated.name(), Some("after"));
    assert_eq!(updated.latency_mode(), Some(&ChannelLatencyMode::NormalLatency));
    assert_eq!(updated.r#type(), Some(&ChannelType::BasicChannelType));
    assert!(updated.authorized());
    assert_eq!(updated.arn(), Some(arn));
    assert_eq!(updated.playback_url(), created.playback_url());
    assert_eq!(updated.tags(), created.tags());
    assert_eq!(updated.insecure_ingest(), created.insecure_ingest());

    let got = ivs.get_channel().arn(arn).send().await.unwrap().channel.unwrap();
    assert_eq!(got, updated);

    // Becoming ADVANCED brings the default preset; going back clears it.
    let advanced = ivs
        .update_channel()
        .arn(arn)
        .r#type(ChannelType::AdvancedSdChannelType)
        .send()
        .await
        .unwrap();
    assert_eq!(
        advanced.channel().unwrap().preset(),
        Some(&TranscodePreset::HigherBandwidthTranscodePreset)
    );
    let standard = ivs
        .update_channel()
        .arn(arn)
        .r#type(ChannelType::StandardChannelType)
        .send()
        .await
        .unwrap();
    assert_eq!(standard.channel().unwrap().preset().map(|p| p.as_str()), Some(""));
}

#[tokio::test]
async fn a_refused_update_changes_nothing() {
    let server = common::start().await;
    let ivs = server.ivs();
    let created = ivs.create_channel().name("keep").send().await.unwrap().channel.unwrap();
    let arn = created.arn().unwrap();
    let err = ivs
        .update_channel()
        .arn(arn)
        .name("changed")
        .recording_configuration_arn(format!(
            "arn:aws:ivs:{REGION}:{ACCOUNT}:recording-configuration/abcdABCDefgh"
        ))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), UpdateChannelError::ResourceNotFoundException(_)));
    let got = ivs.get_channel().arn(arn).send().await.unwrap().channel.unwrap();
    assert_eq!(got, created);

    let err = ivs
        .update_channel()
        .arn(common::missing_arn("channel"))
        .name("x")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), UpdateChannelError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn delete_channel_answers_204_and_takes_its_stream_key() {
    let server = common::start().await;
    let ivs = server.ivs();
    let out = ivs.create_channel().send().await.unwrap();
    let arn = out.channel().unwrap().arn().unwrap();
    let key_arn = out.stream_key().unwrap().arn().unwrap();

    let deleted = ivs.delete_channel().arn(arn).send().await;
    assert!(deleted.is_ok());
    // The SDK hides the status; check it on the wire too.
    let again = server.post("DeleteChannel", &format!(r#"{{"arn":"{arn}"}}"#)).await;
    assert_eq!(again.status, 404, "{again:?}");

    let err = ivs.get_channel().arn(arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetChannelError::ResourceNotFoundException(_)));
    let key = ivs.get_stream_key().arn(key_arn).send().await;
    assert!(key.is_err());
}

#[tokio::test]
async fn delete_channel_status_is_204_with_no_body() {
    let server = common::start().await;
    let created = server.post("CreateChannel", "{}").await;
    let arn = created.json["channel"]["arn"].as_str().unwrap();
    let deleted = server.post("DeleteChannel", &format!(r#"{{"arn":"{arn}"}}"#)).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.json.is_null());
    assert!(deleted.request_id.is_some());
}
