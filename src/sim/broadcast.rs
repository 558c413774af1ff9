//! Broadcasts on low-latency channels: a broadcaster connecting with a stream key makes a
//! channel live, and hanging up ends the stream.
//!
//! [`go_live`] and [`go_offline`] are the one place a channel's liveness changes; the control
//! API's `/_ivs-local/broadcasts/*` routes (below), StopStream and compositions with a channel
//! destination all come through them. Each change records the EventBridge events AWS sends
//! (`IVS Stream State Change`, `IVS Recording State Change`, `IVS Stream Health Change`) in the
//! scope's event log and in the session's `truncatedEvents`, under the same lock.
//!
//! LIMITATIONS: no media flows, so nothing is written to S3 and no thumbnails exist; the
//! recording reconnect window is not applied (each broadcast is its own recording); Stream
//! Failure and Limit Breach never happen; multitrack input is not simulated.

use crate::api::types::Timestamp;
use crate::api::types::ivs::{
    AudioConfiguration, IngestConfigurations, StreamEvent, StreamHealth, VideoConfiguration,
};
use crate::server::App;
use crate::sim::{ControlError, parse_body};
use crate::store::Key;
use crate::store::ivs::{LiveStream, SessionRecording, StreamSession};
use crate::store::{RegionState, arn};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub const STREAM_STATE_CHANGE: &str = "IVS Stream State Change";
pub const RECORDING_STATE_CHANGE: &str = "IVS Recording State Change";
pub const STREAM_HEALTH_CHANGE: &str = "IVS Stream Health Change";
/// AWS documents no EventBridge event for ad breaks; ivs-local records each InsertAdBreak
/// under this type so that a test can see the break happened. No AWS rule would match it.
pub const AD_BREAK: &str = "IVS Ad Break";

/// What is sending the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An encoder with the channel's stream key, over `RTMPS`, `RTMP` or `SRT`.
    Encoder { protocol: String },
    /// A real-time composition with this ARN, publishing to the channel.
    Composition { arn: String },
}

/// How the broadcaster's stream looks, as the control API's `start` describes it.
#[derive(Debug, Clone, Default)]
pub struct Broadcast {
    pub health: Option<StreamHealth>,
    pub viewer_count: Option<i64>,
    /// One entry per video track; the defaults of a common 1080p30 encoder when empty.
    pub video: Vec<VideoConfiguration>,
    pub audio: Vec<AudioConfiguration>,
    /// The takeover priority the encoder connects with (AWS's `priority` ingest parameter).
    pub priority: Option<i64>,
}

/// Makes the channel with id `channel_id` live, or takes over the stream already live on it,
/// and answers the stream's id.
pub fn go_live(
    st: &mut RegionState,
    channel_id: &str,
    source: Source,
) -> Result<String, ControlError> {
    start(st, channel_id, source, Broadcast::default())
}

