//! Compositions through the AWS SDK for Rust: a composition's life from STARTING to STOPPED,
//! AWS's defaults, idempotency, the list filters, the events it logs, and the modeled errors
//! a client can meet.

mod common;

use aws_sdk_ivsrealtime::Client;
use aws_sdk_ivsrealtime::operation::delete_encoder_configuration::DeleteEncoderConfigurationError;
use aws_sdk_ivsrealtime::operation::delete_storage_configuration::DeleteStorageConfigurationError;
use aws_sdk_ivsrealtime::operation::get_composition::GetCompositionError;
use aws_sdk_ivsrealtime::operation::start_composition::StartCompositionError;
use aws_sdk_ivsrealtime::operation::stop_composition::StopCompositionError;
use aws_sdk_ivsrealtime::types::{
    ChannelDestinationConfiguration, CompositionRecordingHlsConfiguration, CompositionState,
    CompositionThumbnailConfiguration, DestinationConfiguration, DestinationState,
    GridConfiguration, LayoutConfiguration, PipBehavior, PipConfiguration, PipPosition,
    RecordingConfiguration, RecordingConfigurationFormat, S3DestinationConfiguration,
    S3StorageConfiguration, ThumbnailStorageType, VideoAspectRatio, VideoFillMode,
};
use common::{ACCOUNT, REGION, TestServer, missing_arn};
use serde_json::Value;

fn is_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// What a composition needs, created through the SDK.
struct Setup {
    server: TestServer,
    stage: String,
    encoder: String,
    storage: String,
    channel: String,
}

async fn setup() -> Setup {
    let server = common::start().await;
    let rt = server.realtime();
    let stage = create_stage(&rt).await;
    let encoder = create_encoder(&rt).await;
    let storage = rt
        .create_storage_configuration()
        .s3(S3StorageConfiguration::builder().bucket_name("recordings").build().unwrap())
        .send()
        .await
        .unwrap()
        .storage_configuration()
        .unwrap()
        .arn()
        .to_string();
    let channel = create_channel(&server).await;
    Setup { server, stage, encoder, storage, channel }
}

async fn create_stage(rt: &Client) -> String {
    rt.create_stage().send().await.unwrap().stage().unwrap().arn().to_string()
}

async fn create_encoder(rt: &Client) -> String {
    let out = rt.create_encoder_configuration().send().await.unwrap();
    out.encoder_configuration().unwrap().arn().to_string()
}

async fn create_channel(server: &TestServer) -> String {
    let out = server.ivs().create_channel().send().await.unwrap();
    out.channel().unwrap().arn().unwrap().to_string()
}

fn channel_destination(channel: &str, encoder: Option<&str>) -> DestinationConfiguration {
    let channel = ChannelDestinationConfiguration::builder()
        .channel_arn(channel)
        .set_encoder_configuration_arn(encoder.map(str::to_string))
        .build()
        .unwrap();
    DestinationConfiguration::builder().channel(channel).build()
}

fn s3_destination(storage: &str, encoder: &str) -> DestinationConfiguration {
    DestinationConfiguration::builder().s3(s3(storage, encoder)).build()
}

fn s3(storage: &str, encoder: &str) -> S3DestinationConfiguration {
    S3DestinationConfiguration::builder()
        .storage_configuration_arn(storage)
        .encoder_configuration_arns(encoder)
        .build()
        .unwrap()
}

impl Setup {
    fn rt(&self) -> Client {
        self.server.realtime()
    }

    /// Starts a composition of the stage recording to S3 only.
    async fn start_s3(&self, stage: &str, encoder: &str) -> String {
        let out = self
            .rt()
            .start_composition()
            .stage_arn(stage)
            .destinations(s3_destination(&self.storage, encoder))
            .send()
            .await
            .unwrap();
        out.composition().unwrap().arn().to_string()
    }

