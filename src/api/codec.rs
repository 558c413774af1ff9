//! rest-json on the wire <-> one JSON object per operation input, and typed outputs -> bodies.
//!
//! [`assemble_input`] gathers an operation's input wherever the model says each member travels
//! (JSON body, URI label, query string, header) into one JSON object, which `validate.rs`
//! then checks and serde turns into the generated input struct. Members bound elsewhere are
//! never read from the body, as AWS ignores them there.

use super::model::{Location, OperationDef, ServiceModel, Shape};
use crate::error::{ApiError, ProtocolError};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

/// The request's pieces, as the router and the server extracted them.
pub struct RawInput<'a> {
    pub labels: &'a [(String, String)],
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Builds the operation's input object. Fails with a protocol error when the body is not a
/// JSON object or is declared as something other than JSON.
pub fn assemble_input(
    model: &'static ServiceModel,
    op: &OperationDef,
    raw: &RawInput,
) -> Result<Value, ApiError> {
    let mut object = parse_body(raw.headers, raw.body)?;
    let Some(input) = &op.input else {
        return Ok(Value::Object(object));
    };
    let Shape::Structure { members, .. } = input.shape.resolve(model) else {
        return Err(ApiError::internal(format!("input of {} is not a structure", op.name)));
    };
    for (name, member) in members {
        let Some(location) = member.location else {
            continue;
        };
        object.remove(name);
        let wire = member.location_name.as_deref().unwrap_or(name);
        let target = member.shape.resolve(model);
        let value = match location {
            Location::Uri => {
                raw.labels.iter().find(|(l, _)| l == wire).map(|(_, v)| scalar(target, v))
            }
            Location::Header => {
                raw.headers.get(wire).and_then(|v| v.to_str().ok()).map(|v| scalar(target, v))
            }
            Location::Querystring => {
                let values: Vec<String> =
                    form_urlencoded::parse(raw.query.unwrap_or_default().as_bytes())
                        .filter(|(k, _)| k == wire)
                        .map(|(_, v)| v.into_owned())
                        .collect();
                match target {
                    // A query string cannot carry an empty list: no key means no member.
                    _ if values.is_empty() => None,
                    Shape::List { member: item, .. } => {
                        let item = item.shape.resolve(model);
                        Some(Value::Array(values.iter().map(|v| scalar(item, v)).collect()))
                    }
                    _ => values.first().map(|v| scalar(target, v)),
                }
            }
        };
        if let Some(value) = value {
            object.insert(name.clone(), value);
        }
    }
    Ok(Value::Object(object))
}

/// A label, query or header value as the JSON type its shape wants. A value that does not
/// parse stays a string, so validation reports it against the member.
fn scalar(shape: &Shape, text: &str) -> Value {
    let parsed = match shape {
        Shape::Integer { .. } | Shape::Long { .. } => text.parse::<i64>().ok().map(Value::from),
        Shape::Float { .. } | Shape::Double { .. } => text.parse::<f64>().ok().map(Value::from),
        Shape::Boolean {} => text.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    json_content_type(headers)?;
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::protocol(
            ProtocolError::Serialization,
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::protocol(
            ProtocolError::Serialization,
            format!("The request body is not valid JSON: {e}"),
        )),
    }
}

/// Refuses a body declared as something other than JSON (415).
pub fn json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(content_type) = headers.get(CONTENT_TYPE) else { return Ok(()) };
    if content_type == "application/json" {
        return Ok(()); // what the SDKs and the CLI send, without taking it apart
    }
    let essence =
        content_type.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim();
    if is_json(essence) {
        return Ok(());
    }
    Err(ApiError::protocol(
        ProtocolError::UnsupportedMediaType,
        format!("Content-Type '{essence}' is not supported; send the body as application/json"),
    ))
}

/// `application/json`, `application/x-amz-json-1.1`, `application/vnd.foo+json` and the
/// `text/plain` some HTTP tools default to are all read as JSON.
fn is_json(essence: &str) -> bool {
    // In any letter case, and without a lower-cased copy: this runs on every request.
    let starts = |p: &str| essence.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p));
    let ends = |p: &str| {
        let at = essence.len().wrapping_sub(p.len());
        essence.get(at..).is_some_and(|s| s.eq_ignore_ascii_case(p))
    };
    essence.is_empty()
        || essence.eq_ignore_ascii_case("application/json")
        || starts("application/x-amz-json")
        || ends("+json")
        || essence.eq_ignore_ascii_case("text/plain")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::{Operation, Service, model};
    use crate::api::types::ivs;
    use axum::http::HeaderValue;

    fn assemble(
        op: ivs::Operation,
        labels: &[(String, String)],
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        let headers = HeaderMap::new();
        let raw = RawInput { labels, query, headers: &headers, body };
        assemble_input(model(Service::Ivs), Operation::Ivs(op).def(), &raw)
    }

    #[test]
    fn labels_and_repeated_query_keys_bind_to_members() {
        let labels = [("resourceArn".to_string(), "arn:x".to_string())];
        let v =
            assemble(ivs::Operation::UntagResource, &labels, Some("tagKeys=a&tagKeys=b%20c"), b"")
                .unwrap();
        assert_eq!(v, serde_json::json!({"resourceArn": "arn:x", "tagKeys": ["a", "b c"]}));
    }

    #[test]
    fn a_body_member_bound_elsewhere_is_ignored() {
        let labels = [("resourceArn".to_string(), "arn:x".to_string())];
        let v = assemble(
            ivs::Operation::TagResource,
            &labels,
            None,
            br#"{"resourceArn":"other","tags":{}}"#,
        )
        .unwrap();
        assert_eq!(v["resourceArn"], "arn:x");
    }

    #[test]
    fn json_content_types_are_known_in_any_letter_case() {
        let declared = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            json_content_type(&headers).is_ok()
        };
        for json in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/x-amz-json-1.1",
            "application/vnd.example+JSON",
            "TEXT/PLAIN",
            "",
        ] {
            assert!(declared(json), "{json}");
        }
        for other in ["application/xml", "json", "+jso", "application/json-seq"] {
            assert!(!declared(other), "{other}");
        }
        assert!(json_content_type(&HeaderMap::new()).is_ok());
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_refused() {
        assert_eq!(
            assemble(ivs::Operation::GetChannel, &[], None, b"[1]").unwrap_err().name(),
            "SerializationException"
        );
        assert_eq!(
            assemble(ivs::Operation::GetChannel, &[], None, b"{").unwrap_err().status(),
            400
        );
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        let raw = RawInput { labels: &[], query: None, headers: &headers, body: b"a=b" };
        let op = Operation::Ivs(ivs::Operation::GetChannel).def();
        assert_eq!(assemble_input(model(Service::Ivs), op, &raw).unwrap_err().status(), 415);
    }
}
