//! IVS ARNs: `arn:aws:ivs:{region}:{account}:{resource-type}/{id}` for every resource of both
//! services (reference 2.1). Building and parsing them lives here and nowhere else.

use crate::api::model::Service;
use std::fmt;

/// The resource types of both services, as they appear in ARNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    Channel,
    StreamKey,
    PlaybackKey,
    RecordingConfiguration,
    PlaybackRestrictionPolicy,
    AdConfiguration,
    Stage,
    StorageConfiguration,
    EncoderConfiguration,
    Composition,
    PublicKey,
    IngestConfiguration,
}

impl ResourceType {
    pub const ALL: [ResourceType; 12] = [
        ResourceType::Channel,
        ResourceType::StreamKey,
        ResourceType::PlaybackKey,
        ResourceType::RecordingConfiguration,
        ResourceType::PlaybackRestrictionPolicy,
        ResourceType::AdConfiguration,
        ResourceType::Stage,
        ResourceType::StorageConfiguration,
        ResourceType::EncoderConfiguration,
        ResourceType::Composition,
        ResourceType::PublicKey,
        ResourceType::IngestConfiguration,
    ];

    /// The word in the ARN. Playback key pairs are `playback-key`, not `playback-key-pair`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResourceType::Channel => "channel",
            ResourceType::StreamKey => "stream-key",
            ResourceType::PlaybackKey => "playback-key",
            ResourceType::RecordingConfiguration => "recording-configuration",
            ResourceType::PlaybackRestrictionPolicy => "playback-restriction-policy",
            ResourceType::AdConfiguration => "ad-configuration",
            ResourceType::Stage => "stage",
            ResourceType::StorageConfiguration => "storage-configuration",
            ResourceType::EncoderConfiguration => "encoder-configuration",
            ResourceType::Composition => "composition",
            ResourceType::PublicKey => "public-key",
            ResourceType::IngestConfiguration => "ingest-configuration",
        }
    }

    /// The resource's name in messages.
    pub const fn noun(self) -> &'static str {
        match self {
            ResourceType::Channel => "Channel",
            ResourceType::StreamKey => "Stream key",
            ResourceType::PlaybackKey => "Playback key pair",
            ResourceType::RecordingConfiguration => "Recording configuration",
            ResourceType::PlaybackRestrictionPolicy => "Playback restriction policy",
            ResourceType::AdConfiguration => "Ad configuration",
            ResourceType::Stage => "Stage",
            ResourceType::StorageConfiguration => "Storage configuration",
            ResourceType::EncoderConfiguration => "Encoder configuration",
            ResourceType::Composition => "Composition",
            ResourceType::PublicKey => "Public key",
            ResourceType::IngestConfiguration => "Ingest configuration",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The service whose API manages this resource type.
    pub fn service(self) -> Service {
        match self {
            ResourceType::Channel
            | ResourceType::StreamKey
            | ResourceType::PlaybackKey
            | ResourceType::RecordingConfiguration
            | ResourceType::PlaybackRestrictionPolicy
            | ResourceType::AdConfiguration => Service::Ivs,
            ResourceType::Stage
            | ResourceType::StorageConfiguration
            | ResourceType::EncoderConfiguration
            | ResourceType::Composition
            | ResourceType::PublicKey
            | ResourceType::IngestConfiguration => Service::IvsRealtime,
        }
    }
}

/// A parsed IVS ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub region: String,
    pub account: String,
    pub resource_type: ResourceType,
    pub id: super::Key,
}

/// Why a string is not an IVS ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnError(pub &'static str);

impl Arn {
    pub fn new(region: &str, account: &str, resource_type: ResourceType, id: &str) -> Self {
        Arn { region: region.into(), account: account.into(), resource_type, id: id.into() }
    }

    /// Parses `arn:aws:ivs:{region}:{account}:{type}/{id}`.
    pub fn parse(s: &str) -> Result<Arn, ArnError> {
        let (region, account, resource_type, id) = Arn::split(s)?;
        Ok(Arn { region: region.into(), account: account.into(), resource_type, id: id.into() })
    }

    /// [`Arn::parse`] without copying: (region, account, type, id).
    pub fn split(s: &str) -> Result<(&str, &str, ResourceType, &str), ArnError> {
        const FORM: ArnError =
            ArnError("must have the form arn:aws:ivs:<region>:<account>:<type>/<id>");
        let rest = s.strip_prefix("arn:aws:ivs:").ok_or(FORM)?;
        let (region, rest) = cut(rest, b':').ok_or(FORM)?;
        // The resource part is the rest, colons and all.
        let (account, resource) = cut(rest, b':').ok_or(FORM)?;
        if region.is_empty()
            || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ArnError("has an invalid region"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ArnError("has an invalid account id"));
        }
        let Some((kind, id)) = cut(resource, b'/') else {
            return Err(ArnError("has no resource id"));
        };
        let resource_type =
            ResourceType::parse(kind).ok_or(ArnError("names an unknown resource type"))?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ArnError("has an invalid resource id"));
        }
        Ok((region, account, resource_type, id))
    }
}

/// `s` before and after its first `byte`, an ASCII character. A byte-wise scan: `split_once`
/// with a `char` sets up a searcher that costs more than these short parts take to scan, on
/// every request that names a resource.
fn cut(s: &str, byte: u8) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == byte)?;
    Some((&s[..at], &s[at + 1..]))
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:aws:ivs:{}:{}:{}/{}",
            self.region,
            self.account,
            self.resource_type.as_str(),
            self.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let s = "arn:aws:ivs:us-west-2:123456789012:playback-key/abcd1234efgh";
        let arn = Arn::parse(s).unwrap();
        assert_eq!(arn.resource_type, ResourceType::PlaybackKey);
        assert_eq!(arn.id, "abcd1234efgh");
        assert_eq!(arn.to_string(), s);
    }

    #[test]
    fn rejects_what_is_not_an_ivs_arn() {
        for bad in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:ivs:us-west-2:123:channel/abc",
            "arn:aws:ivs:us-west-2:123456789012:widget/abc",
            "arn:aws:ivs:us-west-2:123456789012:channel/",
            "arn:aws:ivs:us-west-2:123456789012:channel",
            "arn:aws:ivs:US:123456789012:channel/abc",
            "arn:aws:ivs:ü:123456789012:channel/abc",
            "arn:aws:ivs:us-west-2:123456789012:channel/ab/c",
            "arn:aws:ivs:us-west-2:123456789012:channelé/abc",
        ] {
            assert!(Arn::parse(bad).is_err(), "{bad}");
        }
    }
}