    /// The `IVS Composition State Change` events about `arn`, as `(event_name, detail)`.
    async fn events(&self, arn: &str) -> Vec<(String, Value)> {
        let request = reqwest::Client::new()
            .get(format!("{}/_ivs-local/events", self.server.url))
            .query(&[("resource", arn)]);
        let response = self.server.send(request).await;
        assert_eq!(response.status, 200);
        response.json["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["detail-type"] == "IVS Composition State Change")
            .map(|e| (e["detail"]["event_name"].as_str().unwrap().to_string(), e["detail"].clone()))
            .collect()
    }
}

#[tokio::test]
async fn start_composition_answers_starting_with_aws_defaults() {
    let s = setup().await;
    let out = s
        .rt()
        .start_composition()
        .stage_arn(&s.stage)
        .destinations(channel_destination(&s.channel, Some(&s.encoder)))
        .destinations(s3_destination(&s.storage, &s.encoder))
        .tags("team", "video")
        .send()
        .await
        .unwrap();
    let c = out.composition().unwrap();
    let id = c.arn().strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:composition/")).unwrap();
    assert!(is_id(id), "{}", c.arn());
    assert_eq!(c.stage_arn(), s.stage);
    assert_eq!(c.state(), &CompositionState::Starting);
    assert!(c.start_time().is_some());
    assert!(c.end_time().is_none());
    assert_eq!(c.tags().unwrap().get("team").map(String::as_str), Some("video"));

    let [channel, s3] = c.destinations() else { panic!("{:?}", c.destinations()) };
    for d in [channel, s3] {
        assert!(is_id(d.id()), "{}", d.id());
        assert_eq!(d.state(), &DestinationState::Starting);
        assert!(d.start_time().is_none());
        assert_eq!(d.configuration().unwrap().name(), Some(""));
    }
    assert_ne!(channel.id(), s3.id());
    let channel_config = channel.configuration().unwrap().channel().unwrap();
    assert_eq!(channel_config.channel_arn(), s.channel);
    assert_eq!(channel_config.encoder_configuration_arn(), Some(s.encoder.as_str()));
    assert!(channel.detail().is_none());

    let s3_config = s3.configuration().unwrap().s3().unwrap();
    assert_eq!(s3_config.storage_configuration_arn(), s.storage);
    assert_eq!(s3_config.encoder_configuration_arns(), std::slice::from_ref(&s.encoder));
    let recording = s3_config.recording_configuration().unwrap();
    assert_eq!(recording.format(), Some(&RecordingConfigurationFormat::Hls));
    assert_eq!(recording.hls_configuration().unwrap().target_segment_duration_seconds(), Some(2));
    assert!(s3_config.thumbnail_configurations().is_empty());
    let prefix = s3.detail().unwrap().s3().unwrap().recording_prefix();
    let first = prefix.strip_suffix(&format!("/{id}/{}/composite", s3.id())).unwrap();
    assert!(is_id(first), "{prefix}");

    let grid = c.layout().unwrap().grid().unwrap();
    assert!(c.layout().unwrap().pip().is_none());
    assert_eq!(grid.featured_participant_attribute(), Some(""));
    assert_eq!(grid.grid_gap(), 2);
    assert!(!grid.omit_stopped_video());
    assert_eq!(grid.participant_order_attribute(), Some(""));
    assert_eq!(grid.video_aspect_ratio(), Some(&VideoAspectRatio::Video));
    // AWS answers an unset grid fill mode as "" (it then picks one per tile).
    assert_eq!(grid.video_fill_mode().map(|m| m.as_str()), Some(""));
}

#[tokio::test]
async fn composition_is_active_from_the_next_read_and_stopped_after_stop() {
    let s = setup().await;
    let rt = s.rt();
    let started = rt
        .start_composition()
        .stage_arn(&s.stage)
        .destinations(channel_destination(&s.channel, None))
        .destinations(s3_destination(&s.storage, &s.encoder))
        .send()
        .await
        .unwrap();
    let arn = started.composition().unwrap().arn().to_string();

    let active = rt.get_composition().arn(&arn).send().await.unwrap();
    let c = active.composition().unwrap();
    assert_eq!(c.state(), &CompositionState::Active);
    assert_eq!(c.destinations().len(), 2);
    for d in c.destinations() {
        assert_eq!(d.state(), &DestinationState::Active);
        assert!(d.start_time().is_some() && d.end_time().is_none());
    }
    assert!(c.tags().unwrap().is_empty());
    // The layout the start answered is the one kept.
    assert_eq!(c.layout(), started.composition().unwrap().layout());

    rt.stop_composition().arn(&arn).send().await.unwrap();
    let stopped = rt.get_composition().arn(&arn).send().await.unwrap();
    let c = stopped.composition().unwrap();
    assert_eq!(c.state(), &CompositionState::Stopped);
    assert!(c.end_time().is_some());
    for d in c.destinations() {
        assert_eq!(d.state(), &DestinationState::Stopped);
        assert!(d.start_time().is_some() && d.end_time().is_some());
    }
    // Stopping again changes nothing and succeeds.
    rt.stop_composition().arn(&arn).send().await.unwrap();
    let again = rt.get_composition().arn(&arn).send().await.unwrap();
    assert_eq!(again.composition().unwrap().end_time(), c.end_time());
}

/// Starts a composition of the setup's stage to its channel.
async fn start_to_channel(s: &Setup) -> String {
    let out = s
        .rt()
        .start_composition()
        .stage_arn(&s.stage)
        .destinations(channel_destination(&s.channel, Some(&s.encoder)))
        .send()
        .await
        .unwrap();
    out.composition().unwrap().arn().to_string()
}

#[tokio::test]
async fn live_channel_destination_cannot_take_a_second_composition_until_stopped() {
    let s = setup().await;
    let rt = s.rt();
    let arn = start_to_channel(&s).await;
    let other_stage = create_stage(&rt).await;
    let err = rt
        .start_composition()
        .stage_arn(&other_stage)
        .destinations(channel_destination(&s.channel, None))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), StartCompositionError::ConflictException(_)));

    rt.stop_composition().arn(&arn).send().await.unwrap();
    rt.start_composition()
        .stage_arn(&other_stage)
        .destinations(channel_destination(&s.channel, None))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn get_stream_shows_the_channel_destination_live_while_the_composition_runs() {
    let s = setup().await;
    let ivs = s.server.ivs();
    let arn = start_to_channel(&s).await;
    let stream = ivs.get_stream().channel_arn(&s.channel).send().await.unwrap();
    assert_eq!(stream.stream().unwrap().channel_arn(), Some(s.channel.as_str()));

    s.rt().stop_composition().arn(&arn).send().await.unwrap();
    let err = ivs.get_stream().channel_arn(&s.channel).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        aws_sdk_ivs::operation::get_stream::GetStreamError::ChannelNotBroadcasting(_)
    ));
}

