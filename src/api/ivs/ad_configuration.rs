//! Ad configurations (server-side ad insertion): CreateAdConfiguration, GetAdConfiguration,
//! ListAdConfigurations, DeleteAdConfiguration.
//!
//! An ad configuration names 1–3 AWS Elemental MediaTailor playback configurations (the
//! count and ARN pattern are checked from the model); channels reference it by ARN, and
//! InsertAdBreak (`stream.rs`) needs a channel that does.
//!
//! LIMITATIONS: MediaTailor is not emulated: the playback configuration ARNs are stored,
//! never resolved. No quota on ad configurations is enforced.

use crate::api::types::ivs::{
    AdConfiguration, AdConfigurationSummary, CreateAdConfigurationRequest,
    CreateAdConfigurationResponse, DeleteAdConfigurationRequest, GetAdConfigurationRequest,
    GetAdConfigurationResponse, ListAdConfigurationsRequest, ListAdConfigurationsResponse,
    MediaTailorPlaybackConfiguration,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs::AdConfiguration as Record;
use crate::store::{RegionState, page};

/// ListAdConfigurations' page size when the caller gives none (model doc: the quota or
/// 100, whichever is smaller).
const DEFAULT_MAX_RESULTS: i32 = 100;

pub fn create_ad_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateAdConfigurationRequest,
) -> Result<CreateAdConfigurationResponse, ApiError> {
    // The model leaves the member optional inside each entry, but an entry without an ARN
    // names nothing for the ad insertion to use.
    let mut arns = Vec::with_capacity(input.media_tailor_playback_configurations.len());
    for (i, config) in input.media_tailor_playback_configurations.into_iter().enumerate() {
        match config.playback_configuration_arn.filter(|a| !a.is_empty()) {
            Some(arn) => arns.push(arn),
            None => {
                return Err(ApiError::validation(format!(
                    "mediaTailorPlaybackConfigurations[{i}].playbackConfigurationArn is required."
                )));
            }
        }
    }
    let id = st.ids.resource_id();
    let record = Record {
        arn: st.arn(ResourceType::AdConfiguration, &id).to_string(),
        id: id.clone(),
        name: input.name.unwrap_or_default(),
        media_tailor_playback_configuration_arns: arns,
        tags: input.tags.unwrap_or_default(),
    };
    let answer = to_api(&record);
    st.ivs.ad_configurations.insert(id, record);
    Ok(CreateAdConfigurationResponse { ad_configuration: answer })
}

pub fn get_ad_configuration(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetAdConfigurationRequest,
) -> Result<GetAdConfigurationResponse, ApiError> {
    Ok(GetAdConfigurationResponse { ad_configuration: Some(to_api(find(st, &input.arn)?)) })
}

pub fn list_ad_configurations(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListAdConfigurationsRequest,
) -> Result<ListAdConfigurationsResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.ivs.ad_configurations.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |_| true);
    Ok(ListAdConfigurationsResponse {
        ad_configurations: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn delete_ad_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeleteAdConfigurationRequest,
) -> Result<(), ApiError> {
    let record = find(st, &input.arn)?;
    // As for recording configurations: one still named by a channel cannot go (the operation
    // models ConflictException for this).
    if let Some(channel) = st.ivs.channels.values().find(|c| *c.ad_configuration_arn == record.arn)
    {
        return Err(ApiError::conflict(format!(
            "Ad configuration {} is in use by channel {}; remove it from every channel first.",
            record.arn,
            super::channel::arn(st, channel)
        )));
    }
    let id = record.id.clone();
    st.ivs.ad_configurations.remove(&id);
    Ok(())
}

/// The ad configuration an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::AdConfiguration)
        .and_then(|id| st.ivs.ad_configurations.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Ad configuration not found: {arn}")))
}

fn playback_configurations(r: &Record) -> Vec<MediaTailorPlaybackConfiguration> {
    r.media_tailor_playback_configuration_arns
        .iter()
        .map(|arn| MediaTailorPlaybackConfiguration {
            playback_configuration_arn: Some(arn.clone()),
        })
        .collect()
}

pub fn to_api(r: &Record) -> AdConfiguration {
    AdConfiguration {
        arn: r.arn.clone(),
        name: Some(r.name.clone()),
        media_tailor_playback_configurations: playback_configurations(r),
        tags: Some(r.tags.clone()),
    }
}

fn summary(r: &Record) -> AdConfigurationSummary {
    AdConfigurationSummary {
        arn: r.arn.clone(),
        name: Some(r.name.clone()),
        media_tailor_playback_configurations: playback_configurations(r),
        tags: Some(r.tags.clone()),
    }
}
