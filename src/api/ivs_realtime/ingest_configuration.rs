//! Ingest configurations: CreateIngestConfiguration, GetIngestConfiguration,
//! ListIngestConfigurations, UpdateIngestConfiguration, DeleteIngestConfiguration.
//!
//! An ingest configuration lets an RTMP(S) encoder publish into a stage as a participant: it
//! carries a stream key `rt_{account}_{region}_{id}_{secret}` and its own participant id, and
//! is ACTIVE while an encoder publishes with the key (played by `sim::stages`, which owns the
//! `state` field). It is created INACTIVE. `insecureIngest` is stored, since plain RTMP needs
//! it, but never returned (reference 3.10; CloudFormation marks it write-only).
//!
//! LIMITATIONS: `redundantIngest` is stored and echoed, but no `redundantIngestCredentials`
//! (a second key for a backup encoder) are issued. No quota is enforced.

use super::stage;
use crate::api::types::ivs_realtime::{
    CreateIngestConfigurationRequest, CreateIngestConfigurationResponse,
    DeleteIngestConfigurationRequest, DeleteIngestConfigurationResponse,
    GetIngestConfigurationRequest, GetIngestConfigurationResponse, IngestConfiguration,
    IngestConfigurationState, IngestConfigurationSummary, IngestProtocol,
    ListIngestConfigurationsRequest, ListIngestConfigurationsResponse,
    UpdateIngestConfigurationRequest, UpdateIngestConfigurationResponse,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs_realtime::IngestConfiguration as Record;
use crate::store::{RegionState, page};

/// ListIngestConfigurations' page size when the caller gives none (model doc: 50).
const DEFAULT_MAX_RESULTS: i32 = 50;
/// Length of the secret that ends a stream key (AWS's CLI example shows 30).
const SECRET_LEN: usize = 30;

pub fn create_ingest_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateIngestConfigurationRequest,
) -> Result<CreateIngestConfigurationResponse, ApiError> {
    let insecure_ingest = input.insecure_ingest.unwrap_or(false);
    if input.ingest_protocol == IngestProtocol::Rtmp && !insecure_ingest {
        return Err(ApiError::validation(
            "insecureIngest must be true when ingestProtocol is RTMP.",
        ));
    }
    let stage_arn = input.stage_arn.unwrap_or_default();
    // CreateIngestConfiguration models no ResourceNotFoundException, so a stage that does not
    // exist is refused as invalid input: an SDK could not parse a 404 into a typed error here.
    if !stage_arn.is_empty() && stage::find(st, &stage_arn).is_err() {
        return Err(ApiError::validation(format!("Stage not found: {stage_arn}")));
    }
    let id = st.ids.resource_id();
    let participant_id = st.ids.resource_id();
    let secret = st.ids.alphanumeric(SECRET_LEN);
    let stream_key = format!("rt_{}_{}_{id}_{secret}", st.scope.account, st.scope.region);
    let record = Record {
        id: id.clone(),
        arn: st.arn(ResourceType::IngestConfiguration, &id).to_string(),
        name: input.name.unwrap_or_default(),
        stage_arn,
        participant_id: participant_id.to_string(),
        ingest_protocol: input.ingest_protocol,
        insecure_ingest,
        redundant_ingest: input.redundant_ingest.unwrap_or(false),
        stream_key,
        user_id: input.user_id.unwrap_or_default(),
        attributes: input.attributes.unwrap_or_default(),
        state: IngestConfigurationState::Inactive,
        tags: input.tags.unwrap_or_default(),
    };
    let output = to_api(&record);
    st.realtime.ingest_configurations.insert(id, record);
    Ok(CreateIngestConfigurationResponse { ingest_configuration: Some(output) })
}

pub fn get_ingest_configuration(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetIngestConfigurationRequest,
) -> Result<GetIngestConfigurationResponse, ApiError> {
    Ok(GetIngestConfigurationResponse { ingest_configuration: Some(to_api(find(st, &input.arn)?)) })
}

