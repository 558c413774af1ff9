//! Simulated broadcasts (`/_ivs-local/broadcasts/*`) and what the stream operations see of
//! them through the AWS SDK for Rust: GetStream, ListStreams, PutMetadata, InsertAdBreak,
//! StopStream, GetStreamSession, ListStreamSessions, the 409s on live channels, takeovers,
//! ingest protocol rules, and the EventBridge events at `/_ivs-local/events`.

mod common;

use aws_sdk_ivs::operation::delete_channel::DeleteChannelError;
use aws_sdk_ivs::operation::get_stream::GetStreamError;
use aws_sdk_ivs::operation::get_stream_session::GetStreamSessionError;
use aws_sdk_ivs::operation::insert_ad_break::InsertAdBreakError;
use aws_sdk_ivs::operation::put_metadata::PutMetadataError;
use aws_sdk_ivs::operation::stop_stream::StopStreamError;
use aws_sdk_ivs::operation::update_channel::UpdateChannelError;
use aws_sdk_ivs::types::{
    DestinationConfiguration, MediaTailorPlaybackConfiguration, S3DestinationConfiguration,
    StreamFilters, StreamHealth, StreamState,
};
use common::{ACCOUNT, REGION, RawResponse, TestServer};
use serde_json::{Value, json};

/// A channel created through the SDK: its ARN, id and stream key value.
struct Channel {
    arn: String,
    id: String,
    key: String,
    playback_url: String,
}

async fn channel(
    server: &TestServer,
    build: impl FnOnce(
        aws_sdk_ivs::operation::create_channel::builders::CreateChannelFluentBuilder,
    )
        -> aws_sdk_ivs::operation::create_channel::builders::CreateChannelFluentBuilder,
) -> Channel {
    let out = build(server.ivs().create_channel().name("show")).send().await.unwrap();
    let c = out.channel().unwrap();
    let arn = c.arn().unwrap().to_string();
    Channel {
        id: arn.rsplit('/').next().unwrap().to_string(),
        arn,
        key: out.stream_key().unwrap().value().unwrap().to_string(),
        playback_url: c.playback_url().unwrap().to_string(),
    }
}

