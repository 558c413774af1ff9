//! Storage, encoder and ingest configurations through the AWS SDK for Rust: defaults, the
//! formats of generated values, pagination and filters, and the modeled errors.
//!
//! The 409s that need a running composition or a publishing encoder are covered by the unit
//! tests of `api::ivs_realtime`, since only the simulation can make those states.

mod common;

use aws_sdk_ivsrealtime::operation::create_encoder_configuration::CreateEncoderConfigurationError;
use aws_sdk_ivsrealtime::operation::create_ingest_configuration::CreateIngestConfigurationError;
use aws_sdk_ivsrealtime::operation::delete_encoder_configuration::DeleteEncoderConfigurationError;
use aws_sdk_ivsrealtime::operation::delete_ingest_configuration::DeleteIngestConfigurationError;
use aws_sdk_ivsrealtime::operation::delete_storage_configuration::DeleteStorageConfigurationError;
use aws_sdk_ivsrealtime::operation::get_encoder_configuration::GetEncoderConfigurationError;
use aws_sdk_ivsrealtime::operation::get_ingest_configuration::GetIngestConfigurationError;
use aws_sdk_ivsrealtime::operation::get_storage_configuration::GetStorageConfigurationError;
use aws_sdk_ivsrealtime::operation::list_ingest_configurations::ListIngestConfigurationsError;
use aws_sdk_ivsrealtime::operation::update_ingest_configuration::UpdateIngestConfigurationError;
use aws_sdk_ivsrealtime::types::{
    IngestConfigurationState, IngestProtocol, S3StorageConfiguration, Video,
};
use common::{ACCOUNT, REGION};

fn is_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn s3(bucket: &str) -> S3StorageConfiguration {
    S3StorageConfiguration::builder().bucket_name(bucket).build().unwrap()
}

#[tokio::test]
async fn storage_configuration_lifecycle() {
    let server = common::start().await;
    let rt = server.realtime();
    let out = rt
        .create_storage_configuration()
        .name("rec")
        .s3(s3("my-bucket"))
        .tags("k", "v")
        .send()
        .await
        .unwrap();
    let sc = out.storage_configuration().unwrap();
    let id = sc
        .arn()
        .strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:storage-configuration/"))
        .unwrap();
    assert!(is_id(id));
    assert_eq!(sc.name(), Some("rec"));
    assert_eq!(sc.s3().unwrap().bucket_name(), "my-bucket");
    assert_eq!(sc.tags().unwrap().get("k").map(String::as_str), Some("v"));
    let got = rt.get_storage_configuration().arn(sc.arn()).send().await.unwrap();
    assert_eq!(got.storage_configuration().unwrap(), sc);

    rt.create_storage_configuration().s3(s3("other")).send().await.unwrap();
    let page = rt.list_storage_configurations().max_results(1).send().await.unwrap();
    assert_eq!(page.storage_configurations().len(), 1);
    let token = page.next_token().unwrap();
    let rest = rt.list_storage_configurations().next_token(token).send().await.unwrap();
    assert_eq!(rest.storage_configurations().len(), 1);
    assert!(rest.next_token().is_none());
    let all = rt.list_storage_configurations().send().await.unwrap();
    let summary = all.storage_configurations().iter().find(|s| s.arn() == sc.arn()).unwrap();
    assert_eq!(summary.s3().unwrap().bucket_name(), "my-bucket");
    assert!(summary.tags().is_some());

    rt.delete_storage_configuration().arn(sc.arn()).send().await.unwrap();
    let err = rt.get_storage_configuration().arn(sc.arn()).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetStorageConfigurationError::ResourceNotFoundException(_)
    ));
    let err = rt.delete_storage_configuration().arn(sc.arn()).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DeleteStorageConfigurationError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn storage_configuration_defaults_and_delete_answer_in_aws_form() {
    let server = common::start().await;
    let raw =
        server.post("CreateStorageConfiguration", r#"{"s3": {"bucketName": "bucket"}}"#).await;
    assert_eq!(raw.status, 200);
    let sc = &raw.json["storageConfiguration"];
    assert_eq!((sc["name"].as_str(), &sc["tags"]), (Some(""), &serde_json::json!({})));
    let arn = sc["arn"].as_str().unwrap();
    let raw = server
        .post("DeleteStorageConfiguration", &serde_json::json!({"arn": arn}).to_string())
        .await;
    assert_eq!((raw.status, raw.json), (200, serde_json::json!({})));
}

#[tokio::test]
async fn encoder_configuration_fills_aws_defaults() {
    let server = common::start().await;
    let rt = server.realtime();
    let out = rt.create_encoder_configuration().send().await.unwrap();
    let ec = out.encoder_configuration().unwrap();
    let id = ec
        .arn()
        .strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:encoder-configuration/"))
        .unwrap();
    assert!(is_id(id));
    assert_eq!(ec.name(), Some(""));
    assert!(ec.tags().unwrap().is_empty());
    let v = ec.video().unwrap();
    assert_eq!(
        (v.width(), v.height(), v.framerate(), v.bitrate()),
        (Some(1280), Some(720), Some(30.0), Some(2_500_000))
    );

    let out = rt
        .create_encoder_configuration()
        .name("portrait")
        .video(Video::builder().width(1080).height(1920).build())
        .send()
        .await
        .unwrap();
    let v = out.encoder_configuration().unwrap().video().unwrap();
    assert_eq!((v.width(), v.height(), v.framerate()), (Some(1080), Some(1920), Some(30.0)));
}

#[tokio::test]
async fn encoder_configuration_over_1920x1080_pixels_or_odd_is_a_validation_error() {
    let server = common::start().await;
    let rt = server.realtime();
    for (w, h) in [(1920, 1920), (1280, 1920), (1281, 720)] {
        let err = rt
            .create_encoder_configuration()
            .video(Video::builder().width(w).height(h).build())
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err.into_service_error(),
                CreateEncoderConfigurationError::ValidationException(_)
            ),
            "{w}x{h}"
        );
    }
    assert!(
        rt.list_encoder_configurations().send().await.unwrap().encoder_configurations().is_empty()
    );
}

