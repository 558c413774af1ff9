//! Streams and stream sessions: GetStream, ListStreams, GetStreamSession,
//! ListStreamSessions, PutMetadata, StopStream, InsertAdBreak.
//!
//! What is live is decided by `sim::broadcast` (a simulated broadcaster, or a composition);
//! these handlers read it, and StopStream and InsertAdBreak act on it through the same
//! functions. A channel that is not live answers 404 ChannelNotBroadcasting.
//!
//! LIMITATIONS: PutMetadata's payload goes nowhere (no player exists) and its rate quota (5
//! TPS per channel) is not enforced; InsertAdBreak reaches no MediaTailor.

use super::channel;
use crate::api::types::ivs::{
    GetStreamRequest, GetStreamResponse, GetStreamSessionRequest, GetStreamSessionResponse,
    IngestConfiguration, InsertAdBreakRequest, InsertAdBreakResponse, ListStreamSessionsRequest,
    ListStreamSessionsResponse, ListStreamsRequest, ListStreamsResponse, PutMetadataRequest,
    StopStreamRequest, StopStreamResponse, Stream, StreamSession, StreamSessionSummary,
    StreamState, StreamSummary,
};
use crate::context::RequestContext;
use crate::error::{ApiError, ErrorCode};
use crate::sim::broadcast;
use crate::store::ivs::{Channel as ChannelRecord, LiveStream, StreamSession as SessionRecord};
use crate::store::{RegionState, page};
use std::ops::Bound;

/// ListStreams' and ListStreamSessions' page size when the caller gives none (model: 100).
const DEFAULT_MAX_RESULTS: i32 = 100;
/// GetStreamSession answers at most this many events, newest first (model doc).
const MAX_TRUNCATED_EVENTS: usize = 500;
/// PutMetadata's payload limit (model doc: "Maximum size of the payload is 1 KB"); the
/// model's `StreamMetadata` shape states no maximum, so the handler checks it.
const MAX_METADATA_BYTES: usize = 1024;

pub fn get_stream(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetStreamRequest,
) -> Result<GetStreamResponse, ApiError> {
    let (channel, live) = live_channel(st, &input.channel_arn)?;
    let playback_url = channel::to_api(st, channel).playback_url;
    Ok(GetStreamResponse {
        stream: Some(Stream {
            channel_arn: Some(channel::arn(st, channel)),
            stream_id: Some(live.stream_id.clone()),
            playback_url,
            start_time: Some(live.start_time),
            state: Some(StreamState::Live),
            health: Some(live.health),
            viewer_count: Some(live.viewer_count),
        }),
    })
}

pub fn list_streams(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListStreamsRequest,
) -> Result<ListStreamsResponse, ApiError> {
    let health = input.filter_by.and_then(|f| f.health);
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let range = st.ivs.live.after_with_ids(page::after(input.next_token.as_deref())?);
    let entries = range.map(|(seq, channel_id, live)| (seq, (channel_id, live)));
    let page = page::collect(entries, max, |(_, live)| health.is_none_or(|h| live.health == h));
    let streams = page
        .items
        .into_iter()
        .map(|(channel_id, live)| StreamSummary {
            channel_arn: st.ivs.channels.get(channel_id).map(|c| channel::arn(st, c)),
            stream_id: Some(live.stream_id.clone()),
            start_time: Some(live.start_time),
            state: Some(StreamState::Live),
            health: Some(live.health),
            viewer_count: Some(live.viewer_count),
        })
        .collect();
    Ok(ListStreamsResponse { streams, next_token: page.next_token })
}

pub fn get_stream_session(
    _ctx: &RequestContext,
    st: &RegionState,
    input: GetStreamSessionRequest,
) -> Result<GetStreamSessionResponse, ApiError> {
    let channel = channel::find(st, &input.channel_arn)?;
    let session = match input.stream_id.as_deref().filter(|s| !s.is_empty()) {
        Some(stream_id) => {
            channel.sessions.iter().find(|s| s.stream_id == stream_id).ok_or_else(|| {
                ApiError::not_found(format!(
                    "Stream session not found: {stream_id} on {}",
                    channel::arn(st, channel)
                ))
            })?
        }
        // Without a stream id AWS answers the channel's most recent session.
        None => channel.sessions.last().ok_or_else(|| {
            ApiError::not_found(format!(
                "Channel {} has no stream sessions.",
                channel::arn(st, channel)
            ))
        })?,
    };
    Ok(GetStreamSessionResponse { stream_session: Some(session_to_api(session)) })
}

