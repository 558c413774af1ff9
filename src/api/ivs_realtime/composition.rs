//! Compositions: StartComposition, GetComposition, ListCompositions, StopComposition, and
//! [`stop`] for whoever else ends one (a deleted stage).
//!
//! A composition mixes a stage into one video and sends it to at most one channel and one S3
//! bucket. Nothing is rendered here: the record goes ACTIVE at once (the start call answers
//! STARTING, DESIGN.md's rule for time-dependent states), a channel destination goes live
//! through `sim::broadcast`, and the state changes are logged as EventBridge events. This
//! module must not change channels or stages other than through `sim::broadcast`.
//!
//! LIMITATIONS: no composition stops by itself (AWS stops one a minute after the stage has
//! no publisher, and after 24 hours); stopped compositions stay listed (AWS forgets them
//! after about five minutes); destinations never go RECONNECTING or FAILED.

use crate::api::types::Timestamp;
use crate::api::types::ivs_realtime::{
    ChannelDestinationConfiguration, Composition, CompositionRecordingHlsConfiguration,
    CompositionState, CompositionSummary, CompositionThumbnailConfiguration, Destination,
    DestinationConfiguration, DestinationDetail, DestinationState, DestinationSummary,
    GetCompositionRequest, GetCompositionResponse, GridConfiguration, LayoutConfiguration,
    ListCompositionsRequest, ListCompositionsResponse, PipBehavior, PipConfiguration, PipPosition,
    RecordingConfiguration, RecordingConfigurationFormat, S3DestinationConfiguration, S3Detail,
    StartCompositionRequest, StartCompositionResponse, StopCompositionRequest,
    StopCompositionResponse, ThumbnailStorageType, VideoAspectRatio, VideoFillMode,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::sim::broadcast::{self, Source};
use crate::store::Key;
use crate::store::arn::ResourceType;
use crate::store::ivs_realtime::CompositionRecord as Record;
use crate::store::{RegionState, page};
use serde::{Serialize, Serializer};
use serde_json::json;

/// ListCompositions' page size when the caller gives none (reference 4: 100).
const DEFAULT_MAX_RESULTS: i32 = 100;
/// The EventBridge `detail-type` of every composition event.
const EVENT_TYPE: &str = "IVS Composition State Change";

pub fn start_composition(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: StartCompositionRequest,
) -> Result<WithGridFill<StartCompositionResponse>, ApiError> {
    check_exists(st, &input.stage_arn, ResourceType::Stage)?;

    // A retry with the same token for the same stage answers the composition the first call
    // made. Only running ones count: a stopped composition is gone for a caller's purposes
    // (AWS forgets it within minutes), so reusing a fixed token later starts a new one.
    if let Some(token) = &input.idempotency_token
        && let Some(existing) = st.realtime.compositions.values().find(|c| {
            c.idempotency_token.as_ref() == Some(token)
                && c.composition.stage_arn == input.stage_arn
                && is_running(c)
        })
    {
        let composition = Some(to_api(existing));
        return Ok(WithGridFill(StartCompositionResponse { composition }));
    }

    // Everything is checked before anything changes, so a refused start leaves no trace.
    let mut channel_id = None;
    let mut s3_count = 0;
    for destination in &input.destinations {
        match (&destination.channel, &destination.s3) {
            (Some(channel), None) => {
                if channel_id.is_some() {
                    return Err(ApiError::validation(
                        "A composition may have at most one channel destination.",
                    ));
                }
                channel_id = Some(check_channel(st, channel)?);
            }
            (None, Some(s3)) => {
                s3_count += 1;
                if s3_count > 1 {
                    return Err(ApiError::validation(
                        "A composition may have at most one S3 destination.",
                    ));
                }
                check_s3(st, s3)?;
            }
            _ => {
                return Err(ApiError::validation(
                    "Each destination must specify exactly one of channel or s3.",
                ));
            }
        }
    }
    let layout = layout_with_defaults(input.layout)?;

    let id = st.ids.resource_id();
    let arn = st.arn(ResourceType::Composition, &id).to_string();
    let now = Timestamp::now();
    let destinations = input
        .destinations
        .into_iter()
        .map(|configuration| {
            let destination_id = st.ids.resource_id();
            let detail = configuration.s3.as_ref().map(|_| DestinationDetail {
                s3: Some(S3Detail { recording_prefix: recording_prefix(st, &id, &destination_id) }),
            });
            Destination {
                configuration: destination_with_defaults(configuration),
                detail,
                end_time: None,
                id: destination_id.to_string(),
                start_time: Some(now),
                state: DestinationState::Active,
            }
        })
        .collect();
    let composition = Composition {
        arn: arn.clone(),
        destinations,
        end_time: None,
        layout,
        stage_arn: input.stage_arn,
        start_time: Some(now),
        state: CompositionState::Active,
        tags: None,
    };
    let channel_stream_id = match channel_id {
        Some(channel_id) => Some(
            broadcast::go_live(st, &channel_id, Source::Composition { arn: arn.clone() })
                .map_err(|e| ApiError::internal(e.message))?,
        ),
        None => None,
    };
    let record = Record {
        id: id.clone(),
        composition,
        idempotency_token: input.idempotency_token,
        tags: input.tags.unwrap_or_default(),
        channel_stream_id,
    };

    push_event(st, &record, "Session Start", None, now);
    for destination in &record.composition.destinations {
        push_event(st, &record, "Destination Start", Some(&destination.id), now);
    }

    // Stored ACTIVE; this call answers what AWS answers while the pipeline starts.
    let mut answer = to_api(&record);
    answer.state = CompositionState::Starting;
    for destination in &mut answer.destinations {
        destination.state = DestinationState::Starting;
        destination.start_time = None;
    }
    st.realtime.compositions.insert(id, record);
    Ok(WithGridFill(StartCompositionResponse { composition: Some(answer) }))
}

pub fn get_composition(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetCompositionRequest,
) -> Result<WithGridFill<GetCompositionResponse>, ApiError> {
    let record = find(st, &input.arn)?;
    Ok(WithGridFill(GetCompositionResponse { composition: Some(to_api(record)) }))
}

pub fn list_compositions(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListCompositionsRequest,
) -> Result<ListCompositionsResponse, ApiError> {
    let stage = input.filter_by_stage_arn.as_deref().filter(|a| !a.is_empty());
    let encoder = input.filter_by_encoder_configuration_arn.as_deref().filter(|a| !a.is_empty());
    let keep = |r: &&Record| {
        stage.is_none_or(|a| r.composition.stage_arn == a)
            && encoder.is_none_or(|a| encoder_configurations(r).any(|e| e == a))
    };
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.realtime.compositions.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, keep);
    Ok(ListCompositionsResponse {
        compositions: page.items.into_iter().map(summary).collect(),
        next_token: page.next_token,
    })
}

