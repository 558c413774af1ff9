//! Handlers of the `ivs-realtime` (real-time stages) operations, one module per resource.
//!
//! Stages and the participant tokens issued for them, imported public keys, and the storage,
//! encoder and ingest configurations are resources callers create here. What happens on the
//! media servers (sessions, participants, compositions) belongs to `sim::stages`; handlers
//! call its hooks where a resource change affects what is connected.

pub mod composition;
pub mod encoder_configuration;
pub mod ingest_configuration;
pub mod participant;
pub mod participant_token;
pub mod public_key;
pub mod replication;
pub mod session;
pub mod stage;
pub mod storage_configuration;

use crate::api::types::ivs_realtime::{CompositionState, DestinationConfiguration};
use crate::store::RegionState;

/// The ARN of a composition that is still running (neither STOPPED nor FAILED) and whose
/// destinations `uses` accepts: what makes a storage or encoder configuration undeletable.
fn running_composition_using(
    st: &RegionState,
    uses: impl Fn(&DestinationConfiguration) -> bool,
) -> Option<String> {
    st.realtime
        .compositions
        .values()
        .filter(|c| {
            !matches!(c.composition.state, CompositionState::Stopped | CompositionState::Failed)
        })
        .find(|c| c.composition.destinations.iter().any(|d| uses(&d.configuration)))
        .map(|c| c.composition.arn.clone())
}

/// The rules that only a running composition or a publishing encoder triggers, set up
/// directly in the store because only the simulation makes those states.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::ivs_realtime::{
        ChannelDestinationConfiguration, Composition, CreateEncoderConfigurationRequest,
        CreateIngestConfigurationRequest, CreateStorageConfigurationRequest,
        DeleteEncoderConfigurationRequest, DeleteIngestConfigurationRequest,
        DeleteStorageConfigurationRequest, Destination, DestinationState, IngestConfigurationState,
        IngestProtocol, LayoutConfiguration, S3DestinationConfiguration, S3StorageConfiguration,
        UpdateIngestConfigurationRequest,
    };
    use crate::context::RequestContext;
    use crate::error::ErrorCode;
    use crate::store::Store;
    use crate::store::ivs_realtime::CompositionRecord;

    fn ctx() -> RequestContext<'static> {
        RequestContext {
            request_id: "test",
            account: "123456789012".into(),
            region: "us-west-2".into(),
            access_key: None,
        }
    }

    fn composition(st: &mut RegionState, state: CompositionState, s3: S3DestinationConfiguration) {
        let id = st.ids.resource_id();
        let arn = st.arn(crate::store::arn::ResourceType::Composition, &id).to_string();
        let destination = |configuration| Destination {
            configuration,
            detail: None,
            end_time: None,
            id: "AabBCcdDEefF".into(),
            start_time: None,
            state: DestinationState::Active,
        };
        let channel = DestinationConfiguration {
            channel: Some(ChannelDestinationConfiguration {
                channel_arn: "arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh".into(),
                encoder_configuration_arn: s3.encoder_configuration_arns.first().cloned(),
            }),
            ..Default::default()
        };
        let s3 = DestinationConfiguration { s3: Some(s3), ..Default::default() };
        let record = CompositionRecord {
            id: id.clone(),
            composition: Composition {
                arn,
                destinations: vec![destination(channel), destination(s3)],
                end_time: None,
                layout: LayoutConfiguration::default(),
                stage_arn: "arn:aws:ivs:us-west-2:123456789012:stage/abcdABCDefgh".into(),
                start_time: None,
                state,
                tags: None,
            },
            idempotency_token: None,
            tags: Default::default(),
            channel_stream_id: None,
        };
        st.realtime.compositions.insert(id, record);
    }

    #[test]
    fn configurations_used_by_a_running_composition_cannot_be_deleted() {
        let store = Store::new(Some(1));
        let scope = store.scope("123456789012", "us-west-2");
        let st = &mut scope.write();
        let storage = storage_configuration::create_storage_configuration(
            &ctx(),
            st,
            CreateStorageConfigurationRequest {
                name: None,
                s3: S3StorageConfiguration { bucket_name: "bucket".into() },
                tags: None,
            },
        )
        .unwrap()
        .storage_configuration
        .unwrap()
        .arn;
        let encoder = encoder_configuration::create_encoder_configuration(
            &ctx(),
            st,
            CreateEncoderConfigurationRequest::default(),
        )
        .unwrap()
        .encoder_configuration
        .unwrap()
        .arn;
        let s3 = S3DestinationConfiguration {
            encoder_configuration_arns: vec![encoder.clone()],
            storage_configuration_arn: storage.clone(),
            recording_configuration: None,
            thumbnail_configurations: None,
        };
        composition(st, CompositionState::Stopped, s3.clone());
        composition(st, CompositionState::Active, s3);

        let delete_storage = |st: &mut RegionState| {
            storage_configuration::delete_storage_configuration(
                &ctx(),
                st,
                DeleteStorageConfigurationRequest { arn: storage.clone() },
            )
        };
        let delete_encoder = |st: &mut RegionState| {
            encoder_configuration::delete_encoder_configuration(
                &ctx(),
                st,
                DeleteEncoderConfigurationRequest { arn: encoder.clone() },
            )
        };
        let code = |e: crate::error::ApiError| e.code();
        assert_eq!(delete_storage(st).map_err(code), Err(Some(ErrorCode::ConflictException)));
        assert_eq!(delete_encoder(st).map_err(code), Err(Some(ErrorCode::ConflictException)));
        // Once every composition using them has stopped or failed, they can go.
        for c in st.realtime.compositions.values_mut() {
            c.composition.state = CompositionState::Failed;
        }
        assert!(delete_storage(st).is_ok());
        assert!(delete_encoder(st).is_ok());
    }

    #[test]
    fn an_active_ingest_configuration_cannot_be_updated_and_is_deleted_only_with_force() {
        let store = Store::new(Some(1));
        let scope = store.scope("123456789012", "us-west-2");
        let st = &mut scope.write();
        let created = ingest_configuration::create_ingest_configuration(
            &ctx(),
            st,
            CreateIngestConfigurationRequest {
                attributes: None,
                ingest_protocol: IngestProtocol::Rtmps,
                insecure_ingest: None,
                name: None,
                redundant_ingest: None,
                stage_arn: None,
                tags: None,
                user_id: None,
            },
        )
        .unwrap()
        .ingest_configuration
        .unwrap();
        for i in st.realtime.ingest_configurations.values_mut() {
            i.state = IngestConfigurationState::Active;
        }
        let arn = created.arn;
        let update = ingest_configuration::update_ingest_configuration(
            &ctx(),
            st,
            UpdateIngestConfigurationRequest {
                arn: arn.clone(),
                redundant_ingest: Some(true),
                stage_arn: None,
            },
        );
        assert_eq!(update.unwrap_err().code(), Some(ErrorCode::ConflictException));
        let delete = |st: &mut RegionState, force| {
            ingest_configuration::delete_ingest_configuration(
                &ctx(),
                st,
                DeleteIngestConfigurationRequest { arn: arn.clone(), force },
            )
        };
        assert_eq!(delete(st, None).unwrap_err().code(), Some(ErrorCode::ConflictException));
        assert_eq!(delete(st, Some(false)).unwrap_err().code(), Some(ErrorCode::ConflictException));
        assert!(!st.realtime.ingest_configurations.is_empty());
        assert!(delete(st, Some(true)).is_ok());
        assert!(st.realtime.ingest_configurations.is_empty());
    }
}
