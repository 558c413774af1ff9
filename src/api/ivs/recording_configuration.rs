//! Recording configurations: CreateRecordingConfiguration, GetRecordingConfiguration,
//! ListRecordingConfigurations, DeleteRecordingConfiguration.
//!
//! Defaults (reference 3.3) are filled in at creation and stored, so every read answers them.
//! The state is CREATING in the create answer and ACTIVE from the next read on (DESIGN.md,
//! time-dependent states); the record keeps no state because nothing else can happen to it.
//!
//! LIMITATIONS: S3 is not emulated: the bucket name is stored and never checked, so the
//! CREATE_FAILED state (a bucket in another region) never occurs. The per-region quota of
//! recording configurations is not enforced.

use crate::api::types::ivs::{
    CreateRecordingConfigurationRequest, CreateRecordingConfigurationResponse,
    DeleteRecordingConfigurationRequest, GetRecordingConfigurationRequest,
    GetRecordingConfigurationResponse, ListRecordingConfigurationsRequest,
    ListRecordingConfigurationsResponse, RecordingConfiguration, RecordingConfigurationState,
    RecordingConfigurationSummary, RecordingMode, RenditionConfiguration,
    RenditionConfigurationRenditionSelection, ThumbnailConfiguration,
    ThumbnailConfigurationStorage,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs::RecordingConfiguration as Record;
use crate::store::{RegionState, page};

/// ListRecordingConfigurations' page size when the caller gives none (model doc: the quota
/// or 100, whichever is smaller).
const DEFAULT_MAX_RESULTS: i32 = 100;
/// The thumbnail interval AWS uses when none is given (reference 3.3).
const DEFAULT_THUMBNAIL_INTERVAL_SECONDS: i64 = 60;

pub fn create_recording_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateRecordingConfigurationRequest,
) -> Result<CreateRecordingConfigurationResponse, ApiError> {
    // The model leaves `s3` optional because DestinationConfiguration is a union-like
    // structure; S3 is its only member and AWS requires exactly one destination.
    if input.destination_configuration.s3.is_none() {
        return Err(ApiError::validation(
            "destinationConfiguration must name an S3 bucket (destinationConfiguration.s3.bucketName).",
        ));
    }
    let thumbnail_configuration = thumbnails(input.thumbnail_configuration)?;
    let rendition_configuration = renditions(input.rendition_configuration)?;

    let id = st.ids.resource_id();
    let record = Record {
        arn: st.arn(ResourceType::RecordingConfiguration, &id).to_string(),
        id: id.clone(),
        name: input.name.unwrap_or_default(),
        destination_configuration: input.destination_configuration,
        thumbnail_configuration,
        rendition_configuration,
        recording_reconnect_window_seconds: input.recording_reconnect_window_seconds.unwrap_or(0),
        tags: input.tags.unwrap_or_default(),
    };
    let mut answer = to_api(&record);
    // AWS answers the create while it is still setting up the bucket access; every later
    // read sees it ACTIVE (reference 3.3, CLI example).
    answer.state = RecordingConfigurationState::Creating;
    st.ivs.recording_configurations.insert(id, record);
    Ok(CreateRecordingConfigurationResponse { recording_configuration: Some(answer) })
}

pub fn get_recording_configuration(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetRecordingConfigurationRequest,
) -> Result<GetRecordingConfigurationResponse, ApiError> {
    let record = find(st, &input.arn)?;
    Ok(GetRecordingConfigurationResponse { recording_configuration: Some(to_api(record)) })
}