pub fn stop_composition(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: StopCompositionRequest,
) -> Result<StopCompositionResponse, ApiError> {
    let id = find(st, &input.arn)?.id.clone();
    // Stopping a stopped composition changes nothing and succeeds [uncertain]: AWS documents
    // no error for it, and teardown code that retries a stop must not fail.
    stop(st, &id);
    Ok(StopCompositionResponse {})
}

/// Stops the composition with id `composition_id`, if it is running: it and its destinations
/// are STOPPED with end times, its channel destination goes offline, and the Destination End
/// and Session End events are logged. What StopComposition does, and what deleting the
/// composition's stage does to it.
pub fn stop(st: &mut RegionState, composition_id: &str) {
    let Some(record) = st.realtime.compositions.get_mut(composition_id) else { return };
    if !is_running(record) {
        return;
    }
    let now = Timestamp::now();
    record.composition.state = CompositionState::Stopped;
    record.composition.end_time = Some(now);
    for destination in &mut record.composition.destinations {
        destination.state = DestinationState::Stopped;
        destination.end_time = Some(now);
    }
    let record = record.clone();

    let channel_id = record
        .composition
        .destinations
        .iter()
        .find_map(|d| d.configuration.channel.as_ref())
        .and_then(|c| st.find_id(&c.channel_arn, ResourceType::Channel));
    if let (Some(channel_id), Some(stream_id)) = (channel_id, &record.channel_stream_id) {
        let ours = st.ivs.live.get(&channel_id).is_some_and(|l| &l.stream_id == stream_id);
        if ours {
            let _ = broadcast::go_offline(st, &channel_id);
        }
    }
    for destination in &record.composition.destinations {
        push_event(st, &record, "Destination End", Some(&destination.id), now);
    }
    push_event(st, &record, "Session End", None, now);
}

/// Not yet STOPPED or FAILED.
fn is_running(record: &Record) -> bool {
    !matches!(record.composition.state, CompositionState::Stopped | CompositionState::Failed)
}

/// The encoder configurations a composition's destinations name.
fn encoder_configurations(record: &Record) -> impl Iterator<Item = &str> {
    record.composition.destinations.iter().flat_map(|d| {
        let channel = d.configuration.channel.as_ref();
        let s3 = d.configuration.s3.as_ref();
        channel.and_then(|c| c.encoder_configuration_arn.as_deref()).into_iter().chain(
            s3.into_iter().flat_map(|s| s.encoder_configuration_arns.iter().map(String::as_str)),
        )
    })
}