#[tokio::test]
async fn composition_logs_session_and_destination_events() {
    let s = setup().await;
    let rt = s.rt();
    let out = rt
        .start_composition()
        .stage_arn(&s.stage)
        .destinations(channel_destination(&s.channel, None))
        .destinations(s3_destination(&s.storage, &s.encoder))
        .send()
        .await
        .unwrap();
    let c = out.composition().unwrap();
    let arn = c.arn().to_string();
    let ids: Vec<&str> = c.destinations().iter().map(|d| d.id()).collect();

    let names = |events: &[(String, Value)]| -> Vec<String> {
        events.iter().map(|(n, _)| n.clone()).collect()
    };
    let started = s.events(&arn).await;
    assert_eq!(names(&started), ["Session Start", "Destination Start", "Destination Start"]);
    assert_eq!(started[1].1["id"], ids[0]);
    assert_eq!(started[2].1["id"], ids[1]);
    for (_, detail) in &started {
        assert_eq!(detail["stage_arn"], s.stage.as_str());
    }

    rt.stop_composition().arn(&arn).send().await.unwrap();
    let all = s.events(&arn).await;
    assert_eq!(names(&all[3..]), ["Destination End", "Destination End", "Session End"], "{all:?}");
    // A second stop logs nothing more.
    rt.stop_composition().arn(&arn).send().await.unwrap();
    assert_eq!(s.events(&arn).await.len(), 6);
}