/// [`go_live`] with the broadcast's health, audience and media described.
pub fn start(
    st: &mut RegionState,
    channel_id: &str,
    source: Source,
    broadcast: Broadcast,
) -> Result<String, ControlError> {
    let Some(channel) = st.ivs.channels.get(channel_id) else {
        return Err(ControlError::not_found(format!("No channel with id {channel_id}.")));
    };
    if let Source::Encoder { protocol } = &source {
        match protocol.as_str() {
            "RTMPS" | "SRT" => {}
            // Plain RTMP reaches a channel only when it allows insecure ingest (reference 2.2).
            "RTMP" if channel.insecure_ingest => {}
            "RTMP" => {
                return Err(ControlError::forbidden(format!(
                    "Channel {} does not accept RTMP: its insecureIngest is false. Use RTMPS or SRT, \
                     or set insecureIngest on the channel.",
                    crate::api::ivs::channel::arn(st, channel)
                )));
            }
            other => {
                return Err(ControlError::bad_request(format!(
                    "protocol '{other}' is not one of RTMPS, RTMP, SRT."
                )));
            }
        }
    }
    let channel_api = crate::api::ivs::channel::to_api(st, channel);
    let recording_configuration = st
        .find_id(&channel.recording_configuration_arn, arn::ResourceType::RecordingConfiguration)
        .and_then(|id| st.ivs.recording_configurations.get(&id));
    let recording_api =
        recording_configuration.map(crate::api::ivs::recording_configuration::to_api);
    let bucket = recording_configuration
        .and_then(|r| r.destination_configuration.s3.as_ref())
        .map(|s3| s3.bucket_name.clone());

    if st.ivs.live.contains_key(channel_id) {
        return take_over(st, channel_id, broadcast);
    }
    let now = Timestamp::now();
    let stream_id = format!("st-{}", st.ids.alphanumeric(23));
    let recording = match bucket {
        Some(bucket_name) => {
            let recording_session_id = st.ids.alphanumeric(12);
            let (y, m, d, hh, mm) = civil(now);
            let key_prefix = format!(
                "ivs/v1/{}/{channel_id}/{y}/{m}/{d}/{hh}/{mm}/{recording_session_id}",
                st.scope.account
            );
            Some(SessionRecording { bucket_name, key_prefix, recording_session_id })
        }
        None => None,
    };
    let video = if broadcast.video.is_empty() { vec![default_video()] } else { broadcast.video };
    let audio = if broadcast.audio.is_empty() { vec![default_audio()] } else { broadcast.audio };
    let session = StreamSession {
        stream_id: stream_id.clone(),
        start_time: now,
        end_time: None,
        channel: channel_api,
        recording_configuration: recording_api,
        ingest_configurations: Some(IngestConfigurations {
            video_configurations: video,
            audio_configurations: audio,
        }),
        events: Vec::new(),
        recording,
    };
    let live = LiveStream {
        stream_id: stream_id.clone(),
        start_time: now,
        health: broadcast.health.unwrap_or(StreamHealth::Healthy),
        viewer_count: broadcast.viewer_count.unwrap_or(0),
        priority: broadcast.priority,
    };
    st.ivs.live.insert(channel_id.to_string(), live);
    st.ivs.channels.get_mut(channel_id).expect("checked above").sessions.push(session);

    record_stream_event(st, channel_id, "Session Created", now);
    record_stream_event(st, channel_id, "Stream Start", now);
    record_recording_event(st, channel_id, "Recording Start", now);
    Ok(stream_id)
}

