//! Encoder configurations: CreateEncoderConfiguration, GetEncoderConfiguration,
//! ListEncoderConfigurations, DeleteEncoderConfiguration.
//!
//! The video settings a composition encodes with, stored with AWS's defaults filled in
//! (1280x720, 30 fps, 2.5 Mbps). The model bounds each dimension; the pixel-count rule that
//! spans both (at most 1920x1080 pixels, in either orientation) and the even-number rule are
//! business rules checked here. A running composition using it keeps it from being deleted.
//!
//! At most [`QUOTA`] may exist in an account and region (402), AWS's default quota.
//!
//! LIMITATIONS: the quota cannot be raised, as it can in AWS.

use crate::api::types::ivs_realtime::{
    CreateEncoderConfigurationRequest, CreateEncoderConfigurationResponse,
    DeleteEncoderConfigurationRequest, DeleteEncoderConfigurationResponse, EncoderConfiguration,
    EncoderConfigurationSummary, GetEncoderConfigurationRequest, GetEncoderConfigurationResponse,
    ListEncoderConfigurationsRequest, ListEncoderConfigurationsResponse, Video,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs_realtime::EncoderConfiguration as Record;
use crate::store::{RegionState, page};

/// ListEncoderConfigurations' page size when the caller gives none (model doc: 100).
const DEFAULT_MAX_RESULTS: i32 = 100;
/// Encoder configurations per account and region: AWS's default, adjustable there (the
/// real-time service quotas page).
pub const QUOTA: usize = 20;
/// The largest frame, in pixels: 1920x1080 or 1080x1920 (model doc of `width`/`height`).
const MAX_PIXELS: i64 = 2_073_600;

pub fn create_encoder_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateEncoderConfigurationRequest,
) -> Result<CreateEncoderConfigurationResponse, ApiError> {
    let requested = input.video.unwrap_or_default();
    let video = Video {
        width: Some(requested.width.unwrap_or(1280)),
        height: Some(requested.height.unwrap_or(720)),
        framerate: Some(requested.framerate.unwrap_or(30.0)),
        bitrate: Some(requested.bitrate.unwrap_or(2_500_000)),
    };
    check_video(&video)?;
    if st.realtime.encoder_configurations.len() >= QUOTA {
        return Err(ApiError::quota_exceeded(format!(
            "The account already has {QUOTA} encoder configurations in this region, the maximum."
        )));
    }
    let id = st.ids.resource_id();
    let record = Record {
        id: id.clone(),
        arn: st.arn(ResourceType::EncoderConfiguration, &id).to_string(),
        name: input.name.unwrap_or_default(),
        video,
        tags: input.tags.unwrap_or_default(),
    };
    let output = to_api(&record);
    st.realtime.encoder_configurations.insert(id, record);
    Ok(CreateEncoderConfigurationResponse { encoder_configuration: Some(output) })
}

pub fn get_encoder_configuration(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetEncoderConfigurationRequest,
) -> Result<GetEncoderConfigurationResponse, ApiError> {
    Ok(GetEncoderConfigurationResponse {
        encoder_configuration: Some(to_api(find(st, &input.arn)?)),
    })
}

pub fn list_encoder_configurations(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListEncoderConfigurationsRequest,
) -> Result<ListEncoderConfigurationsResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.realtime.encoder_configurations.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |_| true);
    Ok(ListEncoderConfigurationsResponse {
        encoder_configurations: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn delete_encoder_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeleteEncoderConfigurationRequest,
) -> Result<DeleteEncoderConfigurationResponse, ApiError> {
    let current = find(st, &input.arn)?;
    let (id, arn) = (current.id.clone(), current.arn.clone());
    let used = super::running_composition_using(st, |d| {
        d.channel.as_ref().is_some_and(|c| c.encoder_configuration_arn.as_deref() == Some(&arn))
            || d.s3.as_ref().is_some_and(|s3| s3.encoder_configuration_arns.contains(&arn))
    });
    if let Some(composition) = used {
        return Err(ApiError::conflict(format!(
            "Encoder configuration {arn} is used by composition {composition}."
        )));
    }
    st.realtime.encoder_configurations.remove(&id);
    Ok(DeleteEncoderConfigurationResponse {})
}

/// The rules on a frame that the model cannot state: both dimensions even, and at most
/// [`MAX_PIXELS`] pixels.
fn check_video(video: &Video) -> Result<(), ApiError> {
    let (width, height) = (video.width.unwrap_or_default(), video.height.unwrap_or_default());
    if width % 2 != 0 || height % 2 != 0 {
        return Err(ApiError::validation(format!(
            "Video width and height must be even numbers; got {width}x{height}."
        )));
    }
    if i64::from(width) * i64::from(height) > MAX_PIXELS {
        return Err(ApiError::validation(format!(
            "Video resolution {width}x{height} exceeds the maximum of {MAX_PIXELS} pixels \
             (1920x1080 or 1080x1920)."
        )));
    }
    Ok(())
}

/// The encoder configuration an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::EncoderConfiguration)
        .and_then(|id| st.realtime.encoder_configurations.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Encoder configuration not found: {arn}")))
}

pub fn to_api(e: &Record) -> EncoderConfiguration {
    EncoderConfiguration {
        arn: e.arn.clone(),
        name: Some(e.name.clone()),
        tags: Some(e.tags.clone()),
        video: Some(e.video.clone()),
    }
}

fn summary(e: &Record) -> EncoderConfigurationSummary {
    EncoderConfigurationSummary {
        arn: e.arn.clone(),
        name: Some(e.name.clone()),
        tags: Some(e.tags.clone()),
    }
}