async fn control(server: &TestServer, route: &str, body: Value) -> RawResponse {
    server
        .send(
            reqwest::Client::new()
                .post(format!("{}/_ivs-local/broadcasts/{route}", server.url))
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
}

async fn get(server: &TestServer, path_and_query: &str) -> RawResponse {
    server.send(reqwest::Client::new().get(format!("{}{path_and_query}", server.url))).await
}

async fn go_live(server: &TestServer, key: &str) -> String {
    let r = control(server, "start", json!({ "streamKey": key })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["streamId"].as_str().unwrap().to_string()
}

fn is_stream_id(s: &str) -> bool {
    s.len() == 26 && s.starts_with("st-") && s[3..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// (type, name) of each of a session's events, newest first as AWS answers them.
fn event_names(session: &aws_sdk_ivs::types::StreamSession) -> Vec<(String, String)> {
    session
        .truncated_events()
        .iter()
        .map(|e| (e.r#type().unwrap().to_string(), e.name().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn a_broadcast_makes_the_channel_live_until_stop_stream() {
    let server = common::start().await;
    let ivs = server.ivs();
    let ch = channel(&server, |b| b).await;

    let started =
        control(&server, "start", json!({ "streamKey": ch.key, "viewerCount": 42 })).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    assert_eq!(started.json["channelArn"], ch.arn.as_str());
    let stream_id = started.json["streamId"].as_str().unwrap().to_string();
    assert!(is_stream_id(&stream_id), "{stream_id}");

    let stream = ivs.get_stream().channel_arn(&ch.arn).send().await.unwrap();
    let stream = stream.stream().unwrap();
    assert_eq!(stream.channel_arn(), Some(ch.arn.as_str()));
    assert_eq!(stream.stream_id(), Some(stream_id.as_str()));
    assert_eq!(stream.state(), Some(&StreamState::StreamLive));
    assert_eq!(stream.health(), Some(&StreamHealth::StreamHealthy));
    assert_eq!(stream.viewer_count(), 42);
    assert_eq!(stream.playback_url(), Some(ch.playback_url.as_str()));
    assert!(stream.start_time().is_some());

    // Live channels can be neither updated nor deleted.
    let err = ivs.update_channel().arn(&ch.arn).name("renamed").send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), UpdateChannelError::ConflictException(_)));
    let err = ivs.delete_channel().arn(&ch.arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), DeleteChannelError::ConflictException(_)));
    let got = ivs.get_channel().arn(&ch.arn).send().await.unwrap();
    assert_eq!(got.channel().unwrap().name(), Some("show"));

    ivs.put_metadata()
        .channel_arn(&ch.arn)
        .metadata("{\"question\":\"2+2?\"}")
        .send()
        .await
        .unwrap();
    let err = ivs
        .put_metadata()
        .channel_arn(&ch.arn)
        .metadata("x".repeat(1025))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), PutMetadataError::ValidationException(_)));

    ivs.stop_stream().channel_arn(&ch.arn).send().await.unwrap();
    let err = ivs.get_stream().channel_arn(&ch.arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetStreamError::ChannelNotBroadcasting(_)));
    assert!(ivs.list_streams().send().await.unwrap().streams().is_empty());

    let session = ivs.get_stream_session().channel_arn(&ch.arn).send().await.unwrap();
    let session = session.stream_session().unwrap();
    assert_eq!(session.stream_id(), Some(stream_id.as_str()));
    assert!(session.end_time().unwrap() >= session.start_time().unwrap());
    assert_eq!(session.channel().unwrap().arn(), Some(ch.arn.as_str()));
    assert!(session.recording_configuration().is_none());
    let ingest = session.ingest_configurations().unwrap();
    assert_eq!(ingest.video_configurations().len(), 1);
    assert_eq!(ingest.audio_configurations().len(), 1);
    let state = "IVS Stream State Change".to_string();
    assert_eq!(
        event_names(session),
        vec![
            (state.clone(), "Session Ended".to_string()),
            (state.clone(), "Stream End".to_string()),
            (state.clone(), "Stream Start".to_string()),
            (state, "Session Created".to_string()),
        ]
    );

    // Once offline the channel can change again, and the key still works.
    ivs.update_channel().arn(&ch.arn).name("renamed").send().await.unwrap();
    let again = go_live(&server, &ch.key).await;
    assert_ne!(again, stream_id);
    let sessions = ivs.list_stream_sessions().channel_arn(&ch.arn).send().await.unwrap();
    let ids: Vec<_> = sessions.stream_sessions().iter().map(|s| s.stream_id().unwrap()).collect();
    assert_eq!(ids, vec![again.as_str(), stream_id.as_str()]);
    assert!(sessions.stream_sessions()[0].end_time().is_none());
    assert!(sessions.stream_sessions()[1].end_time().is_some());
    assert!(!sessions.stream_sessions()[1].has_error_event());
}

#[tokio::test]
async fn list_streams_filters_by_health() {
    let server = common::start().await;
    let ivs = server.ivs();
    let healthy = channel(&server, |b| b).await;
    let starving = channel(&server, |b| b).await;
    let offline = channel(&server, |b| b).await;
    go_live(&server, &healthy.key).await;
    go_live(&server, &starving.key).await;
    let updated = control(
        &server,
        "update",
        json!({ "channelArn": starving.arn, "health": "STARVING", "viewerCount": 7 }),
    )
    .await;
    assert_eq!(updated.status, 200, "{:?}", updated.json);
    assert_eq!(updated.json["health"], "STARVING");

    let all = ivs.list_streams().send().await.unwrap();
    let mut arns: Vec<_> = all.streams().iter().map(|s| s.channel_arn().unwrap()).collect();
    arns.sort();
    let mut expected = vec![healthy.arn.as_str(), starving.arn.as_str()];
    expected.sort();
    assert_eq!(arns, expected);
    assert!(!arns.contains(&offline.arn.as_str()));

    let filtered = ivs
        .list_streams()
        .filter_by(StreamFilters::builder().health(StreamHealth::Starving).build())
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.streams().len(), 1);
    let s = &filtered.streams()[0];
    assert_eq!(s.channel_arn(), Some(starving.arn.as_str()));
    assert_eq!(s.viewer_count(), 7);
    assert_eq!(s.state(), Some(&StreamState::StreamLive));

    let page = ivs.list_streams().max_results(1).send().await.unwrap();
    assert_eq!(page.streams().len(), 1);
    let next = ivs
        .list_streams()
        .max_results(1)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.streams().len(), 1);
    assert!(next.next_token().is_none());
    assert_ne!(page.streams()[0].channel_arn(), next.streams()[0].channel_arn());

    // Health changes are the starvation events AWS sends.
    let events = get(&server, &format!("/_ivs-local/events?resource={}", starving.arn)).await;
    let names: Vec<_> = events.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["detail-type"].as_str().unwrap(), e["detail"]["event_name"].as_str().unwrap()))
        .collect();
    assert!(names.contains(&("IVS Stream Health Change", "Starvation Start")), "{names:?}");
}