#[tokio::test]
async fn encoder_configuration_get_list_delete() {
    let server = common::start().await;
    let rt = server.realtime();
    let mut arns = Vec::new();
    for i in 0..3 {
        let out = rt.create_encoder_configuration().name(format!("e{i}")).send().await.unwrap();
        arns.push(out.encoder_configuration.unwrap().arn);
    }
    let got = rt.get_encoder_configuration().arn(&arns[0]).send().await.unwrap();
    assert_eq!(got.encoder_configuration().unwrap().name(), Some("e0"));
    let page = rt.list_encoder_configurations().max_results(2).send().await.unwrap();
    assert_eq!(page.encoder_configurations().len(), 2);
    let rest = rt
        .list_encoder_configurations()
        .max_results(2)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.encoder_configurations().len(), 1);
    assert!(rest.next_token().is_none());
    assert!(page.encoder_configurations().iter().all(|e| e.tags().is_some()));

    rt.delete_encoder_configuration().arn(&arns[0]).send().await.unwrap();
    let err = rt.get_encoder_configuration().arn(&arns[0]).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetEncoderConfigurationError::ResourceNotFoundException(_)
    ));
    let err = rt.delete_encoder_configuration().arn(&arns[0]).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DeleteEncoderConfigurationError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn create_ingest_configuration_returns_aws_formats_without_insecure_ingest() {
    let server = common::start().await;
    let rt = server.realtime();
    let out = rt
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .name("encoder")
        .send()
        .await
        .unwrap();
    let ic = out.ingest_configuration().unwrap();
    let id = ic
        .arn()
        .strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:ingest-configuration/"))
        .unwrap();
    assert!(is_id(id));
    assert!(is_id(ic.participant_id()));
    let secret = ic.stream_key().strip_prefix(&format!("rt_{ACCOUNT}_{REGION}_{id}_")).unwrap();
    assert_eq!(secret.len(), 30);
    assert_eq!(ic.state(), &IngestConfigurationState::Inactive);
    assert_eq!(ic.stage_arn(), "");
    assert_eq!(ic.user_id(), Some(""));
    assert!(ic.tags().unwrap().is_empty());

    let raw = server
        .post("CreateIngestConfiguration", r#"{"ingestProtocol": "RTMP", "insecureIngest": true}"#)
        .await;
    assert_eq!(raw.status, 200);
    let ic = &raw.json["ingestConfiguration"];
    assert!(ic.get("insecureIngest").is_none(), "{ic}");
    assert_eq!(ic["ingestProtocol"], "RTMP");
    assert_eq!(ic["state"], "INACTIVE");
}

#[tokio::test]
async fn rtmp_ingest_without_insecure_ingest_is_a_validation_error() {
    let server = common::start().await;
    let rt = server.realtime();
    let err = rt
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmp)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        CreateIngestConfigurationError::ValidationException(_)
    ));
    let err = rt
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .stage_arn(common::missing_arn("stage"))
        .send()
        .await
        .unwrap_err();
    // CreateIngestConfiguration models no ResourceNotFoundException.
    assert!(matches!(
        err.into_service_error(),
        CreateIngestConfigurationError::ValidationException(_)
    ));
    assert!(
        rt.list_ingest_configurations().send().await.unwrap().ingest_configurations().is_empty()
    );
}