/// The composition an ARN names in this scope, or AWS's 404.
fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::Composition)
        .and_then(|id| st.realtime.compositions.get(&id))
        .ok_or_else(|| ApiError::not_found(format!("Composition not found: {arn}")))
}

/// A channel destination may name only existing resources of this scope, and its channel
/// must be offline (StartComposition's doc: "The channel must be offline"). Answers the
/// channel's id.
fn check_channel(
    st: &RegionState,
    channel: &ChannelDestinationConfiguration,
) -> Result<Key, ApiError> {
    let channel_id = st
        .find_id(&channel.channel_arn, ResourceType::Channel)
        .filter(|id| st.ivs.channels.contains_key(id))
        .ok_or_else(|| {
            ApiError::not_found(format!("Channel not found: {}", channel.channel_arn))
        })?;
    if let Some(encoder) = &channel.encoder_configuration_arn {
        check_exists(st, encoder, ResourceType::EncoderConfiguration)?;
    }
    if st.ivs.is_live(&channel_id) {
        return Err(ApiError::conflict(format!(
            "Channel is live and cannot be a composition destination: {}",
            channel.channel_arn
        )));
    }
    Ok(channel_id)
}

/// An S3 destination's storage and encoder configurations must exist in this scope.
fn check_s3(st: &RegionState, s3: &S3DestinationConfiguration) -> Result<(), ApiError> {
    check_exists(st, &s3.storage_configuration_arn, ResourceType::StorageConfiguration)?;
    for encoder in &s3.encoder_configuration_arns {
        check_exists(st, encoder, ResourceType::EncoderConfiguration)?;
    }
    Ok(())
}

fn check_exists(st: &RegionState, arn: &str, resource_type: ResourceType) -> Result<(), ApiError> {
    if st.exists(arn, resource_type) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("{} not found: {arn}", resource_type.noun())))
    }
}

/// The layout with AWS's defaults filled in, as the aws CLI examples of start-composition
/// show them: a grid when the request names none. `pipWidth` and `pipHeight` stay unset
/// unless given (the PiP example answers neither). A grid's unset `videoFillMode` is
/// answered `""` by [`WithGridFill`]: AWS then picks COVER or CONTAIN per tile.
fn layout_with_defaults(
    layout: Option<LayoutConfiguration>,
) -> Result<LayoutConfiguration, ApiError> {
    let layout = layout.unwrap_or_default();
    match (layout.grid, layout.pip) {
        (Some(_), Some(_)) => {
            Err(ApiError::validation("The layout may specify either grid or pip, not both."))
        }
        (None, Some(pip)) => Ok(LayoutConfiguration {
            grid: None,
            pip: Some(PipConfiguration {
                featured_participant_attribute: Some(
                    pip.featured_participant_attribute.unwrap_or_default(),
                ),
                grid_gap: Some(pip.grid_gap.unwrap_or(0)),
                omit_stopped_video: Some(pip.omit_stopped_video.unwrap_or(false)),
                participant_order_attribute: Some(
                    pip.participant_order_attribute.unwrap_or_default(),
                ),
                pip_behavior: Some(pip.pip_behavior.unwrap_or(PipBehavior::Static)),
                pip_height: pip.pip_height,
                pip_offset: Some(pip.pip_offset.unwrap_or(0)),
                pip_participant_attribute: Some(pip.pip_participant_attribute.unwrap_or_default()),
                pip_position: Some(pip.pip_position.unwrap_or(PipPosition::BottomRight)),
                pip_width: pip.pip_width,
                video_fill_mode: Some(pip.video_fill_mode.unwrap_or(VideoFillMode::Cover)),
            }),
        }),
        (grid, None) => {
            let grid = grid.unwrap_or_default();
            Ok(LayoutConfiguration {
                grid: Some(GridConfiguration {
                    featured_participant_attribute: Some(
                        grid.featured_participant_attribute.unwrap_or_default(),
                    ),
                    grid_gap: Some(grid.grid_gap.unwrap_or(2)),
                    omit_stopped_video: Some(grid.omit_stopped_video.unwrap_or(false)),
                    participant_order_attribute: Some(
                        grid.participant_order_attribute.unwrap_or_default(),
                    ),
                    video_aspect_ratio: Some(
                        grid.video_aspect_ratio.unwrap_or(VideoAspectRatio::Video),
                    ),
                    video_fill_mode: grid.video_fill_mode,
                }),
                pip: None,
            })
        }
    }
}