#[tokio::test]
async fn offline_channels_are_not_broadcasting() {
    let server = common::start().await;
    let ivs = server.ivs();
    let ch = channel(&server, |b| b).await;
    let err = ivs.get_stream().channel_arn(&ch.arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetStreamError::ChannelNotBroadcasting(_)));
    let err = ivs.put_metadata().channel_arn(&ch.arn).metadata("hi").send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), PutMetadataError::ChannelNotBroadcasting(_)));
    let err = ivs.stop_stream().channel_arn(&ch.arn).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), StopStreamError::ChannelNotBroadcasting(_)));
    let err =
        ivs.insert_ad_break().channel_arn(&ch.arn).duration_seconds(30).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), InsertAdBreakError::ChannelNotBroadcasting(_)));

    // An unknown channel is a plain 404.
    let err =
        ivs.get_stream().channel_arn(common::missing_arn("channel")).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), GetStreamError::ResourceNotFoundException(_)));
    // A channel that never streamed has no session to show.
    let err = ivs.get_stream_session().channel_arn(&ch.arn).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetStreamSessionError::ResourceNotFoundException(_)
    ));
    let sessions = ivs.list_stream_sessions().channel_arn(&ch.arn).send().await.unwrap();
    assert!(sessions.stream_sessions().is_empty());
}

