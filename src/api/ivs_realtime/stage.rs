//! Stages: CreateStage, GetStage, ListStages, UpdateStage, DeleteStage.
//!
//! A stage is created with up to 12 participant tokens (issued by `participant_token`), with
//! its endpoints computed from the scope's stage prefix in [`endpoints`], and with its
//! `autoParticipantRecordingConfiguration` always complete: AWS fills every sub-field a caller
//! leaves out (reference 3.8). Sessions and participants belong to `sim::stages`; this module
//! only reads `active_session_id` and calls the simulation's hooks on update and delete.
//!
//! LIMITATIONS: the stage quota (1,000 per region, adjustable in AWS) is not enforced, and the
//! `events` endpoint is the global one (AWS sometimes answers a regional host).

use super::participant_token;
use crate::api::types::ivs_realtime::{
    AutoParticipantRecordingConfiguration, CreateStageRequest, CreateStageResponse,
    DeleteStageRequest, DeleteStageResponse, GetStageRequest, GetStageResponse, ListStagesRequest,
    ListStagesResponse, ParticipantRecordingHlsConfiguration, ParticipantRecordingMediaType,
    ParticipantThumbnailConfiguration, Stage, StageEndpoints, StageSummary, ThumbnailRecordingMode,
    ThumbnailStorageType, UpdateStageRequest, UpdateStageResponse,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs_realtime::Stage as Record;
use crate::store::{RegionState, page};
use std::collections::BTreeSet;

/// ListStages' page size when the caller gives none (model doc: 50).
const DEFAULT_MAX_RESULTS: i32 = 50;

pub fn create_stage(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateStageRequest,
) -> Result<CreateStageResponse, ApiError> {
    // CreateStage models no ResourceNotFoundException, so a storage configuration that does not
    // exist is refused as invalid input: an SDK could not parse a 404 into a typed error here.
    let recording = recording_configuration(input.auto_participant_recording_configuration);
    if !storage_exists(st, &recording) {
        return Err(ApiError::validation(format!(
            "Storage configuration not found: {}",
            recording.storage_configuration_arn
        )));
    }
    let id = st.ids.resource_id();
    let arn = st.arn(ResourceType::Stage, &id).to_string();
    let stage = Record {
        id: id.clone(),
        arn,
        name: input.name.unwrap_or_default(),
        auto_participant_recording_configuration: recording,
        tags: input.tags.unwrap_or_default(),
        active_session_id: None,
        sessions: Vec::new(),
        disconnected_participants: BTreeSet::new(),
    };
    st.realtime.stages.insert(id.clone(), stage);
    let participant_tokens = input
        .participant_token_configurations
        .unwrap_or_default()
        .into_iter()
        .map(|config| participant_token::issue(st, &id, config))
        .collect();
    Ok(CreateStageResponse {
        participant_tokens: Some(participant_tokens),
        stage: Some(to_api(st, &st.realtime.stages[&id])),
    })
}

pub fn get_stage(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetStageRequest,
) -> Result<GetStageResponse, ApiError> {
    Ok(GetStageResponse { stage: Some(to_api(st, find(st, &input.arn)?)) })
}

pub fn list_stages(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListStagesRequest,
) -> Result<ListStagesResponse, ApiError> {
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.realtime.stages.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |_| true);
    Ok(ListStagesResponse {
        stages: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn update_stage(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: UpdateStageRequest,
) -> Result<UpdateStageResponse, ApiError> {
    let current = find(st, &input.arn)?;
    let id = current.id.clone();
    // The object replaces the current one (its storageConfigurationArn is required), with
    // AWS's defaults for what it leaves out.
    let recording =
        input.auto_participant_recording_configuration.map(|r| recording_configuration(Some(r)));
    if let Some(recording) = &recording {
        if !storage_exists(st, recording) {
            return Err(ApiError::not_found(format!(
                "Storage configuration not found: {}",
                recording.storage_configuration_arn
            )));
        }
        if *recording != current.auto_participant_recording_configuration
            && crate::sim::stages::recording_active(st, &id)
        {
            return Err(ApiError::conflict(format!(
                "The recording configuration of stage {} cannot change while participants are \
                 being recorded.",
                current.arn
            )));
        }
    }
    let stage = st.realtime.stages.get_mut(&id).expect("found above under the same lock");
    if let Some(name) = input.name {
        stage.name = name;
    }
    if let Some(recording) = recording {
        stage.auto_participant_recording_configuration = recording;
    }
    Ok(UpdateStageResponse { stage: Some(to_api(st, &st.realtime.stages[&id])) })
}

pub fn delete_stage(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeleteStageRequest,
) -> Result<DeleteStageResponse, ApiError> {
    let current = find(st, &input.arn)?;
    let (id, arn) = (current.id.clone(), current.arn.clone());
    // Everyone is disconnected first, while the stage and its attachments still exist.
    crate::sim::stages::on_stage_deleted(st, &id);
    for ingest in st.realtime.ingest_configurations.values_mut() {
        if ingest.stage_arn == arn {
            ingest.stage_arn = String::new();
        }
    }
    st.realtime.stages.remove(&id);
    Ok(DeleteStageResponse {})
}

/// The stage an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::Stage)
        .and_then(|id| st.realtime.stages.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Stage not found: {arn}")))
}

/// The endpoints of every stage of a scope: the hosts are per account and region, not per
/// stage (reference 2.4).
pub fn endpoints(st: &RegionState) -> StageEndpoints {
    let prefix = &st.stage_endpoint_prefix;
    StageEndpoints {
        events: Some("wss://global.events.live-video.net".to_string()),
        whip: Some(format!("https://{prefix}.global-bm.whip.live-video.net")),
        rtmp: Some(format!("rtmp://{prefix}.global-contribute-staging.live-video.net/app/")),
        rtmps: Some(format!("rtmps://{prefix}.global-contribute-staging.live-video.net:443/app/")),
    }
}

/// A requested recording configuration with AWS's defaults in every sub-field left out
/// (reference 3.8). An empty `storageConfigurationArn` means no recording, and then the
/// sub-fields are reset to the defaults whatever the request said (model doc of UpdateStage).
fn recording_configuration(
    requested: Option<AutoParticipantRecordingConfiguration>,
) -> AutoParticipantRecordingConfiguration {
    let requested = requested.filter(|r| !r.storage_configuration_arn.is_empty()).unwrap_or(
        AutoParticipantRecordingConfiguration {
            hls_configuration: None,
            media_types: None,
            record_participant_replicas: None,
            recording_reconnect_window_seconds: None,
            storage_configuration_arn: String::new(),
            thumbnail_configuration: None,
        },
    );
    let thumbnail = requested.thumbnail_configuration.unwrap_or_default();
    let hls = requested.hls_configuration.unwrap_or_default();
    AutoParticipantRecordingConfiguration {
        hls_configuration: Some(ParticipantRecordingHlsConfiguration {
            target_segment_duration_seconds: hls.target_segment_duration_seconds.or(Some(6)),
        }),
        media_types: Some(
            requested
                .media_types
                .unwrap_or_else(|| vec![ParticipantRecordingMediaType::AudioVideo]),
        ),
        record_participant_replicas: requested.record_participant_replicas.or(Some(true)),
        recording_reconnect_window_seconds: requested
            .recording_reconnect_window_seconds
            .or(Some(0)),
        storage_configuration_arn: requested.storage_configuration_arn,
        thumbnail_configuration: Some(ParticipantThumbnailConfiguration {
            recording_mode: thumbnail.recording_mode.or(Some(ThumbnailRecordingMode::Disabled)),
            storage: thumbnail.storage.or_else(|| Some(vec![ThumbnailStorageType::Sequential])),
            target_interval_seconds: thumbnail.target_interval_seconds.or(Some(60)),
        }),
    }
}

/// Whether the storage configuration a recording configuration names exists (or none is named).
fn storage_exists(st: &RegionState, recording: &AutoParticipantRecordingConfiguration) -> bool {
    let arn = &recording.storage_configuration_arn;
    arn.is_empty() || st.exists(arn, ResourceType::StorageConfiguration)
}

/// The full stage as the API returns it.
pub fn to_api(st: &RegionState, s: &Record) -> Stage {
    Stage {
        active_session_id: s.active_session_id.clone(),
        arn: s.arn.clone(),
        auto_participant_recording_configuration: Some(
            s.auto_participant_recording_configuration.clone(),
        ),
        endpoints: Some(endpoints(st)),
        name: Some(s.name.clone()),
        tags: Some(s.tags.clone()),
    }
}

fn summary(s: &Record) -> StageSummary {
    StageSummary {
        active_session_id: s.active_session_id.clone(),
        arn: s.arn.clone(),
        name: Some(s.name.clone()),
        tags: Some(s.tags.clone()),
    }
}