#[tokio::test]
async fn start_composition_with_pip_layout_fills_pip_defaults() {
    let s = setup().await;
    let layout = LayoutConfiguration::builder()
        .pip(PipConfiguration::builder().featured_participant_attribute("host").build())
        .build();
    let out = s
        .rt()
        .start_composition()
        .stage_arn(&s.stage)
        .layout(layout)
        .destinations(s3_destination(&s.storage, &s.encoder))
        .send()
        .await
        .unwrap();
    let layout = out.composition().unwrap().layout().unwrap();
    assert!(layout.grid().is_none());
    let pip = layout.pip().unwrap();
    assert_eq!(pip.featured_participant_attribute(), Some("host"));
    assert_eq!(pip.grid_gap(), 0);
    assert!(!pip.omit_stopped_video());
    assert_eq!(pip.participant_order_attribute(), Some(""));
    assert_eq!(pip.pip_behavior(), Some(&PipBehavior::Static));
    assert_eq!(pip.pip_offset(), 0);
    assert_eq!(pip.pip_participant_attribute(), Some(""));
    assert_eq!(pip.pip_position(), Some(&PipPosition::BottomRight));
    assert_eq!(pip.video_fill_mode(), Some(&VideoFillMode::Cover));
    // AWS's example answers no PiP size unless one is given.
    assert_eq!(pip.pip_width(), None);
    assert_eq!(pip.pip_height(), None);
}

#[tokio::test]
async fn start_composition_keeps_given_settings_and_fills_thumbnail_defaults() {
    let s = setup().await;
    let destination = S3DestinationConfiguration::builder()
        .storage_configuration_arn(&s.storage)
        .encoder_configuration_arns(&s.encoder)
        .recording_configuration(
            RecordingConfiguration::builder()
                .hls_configuration(
                    CompositionRecordingHlsConfiguration::builder()
                        .target_segment_duration_seconds(5)
                        .build(),
                )
                .build(),
        )
        .thumbnail_configurations(CompositionThumbnailConfiguration::builder().build())
        .build()
        .unwrap();
    let layout = LayoutConfiguration::builder()
        .grid(
            GridConfiguration::builder()
                .grid_gap(8)
                .video_fill_mode(VideoFillMode::Contain)
                .participant_order_attribute("seat")
                .build(),
        )
        .build();
    let out = s
        .rt()
        .start_composition()
        .stage_arn(&s.stage)
        .layout(layout)
        .destinations(DestinationConfiguration::builder().name("archive").s3(destination).build())
        .send()
        .await
        .unwrap();
    let c = out.composition().unwrap();
    let config = c.destinations()[0].configuration().unwrap();
    assert_eq!(config.name(), Some("archive"));
    let s3 = config.s3().unwrap();
    let hls = s3.recording_configuration().unwrap().hls_configuration().unwrap();
    assert_eq!(hls.target_segment_duration_seconds(), Some(5));
    let [thumbnails] = s3.thumbnail_configurations() else { panic!() };
    assert_eq!(thumbnails.target_interval_seconds(), Some(60));
    assert_eq!(thumbnails.storage(), [ThumbnailStorageType::Sequential]);
    let grid = c.layout().unwrap().grid().unwrap();
    assert_eq!(grid.grid_gap(), 8);
    assert_eq!(grid.video_fill_mode(), Some(&VideoFillMode::Contain));
    assert_eq!(grid.participant_order_attribute(), Some("seat"));
    assert_eq!(grid.video_aspect_ratio(), Some(&VideoAspectRatio::Video));
}

