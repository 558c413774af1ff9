//! The ten `AWS::IVS::*` types as Cloud Control sees them, mapped onto the IVS operations.
//!
//! A type is data ([`TypeDef`]: which IVS operation creates, reads, updates, deletes and lists
//! it, and where its resource sits in their answers) plus two generic conversions driven by
//! the type's CloudFormation schema: [`to_api`] (PascalCase properties, tags as a list of
//! `{Key, Value}`) and [`from_api`] (the other way, keeping only what the schema declares and
//! the caller may read). The IVS handlers do all the work, through `api::call`, so every rule
//! of the IVS API applies here too.

use super::schema::TypeSchema;
use crate::api::model::Operation;
use crate::api::types::ivs::Operation as Ivs;
use crate::api::types::ivs_realtime::Operation as Rt;
use serde_json::{Map, Value, json};

/// How one type maps onto its IVS operations.
pub struct TypeDef {
    pub type_name: &'static str,
    pub create: Operation,
    pub get: Operation,
    /// The operation that changes its updatable properties (other than tags), if any.
    pub update: Option<Operation>,
    pub delete: Operation,
    pub list: Operation,
    /// The member holding the resource in the create and get answers (`channel`).
    pub member: &'static str,
    /// The member that answers `create` when it differs from `member`.
    pub list_member: &'static str,
    /// ARN resource type: an identifier of another type names nothing.
    pub arn_type: &'static str,
}

const fn def(
    type_name: &'static str,
    ops: [Operation; 4],
    update: Option<Operation>,
    member: &'static str,
    list_member: &'static str,
    arn_type: &'static str,
) -> TypeDef {
    let [create, get, delete, list] = ops;
    TypeDef { type_name, create, get, update, delete, list, member, list_member, arn_type }
}

use Operation::{Ivs as I, Realtime as R};

pub static TYPES: [TypeDef; 10] = [
    def(
        "AWS::IVS::Channel",
        [I(Ivs::CreateChannel), I(Ivs::GetChannel), I(Ivs::DeleteChannel), I(Ivs::ListChannels)],
        Some(I(Ivs::UpdateChannel)),
        "channel",
        "channels",
        "channel",
    ),
    def(
        "AWS::IVS::StreamKey",
        [
            I(Ivs::CreateStreamKey),
            I(Ivs::GetStreamKey),
            I(Ivs::DeleteStreamKey),
            I(Ivs::ListStreamKeys),
        ],
        None,
        "streamKey",
        "streamKeys",
        "stream-key",
    ),
    def(
        "AWS::IVS::RecordingConfiguration",
        [
            I(Ivs::CreateRecordingConfiguration),
            I(Ivs::GetRecordingConfiguration),
            I(Ivs::DeleteRecordingConfiguration),
            I(Ivs::ListRecordingConfigurations),
        ],
        None,
        "recordingConfiguration",
        "recordingConfigurations",
        "recording-configuration",
    ),
    def(
        "AWS::IVS::PlaybackKeyPair",
        [
            I(Ivs::ImportPlaybackKeyPair),
            I(Ivs::GetPlaybackKeyPair),
            I(Ivs::DeletePlaybackKeyPair),
            I(Ivs::ListPlaybackKeyPairs),
        ],
        None,
        "keyPair",
        "keyPairs",
        "playback-key",
    ),
    def(
        "AWS::IVS::PlaybackRestrictionPolicy",
        [
            I(Ivs::CreatePlaybackRestrictionPolicy),
            I(Ivs::GetPlaybackRestrictionPolicy),
            I(Ivs::DeletePlaybackRestrictionPolicy),
            I(Ivs::ListPlaybackRestrictionPolicies),
        ],
        Some(I(Ivs::UpdatePlaybackRestrictionPolicy)),
        "playbackRestrictionPolicy",
        "playbackRestrictionPolicies",
        "playback-restriction-policy",
    ),
    def(
        "AWS::IVS::Stage",
        [R(Rt::CreateStage), R(Rt::GetStage), R(Rt::DeleteStage), R(Rt::ListStages)],
        Some(R(Rt::UpdateStage)),
        "stage",
        "stages",
        "stage",
    ),
    def(
        "AWS::IVS::StorageConfiguration",
        [
            R(Rt::CreateStorageConfiguration),
            R(Rt::GetStorageConfiguration),
            R(Rt::DeleteStorageConfiguration),
            R(Rt::ListStorageConfigurations),
        ],
        None,
        "storageConfiguration",
        "storageConfigurations",
        "storage-configuration",
    ),
    def(
        "AWS::IVS::EncoderConfiguration",
        [
            R(Rt::CreateEncoderConfiguration),
            R(Rt::GetEncoderConfiguration),
            R(Rt::DeleteEncoderConfiguration),
            R(Rt::ListEncoderConfigurations),
        ],
        None,
        "encoderConfiguration",
        "encoderConfigurations",
        "encoder-configuration",
    ),
    def(
        "AWS::IVS::PublicKey",
        [
            R(Rt::ImportPublicKey),
            R(Rt::GetPublicKey),
            R(Rt::DeletePublicKey),
            R(Rt::ListPublicKeys),
        ],
        None,
        "publicKey",
        "publicKeys",
        "public-key",
    ),
    def(
        "AWS::IVS::IngestConfiguration",
        [
            R(Rt::CreateIngestConfiguration),
            R(Rt::GetIngestConfiguration),
            R(Rt::DeleteIngestConfiguration),
            R(Rt::ListIngestConfigurations),
        ],
        Some(R(Rt::UpdateIngestConfiguration)),
        "ingestConfiguration",
        "ingestConfigurations",
        "ingest-configuration",
    ),
];

