//! Encoders publishing into stages through ingest configurations: `POST
//! /_ivs-local/broadcasts/start` and `/stop` with an `rt_` stream key, what the AWS reads
//! report while the encoder is connected (its participant, recording), and the ways it ends
//! (hanging up, DisconnectParticipant, a forced DeleteIngestConfiguration, DeleteStage).

mod common;

use aws_sdk_ivsrealtime::operation::update_stage::UpdateStageError;
use aws_sdk_ivsrealtime::types::{
    AutoParticipantRecordingConfiguration, EventErrorCode, EventName, IngestConfigurationState,
    IngestProtocol, ParticipantProtocol, ParticipantRecordingState, ParticipantState,
    S3StorageConfiguration,
};
use common::{RawResponse, TestServer};
use serde_json::{Value, json};

async fn broadcast(server: &TestServer, route: &str, body: Value) -> RawResponse {
    let request = reqwest::Client::new()
        .post(format!("{}/_ivs-local/broadcasts/{route}", server.url))
        .json(&body);
    server.send(request).await
}

struct Setup {
    stage_arn: String,
    ingest_arn: String,
    stream_key: String,
    participant_id: String,
}

async fn setup(server: &TestServer, protocol: IngestProtocol, insecure: bool) -> Setup {
    let rt = server.realtime();
    let storage = rt
        .create_storage_configuration()
        .s3(S3StorageConfiguration::builder().bucket_name("recordings-bucket").build().unwrap())
        .send()
        .await
        .unwrap();
    let recording = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(storage.storage_configuration().unwrap().arn())
        .build()
        .unwrap();
    let stage = rt
        .create_stage()
        .name("studio")
        .auto_participant_recording_configuration(recording)
        .send()
        .await
        .unwrap();
    let stage_arn = stage.stage().unwrap().arn().to_string();
    let ingest = rt
        .create_ingest_configuration()
        .ingest_protocol(protocol)
        .insecure_ingest(insecure)
        .stage_arn(&stage_arn)
        .user_id("obs")
        .attributes("source", "camera")
        .send()
        .await
        .unwrap();
    let ingest = ingest.ingest_configuration().unwrap();
    Setup {
        stage_arn,
        ingest_arn: ingest.arn().to_string(),
        stream_key: ingest.stream_key().to_string(),
        participant_id: ingest.participant_id().to_string(),
    }
}

async fn ingest_state(server: &TestServer, arn: &str) -> (IngestConfigurationState, String) {
    let out = server.realtime().get_ingest_configuration().arn(arn).send().await.unwrap();
    let ingest = out.ingest_configuration().unwrap();
    (ingest.state().clone(), ingest.stage_arn().to_string())
}