#[tokio::test]
async fn same_idempotency_token_and_stage_answer_the_same_composition() {
    let s = setup().await;
    let rt = s.rt();
    let start = |stage: String, token: &'static str| {
        rt.start_composition()
            .stage_arn(stage)
            .idempotency_token(token)
            .destinations(s3_destination(&s.storage, &s.encoder))
            .send()
    };
    let first = start(s.stage.clone(), "retry-1").await.unwrap();
    let first = first.composition().unwrap().arn().to_string();
    let retried = start(s.stage.clone(), "retry-1").await.unwrap();
    assert_eq!(retried.composition().unwrap().arn(), first);
    let other_token = start(s.stage.clone(), "retry-2").await.unwrap();
    assert_ne!(other_token.composition().unwrap().arn(), first);
    let other_stage = start(create_stage(&rt).await, "retry-1").await.unwrap();
    assert_ne!(other_stage.composition().unwrap().arn(), first);
    let listed = rt.list_compositions().send().await.unwrap();
    assert_eq!(listed.compositions().len(), 3);

    // Once stopped, the token starts a new composition.
    rt.stop_composition().arn(&first).send().await.unwrap();
    let after_stop = start(s.stage.clone(), "retry-1").await.unwrap();
    assert_ne!(after_stop.composition().unwrap().arn(), first);
}

#[tokio::test]
async fn start_composition_with_missing_resources_is_404() {
    let s = setup().await;
    let rt = s.rt();
    let missing_stage = missing_arn("stage");
    let missing_encoder = missing_arn("encoder-configuration");
    let missing_storage = missing_arn("storage-configuration");
    let missing_channel = missing_arn("channel");
    let cases = [
        (missing_stage.as_str(), s3_destination(&s.storage, &s.encoder)),
        (s.stage.as_str(), s3_destination(&s.storage, &missing_encoder)),
        (s.stage.as_str(), s3_destination(&missing_storage, &s.encoder)),
        (s.stage.as_str(), channel_destination(&missing_channel, None)),
        (s.stage.as_str(), channel_destination(&s.channel, Some(&missing_encoder))),
    ];
    for (stage, destination) in cases {
        let err = rt
            .start_composition()
            .stage_arn(stage)
            .destinations(destination.clone())
            .send()
            .await
            .unwrap_err();
        let e = err.into_service_error();
        assert!(
            matches!(e, StartCompositionError::ResourceNotFoundException(_)),
            "{destination:?}: {e:?}"
        );
    }
    // A stage of another account is not found either.
    let foreign = s.stage.replace(ACCOUNT, "999999999999");
    let err = rt
        .start_composition()
        .stage_arn(foreign)
        .destinations(s3_destination(&s.storage, &s.encoder))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        StartCompositionError::ResourceNotFoundException(_)
    ));
    // Nothing was started, and the channel is not live.
    assert!(rt.list_compositions().send().await.unwrap().compositions().is_empty());
    rt.start_composition()
        .stage_arn(&s.stage)
        .destinations(channel_destination(&s.channel, None))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn start_composition_with_invalid_destinations_is_400() {
    let s = setup().await;
    let rt = s.rt();
    let second_channel = create_channel(&s.server).await;
    let both = DestinationConfiguration::builder()
        .channel(
            ChannelDestinationConfiguration::builder().channel_arn(&s.channel).build().unwrap(),
        )
        .s3(s3(&s.storage, &s.encoder))
        .build();
    let cases: [Vec<DestinationConfiguration>; 4] = [
        vec![channel_destination(&s.channel, None), channel_destination(&second_channel, None)],
        vec![s3_destination(&s.storage, &s.encoder), s3_destination(&s.storage, &s.encoder)],
        vec![DestinationConfiguration::builder().name("nowhere").build()],
        vec![both],
    ];
    for destinations in cases {
        let err = rt
            .start_composition()
            .stage_arn(&s.stage)
            .set_destinations(Some(destinations.clone()))
            .send()
            .await
            .unwrap_err();
        let e = err.into_service_error();
        assert!(matches!(e, StartCompositionError::ValidationException(_)), "{destinations:?}");
    }
    let both_layouts = LayoutConfiguration::builder()
        .grid(GridConfiguration::builder().build())
        .pip(PipConfiguration::builder().build())
        .build();
    let err = rt
        .start_composition()
        .stage_arn(&s.stage)
        .layout(both_layouts)
        .destinations(s3_destination(&s.storage, &s.encoder))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), StartCompositionError::ValidationException(_)));
    assert!(rt.list_compositions().send().await.unwrap().compositions().is_empty());
}

