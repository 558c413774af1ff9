//! Handlers of the `ivs` (low-latency streaming) operations, one module per resource.

pub mod channel;
pub mod stream_key;
