//! TagResource, UntagResource and ListTagsForResource for both services.
//!
//! Both models define the three operations with the same shapes on the same paths; routing
//! picks the service by the ARN's resource type and both land here. The model's `ResourceArn`
//! pattern matches no real ARN (reference 2.1; patched out in `fixtures/model-patches.json`),
//! so the ARN is validated by parsing it. Tags live on the resource records themselves.

use crate::context::RequestContext;
use crate::error::ApiError;
use crate::store::arn::Arn;
use crate::store::{RegionState, Tags};

/// Tags per resource (model: `Tags` max 50).
const MAX_TAGS: usize = 50;

/// The prefix AWS keeps for its own tags; callers may not set keys that start with it, in any
/// letter case (AWS's tagging rules).
const RESERVED_PREFIX: &str = "aws:";

/// The input member that sets tags, in every IVS operation that sets them (the Create*
/// operations and TagResource, in both services).
pub const MEMBER: &str = "tags";

/// Refuses an input whose [`MEMBER`] uses the reserved `aws:` prefix. The models do not say
/// this, so it runs beside validation, once for every way in.
pub fn refuse_reserved_keys(input: &serde_json::Value) -> Result<(), ApiError> {
    let Some(tags) = input.get(MEMBER).and_then(|t| t.as_object()) else { return Ok(()) };
    let reserved: Vec<&str> = tags.keys().filter(|k| is_reserved(k)).map(String::as_str).collect();
    if reserved.is_empty() {
        return Ok(());
    }
    let n = reserved.len();
    let noun = if n == 1 { "error" } else { "errors" };
    let each: Vec<String> = reserved
        .iter()
        .map(|k| {
            format!(
                "Value '{k}' at 'tags' failed to satisfy constraint: Member must not use the \
                 reserved prefix '{RESERVED_PREFIX}' in a tag key"
            )
        })
        .collect();
    Err(ApiError::validation(format!("{n} validation {noun} detected: {}", each.join("; "))))
}

/// Whether a tag key uses the reserved prefix.
pub fn is_reserved(key: &str) -> bool {
    key.get(..RESERVED_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_PREFIX))
}

fn parse(arn: &str) -> Result<Arn, ApiError> {
    Arn::parse(arn).map_err(|e| {
        ApiError::validation(format!(
            "1 validation error detected: Value '{arn}' at 'resourceArn' failed to satisfy constraint: \
             Member must be an Amazon IVS resource ARN: it {}",
            e.0
        ))
    })
}

fn not_found(arn: &str) -> ApiError {
    ApiError::not_found(format!("Resource not found: {arn}"))
}

fn tags_of<'a>(st: &'a RegionState, arn: &str) -> Result<&'a Tags, ApiError> {
    st.tags(&parse(arn)?).ok_or_else(|| not_found(arn))
}

fn tags_of_mut<'a>(st: &'a mut RegionState, arn: &str) -> Result<&'a mut Tags, ApiError> {
    st.tags_mut(&parse(arn)?).ok_or_else(|| not_found(arn))
}

fn list(st: &RegionState, arn: &str) -> Result<Tags, ApiError> {
    tags_of(st, arn).cloned()
}

/// Adds or overwrites tags; refuses, changing nothing, if the result would exceed the limit.
fn tag(st: &mut RegionState, arn: &str, new: Tags) -> Result<(), ApiError> {
    let tags = tags_of_mut(st, arn)?;
    let total = tags.len() + new.keys().filter(|k| !tags.contains_key(*k)).count();
    if total > MAX_TAGS {
        return Err(ApiError::validation(format!(
            "A resource can have at most {MAX_TAGS} tags; this request would leave {total}."
        )));
    }
    tags.extend(new);
    Ok(())
}

/// Removes tags; keys the resource does not have are ignored, as in AWS.
fn untag(st: &mut RegionState, arn: &str, keys: &[String]) -> Result<(), ApiError> {
    let tags = tags_of_mut(st, arn)?;
    for key in keys {
        tags.remove(key);
    }
    Ok(())
}

/// The three handlers for one service's generated types.
macro_rules! tag_handlers {
    ($service:ident) => {
        pub mod $service {
            use super::*;
            use crate::api::types::$service::{
                ListTagsForResourceRequest, ListTagsForResourceResponse, TagResourceRequest,
                TagResourceResponse, UntagResourceRequest, UntagResourceResponse,
            };

            pub fn tag_resource(
                _ctx: &RequestContext,
                st: &mut RegionState,
                input: TagResourceRequest,
            ) -> Result<TagResourceResponse, ApiError> {
                tag(st, &input.resource_arn, input.tags).map(|()| TagResourceResponse {})
            }

            pub fn untag_resource(
                _ctx: &RequestContext,
                st: &mut RegionState,
                input: UntagResourceRequest,
            ) -> Result<UntagResourceResponse, ApiError> {
                untag(st, &input.resource_arn, &input.tag_keys).map(|()| UntagResourceResponse {})
            }

            pub fn list_tags_for_resource(
                _ctx: &RequestContext,
                st: &RegionState,
                input: ListTagsForResourceRequest,
            ) -> Result<ListTagsForResourceResponse, ApiError> {
                list(st, &input.resource_arn).map(|tags| ListTagsForResourceResponse { tags })
            }
        }
    };
}

tag_handlers!(ivs);
tag_handlers!(ivs_realtime);
