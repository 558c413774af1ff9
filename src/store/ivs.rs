//! The `ivs` tables and the records they hold.
//!
//! Records keep what a caller set plus what AWS generated at creation (ids, secrets); fields
//! AWS derives from them (playback URL, ingest endpoint) are computed by the handlers, in one
//! function per resource.

use super::Tags;
use crate::api::types::ivs::{
    ChannelLatencyMode, ChannelType, ContainerFormat, MultitrackInputConfiguration, TranscodePreset,
};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
pub struct IvsState {
    /// By channel id.
    pub channels: BTreeMap<String, Channel>,
    /// By stream-key id.
    pub stream_keys: BTreeMap<String, StreamKey>,
}

impl IvsState {
    pub fn counts(&self) -> [(&'static str, usize); 2] {
        [("channels", self.channels.len()), ("streamKeys", self.stream_keys.len())]
    }
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub latency_mode: ChannelLatencyMode,
    pub channel_type: ChannelType,
    pub authorized: bool,
    pub insecure_ingest: bool,
    pub preset: TranscodePreset,
    pub container_format: ContainerFormat,
    pub multitrack_input_configuration: MultitrackInputConfiguration,
    /// `""` when the channel does not record; likewise the other optional ARNs.
    pub recording_configuration_arn: String,
    pub playback_restriction_policy_arn: String,
    pub ad_configuration_arn: String,
    pub srt_passphrase: String,
    pub tags: Tags,
    /// Ids of the channel's stream keys (AWS allows one).
    pub stream_keys: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct StreamKey {
    pub id: String,
    pub arn: String,
    pub channel_id: String,
    pub channel_arn: String,
    pub value: String,
    pub tags: Tags,
}