pub fn list_recording_configurations(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListRecordingConfigurationsRequest,
) -> Result<ListRecordingConfigurationsResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.ivs.recording_configurations.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |_| true);
    Ok(ListRecordingConfigurationsResponse {
        recording_configurations: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn delete_recording_configuration(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeleteRecordingConfigurationRequest,
) -> Result<(), ApiError> {
    let record = find(st, &input.arn)?;
    // The operation's documentation: a configuration still named by a channel cannot go.
    if let Some(channel) =
        st.ivs.channels.values().find(|c| *c.recording_configuration_arn == record.arn)
    {
        return Err(ApiError::conflict(format!(
            "Recording configuration {} is in use by channel {}; remove it from every channel first.",
            record.arn,
            super::channel::arn(st, channel)
        )));
    }
    let id = record.id.clone();
    st.ivs.recording_configurations.remove(&id);
    Ok(())
}

/// The recording configuration an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::RecordingConfiguration)
        .and_then(|id| st.ivs.recording_configurations.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Recording configuration not found: {arn}")))
}

/// The thumbnail settings with AWS's defaults, refusing what the field docs forbid: an
/// interval is configurable only with INTERVAL recording, and the storage list may not be
/// empty or repeat itself.
fn thumbnails(
    requested: Option<ThumbnailConfiguration>,
) -> Result<ThumbnailConfiguration, ApiError> {
    let requested = requested.unwrap_or_default();
    let mode = requested.recording_mode.unwrap_or(RecordingMode::Interval);
    if mode == RecordingMode::Disabled && requested.target_interval_seconds.is_some() {
        return Err(ApiError::validation(
            "thumbnailConfiguration.targetIntervalSeconds can only be set when recordingMode is INTERVAL.",
        ));
    }
    let storage =
        requested.storage.unwrap_or_else(|| vec![ThumbnailConfigurationStorage::Sequential]);
    if storage.is_empty() {
        return Err(ApiError::validation(
            "thumbnailConfiguration.storage must contain SEQUENTIAL, LATEST or both.",
        ));
    }
    if storage.len() == 2 && storage[0] == storage[1] {
        return Err(ApiError::validation("thumbnailConfiguration.storage repeats a value."));
    }
    Ok(ThumbnailConfiguration {
        recording_mode: Some(mode),
        resolution: requested.resolution,
        storage: Some(storage),
        target_interval_seconds: Some(
            requested.target_interval_seconds.unwrap_or(DEFAULT_THUMBNAIL_INTERVAL_SECONDS),
        ),
    })
}

/// The rendition settings with AWS's defaults: ALL renditions; CUSTOM needs the list of
/// renditions to record (field doc: "If CUSTOM is specified, a set of renditions must be
/// specified in the renditions field").
fn renditions(
    requested: Option<RenditionConfiguration>,
) -> Result<RenditionConfiguration, ApiError> {
    use RenditionConfigurationRenditionSelection as Selection;
    let requested = requested.unwrap_or_default();
    let selection = requested.rendition_selection.unwrap_or(Selection::All);
    let renditions = requested.renditions.unwrap_or_default();
    if selection == Selection::Custom && renditions.is_empty() {
        return Err(ApiError::validation(
            "renditionConfiguration.renditions must list at least one rendition when renditionSelection is CUSTOM.",
        ));
    }
    Ok(RenditionConfiguration {
        rendition_selection: Some(selection),
        renditions: Some(renditions),
    })
}

/// The configuration as reads answer it: ACTIVE, defaults included.
pub fn to_api(r: &Record) -> RecordingConfiguration {
    RecordingConfiguration {
        arn: r.arn.clone(),
        name: Some(r.name.clone()),
        destination_configuration: r.destination_configuration.clone(),
        state: RecordingConfigurationState::Active,
        thumbnail_configuration: Some(r.thumbnail_configuration.clone()),
        rendition_configuration: Some(r.rendition_configuration.clone()),
        recording_reconnect_window_seconds: Some(r.recording_reconnect_window_seconds),
        tags: Some(r.tags.clone()),
    }
}

fn summary(r: &Record) -> RecordingConfigurationSummary {
    RecordingConfigurationSummary {
        arn: r.arn.clone(),
        name: Some(r.name.clone()),
        destination_configuration: r.destination_configuration.clone(),
        state: RecordingConfigurationState::Active,
        tags: Some(r.tags.clone()),
    }
}
