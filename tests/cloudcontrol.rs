//! Cloud Control (`cloudcontrolapi`) against a real server: the AWS SDK for Rust's Cloud
//! Control client for all ten `AWS::IVS::*` types (create, read, update, refused updates,
//! delete, list), the request records, the errors as clients match them (raw HTTP), and the
//! same resources seen through the IVS API.

mod common;

use aws_sdk_cloudcontrol::Client;
use aws_sdk_cloudcontrol::types::{
    HandlerErrorCode, Operation, OperationStatus, ProgressEvent, ResourceRequestStatusFilter,
};
use common::{ACCOUNT, REGION, TestServer};
use serde_json::{Value, json};

/// Creates a resource and reads its request's final status, checking the first answer is
/// AWS's `IN_PROGRESS`.
async fn create(cc: &Client, type_name: &str, desired: Value) -> ProgressEvent {
    let out = cc
        .create_resource()
        .type_name(type_name)
        .desired_state(desired.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {type_name}: {e:?}"));
    let first = out.progress_event().unwrap();
    assert_eq!(first.operation_status(), Some(&OperationStatus::InProgress));
    assert_eq!(first.operation(), Some(&Operation::Create));
    assert_eq!(first.type_name(), Some(type_name));
    assert!(first.event_time().is_some());
    status(cc, first.request_token().unwrap()).await
}

async fn status(cc: &Client, token: &str) -> ProgressEvent {
    let out = cc.get_resource_request_status().request_token(token).send().await.unwrap();
    out.progress_event().unwrap().clone()
}

/// Creates a resource that must succeed; its identifier.
async fn created(cc: &Client, type_name: &str, desired: Value) -> String {
    let event = create(cc, type_name, desired.clone()).await;
    assert_eq!(
        event.operation_status(),
        Some(&OperationStatus::Success),
        "{type_name} {desired}: {:?} {:?}",
        event.error_code(),
        event.status_message()
    );
    let model: Value = serde_json::from_str(event.resource_model().unwrap()).unwrap();
    assert_eq!(model["Arn"], event.identifier().unwrap(), "the model of the final event");
    event.identifier().unwrap().to_string()
}

async fn get(cc: &Client, type_name: &str, identifier: &str) -> Value {
    let out = cc.get_resource().type_name(type_name).identifier(identifier).send().await.unwrap();
    assert_eq!(out.type_name(), Some(type_name));
    let description = out.resource_description().unwrap();
    assert_eq!(description.identifier(), Some(identifier));
    serde_json::from_str(description.properties().unwrap()).unwrap()
}

async fn update(cc: &Client, type_name: &str, identifier: &str, patch: Value) -> ProgressEvent {
    let out = cc
        .update_resource()
        .type_name(type_name)
        .identifier(identifier)
        .patch_document(patch.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("update {type_name}: {e:?}"));
    let first = out.progress_event().unwrap();
    assert_eq!(first.operation_status(), Some(&OperationStatus::InProgress));
    status(cc, first.request_token().unwrap()).await
}

async fn delete(cc: &Client, type_name: &str, identifier: &str) -> ProgressEvent {
    let out = cc
        .delete_resource()
        .type_name(type_name)
        .identifier(identifier)
        .send()
        .await
        .unwrap_or_else(|e| panic!("delete {type_name}: {e:?}"));
    status(cc, out.progress_event().unwrap().request_token().unwrap()).await
}

fn succeeded(event: &ProgressEvent) {
    assert_eq!(
        event.operation_status(),
        Some(&OperationStatus::Success),
        "{:?}: {:?}",
        event.error_code(),
        event.status_message()
    );
}

fn failed_with(event: &ProgressEvent, code: HandlerErrorCode) {
    assert_eq!(event.operation_status(), Some(&OperationStatus::Failed), "{event:?}");
    assert_eq!(event.error_code(), Some(&code), "{event:?}");
    assert!(!event.status_message().unwrap_or_default().is_empty());
}

/// A P-384 public key made from `seed` (PEM).
fn p384_pem(seed: u8) -> String {
    use p384::pkcs8::EncodePublicKey;
    let mut bytes = [seed; 48];
    bytes[0] = 1;
    let secret = p384::SecretKey::from_slice(&bytes).unwrap();
    secret.public_key().to_public_key_pem(p384::pkcs8::LineEnding::LF).unwrap()
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    pairs.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect()
}

/// Whether the JSON error of a refused Cloud Control call carries the exact `__type`
/// clients match on.
async fn raw(server: &TestServer, operation: &str, body: Value) -> (u16, Value, Option<String>) {
    let response = reqwest::Client::new()
        .post(&server.url)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("CloudApiService.{operation}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let error = response.headers().get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
    (status, response.json().await.unwrap_or(Value::Null), error)
}

#[tokio::test]
async fn channels_and_stream_keys_as_cloudformation_makes_them() {
    let server = common::start().await;
    let cc = server.cloudcontrol();
    let ivs = server.ivs();
    let channel = created(
        &cc,
        "AWS::IVS::Channel",
        json!({"Name": "cc-channel", "LatencyMode": "NORMAL", "Tags": tags(&[("team", "video")])}),
    )
    .await;
    let model = get(&cc, "AWS::IVS::Channel", &channel).await;
    assert_eq!(model["Name"], "cc-channel");
    assert_eq!(model["LatencyMode"], "NORMAL");
    assert_eq!(model["Type"], "STANDARD", "defaults are read back");
    assert_eq!(model["Authorized"], false);
    assert_eq!(model["Tags"], tags(&[("team", "video")]));
    assert!(model["PlaybackUrl"].as_str().unwrap().ends_with(".m3u8"));
    assert!(model.get("Srt").is_none(), "only the schema's properties");

    // The same channel through the IVS API, without the stream key CreateChannel would make.
    let got = ivs.get_channel().arn(&channel).send().await.unwrap();
    assert_eq!(got.channel().unwrap().name(), Some("cc-channel"));
    let keys = ivs.list_stream_keys().channel_arn(&channel).send().await.unwrap();
    assert!(keys.stream_keys().is_empty());

    // So CloudFormation's template example works: a StreamKey for the channel.
    let key = created(&cc, "AWS::IVS::StreamKey", json!({"ChannelArn": channel})).await;
    let model = get(&cc, "AWS::IVS::StreamKey", &key).await;
    assert!(model["Value"].as_str().unwrap().starts_with(&format!("sk_{REGION}_")));
    assert_eq!(model["ChannelArn"], channel);
    // A second key is over the quota.
    let second = create(&cc, "AWS::IVS::StreamKey", json!({"ChannelArn": channel})).await;
    failed_with(&second, HandlerErrorCode::ServiceLimitExceeded);
    // Listing keys needs the channel, as the StreamKey schema's list handler says.
    let err = cc.list_resources().type_name("AWS::IVS::StreamKey").send().await.unwrap_err();
    assert!(err.into_service_error().is_invalid_request_exception());
    let listed = cc
        .list_resources()
        .type_name("AWS::IVS::StreamKey")
        .resource_model(json!({"ChannelArn": channel}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.resource_descriptions().len(), 1);
    assert_eq!(listed.resource_descriptions()[0].identifier(), Some(key.as_str()));

    // Updates: in place, tags added, changed and removed.
    let event = update(
        &cc,
        "AWS::IVS::Channel",
        &channel,
        json!([
            {"op": "replace", "path": "/LatencyMode", "value": "LOW"},
            {"op": "replace", "path": "/Tags", "value": tags(&[("env", "test")])},
        ]),
    )
    .await;
    succeeded(&event);
    assert_eq!(event.identifier(), Some(channel.as_str()));
    let model = get(&cc, "AWS::IVS::Channel", &channel).await;
    assert_eq!(model["LatencyMode"], "LOW");
    assert_eq!(model["Tags"], tags(&[("env", "test")]));
    let listed = ivs.list_tags_for_resource().resource_arn(&channel).send().await.unwrap();
    assert_eq!(listed.tags().len(), 1);

    // Read-only and create-only properties are refused before anything changes.
    let err = cc
        .update_resource()
        .type_name("AWS::IVS::Channel")
        .identifier(&channel)
        .patch_document(json!([{"op": "replace", "path": "/Arn", "value": "x"}]).to_string())
        .send()
        .await
        .unwrap_err();
    let message = format!("{:?}", err.into_service_error());
    assert!(
        message.contains("readOnlyProperties [/properties/Arn] cannot be updated"),
        "{message}"
    );
    let err = cc
        .update_resource()
        .type_name("AWS::IVS::StreamKey")
        .identifier(&key)
        .patch_document(
            json!([{"op": "replace", "path": "/ChannelArn", "value": common::missing_arn("channel")}])
                .to_string(),
        )
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_not_updatable_exception(), "{err:?}");
    assert!(format!("{err:?}").contains("createOnlyProperties [/properties/ChannelArn]"));
    // Restating a create-only property's current value changes nothing (IaC tools send whole
    // models), so only the tags change here.
    let event = update(
        &cc,
        "AWS::IVS::StreamKey",
        &key,
        json!([
            {"op": "add", "path": "/ChannelArn", "value": channel},
            {"op": "add", "path": "/Tags", "value": tags(&[("k", "v")])},
        ]),
    )
    .await;
    succeeded(&event);
    assert_eq!(get(&cc, "AWS::IVS::StreamKey", &key).await["Tags"], tags(&[("k", "v")]));

    // Deleting one way is seen the other.
    succeeded(&delete(&cc, "AWS::IVS::StreamKey", &key).await);
    ivs.delete_channel().arn(&channel).send().await.unwrap();
    let err = cc.get_resource().type_name("AWS::IVS::Channel").identifier(&channel).send().await;
    assert!(err.unwrap_err().into_service_error().is_resource_not_found_exception());
    failed_with(&delete(&cc, "AWS::IVS::Channel", &channel).await, HandlerErrorCode::NotFound);

    // And the other way round: made by the IVS API, read and deleted through Cloud Control.
    let made = ivs.create_channel().name("from-ivs").send().await.unwrap();
    let arn = made.channel().unwrap().arn().unwrap().to_string();
    assert_eq!(get(&cc, "AWS::IVS::Channel", &arn).await["Name"], "from-ivs");
    let all = cc.list_resources().type_name("AWS::IVS::Channel").send().await.unwrap();
    assert_eq!(all.resource_descriptions().len(), 1);
    succeeded(&delete(&cc, "AWS::IVS::Channel", &arn).await);
    assert!(ivs.get_channel().arn(&arn).send().await.is_err());
}

#[tokio::test]
async fn recording_configurations_key_pairs_and_policies() {
    let server = common::start().await;
    let cc = server.cloudcontrol();
    let recording = created(
        &cc,
        "AWS::IVS::RecordingConfiguration",
        json!({"Name": "rec", "DestinationConfiguration": {"S3": {"BucketName": "my-bucket"}}}),
    )
    .await;
    let model = get(&cc, "AWS::IVS::RecordingConfiguration", &recording).await;
    assert_eq!(model["State"], "ACTIVE");
    assert_eq!(model["RecordingReconnectWindowSeconds"], 0);
    assert_eq!(model["ThumbnailConfiguration"]["RecordingMode"], "INTERVAL");
    assert_eq!(model["ThumbnailConfiguration"]["TargetIntervalSeconds"], 60);
    assert_eq!(model["RenditionConfiguration"]["RenditionSelection"], "ALL");
    assert_eq!(model["DestinationConfiguration"], json!({"S3": {"BucketName": "my-bucket"}}));
    let err = cc
        .update_resource()
        .type_name("AWS::IVS::RecordingConfiguration")
        .identifier(&recording)
        .patch_document(json!([{"op": "replace", "path": "/Name", "value": "other"}]).to_string())
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_updatable_exception());
    // Tags are updatable everywhere.
    let event = update(
        &cc,
        "AWS::IVS::RecordingConfiguration",
        &recording,
        json!([{"op": "add", "path": "/Tags", "value": tags(&[("k", "v")])}]),
    )
    .await;
    succeeded(&event);

    // A channel using it: deleting the configuration is a conflict, reported as AWS does.
    let channel =
        created(&cc, "AWS::IVS::Channel", json!({"RecordingConfigurationArn": recording})).await;
    failed_with(
        &delete(&cc, "AWS::IVS::RecordingConfiguration", &recording).await,
        HandlerErrorCode::ResourceConflict,
    );
    succeeded(&delete(&cc, "AWS::IVS::Channel", &channel).await);
    succeeded(&delete(&cc, "AWS::IVS::RecordingConfiguration", &recording).await);
    // A reference to nothing is NotFound.
    let missing = common::missing_arn("recording-configuration");
    let event =
        create(&cc, "AWS::IVS::Channel", json!({"RecordingConfigurationArn": missing})).await;
    failed_with(&event, HandlerErrorCode::NotFound);

    // Playback key pairs: the public key is write-only, the fingerprint read-only.
    let pem = p384_pem(3);
    let pair = created(&cc, "AWS::IVS::PlaybackKeyPair", json!({"PublicKeyMaterial": pem})).await;
    let model = get(&cc, "AWS::IVS::PlaybackKeyPair", &pair).await;
    assert!(model.get("PublicKeyMaterial").is_none(), "write-only: {model}");
    assert_eq!(model["Fingerprint"].as_str().unwrap().len(), 47);
    let again = create(&cc, "AWS::IVS::PlaybackKeyPair", json!({"PublicKeyMaterial": pem})).await;
    failed_with(&again, HandlerErrorCode::AlreadyExists);
    for seed in [4, 5] {
        created(&cc, "AWS::IVS::PlaybackKeyPair", json!({"PublicKeyMaterial": p384_pem(seed)}))
            .await;
    }
    let fourth =
        create(&cc, "AWS::IVS::PlaybackKeyPair", json!({"PublicKeyMaterial": p384_pem(6)})).await;
    failed_with(&fourth, HandlerErrorCode::ServiceLimitExceeded);
    let bad = create(&cc, "AWS::IVS::PlaybackKeyPair", json!({"PublicKeyMaterial": "nope"})).await;
    failed_with(&bad, HandlerErrorCode::InvalidRequest);

    // Playback restriction policies update in place.
    let policy = created(
        &cc,
        "AWS::IVS::PlaybackRestrictionPolicy",
        json!({"AllowedCountries": ["US"], "Name": "p"}),
    )
    .await;
    let model = get(&cc, "AWS::IVS::PlaybackRestrictionPolicy", &policy).await;
    assert_eq!(model["AllowedOrigins"], json!([]));
    assert_eq!(model["EnableStrictOriginEnforcement"], false);
    let event = update(
        &cc,
        "AWS::IVS::PlaybackRestrictionPolicy",
        &policy,
        json!([
            {"op": "replace", "path": "/AllowedOrigins", "value": ["https://example.com"]},
            {"op": "remove", "path": "/AllowedCountries"},
        ]),
    )
    .await;
    succeeded(&event);
    let model = get(&cc, "AWS::IVS::PlaybackRestrictionPolicy", &policy).await;
    assert_eq!(model["AllowedOrigins"], json!(["https://example.com"]));
    assert_eq!(model["AllowedCountries"], json!([]), "a removed property is back to its default");
}

#[tokio::test]
async fn the_real_time_types() {
    let server = common::start().await;
    let cc = server.cloudcontrol();
    let rt = server.realtime();
    // The awscc provider's stage example.
    let stage = created(
        &cc,
        "AWS::IVS::Stage",
        json!({"Name": "example-ivs-stage", "Tags": tags(&[("key1", "value1"), ("key2", "value2")])}),
    )
    .await;
    let model = get(&cc, "AWS::IVS::Stage", &stage).await;
    assert_eq!(model["Name"], "example-ivs-stage");
    assert_eq!(model["Tags"], tags(&[("key1", "value1"), ("key2", "value2")]));
    assert!(model.get("ActiveSessionId").is_none(), "no session yet");
    let auto = &model["AutoParticipantRecordingConfiguration"];
    assert_eq!(auto["StorageConfigurationArn"], "");
    assert_eq!(auto["MediaTypes"], json!(["AUDIO_VIDEO"]));
    assert_eq!(
        auto["HlsConfiguration"]["ParticipantRecordingHlsConfiguration"]["TargetSegmentDurationSeconds"],
        6
    );
    assert_eq!(
        auto["ThumbnailConfiguration"]["ParticipantThumbnailConfiguration"]["RecordingMode"],
        "DISABLED"
    );
    assert_eq!(
        rt.get_stage().arn(&stage).send().await.unwrap().stage().unwrap().name(),
        Some("example-ivs-stage")
    );

    let storage = created(
        &cc,
        "AWS::IVS::StorageConfiguration",
        json!({"Name": "s", "S3": {"BucketName": "my-bucket"}}),
    )
    .await;
    assert_eq!(
        get(&cc, "AWS::IVS::StorageConfiguration", &storage).await["S3"]["BucketName"],
        "my-bucket"
    );
    let event = update(
        &cc,
        "AWS::IVS::Stage",
        &stage,
        json!([{"op": "add", "path": "/AutoParticipantRecordingConfiguration", "value": {
            "StorageConfigurationArn": storage,
            "HlsConfiguration": {"ParticipantRecordingHlsConfiguration": {"TargetSegmentDurationSeconds": 4}},
        }}]),
    )
    .await;
    succeeded(&event);
    let got = rt.get_stage().arn(&stage).send().await.unwrap();
    let auto = got.stage().unwrap().auto_participant_recording_configuration().unwrap();
    assert_eq!(auto.storage_configuration_arn(), storage);
    assert_eq!(auto.hls_configuration().unwrap().target_segment_duration_seconds(), Some(4));

    let encoder = created(
        &cc,
        "AWS::IVS::EncoderConfiguration",
        json!({"Video": {"Width": 640, "Height": 360}}),
    )
    .await;
    let video = get(&cc, "AWS::IVS::EncoderConfiguration", &encoder).await["Video"].clone();
    assert_eq!(video["Width"], 640);
    assert_eq!(video["Bitrate"], 2_500_000, "the default");
    assert_eq!(video["Framerate"], 30.0);

    let key = created(&cc, "AWS::IVS::PublicKey", json!({"PublicKeyMaterial": p384_pem(9)})).await;
    let model = get(&cc, "AWS::IVS::PublicKey", &key).await;
    assert!(model["PublicKeyMaterial"].as_str().unwrap().contains("BEGIN PUBLIC KEY"));
    assert_eq!(model["Fingerprint"].as_str().unwrap().len(), 47);

    let ingest = created(
        &cc,
        "AWS::IVS::IngestConfiguration",
        json!({"IngestProtocol": "RTMPS", "StageArn": stage, "UserId": "encoder"}),
    )
    .await;
    let model = get(&cc, "AWS::IVS::IngestConfiguration", &ingest).await;
    assert_eq!(model["State"], "INACTIVE");
    assert!(model["StreamKey"].as_str().unwrap().starts_with("rt_"));
    assert!(model.get("InsecureIngest").is_none(), "write-only");
    let event = update(
        &cc,
        "AWS::IVS::IngestConfiguration",
        &ingest,
        json!([{"op": "remove", "path": "/StageArn"}]),
    )
    .await;
    succeeded(&event);
    // The schema's StageArn pattern refuses "", so detaching is removing the property.
    let err = cc
        .update_resource()
        .type_name("AWS::IVS::IngestConfiguration")
        .identifier(&ingest)
        .patch_document(
            json!([{"op": "replace", "path": "/StageArn", "value": "nope"}]).to_string(),
        )
        .send()
        .await
        .unwrap_err();
    let message = format!("{:?}", err.into_service_error());
    assert!(message.contains("#/StageArn: string [nope] does not match pattern"), "{message}");
    // A property the patch leaves alone is not held against it, though its value ("") does
    // not match the schema's own pattern.
    let event = update(
        &cc,
        "AWS::IVS::IngestConfiguration",
        &ingest,
        json!([{"op": "add", "path": "/Tags", "value": tags(&[("k", "v")])}]),
    )
    .await;
    succeeded(&event);
    assert_eq!(get(&cc, "AWS::IVS::IngestConfiguration", &ingest).await["StageArn"], "");
    let err = cc
        .update_resource()
        .type_name("AWS::IVS::IngestConfiguration")
        .identifier(&ingest)
        .patch_document(
            json!([{"op": "replace", "path": "/InsecureIngest", "value": true}]).to_string(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_updatable_exception());

    for (type_name, id) in [
        ("AWS::IVS::IngestConfiguration", &ingest),
        ("AWS::IVS::PublicKey", &key),
        ("AWS::IVS::EncoderConfiguration", &encoder),
        ("AWS::IVS::Stage", &stage),
        ("AWS::IVS::StorageConfiguration", &storage),
    ] {
        succeeded(&delete(&cc, type_name, id).await);
        let listed = cc.list_resources().type_name(type_name).send().await.unwrap();
        assert!(listed.resource_descriptions().is_empty(), "{type_name}");
    }
}

#[tokio::test]
async fn desired_states_are_checked_against_the_schema() {
    let server = common::start().await;
    let cc = server.cloudcontrol();
    // Alchemy's recording configuration example, as its documentation writes it: camel-case
    // properties, and S3 `prefix`/`roleArn` that the schema does not have.
    let refused = |desired: Value| {
        let cc = cc.clone();
        async move {
            let err = cc
                .create_resource()
                .type_name("AWS::IVS::RecordingConfiguration")
                .desired_state(desired.to_string())
                .send()
                .await
                .unwrap_err();
            let meta = err.as_service_error().map(|e| e.meta().clone()).unwrap();
            assert_eq!(meta.code(), Some("ValidationException"));
            meta.message().unwrap_or_default().to_string()
        }
    };
    let message = refused(json!({
        "destinationConfiguration": {"s3": {
            "bucketName": "my-video-recordings",
            "prefix": "recordings/",
            "roleArn": "arn:aws:iam::123456789012:role/IVSRecordingRole",
        }},
        "recordingReconnectWindowSeconds": 30,
    }))
    .await;
    assert!(message.starts_with("Model validation failed ("), "{message}");
    for part in [
        "#: required key [DestinationConfiguration] not found",
        "#: extraneous key [destinationConfiguration] is not permitted",
        "#: extraneous key [recordingReconnectWindowSeconds] is not permitted",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    // In the schema's case, the extraneous keys and the rendition objects are named.
    let message = refused(json!({
        "DestinationConfiguration": {"S3": {
            "BucketName": "my-advanced-video-recordings",
            "Prefix": "advanced_recordings/",
            "RoleArn": "arn:aws:iam::123456789012:role/IVSAdvancedRecordingRole",
        }},
        "RenditionConfiguration": {"Renditions": [{"Resolution": "1280x720", "Framerate": 30, "Bitrate": 3000}]},
    }))
    .await;
    for part in [
        "#/DestinationConfiguration/S3: extraneous key [Prefix] is not permitted",
        "#/DestinationConfiguration/S3: extraneous key [RoleArn] is not permitted",
        "#/RenditionConfiguration/Renditions/0: expected type: String, found: JSONObject",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    // Nothing was made.
    let listed = cc.list_resources().type_name("AWS::IVS::RecordingConfiguration").send().await;
    assert!(listed.unwrap().resource_descriptions().is_empty());
    // The same configuration with the schema's real properties.
    let fixed = json!({
        "DestinationConfiguration": {"S3": {"BucketName": "my-video-recordings"}},
        "RecordingReconnectWindowSeconds": 30,
        "RenditionConfiguration": {"RenditionSelection": "CUSTOM", "Renditions": ["HD"]},
    });
    let arn = created(&cc, "AWS::IVS::RecordingConfiguration", fixed).await;
    let model = get(&cc, "AWS::IVS::RecordingConfiguration", &arn).await;
    assert_eq!(model["State"], "ACTIVE");
    assert_eq!(model["RecordingReconnectWindowSeconds"], 30);

    let err = cc
        .create_resource()
        .type_name("AWS::IVS::RecordingConfiguration")
        .desired_state(json!({"Name": "x"}).to_string())
        .send()
        .await
        .unwrap_err();
    let message = err.as_service_error().and_then(|e| e.meta().message()).unwrap_or_default();
    assert_eq!(
        message,
        "Model validation failed (#: required key [DestinationConfiguration] not found)"
    );
}

#[tokio::test]
async fn errors_carry_the_types_clients_match() {
    let server = common::start().await;
    let missing = common::missing_arn("channel");
    let (status, body, header) = raw(
        &server,
        "GetResource",
        json!({"TypeName": "AWS::IVS::Channel", "Identifier": missing}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "com.amazon.cloudapiservice#ResourceNotFoundException");
    assert_eq!(header.as_deref(), Some("ResourceNotFoundException"));
    assert_eq!(body["Message"], body["message"]);
    assert!(body["message"].as_str().unwrap().contains(&missing));

    let (_, body, _) = raw(
        &server,
        "CreateResource",
        json!({"TypeName": "AWS::S3::Bucket", "DesiredState": "{}"}),
    )
    .await;
    assert_eq!(body["__type"], "com.amazon.cloudapiservice#TypeNotFoundException");
    assert!(body["message"].as_str().unwrap().contains("AWS::IVS::Channel"), "{body}");

    // Model validation: a TypeName that is not one, a missing required member.
    let (status, body, _) =
        raw(&server, "CreateResource", json!({"TypeName": "nope", "DesiredState": "{}"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "com.amazon.coral.validate#ValidationException");
    let (_, body, _) = raw(&server, "GetResource", json!({"TypeName": "AWS::IVS::Channel"})).await;
    assert_eq!(body["__type"], "com.amazon.coral.validate#ValidationException");
    assert!(body["message"].as_str().unwrap().contains("Identifier"), "{body}");

    let (_, body, _) =
        raw(&server, "GetResourceRequestStatus", json!({"RequestToken": "no-such-token"})).await;
    assert_eq!(body["__type"], "com.amazon.cloudapiservice#RequestTokenNotFoundException");

    let (status, body, _) = raw(&server, "Frobnicate", json!({})).await;
    assert_eq!(status, 400);
    assert!(body["__type"].as_str().unwrap().ends_with("UnknownOperationException"), "{body}");

    // Alchemy also puts Action and Version on the query string; the target header decides.
    let response = reqwest::Client::new()
        .post(format!("{}/?Action=ListResources&Version=2021-09-30", server.url))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "CloudApiService.ListResources")
        .body(json!({"TypeName": "AWS::IVS::Stage"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["TypeName"], "AWS::IVS::Stage");
    assert_eq!(body["ResourceDescriptions"], json!([]));
}

#[tokio::test]
async fn requests_are_recorded_idempotent_and_listed() {
    let server = common::start().await;
    let cc = server.cloudcontrol();
    let desired = json!({"Name": "once"}).to_string();
    let first = cc
        .create_resource()
        .type_name("AWS::IVS::Channel")
        .desired_state(&desired)
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    let again = cc
        .create_resource()
        .type_name("AWS::IVS::Channel")
        .desired_state(&desired)
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    let token = first.progress_event().unwrap().request_token().unwrap();
    assert_eq!(again.progress_event().unwrap().request_token(), Some(token));
    let channels = server.ivs().list_channels().send().await.unwrap();
    assert_eq!(channels.channels().len(), 1, "a repeated client token does not repeat the work");
    let err = cc
        .create_resource()
        .type_name("AWS::IVS::Channel")
        .desired_state(json!({"Name": "other"}).to_string())
        .client_token("token-1")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_client_token_conflict_exception());

    // A failed delete, then a page of requests newest first, filtered.
    failed_with(
        &delete(&cc, "AWS::IVS::Channel", &common::missing_arn("channel")).await,
        HandlerErrorCode::NotFound,
    );
    for i in 0..3 {
        created(&cc, "AWS::IVS::Stage", json!({"Name": format!("s{i}")})).await;
    }
    let all = cc.list_resource_requests().send().await.unwrap();
    let summaries = all.resource_request_status_summaries();
    assert_eq!(summaries.len(), 5);
    assert_eq!(summaries[0].type_name(), Some("AWS::IVS::Stage"), "newest first");
    assert_eq!(summaries[4].request_token(), Some(token));
    let failed = cc
        .list_resource_requests()
        .resource_request_status_filter(
            ResourceRequestStatusFilter::builder()
                .operation_statuses(OperationStatus::Failed)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(failed.resource_request_status_summaries().len(), 1);
    assert_eq!(failed.resource_request_status_summaries()[0].operation(), Some(&Operation::Delete));
    let mut seen = Vec::new();
    let mut next = None;
    loop {
        let page =
            cc.list_resource_requests().max_results(2).set_next_token(next).send().await.unwrap();
        seen.extend(
            page.resource_request_status_summaries()
                .iter()
                .map(|e| e.request_token().unwrap().to_string()),
        );
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 5);
    // Finished requests cannot be cancelled.
    let err = cc.cancel_resource_request().request_token(token).send().await.unwrap_err();
    assert!(err.into_service_error().is_concurrent_modification_exception());
    // Accounts see only their own requests.
    let other = cc.list_resource_requests().send().await.unwrap();
    assert_eq!(other.resource_request_status_summaries().len(), 5);
    let _ = ACCOUNT;
}

/// The aws CLI's `cloudcontrol` commands, its waiter included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_drives_cloud_control() {
    if !common::cli::aws_available() {
        return;
    }
    let server = common::start().await;
    let cli = common::cli::Cli::new(&server.url);
    let desired =
        json!({"Name": "example-ivs-stage", "Tags": tags(&[("key1", "value1")])}).to_string();
    let out = cli
        .ok(&[
            "cloudcontrol",
            "create-resource",
            "--type-name",
            "AWS::IVS::Stage",
            "--desired-state",
            &desired,
        ])
        .await;
    let token = out["ProgressEvent"]["RequestToken"].as_str().unwrap().to_string();
    assert_eq!(out["ProgressEvent"]["OperationStatus"], "IN_PROGRESS");
    assert!(
        out["ProgressEvent"]["EventTime"].is_number()
            || out["ProgressEvent"]["EventTime"].is_string()
    );
    cli.ok(&["cloudcontrol", "wait", "resource-request-success", "--request-token", &token]).await;
    let status =
        cli.ok(&["cloudcontrol", "get-resource-request-status", "--request-token", &token]).await;
    assert_eq!(status["ProgressEvent"]["OperationStatus"], "SUCCESS");
    let arn = status["ProgressEvent"]["Identifier"].as_str().unwrap().to_string();

    let got = cli
        .ok(&[
            "cloudcontrol",
            "get-resource",
            "--type-name",
            "AWS::IVS::Stage",
            "--identifier",
            &arn,
        ])
        .await;
    let properties: Value =
        serde_json::from_str(got["ResourceDescription"]["Properties"].as_str().unwrap()).unwrap();
    assert_eq!(properties["Name"], "example-ivs-stage");

    let patch = json!([{"op": "replace", "path": "/Name", "value": "renamed"}]).to_string();
    let out = cli
        .ok(&[
            "cloudcontrol",
            "update-resource",
            "--type-name",
            "AWS::IVS::Stage",
            "--identifier",
            &arn,
            "--patch-document",
            &patch,
        ])
        .await;
    let token = out["ProgressEvent"]["RequestToken"].as_str().unwrap().to_string();
    cli.ok(&["cloudcontrol", "wait", "resource-request-success", "--request-token", &token]).await;
    let stage = server.realtime().get_stage().arn(&arn).send().await.unwrap();
    assert_eq!(stage.stage().unwrap().name(), Some("renamed"));

    let listed =
        cli.ok(&["cloudcontrol", "list-resources", "--type-name", "AWS::IVS::Stage"]).await;
    assert_eq!(listed["ResourceDescriptions"][0]["Identifier"], arn.as_str());

    cli.ok(&[
        "cloudcontrol",
        "delete-resource",
        "--type-name",
        "AWS::IVS::Stage",
        "--identifier",
        &arn,
    ])
    .await;
    let err = cli
        .fails(&[
            "cloudcontrol",
            "get-resource",
            "--type-name",
            "AWS::IVS::Stage",
            "--identifier",
            &arn,
        ])
        .await;
    assert!(err.contains("(ResourceNotFoundException)") && err.contains(&arn), "{err}");

    // A failed request makes the waiter fail, as botocore's waiter definition says.
    let out = cli
        .ok(&[
            "cloudcontrol",
            "delete-resource",
            "--type-name",
            "AWS::IVS::Stage",
            "--identifier",
            &arn,
        ])
        .await;
    let token = out["ProgressEvent"]["RequestToken"].as_str().unwrap().to_string();
    let err = cli
        .fails(&["cloudcontrol", "wait", "resource-request-success", "--request-token", &token])
        .await;
    assert!(err.contains("Waiter ResourceRequestSuccess failed"), "{err}");

    // The endpoint variable the SDKs and CLI read for this service.
    let out = cli
        .run(
            &["cloudcontrol", "list-resource-requests", "--output", "json"],
            &[("AWS_ENDPOINT_URL_CLOUDCONTROL", server.url.as_str())],
        )
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let requests: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(requests["ResourceRequestStatusSummaries"].as_array().unwrap().len(), 4);
}