/// A second encoder connecting to a live channel with its key. AWS's own GetStreamSession
/// example (aws CLI `get-stream-session`) lists `Stream Takeover` and `Stream Takeover Failure`
/// among the events of the session that was already live, after its `Session Created` and
/// `Stream Start`: the session and its stream id go on, fed by the new encoder, and viewers
/// see no break. As on AWS, a takeover needs a higher priority than the stream it replaces
/// (when either states one; 1 to 2,147,483,647) and the same media, or it fails with AWS's
/// codes, leaving the current stream live.
fn take_over(
    st: &mut RegionState,
    channel_id: &str,
    broadcast: Broadcast,
) -> Result<String, ControlError> {
    let now = Timestamp::now();
    let live = &st.ivs.live[channel_id];
    let channel = &st.ivs.channels[channel_id];
    let session = channel.sessions.last().expect("a live channel has a session");
    let priority_ok = match (live.priority, broadcast.priority) {
        (_, Some(new)) if !(1..=i64::from(i32::MAX)).contains(&new) => false,
        (Some(current), Some(new)) => new > current,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let ingest = session.ingest_configurations.as_ref();
    let media_ok = (broadcast.video.is_empty()
        || ingest.is_some_and(|i| i.video_configurations == broadcast.video))
        && (broadcast.audio.is_empty()
            || ingest.is_some_and(|i| i.audio_configurations == broadcast.audio));
    let failure = match (priority_ok, media_ok) {
        (false, _) => Some("StreamTakeoverInvalidPriority"),
        (true, false) => Some("StreamTakeoverMediaMismatch"),
        (true, true) => None,
    };
    if let Some(code) = failure {
        let message = format!(
            "Stream takeover of channel {} refused ({code}): a takeover needs a priority higher \
             than the live stream's and the same media.",
            crate::api::ivs::channel::arn(st, channel)
        );
        record(
            st,
            channel_id,
            STREAM_STATE_CHANGE,
            "Stream Takeover Failure",
            now,
            Some(code),
            |d| d,
        );
        return Err(ControlError::conflict(message));
    }
    let live = st.ivs.live.get_mut(channel_id).expect("checked above");
    live.priority = broadcast.priority;
    if let Some(health) = broadcast.health {
        live.health = health;
    }
    if let Some(viewer_count) = broadcast.viewer_count {
        live.viewer_count = viewer_count.max(0);
    }
    let stream_id = live.stream_id.clone();
    record_stream_event(st, channel_id, "Stream Takeover", now);
    Ok(stream_id)
}

/// Ends the stream live on the channel with id `channel_id`, if any.
pub fn go_offline(st: &mut RegionState, channel_id: &str) -> Result<(), ControlError> {
    if st.ivs.live.contains_key(channel_id) {
        end_session(st, channel_id, Timestamp::now());
        st.ivs.live.remove(channel_id);
    }
    Ok(())
}

/// Changes the health and audience of the stream live on the channel, recording the
/// starvation events AWS sends when health moves to or from STARVING.
pub fn update(
    st: &mut RegionState,
    channel_id: &str,
    health: Option<StreamHealth>,
    viewer_count: Option<i64>,
) -> Result<(), ControlError> {
    let Some(live) = st.ivs.live.get_mut(channel_id) else {
        return Err(not_broadcasting(channel_id));
    };
    let before = live.health;
    if let Some(health) = health {
        live.health = health;
    }
    if let Some(viewer_count) = viewer_count {
        live.viewer_count = viewer_count.max(0);
    }
    let after = live.health;
    let now = Timestamp::now();
    if before != StreamHealth::Starving && after == StreamHealth::Starving {
        record(st, channel_id, STREAM_HEALTH_CHANGE, "Starvation Start", now, None, |d| d);
    } else if before == StreamHealth::Starving && after != StreamHealth::Starving {
        record(st, channel_id, STREAM_HEALTH_CHANGE, "Starvation End", now, None, |d| d);
    }
    Ok(())
}

/// Records an ad break inserted into the live stream of the channel (InsertAdBreak).
pub fn ad_break(st: &mut RegionState, channel_id: &str, ad_break_id: &str, duration_seconds: i32) {
    let detail = |mut d: Value| {
        d["ad_break_id"] = json!(ad_break_id);
        d["duration_seconds"] = json!(duration_seconds);
        d
    };
    record(st, channel_id, AD_BREAK, "Ad Break Inserted", Timestamp::now(), None, detail);
}

/// Closes the channel's current session.
fn end_session(st: &mut RegionState, channel_id: &str, now: Timestamp) {
    if let Some(session) = st.ivs.channels.get_mut(channel_id).and_then(|c| c.sessions.last_mut()) {
        session.end_time = Some(now);
    }
    // The encoder's stream ends first; the session (and its recording) close after it.
    record_stream_event(st, channel_id, "Stream End", now);
    record_recording_event(st, channel_id, "Recording End", now);
    record_stream_event(st, channel_id, "Session Ended", now);
}

fn record_stream_event(st: &mut RegionState, channel_id: &str, name: &str, time: Timestamp) {
    record(st, channel_id, STREAM_STATE_CHANGE, name, time, None, |d| d);
}

/// A recording event with the S3 location AWS documents (`recording_s3_bucket_name`,
/// `recording_s3_key_prefix`, ...), if the current session records.
fn record_recording_event(st: &mut RegionState, channel_id: &str, status: &str, time: Timestamp) {
    let Some(session) = st.ivs.channels.get(channel_id).and_then(|c| c.sessions.last()) else {
        return;
    };
    let Some(recording) = session.recording.clone() else { return };
    let stream_id = session.stream_id.clone();
    let duration_ms =
        ((time.0.as_secs_f64() - session.start_time.0.as_secs_f64()) * 1000.0).round() as i64;
    let ending = status == "Recording End";
    let detail = move |mut d: Value| {
        d["recording_status"] = json!(status);
        d["recording_status_reason"] = json!("");
        d["recording_s3_bucket_name"] = json!(recording.bucket_name);
        d["recording_s3_key_prefix"] = json!(recording.key_prefix);
        if ending {
            d["recording_duration_ms"] = json!(duration_ms);
        }
        d["recording_session_id"] = json!(recording.recording_session_id);
        d["recording_session_stream_ids"] = json!([stream_id]);
        d
    };
    record(st, channel_id, RECORDING_STATE_CHANGE, status, time, None, detail);
}

/// Appends an event to the channel's current session and to the scope's EventBridge log.
/// `detail` adds fields to the common ones (`channel_name`, `stream_id`, `event_name`).
fn record(
    st: &mut RegionState,
    channel_id: &str,
    detail_type: &str,
    name: &str,
    time: Timestamp,
    code: Option<&str>,
    detail: impl FnOnce(Value) -> Value,
) {
    let Some(channel) = st.ivs.channels.get_mut(channel_id) else { return };
    let Some(session) = channel.sessions.last_mut() else { return };
    session.events.push(StreamEvent {
        name: Some(name.to_string()),
        r#type: Some(detail_type.to_string()),
        event_time: Some(time),
        code: code.map(str::to_string),
    });
    let mut base = json!({ "channel_name": channel.name, "stream_id": session.stream_id });
    // Recording events carry the name as `recording_status` instead.
    if detail_type != RECORDING_STATE_CHANGE {
        base["event_name"] = json!(name);
    }
    let resources = vec![st.arn_of(arn::ResourceType::Channel, channel_id)];
    st.events.push(&st.scope, detail_type, time, resources, detail(base));
}

/// (year, month, day, hour, minute) in UTC, unpadded as in AWS's S3 prefixes
/// (`ivs/v1/123456789012/AsXego4U6tnj/2020/6/23/20/12/...`).
fn civil(t: Timestamp) -> (i64, u32, u32, i64, i64) {
    let secs = t.secs();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem % 3600 / 60)
}

