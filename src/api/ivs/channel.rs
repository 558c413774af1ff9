//! Channels: CreateChannel, GetChannel, BatchGetChannel, ListChannels, UpdateChannel,
//! DeleteChannel.
//!
//! A channel is created with one stream key; derived fields (ingest endpoint, playback URL,
//! SRT endpoint) are computed from the scope's endpoint prefix in [`to_api`].
//!
//! A live channel (one `sim::broadcast` made live) cannot be updated or deleted: 409
//! ConflictException, as the operations' documentation says.
//!
//! LIMITATIONS: the channel quota (5,000 per region, adjustable in AWS) is not enforced.

use super::stream_key;
use crate::api::types::ivs::{
    BatchGetChannelRequest, BatchGetChannelResponse, Channel, ChannelLatencyMode, ChannelSummary,
    ChannelType, ContainerFormat, CreateChannelRequest, CreateChannelResponse,
    DeleteChannelRequest, GetChannelRequest, GetChannelResponse, ListChannelsRequest,
    ListChannelsResponse, MultitrackInputConfiguration, MultitrackMaximumResolution,
    MultitrackPolicy, Srt, TranscodePreset, UpdateChannelRequest, UpdateChannelResponse,
};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::ResourceType;
use crate::store::ivs::Channel as Record;
use crate::store::{RegionState, page};

/// ListChannels' page size when the caller gives none (model doc: 100).
const DEFAULT_MAX_RESULTS: i32 = 100;
/// Length of generated SRT passphrases; AWS's are long alphanumeric strings (reference 2.2).
const SRT_PASSPHRASE_LEN: usize = 69;

pub fn create_channel(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateChannelRequest,
) -> Result<CreateChannelResponse, ApiError> {
    create(st, input, true)
}

/// CreateChannel as CloudFormation's AWS::IVS::Channel does it: the channel alone, so that an
/// AWS::IVS::StreamKey can be created for it (reference 7.5). The answer has no `streamKey`.
pub fn create_channel_without_stream_key(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: CreateChannelRequest,
) -> Result<CreateChannelResponse, ApiError> {
    create(st, input, false)
}

fn create(
    st: &mut RegionState,
    input: CreateChannelRequest,
    with_stream_key: bool,
) -> Result<CreateChannelResponse, ApiError> {
    let recording_configuration_arn =
        reference(st, input.recording_configuration_arn, ResourceType::RecordingConfiguration)?
            .unwrap_or_default();
    let playback_restriction_policy_arn = reference(
        st,
        input.playback_restriction_policy_arn,
        ResourceType::PlaybackRestrictionPolicy,
    )?
    .unwrap_or_default();
    let ad_configuration_arn =
        reference(st, input.ad_configuration_arn, ResourceType::AdConfiguration)?
            .unwrap_or_default();
    let channel_type = input.r#type.unwrap_or(ChannelType::Standard);
    let container_format = input.container_format.unwrap_or(ContainerFormat::Ts);
    let preset = preset_for(channel_type, input.preset, TranscodePreset::Empty)?;
    let multitrack =
        multitrack_for(channel_type, container_format, input.multitrack_input_configuration, None)?;

    let id = st.ids.resource_id();
    let mut channel = Record {
        id: id.clone(),
        name: input.name.unwrap_or_default().into(),
        latency_mode: input.latency_mode.unwrap_or(ChannelLatencyMode::Low),
        channel_type,
        authorized: input.authorized.unwrap_or(false),
        insecure_ingest: input.insecure_ingest.unwrap_or(false),
        preset,
        container_format,
        multitrack_input_configuration: multitrack,
        recording_configuration_arn: recording_configuration_arn.into(),
        playback_restriction_policy_arn: playback_restriction_policy_arn.into(),
        ad_configuration_arn: ad_configuration_arn.into(),
        srt_passphrase: st.ids.alphanumeric(SRT_PASSPHRASE_LEN).into(),
        tags: input.tags.unwrap_or_default(),
        stream_keys: Default::default(),
        sessions: Vec::new(),
    };
    // AWS tags the channel, not the stream key it creates with it (reference 3.1).
    let key = with_stream_key.then(|| stream_key::new_record(st, &id, Default::default()));
    channel.stream_keys.extend(key.as_ref().map(|k| k.id.clone()));
    // The answer is made from the new records before they are stored, so that storing them
    // is all the lookups the table needs.
    let answer = CreateChannelResponse {
        channel: Some(to_api(st, &channel)),
        stream_key: key.as_ref().map(|k| stream_key::to_api(st, k)),
    };
    st.ivs.channels.insert(id, Box::new(channel));
    if let Some(key) = key {
        st.ivs.stream_keys.insert(key.id.clone(), Box::new(key));
    }
    Ok(answer)
}

