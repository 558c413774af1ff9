//! Participant replication: StartParticipantReplication, ListParticipantReplicas and
//! StopParticipantReplication, with what the source and destination stages report.

mod common;

use aws_sdk_ivsrealtime::operation::start_participant_replication::StartParticipantReplicationError;
use aws_sdk_ivsrealtime::operation::stop_participant_replication::StopParticipantReplicationError;
use aws_sdk_ivsrealtime::types::{
    EventName, ParticipantState, ParticipantTokenCapability, ReplicationState, ReplicationType,
};
use common::{RawResponse, TestServer};
use serde_json::{Value, json};

async fn control(server: &TestServer, route: &str, body: Value) -> RawResponse {
    let request = reqwest::Client::new()
        .post(format!("{}/_ivs-local/stages/{route}", server.url))
        .json(&body);
    server.send(request).await
}

async fn stage(server: &TestServer, name: &str) -> String {
    let out = server.realtime().create_stage().name(name).send().await.unwrap();
    out.stage().unwrap().arn().to_string()
}

/// A participant joined to `stage_arn`; answers (participant id, session id).
async fn join(server: &TestServer, stage_arn: &str, publish: bool) -> (String, String) {
    let out = server
        .realtime()
        .create_participant_token()
        .stage_arn(stage_arn)
        .user_id("host")
        .attributes("team", "red")
        .capabilities(ParticipantTokenCapability::Publish)
        .send()
        .await
        .unwrap();
    let token = out.participant_token().unwrap().token().unwrap();
    let joined = control(server, "join", json!({"token": token, "publish": publish})).await;
    assert_eq!(joined.status, 200, "{:?}", joined.json);
    (
        joined.json["participantId"].as_str().unwrap().to_string(),
        joined.json["sessionId"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_publishing_participant_is_replicated_into_another_stage_until_stopped() {
    let server = common::start().await;
    let rt = server.realtime();
    let source = stage(&server, "source").await;
    let destination = stage(&server, "destination").await;
    let (pid, source_session) = join(&server, &source, true).await;

    rt.start_participant_replication()
        .source_stage_arn(&source)
        .destination_stage_arn(&destination)
        .participant_id(&pid)
        .attributes("team", "blue")
        .reconnect_window_seconds(30)
        .send()
        .await
        .unwrap();

    // The destination has a session with the replica in it.
    let dest_stage = rt.get_stage().arn(&destination).send().await.unwrap();
    let dest_session = dest_stage.stage().unwrap().active_session_id().unwrap().to_string();
    let replica = rt
        .get_participant()
        .stage_arn(&destination)
        .session_id(&dest_session)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    let replica = replica.participant().unwrap();
    assert_eq!(replica.replication_type(), Some(&ReplicationType::Replica));
    assert_eq!(replica.replication_state(), Some(&ReplicationState::Active));
    assert_eq!(replica.source_stage_arn(), Some(source.as_str()));
    assert_eq!(replica.source_session_id(), Some(source_session.as_str()));
    assert!(replica.published());
    assert_eq!(replica.user_id(), Some("host"));
    assert_eq!(replica.attributes().unwrap().get("team").map(String::as_str), Some("blue"));

    let original = rt
        .get_participant()
        .stage_arn(&source)
        .session_id(&source_session)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    let original = original.participant().unwrap();
    assert_eq!(original.replication_type(), Some(&ReplicationType::Source));
    assert_eq!(original.replication_state(), Some(&ReplicationState::Active));

    let replicas = rt
        .list_participant_replicas()
        .source_stage_arn(&source)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    assert_eq!(replicas.replicas().len(), 1);
    let r = &replicas.replicas()[0];
    assert_eq!(r.destination_stage_arn(), destination);
    assert_eq!(r.destination_session_id(), dest_session);
    assert_eq!(r.source_session_id(), source_session);
    assert_eq!(r.replication_state(), &ReplicationState::Active);

    // Replicating twice to the same stage is a conflict.
    let twice = rt
        .start_participant_replication()
        .source_stage_arn(&source)
        .destination_stage_arn(&destination)
        .participant_id(&pid)
        .send()
        .await;
    assert!(matches!(
        twice.unwrap_err().into_service_error(),
        StartParticipantReplicationError::ConflictException(_)
    ));

    rt.stop_participant_replication()
        .source_stage_arn(&source)
        .destination_stage_arn(&destination)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    let replica = rt
        .get_participant()
        .stage_arn(&destination)
        .session_id(&dest_session)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    let replica = replica.participant().unwrap();
    assert_eq!(replica.state(), Some(&ParticipantState::Disconnected));
    assert_eq!(replica.replication_state(), Some(&ReplicationState::Stopped));
    let replicas = rt
        .list_participant_replicas()
        .source_stage_arn(&source)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    assert_eq!(replicas.replicas()[0].replication_state(), &ReplicationState::Stopped);

    let events = rt
        .list_participant_events()
        .stage_arn(&source)
        .session_id(&source_session)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    let names: Vec<&EventName> = events.events().iter().map(|e| e.name().unwrap()).collect();
    assert_eq!(
        names,
        [
            &EventName::Joined,
            &EventName::PublishStarted,
            &EventName::ReplicationStarted,
            &EventName::ReplicationStopped
        ]
    );
    assert_eq!(events.events()[2].destination_stage_arn(), Some(destination.as_str()));
    assert_eq!(events.events()[2].destination_session_id(), Some(dest_session.as_str()));
    let dest_events = rt
        .list_participant_events()
        .stage_arn(&destination)
        .session_id(&dest_session)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    assert!(dest_events.events().iter().all(|e| e.replica()));

    // Nothing left to stop.
    let again = rt
        .stop_participant_replication()
        .source_stage_arn(&source)
        .destination_stage_arn(&destination)
        .participant_id(&pid)
        .send()
        .await;
    assert!(matches!(
        again.unwrap_err().into_service_error(),
        StopParticipantReplicationError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn a_replica_leaves_when_its_source_leaves() {
    let server = common::start().await;
    let rt = server.realtime();
    let source = stage(&server, "source").await;
    let destination = stage(&server, "destination").await;
    let (pid, _) = join(&server, &source, true).await;
    rt.start_participant_replication()
        .source_stage_arn(&source)
        .destination_stage_arn(&destination)
        .participant_id(&pid)
        .send()
        .await
        .unwrap();
    let left = control(&server, "leave", json!({"stageArn": source, "participantId": pid})).await;
    assert_eq!(left.status, 200, "{:?}", left.json);
    let dest_stage = rt.get_stage().arn(&destination).send().await.unwrap();
    assert_eq!(dest_stage.stage().unwrap().active_session_id(), None);
}

#[tokio::test]
async fn replication_needs_a_connected_publisher_and_existing_stages() {
    let server = common::start().await;
    let rt = server.realtime();
    let source = stage(&server, "source").await;
    let destination = stage(&server, "destination").await;
    let (viewer, _) = join(&server, &source, false).await;
    let start = |src: String, dst: String, pid: String| {
        rt.start_participant_replication()
            .source_stage_arn(src)
            .destination_stage_arn(dst)
            .participant_id(pid)
            .send()
    };
    let not_publishing = start(source.clone(), destination.clone(), viewer.clone()).await;
    assert!(matches!(
        not_publishing.unwrap_err().into_service_error(),
        StartParticipantReplicationError::ConflictException(_)
    ));
    let unknown = start(source.clone(), destination.clone(), "nobody".into()).await;
    assert!(matches!(
        unknown.unwrap_err().into_service_error(),
        StartParticipantReplicationError::ResourceNotFoundException(_)
    ));
    let no_stage = start(source.clone(), common::missing_arn("stage"), viewer.clone()).await;
    assert!(matches!(
        no_stage.unwrap_err().into_service_error(),
        StartParticipantReplicationError::ResourceNotFoundException(_)
    ));
    let same = start(source.clone(), source.clone(), viewer).await;
    assert!(matches!(
        same.unwrap_err().into_service_error(),
        StartParticipantReplicationError::ValidationException(_)
    ));
}