/// What a typical OBS-style encoder sends when the control call describes no video.
fn default_video() -> VideoConfiguration {
    VideoConfiguration {
        avc_level: Some("4.1".into()),
        avc_profile: Some("Main".into()),
        codec: Some("avc1.4D4029".into()),
        encoder: Some("obs-output module (libobs version 30.0.0)".into()),
        level: Some("4.1".into()),
        profile: Some("Main".into()),
        target_bitrate: Some(6_000_000),
        target_framerate: Some(30),
        track: Some("Track0".into()),
        video_height: Some(1080),
        video_width: Some(1920),
    }
}

fn default_audio() -> AudioConfiguration {
    AudioConfiguration {
        channels: Some(2),
        codec: Some("mp4a.40.2".into()),
        sample_rate: Some(48_000),
        target_bitrate: Some(160_000),
        track: Some("Track0".into()),
    }
}

fn not_broadcasting(what: &str) -> ControlError {
    ControlError {
        status: StatusCode::NOT_FOUND,
        code: "ChannelNotBroadcasting",
        message: format!("The stream is offline for the given channel ({what})."),
    }
}

// ---- the control API: /_ivs-local/broadcasts/* ----

/// One object or a list of them (`"video": {...}` or `"video": [{...}, {...}]`).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartRequest {
    stream_key: String,
    protocol: Option<String>,
    health: Option<StreamHealth>,
    viewer_count: Option<i64>,
    video: Option<OneOrMany<VideoConfiguration>>,
    audio: Option<OneOrMany<AudioConfiguration>>,
    priority: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateRequest {
    channel_arn: String,
    health: Option<StreamHealth>,
    viewer_count: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StopRequest {
    channel_arn: Option<String>,
    stream_key: Option<String>,
}

/// `POST /_ivs-local/broadcasts/start`: a broadcaster connecting with a stream key.
pub async fn start_route(State(app): State<Arc<App>>, body: Bytes) -> Response {
    respond(start_broadcast(&app, &body))
}

/// `POST /_ivs-local/broadcasts/update`: the stream's health or audience changing.
pub async fn update_route(State(app): State<Arc<App>>, body: Bytes) -> Response {
    respond(update_broadcast(&app, &body))
}

/// `POST /_ivs-local/broadcasts/stop`: the broadcaster hanging up.
pub async fn stop_route(State(app): State<Arc<App>>, body: Bytes) -> Response {
    respond(stop_broadcast(&app, &body))
}

/// `GET /_ivs-local/broadcasts`: every live broadcast, in every account and region.
pub async fn list_route(State(app): State<Arc<App>>) -> Response {
    let mut broadcasts = Vec::new();
    for scope in app.store.all_scopes() {
        let st = scope.read();
        for (channel_id, live) in &st.ivs.live {
            if let Some(channel) = st.ivs.channels.get(channel_id) {
                let arn = crate::api::ivs::channel::arn(&st, channel);
                broadcasts.push(describe(&st, &arn, live));
            }
        }
    }
    Json(json!({ "broadcasts": broadcasts })).into_response()
}

fn respond(result: Result<Value, ControlError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}

fn describe(st: &RegionState, channel_arn: &str, live: &LiveStream) -> Value {
    json!({
        "account": st.scope.account,
        "region": st.scope.region,
        "channelArn": channel_arn,
        "streamId": live.stream_id,
        "startTime": live.start_time,
        "health": live.health,
        "viewerCount": live.viewer_count,
        "priority": live.priority,
    })
}

fn start_broadcast(app: &App, body: &[u8]) -> Result<Value, ControlError> {
    let request: StartRequest = parse_body(body)?;
    let protocol = request.protocol.unwrap_or_else(|| "RTMPS".to_string());
    if request.stream_key.starts_with("rt_") {
        let (scope, ingest_id) = find_ingest_key(app, &request.stream_key)?;
        let mut st = scope.write();
        return crate::sim::stages::ingest_connect(&mut st, &ingest_id, &protocol);
    }
    let (scope, channel_id, key_id) = find_channel_key(app, &request.stream_key)?;
    let mut st = scope.write();
    // Found under the read lock: the key may have been deleted (or its channel) since, and a
    // deleted key must not go live.
    if channel_of_key(&st, &key_id, &request.stream_key).as_ref() != Some(&channel_id) {
        return Err(unknown_channel_key());
    }
    let broadcast = Broadcast {
        health: request.health,
        viewer_count: request.viewer_count,
        video: request.video.map(OneOrMany::into_vec).unwrap_or_default(),
        audio: request.audio.map(OneOrMany::into_vec).unwrap_or_default(),
        priority: request.priority,
    };
    let stream_id = start(&mut st, &channel_id, Source::Encoder { protocol }, broadcast)?;
    let channel_arn = st.arn_of(arn::ResourceType::Channel, &channel_id);
    Ok(json!({ "channelArn": channel_arn, "streamId": stream_id }))
}

fn update_broadcast(app: &App, body: &[u8]) -> Result<Value, ControlError> {
    let request: UpdateRequest = parse_body(body)?;
    let (scope, channel_id) = find_channel(app, &request.channel_arn)?;
    let mut st = scope.write();
    update(&mut st, &channel_id, request.health, request.viewer_count)?;
    let live = &st.ivs.live[&channel_id];
    Ok(describe(&st, &request.channel_arn, live))
}

fn stop_broadcast(app: &App, body: &[u8]) -> Result<Value, ControlError> {
    let request: StopRequest = parse_body(body)?;
    let (scope, channel_id) = match (request.channel_arn, request.stream_key) {
        (Some(arn), None) => find_channel(app, &arn)?,
        (None, Some(key)) if key.starts_with("rt_") => {
            let (scope, ingest_id) = find_ingest_key(app, &key)?;
            let mut st = scope.write();
            return crate::sim::stages::ingest_disconnect(&mut st, &ingest_id);
        }
        (None, Some(key)) => {
            find_channel_key(app, &key).map(|(scope, channel, _)| (scope, channel))?
        }
        _ => {
            return Err(ControlError::bad_request("Give exactly one of channelArn and streamKey."));
        }
    };
    let mut st = scope.write();
    // Looked up under the read lock: the channel may have been deleted since.
    let Some(channel) = st.ivs.channels.get(&channel_id) else {
        return Err(ControlError::not_found(format!("No channel with id {channel_id}.")));
    };
    let Some(live) = st.ivs.live.get(&channel_id) else {
        return Err(not_broadcasting(&crate::api::ivs::channel::arn(&st, channel)));
    };
    let stream_id = live.stream_id.clone();
    go_offline(&mut st, &channel_id)?;
    let channel_arn = st.arn_of(arn::ResourceType::Channel, &channel_id);
    Ok(json!({ "channelArn": channel_arn, "streamId": stream_id }))
}

type Scope = Arc<crate::store::ScopeLock>;

/// The existing scope of (account, region), without creating one.
fn find_scope(app: &App, account: Option<&str>, region: &str) -> Vec<Scope> {
    app.store
        .all_scopes()
        .into_iter()
        .filter(|s| {
            let st = s.read();
            st.scope.region == region && account.is_none_or(|a| st.scope.account == a)
        })
        .collect()
}

/// The scope and id of the channel an ARN names.
fn find_channel(app: &App, channel_arn: &str) -> Result<(Scope, Key), ControlError> {
    let missing = || ControlError::not_found(format!("Channel not found: {channel_arn}"));
    let arn = arn::Arn::parse(channel_arn).map_err(|_| missing())?;
    if arn.resource_type != arn::ResourceType::Channel {
        return Err(missing());
    }
    let scope = find_scope(app, Some(&arn.account), &arn.region).pop().ok_or_else(missing)?;
    if !scope.read().ivs.channels.contains_key(&arn.id) {
        return Err(missing());
    }
    Ok((scope, arn.id))
}

/// The id of the channel whose stream key `key_id` has the value `key`, in this scope.
fn channel_of_key(st: &RegionState, key_id: &str, key: &str) -> Option<Key> {
    st.ivs.stream_keys.get(key_id).filter(|k| *k.value == *key).map(|k| k.channel_id.clone())
}

fn unknown_channel_key() -> ControlError {
    ControlError::not_found(
        "No channel has this stream key: it is malformed, was never issued, or its stream key \
         (or channel) was deleted.",
    )
}

/// The scope, channel id and key id of a channel stream key (`sk_{region}_{keyId}_{secret}`):
/// the key names its region but not its account, so every account in that region is searched.
fn find_channel_key(app: &App, key: &str) -> Result<(Scope, Key, String), ControlError> {
    let mut parts = key.splitn(4, '_');
    let (Some("sk"), Some(region), Some(key_id), Some(_)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unknown_channel_key());
    };
    for scope in find_scope(app, None, region) {
        let channel_id = channel_of_key(&scope.read(), key_id, key);
        if let Some(channel_id) = channel_id {
            return Ok((scope, channel_id, key_id.to_string()));
        }
    }
    Err(unknown_channel_key())
}

/// The scope and ingest-configuration id of a real-time stream key
/// (`rt_{account}_{region}_{id}_{secret}`).
fn find_ingest_key(app: &App, key: &str) -> Result<(Scope, String), ControlError> {
    let unknown = || {
        ControlError::not_found(
            "No ingest configuration has this stream key: it is malformed, was never issued, or \
             its ingest configuration was deleted.",
        )
    };
    let mut parts = key.splitn(5, '_');
    let (Some("rt"), Some(account), Some(region), Some(id), Some(_)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unknown());
    };
    let scope = find_scope(app, Some(account), region).pop().ok_or_else(unknown)?;
    let found =
        scope.read().realtime.ingest_configurations.get(id).is_some_and(|i| i.stream_key == key);
    if !found {
        return Err(unknown());
    }
    Ok((scope, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        // 2020-06-23T20:12:05Z, the date of AWS's example prefix.
        assert_eq!(civil(Timestamp::from_secs(1_592_943_125)), (2020, 6, 23, 20, 12));
        assert_eq!(civil(Timestamp::from_secs(0)), (1970, 1, 1, 0, 0));
        // A leap day.
        assert_eq!(civil(Timestamp::from_secs(1_709_208_000)), (2024, 2, 29, 12, 0));
    }
}