pub fn get(type_name: &str) -> Option<&'static TypeDef> {
    TYPES.iter().find(|t| t.type_name == type_name)
}

/// CloudFormation objects that the IVS API flattens into their parent: the Stage schema nests
/// `HlsConfiguration.ParticipantRecordingHlsConfiguration.TargetSegmentDurationSeconds` where
/// the API has `hlsConfiguration.targetSegmentDurationSeconds` (reference 7.5), and likewise
/// for thumbnails.
const INLINE: [&str; 2] =
    ["ParticipantRecordingHlsConfiguration", "ParticipantThumbnailConfiguration"];

/// `LatencyMode` -> `latencyMode`, `S3` -> `s3`.
fn api_name(property: &str) -> String {
    let mut chars = property.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A CloudFormation model (already valid against the schema) as the IVS API's input members.
/// Read-only properties are left out: they are answers, not requests.
pub fn to_api(schema: &TypeSchema, model: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in model {
        if schema.read_only.contains(name) {
            continue;
        }
        if name == "Tags" {
            out.insert("tags".into(), tags_to_map(value));
            continue;
        }
        let property = schema.property(name).map(|p| schema.resolve(p));
        out.insert(api_name(name), value_to_api(schema, property, value));
    }
    out
}

fn value_to_api(schema: &TypeSchema, property: Option<&Value>, value: &Value) -> Value {
    let Value::Object(object) = value else { return value.clone() };
    let mut out = Map::new();
    for (name, v) in object {
        let nested = property.and_then(|p| p["properties"].get(name)).map(|p| schema.resolve(p));
        let converted = value_to_api(schema, nested, v);
        match (INLINE.contains(&name.as_str()), converted) {
            (true, Value::Object(inner)) => out.extend(inner),
            (_, converted) => {
                out.insert(api_name(name), converted);
            }
        }
    }
    Value::Object(out)
}

/// An IVS API resource as a CloudFormation model: every property the schema declares that the
/// resource has, write-only ones excepted (Cloud Control never returns them).
pub fn from_api(schema: &TypeSchema, resource: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(properties) = schema.schema["properties"].as_object() else { return out };
    for (name, property) in properties {
        if schema.write_only.contains(name) {
            continue;
        }
        if name == "Tags" {
            if let Some(tags) = resource.get("tags") {
                out.insert(name.clone(), tags_to_list(tags));
            }
            continue;
        }
        if let Some(value) = resource.get(api_name(name)) {
            out.insert(name.clone(), value_from_api(schema, schema.resolve(property), value));
        }
    }
    out
}

fn value_from_api(schema: &TypeSchema, property: &Value, value: &Value) -> Value {
    let Some(properties) = property.get("properties").and_then(Value::as_object) else {
        return value.clone();
    };
    let mut out = Map::new();
    for (name, nested) in properties {
        let nested = schema.resolve(nested);
        if INLINE.contains(&name.as_str()) {
            out.insert(name.clone(), value_from_api(schema, nested, value));
        } else if let Some(v) = value.get(api_name(name)) {
            out.insert(name.clone(), value_from_api(schema, nested, v));
        }
    }
    Value::Object(out)
}

/// `[{"Key": k, "Value": v}, ...]` -> `{k: v}`.
fn tags_to_map(tags: &Value) -> Value {
    let map: Map<String, Value> = tags
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["Key"].as_str()?.to_string(), t["Value"].clone())))
        .collect();
    Value::Object(map)
}

/// `{k: v}` -> `[{"Key": k, "Value": v}, ...]`, in key order.
fn tags_to_list(tags: &Value) -> Value {
    let list: Vec<Value> = tags
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Value::Array(list)
}

/// The tags of a CloudFormation model, as a map.
pub fn tags_of(model: &Map<String, Value>) -> Map<String, Value> {
    match model.get("Tags").map(tags_to_map) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_nesting_maps_both_ways() {
        let schema = super::super::schema::get("AWS::IVS::Stage").unwrap();
        let model = json!({
            "Name": "s",
            "Tags": [{"Key": "a", "Value": "b"}],
            "AutoParticipantRecordingConfiguration": {
                "StorageConfigurationArn": "",
                "HlsConfiguration": {"ParticipantRecordingHlsConfiguration": {"TargetSegmentDurationSeconds": 4}},
                "ThumbnailConfiguration": {"ParticipantThumbnailConfiguration": {"RecordingMode": "INTERVAL"}},
            },
        });
        let api = to_api(schema, model.as_object().unwrap());
        assert_eq!(api["tags"], json!({"a": "b"}));
        let auto = &api["autoParticipantRecordingConfiguration"];
        assert_eq!(auto["hlsConfiguration"], json!({"targetSegmentDurationSeconds": 4}));
        assert_eq!(auto["thumbnailConfiguration"], json!({"recordingMode": "INTERVAL"}));

        let resource = json!({
            "arn": "arn:aws:ivs:us-east-1:000000000000:stage/abc",
            "name": "s",
            "endpoints": {"events": "wss://x"},
            "tags": {"a": "b"},
            "autoParticipantRecordingConfiguration": auto,
        });
        let back = from_api(schema, &resource);
        assert_eq!(
            Value::Object(back.clone())["AutoParticipantRecordingConfiguration"],
            model["AutoParticipantRecordingConfiguration"]
        );
        assert_eq!(back["Arn"], "arn:aws:ivs:us-east-1:000000000000:stage/abc");
        assert!(!back.contains_key("Endpoints"), "not in the schema");
    }
}
