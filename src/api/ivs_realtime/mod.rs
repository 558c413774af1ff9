//! Handlers of the `ivs-realtime` (real-time streaming) operations, one module per resource.

pub mod composition;