pub fn list_ingest_configurations(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListIngestConfigurationsRequest,
) -> Result<ListIngestConfigurationsResponse, ApiError> {
    let stage_arn = input.filter_by_stage_arn.as_deref().filter(|a| !a.is_empty());
    let state = input.filter_by_state;
    // The operation models no ConflictException (ListChannels answers 409 for the same thing).
    if stage_arn.is_some() && state.is_some() {
        return Err(ApiError::validation(
            "Only one filter may be given at a time: filterByStageArn or filterByState.",
        ));
    }
    let keep = |i: &&Record| {
        stage_arn.is_none_or(|a| i.stage_arn == a) && state.is_none_or(|s| i.state == s)
    };
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.realtime.ingest_configurations.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, keep);
    Ok(ListIngestConfigurationsResponse {
        ingest_configurations: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn update_ingest_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: UpdateIngestConfigurationRequest,
) -> Result<UpdateIngestConfigurationResponse, ApiError> {
    let current = find(st, &input.arn)?;
    if current.state == IngestConfigurationState::Active {
        return Err(ApiError::conflict(format!(
            "Ingest configuration {} cannot be updated while an encoder is publishing with it.",
            current.arn
        )));
    }
    if let Some(arn) = input.stage_arn.as_deref().filter(|a| !a.is_empty()) {
        stage::find(st, arn)?;
    }
    let id = current.id.clone();
    let record = st.realtime.ingest_configurations.get_mut(&id).expect("found above");
    if let Some(stage_arn) = input.stage_arn {
        record.stage_arn = stage_arn;
    }
    if let Some(redundant_ingest) = input.redundant_ingest {
        record.redundant_ingest = redundant_ingest;
    }
    Ok(UpdateIngestConfigurationResponse { ingest_configuration: Some(to_api(record)) })
}

pub fn delete_ingest_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeleteIngestConfigurationRequest,
) -> Result<DeleteIngestConfigurationResponse, ApiError> {
    let current = find(st, &input.arn)?;
    let id = current.id.clone();
    if current.state == IngestConfigurationState::Active {
        if !input.force.unwrap_or(false) {
            return Err(ApiError::conflict(format!(
                "Ingest configuration {} is in use by a publishing encoder; delete it with \
                 force to disconnect the encoder.",
                current.arn
            )));
        }
        crate::sim::stages::on_ingest_configuration_deleted(st, &id);
    }
    st.realtime.ingest_configurations.remove(&id);
    Ok(DeleteIngestConfigurationResponse {})
}

/// The ingest configuration an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::IngestConfiguration)
        .and_then(|id| st.realtime.ingest_configurations.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Ingest configuration not found: {arn}")))
}

/// The configuration as the API returns it: everything but `insecureIngest`.
pub fn to_api(i: &Record) -> IngestConfiguration {
    IngestConfiguration {
        arn: i.arn.clone(),
        // Attributes appear only when some were given, as in AWS's examples.
        attributes: Some(i.attributes.clone()).filter(|a| !a.is_empty()),
        ingest_protocol: i.ingest_protocol,
        name: Some(i.name.clone()),
        participant_id: i.participant_id.clone(),
        redundant_ingest: Some(i.redundant_ingest),
        redundant_ingest_credentials: None,
        stage_arn: i.stage_arn.clone(),
        state: i.state,
        stream_key: i.stream_key.clone(),
        tags: Some(i.tags.clone()),
        user_id: Some(i.user_id.clone()),
    }
}

fn summary(i: &Record) -> IngestConfigurationSummary {
    IngestConfigurationSummary {
        arn: i.arn.clone(),
        ingest_protocol: i.ingest_protocol,
        name: Some(i.name.clone()),
        participant_id: i.participant_id.clone(),
        redundant_ingest: Some(i.redundant_ingest),
        stage_arn: i.stage_arn.clone(),
        state: i.state,
        user_id: Some(i.user_id.clone()),
    }
}