pub fn get_channel(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetChannelRequest,
) -> Result<GetChannelResponse, ApiError> {
    let channel = find(st, &input.arn)?;
    Ok(GetChannelResponse { channel: Some(to_api(st, channel)) })
}

pub fn batch_get_channel(
    _ctx: &RequestContext,
    st: &RegionState,
    input: BatchGetChannelRequest,
) -> Result<BatchGetChannelResponse, ApiError> {
    let (channels, errors) = super::batch_get(input.arns, |arn| Ok(to_api(st, find(st, arn)?)));
    Ok(BatchGetChannelResponse { channels: Some(channels), errors: Some(errors) })
}

pub fn list_channels(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListChannelsRequest,
) -> Result<ListChannelsResponse, ApiError> {
    let filters = [
        ("filterByName", &input.filter_by_name),
        ("filterByRecordingConfigurationArn", &input.filter_by_recording_configuration_arn),
        ("filterByPlaybackRestrictionPolicyArn", &input.filter_by_playback_restriction_policy_arn),
        ("filterByAdConfigurationArn", &input.filter_by_ad_configuration_arn),
    ];
    let given: Vec<&str> =
        filters.iter().filter(|(_, v)| wanted(v).is_some()).map(|(n, _)| *n).collect();
    if given.len() > 1 {
        return Err(ApiError::conflict(format!(
            "Only one filter may be given at a time; got {}.",
            given.join(", ")
        )));
    }
    let (name, recording, policy, ad) = (
        wanted(&input.filter_by_name),
        wanted(&input.filter_by_recording_configuration_arn),
        wanted(&input.filter_by_playback_restriction_policy_arn),
        wanted(&input.filter_by_ad_configuration_arn),
    );
    let keep = |c: &Record| {
        name.is_none_or(|n| *c.name == *n)
            && recording.is_none_or(|a| *c.recording_configuration_arn == *a)
            && policy.is_none_or(|a| *c.playback_restriction_policy_arn == *a)
            && ad.is_none_or(|a| *c.ad_configuration_arn == *a)
    };
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.ivs.channels.after(page::after(input.next_token.as_deref())?);
    let page = page::collect(range, max, |c| keep(c));
    Ok(ListChannelsResponse {
        channels: page.items.into_iter().map(|c| summary(st, c)).collect(),
        next_token: page.next_token,
    })
}