#[tokio::test]
async fn an_encoder_publishes_into_the_attached_stage_and_is_recorded() {
    let server = common::start().await;
    let rt = server.realtime();
    let s = setup(&server, IngestProtocol::Rtmps, false).await;

    // Plain RTMP is refused: the configuration takes RTMPS and does not allow insecure ingest.
    let insecure =
        broadcast(&server, "start", json!({"streamKey": s.stream_key, "protocol": "RTMP"})).await;
    assert_eq!(insecure.status, 403, "{:?}", insecure.json);

    let started = broadcast(&server, "start", json!({"streamKey": s.stream_key})).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    assert_eq!(started.json["ingestConfigurationArn"], s.ingest_arn.as_str());
    assert_eq!(started.json["stageArn"], s.stage_arn.as_str());
    assert_eq!(started.json["participantId"], s.participant_id.as_str());
    let session_id = started.json["sessionId"].as_str().unwrap().to_string();
    assert_eq!(ingest_state(&server, &s.ingest_arn).await.0, IngestConfigurationState::Active);

    let p = rt
        .get_participant()
        .stage_arn(&s.stage_arn)
        .session_id(&session_id)
        .participant_id(&s.participant_id)
        .send()
        .await
        .unwrap();
    let p = p.participant().unwrap();
    assert_eq!(p.protocol(), Some(&ParticipantProtocol::Rtmps));
    assert!(p.published());
    assert_eq!(p.user_id(), Some("obs"));
    assert_eq!(p.attributes().unwrap().get("source").map(String::as_str), Some("camera"));
    assert_eq!(p.ingest_configuration_arn(), Some(s.ingest_arn.as_str()));
    assert_eq!(p.recording_state(), Some(&ParticipantRecordingState::Active));
    assert_eq!(p.recording_s3_bucket_name(), Some("recordings-bucket"));
    let stage_id = s.stage_arn.rsplit('/').next().unwrap();
    assert_eq!(
        p.recording_s3_prefix(),
        Some(format!("{stage_id}/{session_id}/{}", s.participant_id).as_str())
    );

    // Its recording starting is an EventBridge event of its own type.
    let recorded = server
        .send(reqwest::Client::new().get(format!("{}/_ivs-local/events", server.url)).query(&[
            ("resource", s.stage_arn.as_str()),
            ("detail-type", "IVS Participant Recording State Change"),
        ]))
        .await;
    let events = recorded.json["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let detail = &events[0]["detail"];
    assert_eq!(detail["event_name"], "Recording Start");
    assert_eq!(detail["participant_id"], s.participant_id.as_str());
    assert_eq!(detail["recording_s3_bucket_name"], "recordings-bucket");

    // While a participant is recorded, the stage's recording configuration cannot change.
    let change = rt
        .update_stage()
        .arn(&s.stage_arn)
        .auto_participant_recording_configuration(
            AutoParticipantRecordingConfiguration::builder()
                .storage_configuration_arn("")
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert!(matches!(
        change.unwrap_err().into_service_error(),
        UpdateStageError::ConflictException(_)
    ));

    // A second encoder with the same key is refused.
    let again = broadcast(&server, "start", json!({"streamKey": s.stream_key})).await;
    assert_eq!(again.status, 409, "{:?}", again.json);
    let events = rt
        .list_participant_events()
        .stage_arn(&s.stage_arn)
        .session_id(&session_id)
        .participant_id(&s.participant_id)
        .send()
        .await
        .unwrap();
    let names: Vec<_> =
        events.events().iter().map(|e| (e.name().cloned(), e.error_code().cloned())).collect();
    assert_eq!(
        names,
        [
            (Some(EventName::Joined), None),
            (Some(EventName::PublishStarted), None),
            (Some(EventName::JoinError), Some(EventErrorCode::ReuseOfStreamKey)),
        ]
    );

    // The encoder hangs up: INACTIVE, the participant has left and the session is over.
    let stopped = broadcast(&server, "stop", json!({"streamKey": s.stream_key})).await;
    assert_eq!(stopped.status, 200, "{:?}", stopped.json);
    assert_eq!(ingest_state(&server, &s.ingest_arn).await.0, IngestConfigurationState::Inactive);
    let list = rt
        .list_participants()
        .stage_arn(&s.stage_arn)
        .session_id(&session_id)
        .send()
        .await
        .unwrap();
    let summary = &list.participants()[0];
    assert_eq!(summary.state(), Some(&ParticipantState::Disconnected));
    assert_eq!(summary.recording_state(), Some(&ParticipantRecordingState::Stopped));
    let stage = rt.get_stage().arn(&s.stage_arn).send().await.unwrap();
    assert_eq!(stage.stage().unwrap().active_session_id(), None);
    let stop_again = broadcast(&server, "stop", json!({"streamKey": s.stream_key})).await;
    assert_eq!(stop_again.status, 409, "{:?}", stop_again.json);
}

#[tokio::test]
async fn disconnect_participant_detaches_the_ingest_configuration() {
    let server = common::start().await;
    let rt = server.realtime();
    let s = setup(&server, IngestProtocol::Rtmp, true).await;
    let started =
        broadcast(&server, "start", json!({"streamKey": s.stream_key, "protocol": "RTMP"})).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    rt.disconnect_participant()
        .stage_arn(&s.stage_arn)
        .participant_id(&s.participant_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ingest_state(&server, &s.ingest_arn).await,
        (IngestConfigurationState::Inactive, String::new())
    );
    // Attached to no stage, the key publishes nowhere.
    let refused =
        broadcast(&server, "start", json!({"streamKey": s.stream_key, "protocol": "RTMP"})).await;
    assert_eq!(refused.status, 409, "{:?}", refused.json);
    assert!(refused.message().contains("no stage"), "{}", refused.message());
}

#[tokio::test]
async fn deleting_a_publishing_ingest_configuration_with_force_disconnects_its_encoder() {
    let server = common::start().await;
    let rt = server.realtime();
    let s = setup(&server, IngestProtocol::Rtmps, false).await;
    let started = broadcast(&server, "start", json!({"streamKey": s.stream_key})).await;
    let session_id = started.json["sessionId"].as_str().unwrap().to_string();
    rt.delete_ingest_configuration().arn(&s.ingest_arn).force(true).send().await.unwrap();
    let p = rt
        .get_participant()
        .stage_arn(&s.stage_arn)
        .session_id(&session_id)
        .participant_id(&s.participant_id)
        .send()
        .await
        .unwrap();
    assert_eq!(p.participant().unwrap().state(), Some(&ParticipantState::Disconnected));
    let stage = rt.get_stage().arn(&s.stage_arn).send().await.unwrap();
    assert_eq!(stage.stage().unwrap().active_session_id(), None);
}

#[tokio::test]
async fn deleting_the_stage_stops_the_encoder_publishing_into_it() {
    let server = common::start().await;
    let rt = server.realtime();
    let s = setup(&server, IngestProtocol::Rtmps, false).await;
    let started = broadcast(&server, "start", json!({"streamKey": s.stream_key})).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    rt.delete_stage().arn(&s.stage_arn).send().await.unwrap();
    assert_eq!(
        ingest_state(&server, &s.ingest_arn).await,
        (IngestConfigurationState::Inactive, String::new())
    );
}