/// A destination's configuration as AWS echoes it: `name` `""` when not given; an S3
/// destination records HLS with 2-second segments unless told otherwise, and a thumbnail
/// configuration takes one every 60 seconds, kept SEQUENTIAL (aws CLI examples).
fn destination_with_defaults(configuration: DestinationConfiguration) -> DestinationConfiguration {
    let s3 = configuration.s3.map(|s3| {
        let recording = s3.recording_configuration.unwrap_or_default();
        let hls = recording.hls_configuration.unwrap_or_default();
        S3DestinationConfiguration {
            encoder_configuration_arns: s3.encoder_configuration_arns,
            recording_configuration: Some(RecordingConfiguration {
                format: Some(recording.format.unwrap_or(RecordingConfigurationFormat::Hls)),
                hls_configuration: Some(CompositionRecordingHlsConfiguration {
                    target_segment_duration_seconds: Some(
                        hls.target_segment_duration_seconds.unwrap_or(2),
                    ),
                }),
            }),
            storage_configuration_arn: s3.storage_configuration_arn,
            thumbnail_configurations: s3.thumbnail_configurations.map(|thumbnails| {
                thumbnails
                    .into_iter()
                    .map(|t| CompositionThumbnailConfiguration {
                        storage: Some(
                            t.storage.unwrap_or_else(|| vec![ThumbnailStorageType::Sequential]),
                        ),
                        target_interval_seconds: Some(t.target_interval_seconds.unwrap_or(60)),
                    })
                    .collect()
            }),
        }
    });
    DestinationConfiguration {
        channel: configuration.channel,
        name: Some(configuration.name.unwrap_or_default()),
        s3,
    }
}

/// Where in the bucket an S3 destination records: `{12}/{compositionId}/{destinationId}/composite`.
/// AWS's composite-recording guide shows the composition and destination ids in the second and
/// third segments; what the first one identifies is not documented [uncertain], so it is a
/// fresh 12-character id.
fn recording_prefix(st: &mut RegionState, composition_id: &str, destination_id: &str) -> String {
    format!("{}/{composition_id}/{destination_id}/composite", st.ids.resource_id())
}

/// Logs an `IVS Composition State Change` event about the composition (`resources` holds its
/// ARN). The detail carries `event_name` and the `stage_arn`, with the stage's `session_id`
/// when it has one, and the destination's `id` for destination events. AWS's guide names the
/// events; the exact detail members beyond `event_name` and `stage_arn` are [uncertain].
fn push_event(
    st: &mut RegionState,
    record: &Record,
    event_name: &str,
    destination_id: Option<&str>,
    time: Timestamp,
) {
    let stage_arn = &record.composition.stage_arn;
    let session_id = st
        .find_id(stage_arn, ResourceType::Stage)
        .and_then(|id| st.realtime.stages.get(&id))
        .and_then(|stage| stage.active_session_id.clone());
    let mut detail = json!({ "event_name": event_name, "stage_arn": stage_arn });
    if let Some(session_id) = session_id {
        detail["session_id"] = json!(session_id);
    }
    if let Some(id) = destination_id {
        detail["id"] = json!(id);
    }
    let resources = vec![record.composition.arn.clone()];
    st.events.push(&st.scope, EVENT_TYPE, time, resources, detail);
}

/// The API form of a record: the stored composition with its current tags.
fn to_api(record: &Record) -> Composition {
    Composition { tags: Some(record.tags.clone()), ..record.composition.clone() }
}

fn summary(record: &Record) -> CompositionSummary {
    let c = &record.composition;
    CompositionSummary {
        arn: c.arn.clone(),
        destinations: c
            .destinations
            .iter()
            .map(|d| DestinationSummary {
                end_time: d.end_time,
                id: d.id.clone(),
                start_time: d.start_time,
                state: d.state,
            })
            .collect(),
        end_time: c.end_time,
        stage_arn: c.stage_arn.clone(),
        start_time: c.start_time,
        state: c.state,
        tags: Some(record.tags.clone()),
    }
}

/// An answer holding a composition, with `"videoFillMode": ""` in a grid layout that left it
/// unset, as AWS answers it (aws CLI examples). The generated enum has no empty value, so the
/// record keeps `None` and the empty string is written here, on the way out.
pub struct WithGridFill<T>(pub T);

/// Written through its `Serialize`, which edits the answer as a `Value`: compositions are not
/// on any hot path.
impl<T: Serialize> crate::api::json::WriteJson for WithGridFill<T> {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), crate::api::json::Error> {
        serde_json::to_writer(out, self)
    }
}

impl<T: Serialize> Serialize for WithGridFill<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?;
        if let Some(grid) =
            value.pointer_mut("/composition/layout/grid").and_then(|g| g.as_object_mut())
        {
            grid.entry("videoFillMode").or_insert_with(|| json!(""));
        }
        value.serialize(s)
    }
}