#[tokio::test]
async fn insert_ad_break_needs_an_ad_configuration_and_is_recorded() {
    let server = common::start().await;
    let ivs = server.ivs();
    let plain = channel(&server, |b| b).await;
    go_live(&server, &plain.key).await;
    let err = ivs
        .insert_ad_break()
        .channel_arn(&plain.arn)
        .duration_seconds(30)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.into_service_error(), InsertAdBreakError::ConflictException(_)));

    let ad = ivs
        .create_ad_configuration()
        .media_tailor_playback_configurations(
            MediaTailorPlaybackConfiguration::builder()
                .playback_configuration_arn(format!(
                    "arn:aws:mediatailor:{REGION}:{ACCOUNT}:playbackConfiguration/ads"
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ad_arn = ad.ad_configuration().unwrap().arn().to_string();
    let ch = channel(&server, |b| b.ad_configuration_arn(&ad_arn)).await;
    let stream_id = go_live(&server, &ch.key).await;
    let out = ivs.insert_ad_break().channel_arn(&ch.arn).duration_seconds(30).send().await.unwrap();
    let id = out.ad_break_id().unwrap();
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");

    let session =
        ivs.get_stream_session().channel_arn(&ch.arn).stream_id(&stream_id).send().await.unwrap();
    let newest = &session.stream_session().unwrap().truncated_events()[0];
    assert_eq!(newest.name(), Some("Ad Break Inserted"));
    let events = get(&server, &format!("/_ivs-local/events?resource={}", ch.arn)).await;
    let last = events.json["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["detail"]["ad_break_id"], id);
    assert_eq!(last["detail"]["duration_seconds"], 30);
}

#[tokio::test]
async fn a_second_broadcast_takes_over_the_live_session() {
    let server = common::start().await;
    let ivs = server.ivs();
    let ch = channel(&server, |b| b).await;
    let first = go_live(&server, &ch.key).await;
    // AWS's own get-stream-session example shows the takeover inside the session that was
    // live: same session, same stream id, viewers uninterrupted.
    let second = control(&server, "start", json!({ "streamKey": ch.key, "viewerCount": 5 })).await;
    assert_eq!(second.status, 200, "{:?}", second.json);
    assert_eq!(second.json["streamId"], first.as_str());

    let stream = ivs.get_stream().channel_arn(&ch.arn).send().await.unwrap();
    assert_eq!(stream.stream().unwrap().stream_id(), Some(first.as_str()));
    assert_eq!(stream.stream().unwrap().viewer_count(), 5);
    let listed = get(&server, "/_ivs-local/broadcasts").await;
    let broadcasts = listed.json["broadcasts"].as_array().unwrap();
    assert_eq!(broadcasts.len(), 1);
    assert_eq!(broadcasts[0]["streamId"], first.as_str());
    assert_eq!(broadcasts[0]["account"], ACCOUNT);

    let sessions = ivs.list_stream_sessions().channel_arn(&ch.arn).send().await.unwrap();
    assert_eq!(sessions.stream_sessions().len(), 1);
    let session = ivs.get_stream_session().channel_arn(&ch.arn).send().await.unwrap();
    let names: Vec<_> =
        event_names(session.stream_session().unwrap()).into_iter().map(|e| e.1).collect();
    assert_eq!(names, ["Stream Takeover", "Stream Start", "Session Created"]);

    let err = ivs
        .get_stream_session()
        .channel_arn(&ch.arn)
        .stream_id("st-ABCDEfghij01234KLMN5678")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetStreamSessionError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn a_takeover_needs_a_higher_priority_and_the_same_media() {
    let server = common::start().await;
    let ivs = server.ivs();
    let ch = channel(&server, |b| b).await;
    let r = control(&server, "start", json!({ "streamKey": ch.key, "priority": 5 })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let stream_id = r.json["streamId"].as_str().unwrap().to_string();

    for priority in [json!(5), json!(null), json!(0)] {
        let r =
            control(&server, "start", json!({ "streamKey": ch.key, "priority": priority })).await;
        assert_eq!(r.status, 409, "{priority}: {:?}", r.json);
        assert!(r.message().contains("StreamTakeoverInvalidPriority"), "{}", r.message());
    }
    let r = control(
        &server,
        "start",
        json!({ "streamKey": ch.key, "priority": 6, "video": {"videoWidth": 640, "videoHeight": 360} }),
    )
    .await;
    assert_eq!(r.status, 409);
    assert!(r.message().contains("StreamTakeoverMediaMismatch"), "{}", r.message());

    let r = control(&server, "start", json!({ "streamKey": ch.key, "priority": 6 })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["streamId"], stream_id.as_str());

    let session = ivs.get_stream_session().channel_arn(&ch.arn).send().await.unwrap();
    let events = session.stream_session().unwrap().truncated_events();
    assert_eq!(events[0].name(), Some("Stream Takeover"));
    assert_eq!(events[1].name(), Some("Stream Takeover Failure"));
    assert_eq!(events[1].code(), Some("StreamTakeoverMediaMismatch"));
    assert_eq!(events[2].code(), Some("StreamTakeoverInvalidPriority"));

    ivs.stop_stream().channel_arn(&ch.arn).send().await.unwrap();
    let sessions = ivs.list_stream_sessions().channel_arn(&ch.arn).send().await.unwrap();
    assert!(sessions.stream_sessions()[0].has_error_event());
}

#[tokio::test]
async fn rtmp_needs_insecure_ingest() {
    let server = common::start().await;
    let secure = channel(&server, |b| b).await;
    let r = control(&server, "start", json!({ "streamKey": secure.key, "protocol": "RTMP" })).await;
    assert_eq!(r.status, 403, "{:?}", r.json);
    assert_eq!(r.error_type.as_deref(), Some("AccessDeniedException"));
    assert!(r.message().contains("insecureIngest"), "{}", r.message());
    assert!(
        get(&server, "/_ivs-local/broadcasts").await.json["broadcasts"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let r = control(&server, "start", json!({ "streamKey": secure.key, "protocol": "SRT" })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = control(&server, "start", json!({ "streamKey": secure.key, "protocol": "HTTP" })).await;
    assert_eq!(r.status, 400);

    let insecure = channel(&server, |b| b.insecure_ingest(true)).await;
    let r =
        control(&server, "start", json!({ "streamKey": insecure.key, "protocol": "RTMP" })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
}

#[tokio::test]
async fn unknown_and_deleted_keys_are_refused() {
    let server = common::start().await;
    let ivs = server.ivs();
    let r =
        control(&server, "start", json!({ "streamKey": "sk_us-west-2_abcdABCDefgh_nope" })).await;
    assert_eq!(r.status, 404);
    assert!(!r.message().is_empty());
    let r = control(&server, "start", json!({ "streamKey": "not-a-key" })).await;
    assert_eq!(r.status, 404);
    let r = control(
        &server,
        "start",
        json!({ "streamKey": "rt_123456789012_us-west-2_abcdABCDefgh_x" }),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = control(&server, "start", json!({})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type.as_deref(), Some("ValidationException"));

    let ch = channel(&server, |b| b).await;
    // The right id with the wrong secret is no key at all.
    let forged = format!("{}x", &ch.key[..ch.key.len() - 1]);
    let r = control(&server, "start", json!({ "streamKey": forged })).await;
    assert_eq!(r.status, 404);

    let keys = ivs.list_stream_keys().channel_arn(&ch.arn).send().await.unwrap();
    ivs.delete_stream_key().arn(keys.stream_keys()[0].arn().unwrap()).send().await.unwrap();
    let r = control(&server, "start", json!({ "streamKey": ch.key })).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn stop_by_stream_key_or_channel_and_update_of_offline_channel() {
    let server = common::start().await;
    let ch = channel(&server, |b| b).await;
    let stream_id = go_live(&server, &ch.key).await;
    let r = control(&server, "stop", json!({ "streamKey": ch.key })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["streamId"], stream_id.as_str());
    let r = control(&server, "stop", json!({ "channelArn": ch.arn })).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_type.as_deref(), Some("ChannelNotBroadcasting"));
    let r = control(&server, "update", json!({ "channelArn": ch.arn, "viewerCount": 3 })).await;
    assert_eq!(r.status, 404);
    let r = control(&server, "stop", json!({ "channelArn": common::missing_arn("channel") })).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_type.as_deref(), Some("ResourceNotFoundException"));
    let r = control(&server, "stop", json!({})).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn broadcast_media_description_reaches_the_session() {
    let server = common::start().await;
    let ch = channel(&server, |b| b).await;
    let r = control(
        &server,
        "start",
        json!({
            "streamKey": ch.key,
            "video": [{"codec": "avc1.64001F", "videoWidth": 1280, "videoHeight": 720, "track": "Track0"},
                      {"codec": "avc1.42C01E", "videoWidth": 640, "videoHeight": 360, "track": "Track1"}],
            "audio": {"codec": "mp4a.40.2", "channels": 1, "sampleRate": 44100}
        }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let out = server.ivs().get_stream_session().channel_arn(&ch.arn).send().await.unwrap();
    let session = out.stream_session().unwrap();
    let ingest = session.ingest_configurations().unwrap();
    let widths: Vec<_> = ingest.video_configurations().iter().map(|v| v.video_width()).collect();
    assert_eq!(widths, [1280, 640]);
    assert_eq!(ingest.audio_configurations()[0].sample_rate(), 44100);
    let legacy = session.ingest_configuration().unwrap();
    assert_eq!(legacy.video().unwrap().video_width(), 1280);
}

#[tokio::test]
async fn broadcasts_are_listed_across_accounts_and_regions() {
    let server = common::start().await;
    let ours = channel(&server, |b| b).await;
    let other = server.ivs_as("210987654321", "eu-west-1");
    let theirs = other.create_channel().send().await.unwrap();
    let theirs_key = theirs.stream_key().unwrap().value().unwrap().to_string();
    go_live(&server, &ours.key).await;
    go_live(&server, &theirs_key).await;
    let listed = get(&server, "/_ivs-local/broadcasts").await;
    let mut scopes: Vec<_> = listed.json["broadcasts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (b["account"].as_str().unwrap().to_string(), b["region"].as_str().unwrap().to_string())
        })
        .collect();
    scopes.sort();
    assert_eq!(
        scopes,
        [
            ("123456789012".to_string(), "us-west-2".to_string()),
            ("210987654321".to_string(), "eu-west-1".to_string())
        ]
    );
    // Each scope sees only its own stream.
    assert_eq!(server.ivs().list_streams().send().await.unwrap().streams().len(), 1);
    assert_eq!(other.list_streams().send().await.unwrap().streams().len(), 1);
}

#[tokio::test]
async fn events_report_stream_and_recording_state_changes() {
    let server = common::start().await;
    let ivs = server.ivs();
    let rc = ivs
        .create_recording_configuration()
        .destination_configuration(
            DestinationConfiguration::builder()
                .s3(S3DestinationConfiguration::builder().bucket_name("vods").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rc_arn = rc.recording_configuration().unwrap().arn().to_string();
    let recorded = channel(&server, |b| b.recording_configuration_arn(&rc_arn)).await;
    let plain = channel(&server, |b| b).await;
    go_live(&server, &plain.key).await;

    // Event times have millisecond precision: keep the two broadcasts apart.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let before = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let stream_id = go_live(&server, &recorded.key).await;
    ivs.stop_stream().channel_arn(&recorded.arn).send().await.unwrap();

    let events = get(&server, &format!("/_ivs-local/events?resource={}", recorded.arn)).await;
    assert_eq!(events.status, 200);
    let events = events.json["events"].as_array().unwrap().clone();
    let kinds: Vec<_> = events
        .iter()
        .map(|e| {
            let d = &e["detail"];
            let name = d.get("event_name").or(d.get("recording_status")).unwrap();
            (e["detail-type"].as_str().unwrap().to_string(), name.as_str().unwrap().to_string())
        })
        .collect();
    let s = "IVS Stream State Change";
    let r = "IVS Recording State Change";
    let expected: Vec<(String, String)> = [
        (s, "Session Created"),
        (s, "Stream Start"),
        (r, "Recording Start"),
        (s, "Stream End"),
        (r, "Recording End"),
        (s, "Session Ended"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(kinds, expected);

    let start = &events[0];
    assert_eq!(start["source"], "aws.ivs");
    assert_eq!(start["account"], ACCOUNT);
    assert_eq!(start["region"], REGION);
    assert_eq!(start["resources"], json!([recorded.arn]));
    assert_eq!(start["detail"]["channel_name"], "show");
    assert_eq!(start["detail"]["stream_id"], stream_id.as_str());

    let rec_start = &events[2]["detail"];
    assert_eq!(rec_start["recording_s3_bucket_name"], "vods");
    let prefix = rec_start["recording_s3_key_prefix"].as_str().unwrap();
    let parts: Vec<_> = prefix.split('/').collect();
    assert_eq!(parts.len(), 10, "{prefix}");
    assert_eq!(&parts[..4], ["ivs", "v1", ACCOUNT, recorded.id.as_str()]);
    assert!(
        parts[4].len() == 4 && parts[5..9].iter().all(|p| p.parse::<u32>().is_ok()),
        "{prefix}"
    );
    assert_eq!(parts[9], rec_start["recording_session_id"].as_str().unwrap());
    let rec_end = &events[4]["detail"];
    assert_eq!(rec_end["recording_s3_key_prefix"], prefix);
    assert!(rec_end["recording_duration_ms"].as_i64().unwrap() >= 0);

    // The session snapshot has the recording configuration and the recording events.
    let session = ivs.get_stream_session().channel_arn(&recorded.arn).send().await.unwrap();
    let session = session.stream_session().unwrap();
    assert_eq!(session.recording_configuration().unwrap().arn(), rc_arn);
    assert_eq!(event_names(session)[1], (r.to_string(), "Recording End".to_string()));

    // `since` leaves out what happened before; `resource` leaves out other channels.
    let all = get(&server, "/_ivs-local/events").await.json["events"].as_array().unwrap().len();
    assert_eq!(all, 8);
    let recent = get(&server, &format!("/_ivs-local/events?since={before}")).await;
    assert_eq!(recent.json["events"].as_array().unwrap().len(), 6);
    let bad = get(&server, "/_ivs-local/events?since=yesterday").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn list_stream_sessions_paginates_newest_first() {
    let server = common::start().await;
    let ivs = server.ivs();
    let ch = channel(&server, |b| b).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(go_live(&server, &ch.key).await);
        ivs.stop_stream().channel_arn(&ch.arn).send().await.unwrap();
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let out = ivs
            .list_stream_sessions()
            .channel_arn(&ch.arn)
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(out.stream_sessions().iter().map(|s| s.stream_id().unwrap().to_string()));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ids);
}