pub fn update_channel(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: UpdateChannelRequest,
) -> Result<UpdateChannelResponse, ApiError> {
    let current = find(st, &input.arn)?;
    refuse_if_live(st, current, "updated")?;
    // Everything is checked before anything changes, so a refused update leaves no trace.
    let recording_configuration_arn =
        reference(st, input.recording_configuration_arn, ResourceType::RecordingConfiguration)?
            .unwrap_or_else(|| String::from(&*current.recording_configuration_arn));
    let playback_restriction_policy_arn = reference(
        st,
        input.playback_restriction_policy_arn,
        ResourceType::PlaybackRestrictionPolicy,
    )?
    .unwrap_or_else(|| String::from(&*current.playback_restriction_policy_arn));
    let ad_configuration_arn =
        reference(st, input.ad_configuration_arn, ResourceType::AdConfiguration)?
            .unwrap_or_else(|| String::from(&*current.ad_configuration_arn));
    let channel_type = input.r#type.unwrap_or(current.channel_type);
    let container_format = input.container_format.unwrap_or(current.container_format);
    let preset = preset_for(channel_type, input.preset, current.preset)?;
    let multitrack = multitrack_for(
        channel_type,
        container_format,
        input.multitrack_input_configuration,
        Some(&current.multitrack_input_configuration),
    )?;

    let id = current.id.clone();
    let channel = st.ivs.channels.get_mut(&id).expect("found above under the same lock");
    if let Some(name) = input.name {
        channel.name = name.into();
    }
    if let Some(latency_mode) = input.latency_mode {
        channel.latency_mode = latency_mode;
    }
    if let Some(authorized) = input.authorized {
        channel.authorized = authorized;
    }
    if let Some(insecure_ingest) = input.insecure_ingest {
        channel.insecure_ingest = insecure_ingest;
    }
    channel.channel_type = channel_type;
    channel.container_format = container_format;
    channel.preset = preset;
    channel.multitrack_input_configuration = multitrack;
    channel.recording_configuration_arn = recording_configuration_arn.into();
    channel.playback_restriction_policy_arn = playback_restriction_policy_arn.into();
    channel.ad_configuration_arn = ad_configuration_arn.into();
    Ok(UpdateChannelResponse { channel: Some(to_api(st, &st.ivs.channels[&id])) })
}

pub fn delete_channel(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: DeleteChannelRequest,
) -> Result<(), ApiError> {
    let current = find(st, &input.arn)?;
    refuse_if_live(st, current, "deleted")?;
    let id = current.id.clone();
    let channel = st.ivs.channels.remove(&id).expect("found above under the same lock");
    for key in &channel.stream_keys {
        st.ivs.stream_keys.remove(key);
    }
    Ok(())
}

/// "Live channels cannot be updated" / deleted (UpdateChannel and DeleteChannel docs).
fn refuse_if_live(st: &RegionState, channel: &Record, what: &str) -> Result<(), ApiError> {
    if st.ivs.is_live(&channel.id) {
        return Err(ApiError::conflict(format!(
            "Channel {} is live and cannot be {what}; stop the stream first.",
            arn(st, channel)
        )));
    }
    Ok(())
}

/// A filter that is set: an empty string filters nothing.
fn wanted(filter: &Option<String>) -> Option<&str> {
    filter.as_deref().filter(|v| !v.is_empty())
}

/// A channel's ARN.
pub fn arn(st: &RegionState, c: &Record) -> String {
    st.arn_of(ResourceType::Channel, &c.id)
}

/// The channel an ARN names in this scope, or AWS's 404.
pub fn find<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Record, ApiError> {
    st.find_id(arn, ResourceType::Channel)
        .and_then(|id| st.ivs.channels.get(&id))
        .map(|c| &**c)
        .ok_or_else(|| ApiError::not_found(format!("Channel not found: {arn}")))
}

/// A requested reference to another resource: `""` clears it; anything else must name a
/// resource of that type in this scope. `None` when the request does not mention it.
fn reference(
    st: &RegionState,
    arn: Option<String>,
    resource_type: ResourceType,
) -> Result<Option<String>, ApiError> {
    match arn {
        Some(arn) if !arn.is_empty() && !st.exists(&arn, resource_type) => {
            Err(ApiError::not_found(format!("{} not found: {arn}", resource_type.noun())))
        }
        arn => Ok(arn),
    }
}

/// The preset a channel of `channel_type` gets. Presets apply only to ADVANCED channels, which
/// default to HIGHER_BANDWIDTH_DELIVERY; other types carry `""` (reference 3.1).
fn preset_for(
    channel_type: ChannelType,
    requested: Option<TranscodePreset>,
    current: TranscodePreset,
) -> Result<TranscodePreset, ApiError> {
    let advanced = matches!(channel_type, ChannelType::AdvancedSd | ChannelType::AdvancedHd);
    match (advanced, requested) {
        (true, Some(TranscodePreset::Empty) | None) if current == TranscodePreset::Empty => {
            Ok(TranscodePreset::HigherBandwidthDelivery)
        }
        (true, Some(TranscodePreset::Empty) | None) => Ok(current),
        (true, Some(preset)) => Ok(preset),
        (false, None | Some(TranscodePreset::Empty)) => Ok(TranscodePreset::Empty),
        (false, Some(preset)) => Err(ApiError::validation(format!(
            "Preset {} can only be set on ADVANCED_SD and ADVANCED_HD channels, not {}.",
            preset.as_str(),
            channel_type.as_str()
        ))),
    }
}