#[tokio::test]
async fn get_and_stop_unknown_composition_are_404() {
    let server = common::start().await;
    let rt = server.realtime();
    let arn = missing_arn("composition");
    let err = rt.get_composition().arn(&arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetCompositionError::ResourceNotFoundException(_)));
    let err = rt.stop_composition().arn(&arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), StopCompositionError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn list_compositions_filters_by_stage_and_encoder_and_pages() {
    let s = setup().await;
    let rt = s.rt();
    let other_stage = create_stage(&rt).await;
    let other_encoder = create_encoder(&rt).await;
    let a = s.start_s3(&s.stage, &s.encoder).await;
    let b = s.start_s3(&s.stage, &other_encoder).await;
    let c = s.start_s3(&other_stage, &s.encoder).await;
    // An encoder named by a channel destination counts too.
    let d = rt
        .start_composition()
        .stage_arn(&other_stage)
        .destinations(channel_destination(&s.channel, Some(&other_encoder)))
        .send()
        .await
        .unwrap()
        .composition()
        .unwrap()
        .arn()
        .to_string();

    let arns = |out: &aws_sdk_ivsrealtime::operation::list_compositions::ListCompositionsOutput| {
        let mut arns: Vec<String> =
            out.compositions().iter().map(|c| c.arn().to_string()).collect();
        arns.sort();
        arns
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    let by_stage = rt.list_compositions().filter_by_stage_arn(&s.stage).send().await.unwrap();
    assert_eq!(arns(&by_stage), sorted(vec![&a, &b]));
    let by_encoder =
        rt.list_compositions().filter_by_encoder_configuration_arn(&other_encoder).send().await;
    assert_eq!(arns(&by_encoder.unwrap()), sorted(vec![&b, &d]));
    let both = rt
        .list_compositions()
        .filter_by_stage_arn(&other_stage)
        .filter_by_encoder_configuration_arn(&s.encoder)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(&both), std::slice::from_ref(&c));

    let summary = &by_stage.compositions()[0];
    assert_eq!(summary.stage_arn(), s.stage);
    assert_eq!(summary.state(), &CompositionState::Active);
    assert!(summary.tags().unwrap().is_empty());
    let [destination] = summary.destinations() else { panic!() };
    assert!(is_id(destination.id()));
    assert_eq!(destination.state(), &DestinationState::Active);
    assert!(destination.start_time().is_some());

    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page =
            rt.list_compositions().max_results(3).set_next_token(token).send().await.unwrap();
        assert!(page.compositions().len() <= 3);
        seen.extend(page.compositions().iter().map(|c| c.arn().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, sorted(vec![&a, &b, &c, &d]));
}

#[tokio::test]
async fn composition_tags_are_readable_and_writable() {
    let s = setup().await;
    let rt = s.rt();
    let arn = rt
        .start_composition()
        .stage_arn(&s.stage)
        .destinations(s3_destination(&s.storage, &s.encoder))
        .tags("env", "ci")
        .send()
        .await
        .unwrap()
        .composition()
        .unwrap()
        .arn()
        .to_string();
    rt.tag_resource().resource_arn(&arn).tags("team", "video").send().await.unwrap();
    let tags = rt.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert_eq!(tags.tags().len(), 2);
    let got = rt.get_composition().arn(&arn).send().await.unwrap();
    assert_eq!(got.composition().unwrap().tags().unwrap().get("team").unwrap(), "video");
    let listed = rt.list_compositions().send().await.unwrap();
    assert_eq!(listed.compositions()[0].tags().unwrap().len(), 2);
}

#[tokio::test]
async fn configurations_used_by_a_running_composition_cannot_be_deleted() {
    let s = setup().await;
    let rt = s.rt();
    let arn = s.start_s3(&s.stage, &s.encoder).await;

    let err = rt.delete_storage_configuration().arn(&s.storage).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DeleteStorageConfigurationError::ConflictException(_)
    ));
    let err = rt.delete_encoder_configuration().arn(&s.encoder).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DeleteEncoderConfigurationError::ConflictException(_)
    ));

    rt.stop_composition().arn(&arn).send().await.unwrap();
    rt.delete_storage_configuration().arn(&s.storage).send().await.unwrap();
    rt.delete_encoder_configuration().arn(&s.encoder).send().await.unwrap();
}

