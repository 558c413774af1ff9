//! (HTTP method, path) -> (service, operation), built from the models' `http` traits.
//!
//! Every operation path is unique across the two services except `/tags/{resourceArn}`, which
//! both have; there the resource type in the ARN picks the service (both sign as `ivs`, so the
//! credential scope cannot). A path no operation has, or a method the path does not take, is a
//! [`ProtocolError`] naming what was asked. Labels are percent-decoded here; binding them to
//! input members is `codec.rs`'s job.

use super::model::{Operation, Service};
use crate::error::{ApiError, ProtocolError};
use crate::store::arn::Arn;
use percent_encoding::percent_decode_str;
use std::sync::LazyLock;

/// The operation a request asked for, with the values of its URI labels.
#[derive(Debug, PartialEq, Eq)]
pub struct RouteMatch {
    pub operation: Operation,
    /// `(label name, percent-decoded value)`, in template order.
    pub labels: Vec<(String, String)>,
}

enum Segment {
    Literal(String),
    Label(String),
}

struct Template {
    method: String,
    segments: Vec<Segment>,
    operation: Operation,
}

struct Router {
    /// Templates without labels (all but the tag operations), by exact path. FNV, as the
    /// model's shapes: the keys are the models' own, and a look-up on every request costs a
    /// fraction of SipHash's.
    literal: fnv::FnvHashMap<String, Vec<(String, Operation)>>,
    /// Templates with labels.
    templated: Vec<Template>,
}

static ROUTER: LazyLock<Router> = LazyLock::new(|| {
    let mut router = Router { literal: Default::default(), templated: Vec::new() };
    for operation in Operation::all() {
        let http = &operation.def().http;
        let path = http.request_uri.split('?').next().unwrap_or_default();
        if path.contains('{') {
            let segments = split(path)
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(label) => Segment::Label(label.trim_end_matches('+').to_string()),
                    None => Segment::Literal(s.to_string()),
                })
                .collect();
            router.templated.push(Template { method: http.method.clone(), segments, operation });
        } else {
            router
                .literal
                .entry(path.to_string())
                .or_default()
                .push((http.method.clone(), operation));
        }
    }
    router
});

