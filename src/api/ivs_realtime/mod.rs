//! Handlers of the `ivs-realtime` (real-time stages) operations, one module per resource.
//!
//! Stages and the participant tokens issued for them, imported public keys, and the storage,
//! encoder and ingest configurations are resources callers create here. What happens on the
//! media servers (sessions, participants, compositions) belongs to `sim::stages`; handlers
//! call its hooks where a resource change affects what is connected.

pub mod participant;
pub mod participant_token;
pub mod replication;
pub mod session;
pub mod stage;
