//! The `ivs-realtime` tables and the records they hold.
//!
//! Stages, tokens' public keys and the storage, encoder and ingest configurations are
//! resources that callers create; stage sessions, participants and compositions are what the
//! media servers make, here played by `sim::stages`. Nested settings are kept as the generated
//! API types with every default filled in, so a record is what Get answers.

use super::table::Table;
use super::{Key, Tags};
use crate::api::types::Timestamp;
use crate::api::types::ivs_realtime::{
    AutoParticipantRecordingConfiguration, Composition, IngestConfigurationState, IngestProtocol,
    Participant, Video,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct RealtimeState {
    /// By stage id.
    pub stages: Table<Stage>,
    /// By storage-configuration id.
    pub storage_configurations: Table<StorageConfiguration>,
    /// By encoder-configuration id.
    pub encoder_configurations: Table<EncoderConfiguration>,
    /// By public-key id.
    pub public_keys: Table<PublicKey>,
    /// By ingest-configuration id.
    pub ingest_configurations: Table<IngestConfiguration>,
    /// By composition id (owned by `sim::stages`).
    pub compositions: Table<CompositionRecord>,
}

impl RealtimeState {
    pub fn counts(&self) -> [(&'static str, usize); 6] {
        [
            ("stages", self.stages.len()),
            ("storageConfigurations", self.storage_configurations.len()),
            ("encoderConfigurations", self.encoder_configurations.len()),
            ("publicKeys", self.public_keys.len()),
            ("ingestConfigurations", self.ingest_configurations.len()),
            ("compositions", self.compositions.len()),
        ]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    pub id: Key,
    pub arn: String,
    pub name: String,
    /// With AWS's defaults filled in (reference 3.8); `storageConfigurationArn` `""` when the
    /// stage does not record participants.
    pub auto_participant_recording_configuration: AutoParticipantRecordingConfiguration,
    pub tags: Tags,
    /// The session in progress, if anyone is connected (owned by `sim::stages`).
    pub active_session_id: Option<String>,
    /// Every session of the stage, oldest first (owned by `sim::stages`).
    pub sessions: Vec<StageSession>,
    /// Participant ids disconnected by DisconnectParticipant: their tokens cannot rejoin.
    pub disconnected_participants: std::collections::BTreeSet<String>,
}

/// One session of a stage: from the first participant joining to the last one leaving.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageSession {
    pub session_id: String,
    pub start_time: Timestamp,
    pub end_time: Option<Timestamp>,
    /// By participant id, in the API's shape (state, published, times, ...).
    pub participants: BTreeMap<Key, Participant>,
    /// The participant events of the session, oldest first, as ListParticipantEvents reports
    /// them (`crate::api::types::ivs_realtime::Event`), keyed by participant id.
    pub events: BTreeMap<String, Vec<crate::api::types::ivs_realtime::Event>>,
    /// What the media server knows of each participant connected now, by participant id
    /// (owned by `sim::stages`).
    pub connections: BTreeMap<String, Connection>,
    /// Replications of this session's participants to other stages, oldest first, by
    /// participant id (owned by `sim::stages`).
    pub replicas: BTreeMap<String, Vec<crate::api::types::ivs_realtime::ParticipantReplica>>,
}

/// A participant's live connection to a stage session: what its token or ingest configuration
/// allows and what it is doing now (the API's `Participant` only says what it ever did).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub allow_publish: bool,
    pub allow_subscribe: bool,
    pub publishing: bool,
    pub subscribing: bool,
    /// The ingest configuration whose encoder this participant is.
    pub ingest_configuration_id: Option<String>,
    /// For a replica: the stage id and session id of its source.
    pub replica_of: Option<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageConfiguration {
    pub id: Key,
    pub arn: String,
    pub name: String,
    pub bucket_name: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncoderConfiguration {
    pub id: Key,
    pub arn: String,
    pub name: String,
    /// With AWS's defaults filled in: 1280x720, 30 fps, 2.5 Mbps.
    pub video: Video,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: Key,
    pub arn: String,
    pub name: String,
    /// The PEM as imported; AWS returns it.
    pub public_key_material: String,
    /// The SEC1 encoding of the public point (a key imported twice is refused).
    pub public_key_sec1: Vec<u8>,
    pub fingerprint: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestConfiguration {
    pub id: Key,
    pub arn: String,
    pub name: String,
    /// `""` when attached to no stage.
    pub stage_arn: String,
    pub participant_id: String,
    pub ingest_protocol: IngestProtocol,
    pub insecure_ingest: bool,
    pub redundant_ingest: bool,
    /// `rt_{account}_{region}_{id}_{secret}`.
    pub stream_key: String,
    pub user_id: String,
    pub attributes: BTreeMap<String, String>,
    /// ACTIVE while an encoder publishes with the stream key (owned by `sim::stages`).
    pub state: IngestConfigurationState,
    pub tags: Tags,
}

/// A composition: its API form, plus what ivs-local needs to advance it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositionRecord {
    pub id: Key,
    /// As GetComposition answers it, states included.
    pub composition: Composition,
    pub idempotency_token: Option<String>,
    pub tags: Tags,
    /// The stream the composition made live on its channel destination, if it has one: on
    /// stopping, only that stream ends (an encoder may have taken the channel over since).
    pub channel_stream_id: Option<String>,
}