/// The multitrack settings after applying `requested` over `current` (or the defaults), with
/// AWS's rules: multitrack needs a STANDARD channel with FRAGMENTED_MP4 containers.
fn multitrack_for(
    channel_type: ChannelType,
    container_format: ContainerFormat,
    requested: Option<MultitrackInputConfiguration>,
    current: Option<&MultitrackInputConfiguration>,
) -> Result<MultitrackInputConfiguration, ApiError> {
    let base = current.cloned().unwrap_or(MultitrackInputConfiguration {
        enabled: Some(false),
        maximum_resolution: Some(MultitrackMaximumResolution::FullHd),
        policy: Some(MultitrackPolicy::Allow),
    });
    let requested = requested.unwrap_or_default();
    let merged = MultitrackInputConfiguration {
        enabled: requested.enabled.or(base.enabled),
        maximum_resolution: requested.maximum_resolution.or(base.maximum_resolution),
        policy: requested.policy.or(base.policy),
    };
    if merged.enabled == Some(true) {
        if channel_type != ChannelType::Standard {
            return Err(ApiError::validation(format!(
                "Multitrack input can only be enabled on STANDARD channels, not {}.",
                channel_type.as_str()
            )));
        }
        if container_format != ContainerFormat::FragmentedMp4 {
            return Err(ApiError::validation(
                "containerFormat must be FRAGMENTED_MP4 when multitrack input is enabled.",
            ));
        }
    }
    Ok(merged)
}

/// The full channel as the API returns it, derived fields included (reference 2.2).
pub fn to_api(st: &RegionState, c: &Record) -> Channel {
    Channel {
        arn: Some(arn(st, c)),
        name: Some(String::from(&*c.name)),
        latency_mode: Some(c.latency_mode),
        r#type: Some(c.channel_type),
        authorized: Some(c.authorized),
        insecure_ingest: Some(c.insecure_ingest),
        preset: Some(c.preset),
        container_format: Some(c.container_format),
        multitrack_input_configuration: Some(c.multitrack_input_configuration.clone()),
        recording_configuration_arn: Some(String::from(&*c.recording_configuration_arn)),
        playback_restriction_policy_arn: Some(String::from(&*c.playback_restriction_policy_arn)),
        ad_configuration_arn: Some(String::from(&*c.ad_configuration_arn)),
        // The scope's parts of these are made once (`ScopeText`); `concat` is one allocation of
        // the exact size, where `format!` cost several times as much.
        ingest_endpoint: Some(st.text.ingest_endpoint.clone()),
        playback_url: Some([&st.text.playback_url_start, &*c.id, ".m3u8"].concat()),
        srt: Some(Srt {
            endpoint: Some(st.text.srt_endpoint.clone()),
            passphrase: Some(String::from(&*c.srt_passphrase)),
        }),
        tags: Some(c.tags.clone()),
    }
}

fn summary(st: &RegionState, c: &Record) -> ChannelSummary {
    ChannelSummary {
        arn: Some(arn(st, c)),
        name: Some(String::from(&*c.name)),
        latency_mode: Some(c.latency_mode),
        r#type: Some(c.channel_type),
        authorized: Some(c.authorized),
        insecure_ingest: Some(c.insecure_ingest),
        preset: Some(c.preset),
        recording_configuration_arn: Some(String::from(&*c.recording_configuration_arn)),
        playback_restriction_policy_arn: Some(String::from(&*c.playback_restriction_policy_arn)),
        ad_configuration_arn: Some(String::from(&*c.ad_configuration_arn)),
        tags: Some(c.tags.clone()),
    }
}
