//! Stage sessions and participants: joining with participant tokens through the control API
//! (`/_ivs-local/stages/*`), and every AWS read of what happened (ListStageSessions,
//! GetStageSession, ListParticipants, GetParticipant, ListParticipantEvents), with
//! DisconnectParticipant and the `IVS Stage Update` events.

mod common;

use aws_sdk_ivsrealtime::operation::disconnect_participant::DisconnectParticipantError;
use aws_sdk_ivsrealtime::operation::get_participant::GetParticipantError;
use aws_sdk_ivsrealtime::operation::get_stage_session::GetStageSessionError;
use aws_sdk_ivsrealtime::operation::list_participants::ListParticipantsError;
use aws_sdk_ivsrealtime::types::{
    EventErrorCode, EventName, ParticipantProtocol, ParticipantRecordingState, ParticipantState,
    ParticipantTokenCapability, ReplicationType,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{RawResponse, TestServer};
use serde_json::{Value, json};

type Lpb =
    aws_sdk_ivsrealtime::operation::list_participants::builders::ListParticipantsFluentBuilder;

async fn control(server: &TestServer, route: &str, body: Value) -> RawResponse {
    let request = reqwest::Client::new()
        .post(format!("{}/_ivs-local/stages/{route}", server.url))
        .json(&body);
    server.send(request).await
}

async fn create_stage(server: &TestServer, name: &str) -> String {
    let out = server.realtime().create_stage().name(name).send().await.unwrap();
    out.stage().unwrap().arn().to_string()
}

async fn token(
    server: &TestServer,
    stage_arn: &str,
    user_id: &str,
    capabilities: &[ParticipantTokenCapability],
) -> (String, String) {
    let out = server
        .realtime()
        .create_participant_token()
        .stage_arn(stage_arn)
        .user_id(user_id)
        .attributes("role", user_id)
        .set_capabilities(Some(capabilities.to_vec()))
        .send()
        .await
        .unwrap();
    let t = out.participant_token().unwrap();
    (t.token().unwrap().to_string(), t.participant_id().unwrap().to_string())
}

async fn event_names(
    server: &TestServer,
    stage_arn: &str,
    session_id: &str,
    pid: &str,
) -> Vec<EventName> {
    let out = server
        .realtime()
        .list_participant_events()
        .stage_arn(stage_arn)
        .session_id(session_id)
        .participant_id(pid)
        .send()
        .await
        .unwrap();
    out.events().iter().map(|e| e.name().unwrap().clone()).collect()
}

#[tokio::test]
async fn a_stage_session_is_reported_from_first_join_to_last_leave() {
    use ParticipantTokenCapability::{Publish, Subscribe};
    let server = common::start().await;
    let rt = server.realtime();
    let stage_arn = create_stage(&server, "show").await;
    let (alice_token, alice) = token(&server, &stage_arn, "alice", &[Publish, Subscribe]).await;
    let (bob_token, bob) = token(&server, &stage_arn, "bob", &[Subscribe]).await;

    // Alice joins publishing: a session starts.
    let joined = control(&server, "join", json!({"token": alice_token, "publish": true})).await;
    assert_eq!(joined.status, 200, "{:?}", joined.json);
    assert_eq!(joined.json["participantId"], alice.as_str());
    assert_eq!(joined.json["stageArn"], stage_arn.as_str());
    let session_id = joined.json["sessionId"].as_str().unwrap().to_string();
    let suffix = session_id.strip_prefix("st-").unwrap();
    assert!(suffix.len() == 13 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
    let stage = rt.get_stage().arn(&stage_arn).send().await.unwrap();
    assert_eq!(stage.stage().unwrap().active_session_id(), Some(session_id.as_str()));
    let sessions = rt.list_stage_sessions().stage_arn(&stage_arn).send().await.unwrap();
    assert_eq!(sessions.stage_sessions().len(), 1);
    assert_eq!(sessions.stage_sessions()[0].session_id(), Some(session_id.as_str()));
    assert!(sessions.stage_sessions()[0].end_time().is_none());

    // Bob joins subscribing and receives Alice.
    let joined = control(&server, "join", json!({"token": bob_token, "subscribe": true})).await;
    assert_eq!(joined.status, 200, "{:?}", joined.json);
    assert_eq!(joined.json["sessionId"], session_id.as_str());

    let list = |f: fn(Lpb) -> Lpb| {
        f(rt.list_participants().stage_arn(&stage_arn).session_id(&session_id)).send()
    };
    let all = list(|b| b).await.unwrap();
    let mut ids: Vec<&str> =
        all.participants().iter().map(|p| p.participant_id().unwrap()).collect();
    ids.sort();
    let mut expected = vec![alice.as_str(), bob.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let published = list(|b| b.filter_by_published(true)).await.unwrap();
    assert_eq!(published.participants().len(), 1);
    assert_eq!(published.participants()[0].user_id(), Some("alice"));
    let bobs = list(|b| b.filter_by_user_id("bob")).await.unwrap();
    assert_eq!(bobs.participants()[0].participant_id(), Some(bob.as_str()));
    assert!(!bobs.participants()[0].published());
    let page = list(|b| b.max_results(1)).await.unwrap();
    assert_eq!(page.participants().len(), 1);
    let rest = rt
        .list_participants()
        .stage_arn(&stage_arn)
        .session_id(&session_id)
        .max_results(1)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.participants().len(), 1);
    assert!(rest.next_token().is_none());
    assert_ne!(page.participants()[0].participant_id(), rest.participants()[0].participant_id());
    let two_filters = list(|b| b.filter_by_user_id("bob").filter_by_published(true)).await;
    assert!(matches!(
        two_filters.unwrap_err().into_service_error(),
        ListParticipantsError::ValidationException(_)
    ));

    let got = rt
        .get_participant()
        .stage_arn(&stage_arn)
        .session_id(&session_id)
        .participant_id(&alice)
        .send()
        .await
        .unwrap();
    let p = got.participant().unwrap();
    assert_eq!(p.state(), Some(&ParticipantState::Connected));
    assert!(p.published());
    assert_eq!(p.user_id(), Some("alice"));
    assert_eq!(p.attributes().unwrap().get("role").map(String::as_str), Some("alice"));
    assert_eq!(p.protocol(), Some(&ParticipantProtocol::Whip));
    assert_eq!(p.recording_state(), Some(&ParticipantRecordingState::Disabled));
    assert_eq!(p.replication_type(), Some(&ReplicationType::None));
    assert!(p.first_join_time().is_some());

    // Bob's token does not allow publishing: refused, with a PUBLISH_ERROR event.
    let refused = control(
        &server,
        "update",
        json!({"stageArn": stage_arn, "participantId": bob, "publish": true}),
    )
    .await;
    assert_eq!(refused.status, 403, "{:?}", refused.json);
    assert!(refused.message().contains("publish"), "{}", refused.message());

    // Bob is disconnected and cannot come back with the same token.
    rt.disconnect_participant()
        .stage_arn(&stage_arn)
        .participant_id(&bob)
        .reason("spam")
        .send()
        .await
        .unwrap();
    let again = control(&server, "join", json!({"token": bob_token, "subscribe": true})).await;
    assert_eq!(again.status, 403, "{:?}", again.json);
    assert!(again.message().contains("DisconnectParticipant"), "{}", again.message());
    let disconnected = list(|b| b.filter_by_state(ParticipantState::Disconnected)).await.unwrap();
    assert_eq!(disconnected.participants().len(), 1);
    assert_eq!(disconnected.participants()[0].participant_id(), Some(bob.as_str()));

    // Disconnecting someone who is not connected, or on a stage that does not exist: 404.
    let gone = rt.disconnect_participant().stage_arn(&stage_arn).participant_id(&bob).send().await;
    assert!(matches!(
        gone.unwrap_err().into_service_error(),
        DisconnectParticipantError::ResourceNotFoundException(_)
    ));
    let no_stage = rt
        .disconnect_participant()
        .stage_arn(common::missing_arn("stage"))
        .participant_id(&alice)
        .send()
        .await;
    assert!(matches!(
        no_stage.unwrap_err().into_service_error(),
        DisconnectParticipantError::ResourceNotFoundException(_)
    ));

    // Alice leaves: the session ends.
    let left =
        control(&server, "leave", json!({"stageArn": stage_arn, "participantId": alice})).await;
    assert_eq!(left.status, 200, "{:?}", left.json);
    assert_eq!(left.json["sessionEnded"], true);
    let stage = rt.get_stage().arn(&stage_arn).send().await.unwrap();
    assert_eq!(stage.stage().unwrap().active_session_id(), None);
    let session = rt.get_stage_session().stage_arn(&stage_arn).session_id(&session_id).send().await;
    let session = session.unwrap();
    let session = session.stage_session().unwrap();
    assert!(session.end_time().unwrap() >= session.start_time().unwrap());
    let unknown =
        rt.get_stage_session().stage_arn(&stage_arn).session_id("st-0000000000000").send().await;
    assert!(matches!(
        unknown.unwrap_err().into_service_error(),
        GetStageSessionError::ResourceNotFoundException(_)
    ));
    let unknown = rt
        .get_participant()
        .stage_arn(&stage_arn)
        .session_id(&session_id)
        .participant_id("nobody")
        .send()
        .await;
    assert!(matches!(
        unknown.unwrap_err().into_service_error(),
        GetParticipantError::ResourceNotFoundException(_)
    ));

    use EventName::*;
    assert_eq!(
        event_names(&server, &stage_arn, &session_id, &alice).await,
        [Joined, PublishStarted, PublishStopped, Left]
    );
    assert_eq!(
        event_names(&server, &stage_arn, &session_id, &bob).await,
        // The refused rejoin is recorded as a JOIN_ERROR.
        [Joined, SubscribeStarted, PublishError, SubscribeStopped, Left, JoinError]
    );
    let events = rt
        .list_participant_events()
        .stage_arn(&stage_arn)
        .session_id(&session_id)
        .participant_id(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(events.events()[1].remote_participant_id(), Some(alice.as_str()));
    assert_eq!(events.events()[2].error_code(), Some(&EventErrorCode::InsufficientCapabilities));

    // The EventBridge events, in order.
    let bridge = reqwest::Client::new()
        .get(format!("{}/_ivs-local/events", server.url))
        .query(&[("resource", stage_arn.as_str()), ("detail-type", "IVS Stage Update")]);
    let bridge = server.send(bridge).await;
    let details: Vec<(String, String)> = bridge.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["source"], "aws.ivs");
            assert_eq!(e["detail"]["session_id"], session_id.as_str());
            (
                e["detail"]["event_name"].as_str().unwrap().to_string(),
                e["detail"]["participant_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // Only what AWS documents as `IVS Stage Update` events: publishing, publish errors and
    // replication (joins, subscriptions and sessions are in ListParticipantEvents only).
    let expected: Vec<(String, String)> = [
        ("Participant Published", &alice),
        ("Participant Publish Error", &bob),
        ("Participant Unpublished", &alice),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(details, expected);
}

#[tokio::test]
async fn a_new_session_starts_when_someone_joins_an_empty_stage_again() {
    let server = common::start().await;
    let rt = server.realtime();
    let stage_arn = create_stage(&server, "twice").await;
    let (t, pid) = token(&server, &stage_arn, "u", &[ParticipantTokenCapability::Publish]).await;
    let first = control(&server, "join", json!({"token": t})).await.json["sessionId"].clone();
    control(&server, "leave", json!({"stageArn": stage_arn, "participantId": pid})).await;
    // A token that left (not disconnected) may join again, into a new session.
    let second = control(&server, "join", json!({"token": t})).await;
    assert_eq!(second.status, 200, "{:?}", second.json);
    assert_ne!(second.json["sessionId"], first);
    let sessions = rt.list_stage_sessions().stage_arn(&stage_arn).send().await.unwrap();
    let ids: Vec<&str> =
        sessions.stage_sessions().iter().map(|s| s.session_id().unwrap()).collect();
    // Newest first.
    assert_eq!(ids, [second.json["sessionId"].as_str().unwrap(), first.as_str().unwrap()]);
    let page = rt.list_stage_sessions().stage_arn(&stage_arn).max_results(1).send().await.unwrap();
    assert_eq!(page.stage_sessions()[0].session_id(), Some(ids[0]));
    let next = rt
        .list_stage_sessions()
        .stage_arn(&stage_arn)
        .max_results(1)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.stage_sessions()[0].session_id(), Some(ids[1]));
    assert!(next.next_token().is_none());
    // Joining twice at once is refused.
    let twice = control(&server, "join", json!({"token": t})).await;
    assert_eq!(twice.status, 409, "{:?}", twice.json);
}

#[tokio::test]
async fn deleting_a_stage_disconnects_everyone_and_ends_the_session() {
    let server = common::start().await;
    let stage_arn = create_stage(&server, "doomed").await;
    let (t, pid) = token(&server, &stage_arn, "u", &[ParticipantTokenCapability::Publish]).await;
    let joined = control(&server, "join", json!({"token": t, "publish": true})).await;
    assert_eq!(joined.status, 200, "{:?}", joined.json);
    server.realtime().delete_stage().arn(&stage_arn).send().await.unwrap();
    let bridge = reqwest::Client::new()
        .get(format!("{}/_ivs-local/events", server.url))
        .query(&[("resource", stage_arn.as_str())]);
    let names: Vec<String> = server.send(bridge).await.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["event_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.last().map(String::as_str), Some("Participant Unpublished"), "{names:?}");
    let left =
        control(&server, "leave", json!({"stageArn": stage_arn, "participantId": pid})).await;
    assert_eq!(left.status, 404);
}

#[tokio::test]
async fn deleting_a_stage_stops_its_compositions() {
    use aws_sdk_ivsrealtime::types::{
        CompositionState, DestinationConfiguration, DestinationState, S3DestinationConfiguration,
        S3StorageConfiguration,
    };
    let server = common::start().await;
    let rt = server.realtime();
    let stage_arn = create_stage(&server, "mixed").await;
    let storage = rt
        .create_storage_configuration()
        .s3(S3StorageConfiguration::builder().bucket_name("mixes").build().unwrap())
        .send()
        .await
        .unwrap();
    let encoder = rt.create_encoder_configuration().send().await.unwrap();
    let s3 = S3DestinationConfiguration::builder()
        .storage_configuration_arn(storage.storage_configuration().unwrap().arn())
        .encoder_configuration_arns(encoder.encoder_configuration().unwrap().arn())
        .build()
        .unwrap();
    let started = rt
        .start_composition()
        .stage_arn(&stage_arn)
        .destinations(DestinationConfiguration::builder().s3(s3).build())
        .send()
        .await
        .unwrap();
    let composition_arn = started.composition().unwrap().arn().to_string();
    rt.delete_stage().arn(&stage_arn).send().await.unwrap();
    let got = rt.get_composition().arn(&composition_arn).send().await.unwrap();
    let c = got.composition().unwrap();
    assert_eq!(c.state(), &CompositionState::Stopped);
    assert!(c.end_time().is_some());
    assert!(c.destinations().iter().all(|d| d.state() == &DestinationState::Stopped));
}

/// The claims of a token for `stage_arn`, as a customer or AWS writes them.
fn claims(stage_arn: &str, jti: &str, exp: i64, capabilities: Value) -> Value {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    json!({
        "exp": exp,
        "iat": now.as_secs(),
        "jti": jti,
        "resource": stage_arn,
        "topic": stage_arn.rsplit('/').next().unwrap(),
        "user_id": "self-signed",
        "capabilities": capabilities,
        "version": "1.0",
    })
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn expired_tampered_and_foreign_tokens_are_refused() {
    // A seeded server signs with a key the test can derive, so it can mint an expired token.
    let config = ivs_local::server::Config { seed: Some(42), ..Default::default() };
    let server = common::start_with(config).await;
    let key = ivs_local::tokens::TokenKey::generate(Some(42));
    let stage_arn = create_stage(&server, "guarded").await;

    let expired = key.sign_kms(&claims(
        &stage_arn,
        "expiredOne",
        now_secs() - 60,
        json!({"allow_publish": true}),
    ));
    let refused = control(&server, "join", json!({"token": expired})).await;
    assert_eq!(refused.status, 403, "{:?}", refused.json);
    assert!(refused.message().contains("expired"), "{}", refused.message());

    let fresh = key.sign_kms(&claims(
        &stage_arn,
        "freshOne",
        now_secs() + 600,
        json!({"allow_publish": true}),
    ));
    let parts: Vec<&str> = fresh.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&claims(
            &stage_arn,
            "forgedOne",
            now_secs() + 600,
            json!({"allow_publish": true}),
        ))
        .unwrap(),
    );
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
    let refused = control(&server, "join", json!({"token": tampered})).await;
    assert_eq!(refused.status, 403, "{:?}", refused.json);
    assert!(refused.message().contains("signature"), "{}", refused.message());

    let other_key = ivs_local::tokens::TokenKey::generate(Some(43));
    let foreign = other_key.sign_kms(&claims(&stage_arn, "otherOne", now_secs() + 600, json!({})));
    assert_eq!(control(&server, "join", json!({"token": foreign})).await.status, 403);

    let garbage = control(&server, "join", json!({"token": "not-a-jwt"})).await;
    assert_eq!(garbage.status, 403);

    // A valid token for a stage that does not exist (any more).
    let missing = common::missing_arn("stage");
    let lost = key.sign_kms(&claims(&missing, "lostOne", now_secs() + 600, json!({})));
    assert_eq!(control(&server, "join", json!({"token": lost})).await.status, 404);

    // The genuine token joins; asking for a capability it lacks does not.
    let no_subscribe = control(&server, "join", json!({"token": fresh, "subscribe": true})).await;
    assert_eq!(no_subscribe.status, 403, "{:?}", no_subscribe.json);
    assert_eq!(
        control(&server, "join", json!({"token": fresh, "publish": true})).await.status,
        200
    );
}

#[tokio::test]
async fn self_signed_tokens_join_while_their_public_key_is_imported() {
    use p384::ecdsa::signature::Signer;
    use p384::pkcs8::EncodePublicKey;
    use rand::RngCore;

    let server = common::start().await;
    let rt = server.realtime();
    let stage_arn = create_stage(&server, "byo-keys").await;
    let signing = loop {
        let mut bytes = [0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        if let Ok(key) = p384::ecdsa::SigningKey::from_slice(&bytes) {
            break key;
        }
    };
    let pem = p384::PublicKey::from(signing.verifying_key())
        .to_public_key_pem(p384::pkcs8::LineEnding::LF)
        .unwrap();
    let imported = rt.import_public_key().public_key_material(pem).send().await.unwrap();
    let key_arn = imported.public_key().unwrap().arn().unwrap().to_string();

    let sign = |jti: &str| {
        let header = json!({"alg": "ES384", "typ": "JWT", "kid": key_arn});
        let body = claims(
            &stage_arn,
            jti,
            now_secs() + 600,
            json!({"allow_publish": true, "allow_subscribe": true}),
        );
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap())
        );
        let signature: p384::ecdsa::Signature = signing.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    };

    let joined =
        control(&server, "join", json!({"token": sign("selfSigned1"), "publish": true})).await;
    assert_eq!(joined.status, 200, "{:?}", joined.json);
    assert_eq!(joined.json["participantId"], "selfSigned1");
    let session_id = joined.json["sessionId"].as_str().unwrap();
    let p = rt
        .get_participant()
        .stage_arn(&stage_arn)
        .session_id(session_id)
        .participant_id("selfSigned1")
        .send()
        .await
        .unwrap();
    assert_eq!(p.participant().unwrap().user_id(), Some("self-signed"));

    // Signed by another key under the same kid: refused.
    let mut tampered = sign("selfSigned2");
    tampered.truncate(tampered.rfind('.').unwrap());
    let wrong: p384::ecdsa::Signature =
        p384::ecdsa::SigningKey::from_slice(&[7u8; 48]).unwrap().sign(tampered.as_bytes());
    let tampered = format!("{tampered}.{}", URL_SAFE_NO_PAD.encode(wrong.to_bytes()));
    assert_eq!(control(&server, "join", json!({"token": tampered})).await.status, 403);

    // Once the key is deleted, its tokens stop working.
    rt.delete_public_key().arn(&key_arn).send().await.unwrap();
    let refused = control(&server, "join", json!({"token": sign("selfSigned3")})).await;
    assert_eq!(refused.status, 403, "{:?}", refused.json);
    assert!(refused.message().contains("kid"), "{}", refused.message());
}
