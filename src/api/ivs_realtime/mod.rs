//! Handlers of the `ivs-realtime` (real-time stages) operations, one module per resource.
//!
//! Stages and the participant tokens issued for them, imported public keys, and the storage,
//! encoder and ingest configurations are resources callers create here. What happens on the
//! media servers (sessions, participants, compositions) belongs to `sim::stages`; handlers
//! call its hooks where a resource change affects what is connected.

pub mod composition;
pub mod encoder_configuration;
pub mod ingest_configuration;
pub mod participant;
pub mod participant_token;
pub mod public_key;
pub mod replication;
pub mod session;
pub mod stage;
pub mod storage_configuration;

use crate::api::types::ivs_realtime::{CompositionState, DestinationConfiguration};
use crate::store::RegionState;

/// The ARN of a composition that is still running (neither STOPPED nor FAILED) and whose
/// destinations `uses` accepts: what makes a storage or encoder configuration undeletable.
fn running_composition_using(
    st: &RegionState,
    uses: impl Fn(&DestinationConfiguration) -> bool,
) -> Option<String> {
    st.realtime
        .compositions
        .values()
        .filter(|c| {
            !matches!(c.composition.state, CompositionState::Stopped | CompositionState::Failed)
        })
        .find(|c| c.composition.destinations.iter().any(|d| uses(&d.configuration)))
        .map(|c| c.composition.arn.clone())
}