pub fn list_stream_sessions(
    _ctx: &RequestContext,
    st: &RegionState,
    input: ListStreamSessionsRequest,
) -> Result<ListStreamSessionsResponse, ApiError> {
    let channel = channel::find(st, &input.channel_arn)?;
    let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    // Newest first. Sessions are appended in time order and never removed while the channel
    // exists, so the token (the last stream id answered) pins the position.
    let newest_first = channel.sessions.iter().rev();
    let skip = match page::start(input.next_token.as_deref())?.0 {
        Bound::Excluded(after) => {
            match channel.sessions.iter().rev().position(|s| s.stream_id == after) {
                Some(i) => i + 1,
                None => {
                    return Err(ApiError::validation(
                        "The nextToken is not valid for this channel.",
                    ));
                }
            }
        }
        _ => 0,
    };
    let walk = newest_first.skip(skip).map(|s| (&s.stream_id, s));
    let page = page::collect(walk, max, |_| true);
    let stream_sessions = page
        .items
        .into_iter()
        .map(|s| StreamSessionSummary {
            stream_id: Some(s.stream_id.clone()),
            start_time: Some(s.start_time),
            end_time: s.end_time,
            has_error_event: Some(has_error_event(s)),
        })
        .collect();
    Ok(ListStreamSessionsResponse { stream_sessions, next_token: page.next_token })
}

pub fn put_metadata(
    _ctx: &RequestContext,
    st: &RegionState,
    input: PutMetadataRequest,
) -> Result<(), ApiError> {
    live_channel(st, &input.channel_arn)?;
    if input.metadata.len() > MAX_METADATA_BYTES {
        return Err(ApiError::validation(format!(
            "metadata is {} bytes; the maximum is {MAX_METADATA_BYTES} bytes.",
            input.metadata.len()
        )));
    }
    Ok(())
}

pub fn stop_stream(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: StopStreamRequest,
) -> Result<StopStreamResponse, ApiError> {
    let id = live_channel(st, &input.channel_arn)?.0.id.clone();
    // The stream key stays valid: the broadcaster may connect again (AWS pairs StopStream
    // with DeleteStreamKey to keep it out).
    broadcast::go_offline(st, &id).map_err(|e| ApiError::internal(e.message))?;
    Ok(StopStreamResponse {})
}

pub fn insert_ad_break(
    _ctx: &RequestContext,
    st: &mut RegionState,
    input: InsertAdBreakRequest,
) -> Result<InsertAdBreakResponse, ApiError> {
    let (channel, _) = live_channel(st, &input.channel_arn)?;
    // The operation "inserts an ad marker ... using the ad configuration associated with the
    // channel" (API reference) and models ConflictException: a channel with none has nothing
    // to insert ads with. [uncertain: AWS's exact error is not documented]
    if channel.ad_configuration_arn.is_empty() {
        return Err(ApiError::conflict(format!(
            "Channel {} has no ad configuration; set adConfigurationArn on it before inserting ad breaks.",
            channel::arn(st, channel)
        )));
    }
    let id = channel.id.clone();
    let ad_break_id = st.ids.alphanumeric(12);
    broadcast::ad_break(st, &id, &ad_break_id, input.duration_seconds);
    Ok(InsertAdBreakResponse { ad_break_id: Some(ad_break_id) })
}

/// The channel an ARN names and its live stream: 404 ResourceNotFoundException when there is
/// no such channel, 404 ChannelNotBroadcasting when it is offline.
fn live_channel<'a>(
    st: &'a RegionState,
    arn: &str,
) -> Result<(&'a ChannelRecord, &'a LiveStream), ApiError> {
    let channel = channel::find(st, arn)?;
    let live = st.ivs.live.get(&channel.id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ChannelNotBroadcasting,
            format!("The stream is offline for the given channel ARN: {arn}"),
        )
    })?;
    Ok((channel, live))
}

/// A session has an error event when one of its events carries an error code or reports a
/// failure (AWS's Stream Failure).
fn has_error_event(s: &SessionRecord) -> bool {
    s.events
        .iter()
        .any(|e| e.code.is_some() || e.name.as_deref().is_some_and(|n| n.ends_with("Failure")))
}

fn session_to_api(s: &SessionRecord) -> StreamSession {
    let ingest = s.ingest_configurations.clone();
    // The deprecated single-track view is the first video and audio track.
    let legacy = ingest.as_ref().map(|i| IngestConfiguration {
        video: i.video_configurations.first().cloned(),
        audio: i.audio_configurations.first().cloned(),
    });
    StreamSession {
        stream_id: Some(s.stream_id.clone()),
        start_time: Some(s.start_time),
        end_time: s.end_time,
        channel: Some(s.channel.clone()),
        recording_configuration: s.recording_configuration.clone(),
        ingest_configuration: legacy,
        ingest_configurations: ingest,
        truncated_events: Some(s.events.iter().rev().take(MAX_TRUNCATED_EVENTS).cloned().collect()),
    }
}
