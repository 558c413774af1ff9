//! Handlers of the `ivs` (low-latency streaming) operations, one module per resource, and
//! what they share.

pub mod ad_configuration;
pub mod channel;
pub mod playback_key_pair;
pub mod playback_restriction_policy;
pub mod recording_configuration;
pub mod stream;
pub mod stream_key;
pub mod viewer_session;

use crate::api::types::ivs::BatchError;
use crate::error::ApiError;
use std::collections::BTreeSet;

/// The BatchGet* pattern: each distinct ARN yields either its resource or a per-ARN error
/// (`{arn, code, message}`), and the call itself succeeds.
fn batch_get<T>(
    arns: Vec<String>,
    get: impl Fn(&str) -> Result<T, ApiError>,
) -> (Vec<T>, Vec<BatchError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for arn in arns {
        if !seen.insert(arn.clone()) {
            continue;
        }
        match get(&arn) {
            Ok(item) => found.push(item),
            Err(e) => errors.push(BatchError {
                arn: Some(arn),
                code: Some(e.name().to_string()),
                message: Some(e.message),
            }),
        }
    }
    (found, errors)
}