/// Builds the routing table now rather than on the first request.
pub fn init() {
    LazyLock::force(&ROUTER);
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Finds the operation for a request. `path` is the raw (still percent-encoded) URI path.
pub fn route(method: &str, path: &str) -> Result<RouteMatch, ApiError> {
    let router = &*ROUTER;
    let mut allowed: Vec<&str> = Vec::new();

    if let Some(candidates) = router.literal.get(path) {
        for (m, op) in candidates {
            if m == method {
                return Ok(RouteMatch { operation: *op, labels: Vec::new() });
            }
            allowed.push(m);
        }
    }

    let segments: Vec<&str> = split(path).collect();
    let mut matches: Vec<RouteMatch> = Vec::new();
    for template in &router.templated {
        let Some(labels) = match_template(template, &segments) else {
            continue;
        };
        if template.method == method {
            matches.push(RouteMatch { operation: template.operation, labels });
        } else {
            allowed.push(&template.method);
        }
    }
    match matches.len() {
        0 if allowed.is_empty() => Err(ApiError::protocol(
            ProtocolError::UnknownOperation,
            format!("No Amazon IVS operation matches {method} {path}"),
        )),
        0 => {
            allowed.sort_unstable();
            allowed.dedup();
            Err(ApiError::protocol(
                ProtocolError::MethodNotAllowed,
                format!("{path} does not accept {method}; it accepts {}", allowed.join(", ")),
            ))
        }
        1 => Ok(matches.pop().unwrap()),
        _ => Ok(disambiguate(matches)),
    }
}

/// Matches `segments` against a template. A final label takes the rest of the path, so an ARN
/// whose `/` a client did not percent-encode still reaches the operation.
fn match_template(template: &Template, segments: &[&str]) -> Option<Vec<(String, String)>> {
    let mut labels = Vec::new();
    let last = template.segments.len().checked_sub(1)?;
    if segments.len() < template.segments.len() {
        return None;
    }
    for (i, part) in template.segments.iter().enumerate() {
        match part {
            Segment::Literal(lit) if lit == segments[i] => {}
            Segment::Literal(_) => return None,
            Segment::Label(name) => {
                let raw = if i == last { segments[i..].join("/") } else { segments[i].to_string() };
                let value = percent_decode_str(&raw).decode_utf8_lossy().into_owned();
                labels.push((name.clone(), value));
            }
        }
    }
    (segments.len() == template.segments.len()
        || matches!(template.segments[last], Segment::Label(_)))
    .then_some(labels)
}

/// Both services have the tag operations: the ARN's resource type decides. An ARN that names
/// no known type goes to `ivs`, whose validation then rejects it.
fn disambiguate(mut matches: Vec<RouteMatch>) -> RouteMatch {
    let service = matches[0]
        .labels
        .iter()
        .find_map(|(_, value)| Arn::parse(value).ok())
        .map(|arn| arn.resource_type.service())
        .unwrap_or(Service::Ivs);
    let index = matches.iter().position(|m| m.operation.service() == service).unwrap_or(0);
    matches.swap_remove(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::model;
    use crate::api::types::{ivs, ivs_realtime};

    fn op(method: &str, path: &str) -> Operation {
        route(method, path).unwrap().operation
    }

    #[test]
    fn every_model_operation_routes_to_itself() {
        for operation in Operation::all() {
            let http = &operation.def().http;
            let path = if http.request_uri.contains('{') {
                let arn = match operation.service() {
                    Service::Ivs => {
                        "arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2FabcdABCDefgh"
                    }
                    Service::IvsRealtime => {
                        "arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Astage%2FabcdABCDefgh"
                    }
                };
                http.request_uri.replace("{resourceArn}", arn)
            } else {
                http.request_uri.clone()
            };
            assert_eq!(op(&http.method, &path), operation, "{} {}", http.method, path);
        }
        assert_eq!(
            model(Service::Ivs).operations.len() + model(Service::IvsRealtime).operations.len(),
            79
        );
    }

    #[test]
    fn tag_paths_route_by_arn_type_encoded_or_not() {
        let rt = Operation::Realtime(ivs_realtime::Operation::ListTagsForResource);
        let ivs = Operation::Ivs(ivs::Operation::ListTagsForResource);
        assert_eq!(op("GET", "/tags/arn:aws:ivs:us-east-1:000000000000:stage/abc"), rt);
        assert_eq!(op("GET", "/tags/arn:aws:ivs:us-east-1:000000000000:channel/abc"), ivs);
        assert_eq!(op("GET", "/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A000000000000%3Astage%2Fabc"), rt);
        let m =
            route("DELETE", "/tags/arn:aws:ivs:us-east-1:000000000000:composition/abc").unwrap();
        assert_eq!(m.operation, Operation::Realtime(ivs_realtime::Operation::UntagResource));
        assert_eq!(
            m.labels,
            vec![(
                "resourceArn".into(),
                "arn:aws:ivs:us-east-1:000000000000:composition/abc".into()
            )]
        );
        assert_eq!(op("POST", "/tags/not-an-arn"), Operation::Ivs(ivs::Operation::TagResource));
    }

    #[test]
    fn unknown_paths_and_methods_are_named() {
        let err = route("POST", "/NoSuchThing").unwrap_err();
        assert_eq!(err.name(), "UnknownOperationException");
        assert!(err.message.contains("POST /NoSuchThing"));
        let err = route("GET", "/CreateChannel").unwrap_err();
        assert_eq!(err.status(), 405);
        let err = route("PUT", "/tags/arn:aws:ivs:us-east-1:000000000000:channel/abc").unwrap_err();
        assert_eq!(err.status(), 405);
        assert_eq!(route("GET", "/tags").unwrap_err().status(), 404);
    }
}