/// The SDK reads an absent number or flag as 0 or false, so the wire form is checked raw:
/// every default is present, and a grid's unset fill mode is `""`.
#[tokio::test]
async fn layout_defaults_are_on_the_wire() {
    let server = common::start().await;
    let arn_of =
        |r: &common::RawResponse, key: &str| r.json[key]["arn"].as_str().unwrap().to_string();
    let stage = server.post("CreateStage", "{}").await;
    let stage = arn_of(&stage, "stage");
    let encoder = server.post("CreateEncoderConfiguration", "{}").await;
    let encoder = arn_of(&encoder, "encoderConfiguration");
    let storage =
        server.post("CreateStorageConfiguration", r#"{"s3": {"bucketName": "recordings"}}"#).await;
    let storage = arn_of(&storage, "storageConfiguration");
    let destinations = serde_json::json!([{"s3": {
        "storageConfigurationArn": storage, "encoderConfigurationArns": [encoder]
    }}]);

    let body = serde_json::json!({"stageArn": stage, "destinations": destinations});
    let grid = server.post("StartComposition", &body.to_string()).await;
    assert_eq!(grid.status, 200, "{:?}", grid.json);
    assert_eq!(
        grid.json["composition"]["layout"],
        serde_json::json!({"grid": {
            "featuredParticipantAttribute": "", "gridGap": 2, "omitStoppedVideo": false,
            "participantOrderAttribute": "", "videoAspectRatio": "VIDEO", "videoFillMode": ""
        }})
    );
    assert_eq!(grid.json["composition"]["tags"], serde_json::json!({}));

    let body = serde_json::json!({
        "stageArn": stage, "destinations": destinations, "layout": {"pip": {"pipWidth": 320}}
    });
    let pip = server.post("StartComposition", &body.to_string()).await;
    assert_eq!(pip.status, 200, "{:?}", pip.json);
    assert_eq!(
        pip.json["composition"]["layout"],
        serde_json::json!({"pip": {
            "featuredParticipantAttribute": "", "gridGap": 0, "omitStoppedVideo": false,
            "participantOrderAttribute": "", "pipBehavior": "STATIC", "pipOffset": 0,
            "pipParticipantAttribute": "", "pipPosition": "BOTTOM_RIGHT", "pipWidth": 320,
            "videoFillMode": "COVER"
        }})
    );
    let arn = pip.json["composition"]["arn"].as_str().unwrap();
    let got = server.post("GetComposition", &serde_json::json!({"arn": arn}).to_string()).await;
    assert_eq!(got.json["composition"]["layout"], pip.json["composition"]["layout"]);
    let stop = server.post("StopComposition", &serde_json::json!({"arn": arn}).to_string()).await;
    assert_eq!((stop.status, stop.json.clone()), (200, serde_json::json!({})));
}
