//! Storage configurations: CreateStorageConfiguration, GetStorageConfiguration,
//! ListStorageConfigurations, DeleteStorageConfiguration.
//!
//! A storage configuration names the S3 bucket that compositions and stage recordings write
//! to. A running composition that records into it keeps it from being deleted (409).
//!
//! LIMITATIONS: AWS checks that the bucket exists, is in the same region and updates its bucket
//! policy; ivs-local only stores the name. No quota is enforced (AWS's is not documented).

use crate::api::types::ivs_realtime::{
    CreateStorageConfigurationRequest, CreateStorageConfigurationResponse,
    DeleteStorageConfigurationRequest, DeleteStorageConfigurationResponse,
    GetStorageConfigurationRequest, GetStorageConfigurationResponse,
    ListStorageConfigurationsRequest, ListStorageConfigurationsResponse, S3StorageConfiguration,
    StorageConfiguration, StorageConfigurationSummary,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs_realtime::StorageConfiguration as Record;
use crate::store::{RegionState, page};

/// ListStorageConfigurations' page size when the caller gives none (model doc: the quota or
/// 100, whichever is smaller).
const DEFAULT_MAX_RESULTS: i32 = 100;

pub fn create_storage_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateStorageConfigurationRequest,
) -> Result<CreateStorageConfigurationResponse, ApiError> {
    let id = st.ids.resource_id();
    let record = Record {
        id: id.clone(),
        arn: st.arn(ResourceType::StorageConfiguration, &id).to_string(),
        name: input.name.unwrap_or_default(),
        bucket_name: input.s3.bucket_name,
        tags: input.tags.unwrap_or_default(),
    };
    let output = to_api(&record);
    st.realtime.storage_configurations.insert(id, record);
    Ok(CreateStorageConfigurationResponse { storage_configuration: Some(output) })
}

pub fn get_storage_configuration(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetStorageConfigurationRequest,
) -> Result<GetStorageConfigurationResponse, ApiError> {
    Ok(GetStorageConfigurationResponse {
        storage_configuration: Some(to_api(find(st, &input.arn)?)),
    })
}

pub fn list_storage_configurations(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListStorageConfigurationsRequest,
) -> Result<ListStorageConfigurationsResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.realtime.storage_configurations.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |_| true);
    Ok(ListStorageConfigurationsResponse {
        storage_configurations: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn delete_storage_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeleteStorageConfigurationRequest,
) -> Result<DeleteStorageConfigurationResponse, ApiError> {
    let current = find(st, &input.arn)?;
    let (id, arn) = (current.id.clone(), current.arn.clone());
    let used = super::running_composition_using(st, |d| {
        d.s3.as_ref().is_some_and(|s3| s3.storage_configuration_arn == arn)
    });
    if let Some(composition) = used {
        return Err(ApiError::conflict(format!(
            "Storage configuration {arn} is used by composition {composition}."
        )));
    }
    st.realtime.storage_configurations.remove(&id);
    Ok(DeleteStorageConfigurationResponse {})
}

/// The storage configuration an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::StorageConfiguration)
        .and_then(|id| st.realtime.storage_configurations.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Storage configuration not found: {arn}")))
}

pub fn to_api(s: &Record) -> StorageConfiguration {
    StorageConfiguration {
        arn: s.arn.clone(),
        name: Some(s.name.clone()),
        s3: Some(S3StorageConfiguration { bucket_name: s.bucket_name.clone() }),
        tags: Some(s.tags.clone()),
    }
}

/// The summary carries the bucket too (reference 3.10).
fn summary(s: &Record) -> StorageConfigurationSummary {
    StorageConfigurationSummary {
        arn: s.arn.clone(),
        name: Some(s.name.clone()),
        s3: Some(S3StorageConfiguration { bucket_name: s.bucket_name.clone() }),
        tags: Some(s.tags.clone()),
    }
}