#[tokio::test]
async fn ingest_configurations_attach_detach_filter_and_follow_stage_deletion() {
    let server = common::start().await;
    let rt = server.realtime();
    let stage = rt.create_stage().send().await.unwrap().stage.unwrap().arn;
    let attached = rt
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .stage_arn(&stage)
        .user_id("cam-1")
        .attributes("k", "v")
        .send()
        .await
        .unwrap()
        .ingest_configuration
        .unwrap();
    assert_eq!(attached.stage_arn(), stage);
    assert_eq!(attached.user_id(), Some("cam-1"));
    assert_eq!(attached.attributes().unwrap().get("k").map(String::as_str), Some("v"));
    let loose = rt
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .send()
        .await
        .unwrap()
        .ingest_configuration
        .unwrap();

    let by_stage =
        rt.list_ingest_configurations().filter_by_stage_arn(&stage).send().await.unwrap();
    let arns: Vec<&str> = by_stage.ingest_configurations().iter().map(|i| i.arn()).collect();
    assert_eq!(arns, [attached.arn()]);
    let inactive = rt
        .list_ingest_configurations()
        .filter_by_state(IngestConfigurationState::Inactive)
        .send()
        .await
        .unwrap();
    assert_eq!(inactive.ingest_configurations().len(), 2);
    let page = rt.list_ingest_configurations().max_results(1).send().await.unwrap();
    assert_eq!(page.ingest_configurations().len(), 1);
    assert!(page.next_token().is_some());

    let err = rt
        .list_ingest_configurations()
        .filter_by_stage_arn(&stage)
        .filter_by_state(IngestConfigurationState::Active)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        ListIngestConfigurationsError::ValidationException(_)
    ));

    let out = rt.update_ingest_configuration().arn(loose.arn()).stage_arn(&stage).send().await;
    assert_eq!(out.unwrap().ingest_configuration().unwrap().stage_arn(), stage);
    let out = rt.update_ingest_configuration().arn(loose.arn()).stage_arn("").send().await;
    assert_eq!(out.unwrap().ingest_configuration().unwrap().stage_arn(), "");
    let err = rt
        .update_ingest_configuration()
        .arn(loose.arn())
        .stage_arn(common::missing_arn("stage"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        UpdateIngestConfigurationError::ResourceNotFoundException(_)
    ));

    // Deleting the stage detaches the configurations attached to it.
    rt.delete_stage().arn(&stage).send().await.unwrap();
    let got = rt.get_ingest_configuration().arn(attached.arn()).send().await.unwrap();
    assert_eq!(got.ingest_configuration().unwrap().stage_arn(), "");
}

#[tokio::test]
async fn delete_ingest_configuration_removes_it() {
    let server = common::start().await;
    let rt = server.realtime();
    let arn = rt
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .send()
        .await
        .unwrap()
        .ingest_configuration
        .unwrap()
        .arn;
    rt.delete_ingest_configuration().arn(&arn).send().await.unwrap();
    let err = rt.get_ingest_configuration().arn(&arn).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetIngestConfigurationError::ResourceNotFoundException(_)
    ));
    let err = rt.delete_ingest_configuration().arn(&arn).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DeleteIngestConfigurationError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn a_21st_encoder_configuration_exceeds_the_quota_with_402() {
    let server = common::start().await;
    let rt = server.realtime();
    for _ in 0..20 {
        rt.create_encoder_configuration().send().await.unwrap();
    }
    let err = rt.create_encoder_configuration().send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 402);
    assert!(matches!(
        err.into_service_error(),
        CreateEncoderConfigurationError::ServiceQuotaExceededException(_)
    ));
}
