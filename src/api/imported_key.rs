//! What ImportPlaybackKeyPair and ImportPublicKey both check before storing a key: the PEM is
//! an ECDSA P-384 public key, the same key is not imported twice in the account and region,
//! and the quota of keys is not exceeded. One rule, two operations.

use crate::error::ApiError;
use crate::tokens::{ParsedKey, parse_public_key};

/// Keys of one kind per account and region (playback key pairs: 3, which Terraform's
/// acceptance tests against AWS document; public keys: assumed the same, reference 10).
pub const QUOTA: usize = 3;

/// Parses `material` and checks it against the keys of its kind already imported (their SEC1
/// points and ARNs): 400 if it is not a P-384 public key, 409 if it is one of them (in any PEM
/// layout), 402 if there is no room for another. `noun` names the kind in messages.
pub fn admit<'a>(
    material: &str,
    existing: impl IntoIterator<Item = (&'a [u8], &'a str)>,
    noun: &str,
) -> Result<ParsedKey, ApiError> {
    let key = parse_public_key(material).map_err(|reason| {
        ApiError::validation(format!("The public key material is not valid: {reason}."))
    })?;
    let mut count = 0;
    for (sec1, arn) in existing {
        count += 1;
        // The point itself identifies the key, whatever the PEM's line breaks.
        if sec1 == key.sec1.as_slice() {
            return Err(ApiError::conflict(format!(
                "This public key is already imported as {noun} {arn}."
            )));
        }
    }
    if count >= QUOTA {
        return Err(ApiError::quota_exceeded(format!(
            "The limit of {QUOTA} {noun}s per account and region is reached; delete one before \
             importing another."
        )));
    }
    Ok(key)
}
