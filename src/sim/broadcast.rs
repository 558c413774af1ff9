//! Broadcasts on low-latency channels: a broadcaster connecting with a stream key makes a
//! channel live, and hanging up ends the stream.
//!
//! [`go_live`] and [`go_offline`] are the one place a channel's liveness changes; the control
//! API's `/_ivs-local/broadcasts/*` routes and compositions with a channel destination both
//! come through them.

use crate::api::types::Timestamp;
use crate::api::types::ivs::StreamHealth;
use crate::sim::ControlError;
use crate::store::RegionState;
use crate::store::ivs::LiveStream;

/// What is sending the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An encoder with the channel's stream key, over `RTMPS`, `RTMP` or `SRT`.
    Encoder { protocol: String },
    /// A real-time composition with this ARN, publishing to the channel.
    Composition { arn: String },
}

/// Makes the channel with id `channel_id` live, taking over a stream already live on it, and
/// answers the new stream's id.
pub fn go_live(
    st: &mut RegionState,
    channel_id: &str,
    _source: Source,
) -> Result<String, ControlError> {
    if !st.ivs.channels.contains_key(channel_id) {
        return Err(ControlError::not_found(format!("No channel with id {channel_id}.")));
    }
    let stream_id = format!("st-{}", st.ids.alphanumeric(23));
    let live = LiveStream {
        stream_id: stream_id.clone(),
        start_time: Timestamp::now(),
        health: StreamHealth::Healthy,
        viewer_count: 0,
    };
    st.ivs.live.insert(channel_id.to_string(), live);
    Ok(stream_id)
}

/// Ends the stream live on the channel with id `channel_id`, if any.
pub fn go_offline(st: &mut RegionState, channel_id: &str) -> Result<(), ControlError> {
    st.ivs.live.remove(channel_id);
    Ok(())
}
