//! The `ivs` tables and the records they hold.
//!
//! Records keep what a caller set plus what AWS generated at creation (ids, secrets); fields
//! AWS derives from them (playback URL, ingest endpoint) are computed by the handlers, in one
//! function per resource. Nested settings are kept as the generated API types, with every
//! default already filled in, so a record is what Get answers.

use super::table::Table;
use super::{Key, Tags};
use crate::api::types::Timestamp;
use crate::api::types::ivs::{
    ChannelLatencyMode, ChannelType, ContainerFormat, DestinationConfiguration,
    MultitrackInputConfiguration, RenditionConfiguration, ThumbnailConfiguration, TranscodePreset,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct IvsState {
    /// By channel id. Channels and stream keys, the resources made by the thousand, are boxed:
    /// a tree node then holds 32-byte entries instead of whole records, so an insert moves
    /// less and a node's free slots (a third of them, on average, with random ids) cost 8
    /// bytes each instead of a record's size.
    pub channels: Table<Box<Channel>>,
    /// By stream-key id.
    pub stream_keys: Table<Box<StreamKey>>,
    /// By recording-configuration id.
    pub recording_configurations: Table<RecordingConfiguration>,
    /// By playback-key-pair id.
    pub playback_key_pairs: Table<PlaybackKeyPair>,
    /// By playback-restriction-policy id.
    pub playback_restriction_policies: Table<PlaybackRestrictionPolicy>,
    /// By ad-configuration id.
    pub ad_configurations: Table<AdConfiguration>,
    /// What is live now, by channel id (owned by `sim::broadcast`).
    pub live: Table<LiveStream>,
    /// Viewer-session revocations, by channel ARN then viewer id: the highest revoked
    /// `aws:viewer-session-version` (a token at or below it is refused).
    pub revocations: Table<BTreeMap<String, i64>>,
    /// `aws:single-use-uuid`s of viewer tokens already played, with the token's `exp` (unix
    /// seconds), so a used token is refused and an expired entry can be forgotten (owned by
    /// `sim::playback`).
    pub used_single_use_uuids: Table<i64>,
}

impl IvsState {
    pub fn counts(&self) -> [(&'static str, usize); 7] {
        [
            ("channels", self.channels.len()),
            ("streamKeys", self.stream_keys.len()),
            ("recordingConfigurations", self.recording_configurations.len()),
            ("playbackKeyPairs", self.playback_key_pairs.len()),
            ("playbackRestrictionPolicies", self.playback_restriction_policies.len()),
            ("adConfigurations", self.ad_configurations.len()),
            ("liveStreams", self.live.len()),
        ]
    }

    /// Whether the channel with this id is broadcasting now.
    pub fn is_live(&self, channel_id: &str) -> bool {
        self.live.contains_key(channel_id)
    }
}

/// A channel. Its ARN is not kept: [`RegionState::arn_of`](super::RegionState::arn_of) makes it
/// from the id. Text that never changes length is a `Box<str>`, 8 bytes smaller than a
/// `String` (memory per channel is one of ivs-local's targets, see `benches/load.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub id: Key,
    /// Inline up to 24 bytes, as most names are (the same string type as [`Key`], though a
    /// name is not one).
    pub name: compact_str::CompactString,
    pub latency_mode: ChannelLatencyMode,
    pub channel_type: ChannelType,
    pub authorized: bool,
    pub insecure_ingest: bool,
    pub preset: TranscodePreset,
    pub container_format: ContainerFormat,
    pub multitrack_input_configuration: MultitrackInputConfiguration,
    /// `""` when the channel does not record; likewise the other optional ARNs.
    pub recording_configuration_arn: Box<str>,
    pub playback_restriction_policy_arn: Box<str>,
    pub ad_configuration_arn: Box<str>,
    pub srt_passphrase: Box<str>,
    pub tags: Tags,
    /// Ids of the channel's stream keys, in order. AWS allows one, which is kept inline.
    pub stream_keys: smallvec::SmallVec<[Key; 1]>,
    /// The channel's stream sessions, oldest first (owned by `sim::broadcast`).
    pub sessions: Vec<StreamSession>,
}

/// A stream key. Its ARN and its channel's are made from the ids, not kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamKey {
    pub id: Key,
    pub channel_id: Key,
    pub value: Box<str>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingConfiguration {
    pub id: Key,
    pub arn: String,
    pub name: String,
    pub destination_configuration: DestinationConfiguration,
    /// With AWS's defaults filled in (reference 3.3).
    pub thumbnail_configuration: ThumbnailConfiguration,
    pub rendition_configuration: RenditionConfiguration,
    pub recording_reconnect_window_seconds: i32,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaybackKeyPair {
    pub id: Key,
    pub arn: String,
    pub name: String,
    /// The public key as imported (PEM), kept to verify viewer tokens.
    pub public_key_pem: String,
    /// The SEC1 encoding of the public point, which identifies the key whatever its PEM
    /// formatting (a key imported twice is refused).
    pub public_key_sec1: Vec<u8>,
    pub fingerprint: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaybackRestrictionPolicy {
    pub id: Key,
    pub arn: String,
    pub name: String,
    pub allowed_countries: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub enable_strict_origin_enforcement: bool,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdConfiguration {
    pub id: Key,
    pub arn: String,
    pub name: String,
    /// MediaTailor playback configuration ARNs, in the order given.
    pub media_tailor_playback_configuration_arns: Vec<String>,
    pub tags: Tags,
}

/// A broadcast in progress on a channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveStream {
    /// `st-` and 23 alphanumerics: the id of the session in `Channel::sessions` it belongs to.
    pub stream_id: String,
    pub start_time: Timestamp,
    /// `HEALTHY`, `STARVING` or `UNKNOWN`.
    pub health: crate::api::types::ivs::StreamHealth,
    pub viewer_count: i64,
    /// The takeover priority the broadcaster connected with, if any.
    pub priority: Option<i64>,
}

/// One stream session of a channel: from a broadcaster connecting to it going away.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamSession {
    pub stream_id: String,
    pub start_time: Timestamp,
    /// `None` while live.
    pub end_time: Option<Timestamp>,
    /// The channel as it was when the session started.
    pub channel: crate::api::types::ivs::Channel,
    /// The recording configuration the channel had then, if any.
    pub recording_configuration: Option<crate::api::types::ivs::RecordingConfiguration>,
    pub ingest_configurations: Option<crate::api::types::ivs::IngestConfigurations>,
    /// The session's events, oldest first (GetStreamSession answers the newest 500 first).
    pub events: Vec<crate::api::types::ivs::StreamEvent>,
    /// Where the session is recorded, when the channel had a recording configuration.
    pub recording: Option<SessionRecording>,
}

/// The S3 location AWS writes a recorded session to (owned by `sim::broadcast`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecording {
    pub bucket_name: String,
    /// `ivs/v1/{account}/{channelId}/{year}/{month}/{day}/{hour}/{minute}/{recordingId}`.
    pub key_prefix: String,
    pub recording_session_id: String,
}
