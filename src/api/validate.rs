//! Checks an assembled request against its input shape, as AWS's front end does before any
//! business logic runs: value types, required members, string lengths and patterns, enums,
//! number ranges, list and map sizes.
//!
//! Every violation is collected and reported in one 400 `ValidationException`, worded the way
//! AWS words them (`1 validation error detected: Value 'a b' at 'name' failed to satisfy
//! constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]*`). Handlers
//! never repeat these checks. A JSON `null` counts as an absent member.

use super::model::{ServiceModel, Shape};
use crate::error::ApiError;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::Value;

/// Validates `value` against `shape`, a shape of `model`; `Err` carries every violation found.
pub fn validate(
    model: &'static ServiceModel,
    shape: &'static Shape,
    value: &Value,
) -> Result<(), ApiError> {
    let mut v = Validator { model, errors: Vec::new() };
    v.check(shape, value, &Path::Root);
    if v.errors.is_empty() {
        return Ok(());
    }
    let n = v.errors.len();
    let noun = if n == 1 { "error" } else { "errors" };
    Err(ApiError::validation(format!("{n} validation {noun} detected: {}", v.errors.join("; "))))
}

struct Validator {
    model: &'static ServiceModel,
    errors: Vec<String>,
}

impl Validator {
    fn fail(
        &mut self,
        value: Option<&Value>,
        sensitive: bool,
        path: &Path,
        constraint: impl std::fmt::Display,
    ) {
        let shown = match value {
            None | Some(Value::Null) => "null".to_string(),
            Some(_) if sensitive => "[sensitive]".to_string(),
            Some(Value::String(s)) => format!("'{s}'"),
            Some(other) => format!("'{other}'"),
        };
        self.errors.push(format!(
            "Value {shown} at '{path}' failed to satisfy constraint: Member {constraint}"
        ));
    }

    fn check(&mut self, shape: &'static Shape, value: &Value, path: &Path) {
        let model = self.model;
        match shape {
            Shape::Structure { members, required } => {
                let Some(object) = value.as_object() else {
                    return self.fail(
                        Some(value),
                        false,
                        path,
                        "must be a structure (a JSON object)",
                    );
                };
                // Both are in name order (`serde_json::Map` is a `BTreeMap`; a test checks it),
                // so one pass over each pairs them, with one comparison per step instead of a
                // search of the object per member. Members are checked in name order, as before.
                let mut entries = object.iter().peekable();
                for (name, member) in members {
                    while entries.next_if(|(key, _)| key.as_str() < name.as_str()).is_some() {}
                    if entries.peek().is_none() && required.is_empty() {
                        break; // nothing left to check
                    }
                    match entries.next_if(|(key, _)| *key == name).map(|(_, v)| v) {
                        None | Some(Value::Null) if required.contains(name) => {
                            self.fail(None, false, &Path::Member(path, name), "must not be null")
                        }
                        None | Some(Value::Null) => {}
                        Some(v) => {
                            self.check(member.shape.resolve(model), v, &Path::Member(path, name))
                        }
                    }
                }
            }
            Shape::String { min, max, pattern, enum_values, sensitive } => {
                let Some(s) = value.as_str() else {
                    return self.fail(Some(value), *sensitive, path, "must be a string");
                };
                let len = s.chars().count() as u64;
                if let Some(min) = *min
                    && len < min
                {
                    self.fail(
                        Some(value),
                        *sensitive,
                        path,
                        format!("must have length greater than or equal to {min}"),
                    );
                }
                if let Some(max) = *max
                    && len > max
                {
                    self.fail(
                        Some(value),
                        *sensitive,
                        path,
                        format!("must have length less than or equal to {max}"),
                    );
                }
                if let Some(p) = pattern
                    && !p.is_match(s)
                {
                    self.fail(
                        Some(value),
                        *sensitive,
                        path,
                        format!("must satisfy regular expression pattern: {}", p.source),
                    );
                }
                if let Some(values) = enum_values
                    && !values.iter().any(|v| v == s)
                {
                    self.fail(
                        Some(value),
                        *sensitive,
                        path,
                        format!("must satisfy enum value set: [{}]", values.join(", ")),
                    );
                }
            }
            Shape::Integer { min, max } => {
                let (lo, hi) = (min.unwrap_or(i32::MIN as i64), max.unwrap_or(i32::MAX as i64));
                self.check_integer(value, path, lo, hi);
            }
            Shape::Long { min, max } => {
                self.check_integer(value, path, min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX));
            }
            Shape::Float { min, max } | Shape::Double { min, max } => {
                let Some(n) = value.as_f64() else {
                    return self.fail(Some(value), false, path, "must be a number");
                };
                if let Some(min) = *min
                    && n < min
                {
                    self.fail(
                        Some(value),
                        false,
                        path,
                        format!("must have value greater than or equal to {min}"),
                    );
                }
                if let Some(max) = *max
                    && n > max
                {
                    self.fail(
                        Some(value),
                        false,
                        path,
                        format!("must have value less than or equal to {max}"),
                    );
                }
            }
            Shape::Boolean {} => {
                if !value.is_boolean() {
                    self.fail(Some(value), false, path, "must be a boolean");
                }
            }
            Shape::Timestamp {} => {
                let ok =
                    value.as_str().is_some_and(|s| DateTime::from_str(s, Format::DateTime).is_ok());
                if !ok {
                    self.fail(Some(value), false, path, "must be an ISO 8601 timestamp");
                }
            }
            Shape::List { member, min, max } => {
                let Some(items) = value.as_array() else {
                    return self.fail(Some(value), false, path, "must be a list (a JSON array)");
                };
                self.check_size(value, path, items.len() as u64, *min, *max);
                for (i, item) in items.iter().enumerate() {
                    let child = Path::Item(path, i + 1);
                    if item.is_null() {
                        self.fail(None, false, &child, "must not be null");
                    } else {
                        self.check(member.shape.resolve(model), item, &child);
                    }
                }
            }
            Shape::Map { key, value: value_shape, min, max } => {
                let Some(entries) = value.as_object() else {
                    return self.fail(Some(value), false, path, "must be a map (a JSON object)");
                };
                self.check_size(value, path, entries.len() as u64, *min, *max);
                for (k, v) in entries {
                    self.check(
                        key.shape.resolve(model),
                        &Value::String(k.clone()),
                        &Path::Key(path),
                    );
                    if v.is_null() {
                        self.fail(None, false, &Path::Member(path, k), "must not be null");
                    } else {
                        self.check(value_shape.shape.resolve(model), v, &Path::Member(path, k));
                    }
                }
            }
        }
    }

    fn check_integer(&mut self, value: &Value, path: &Path, min: i64, max: i64) {
        let Some(n) = value.as_i64() else {
            let constraint = if value.is_number() && value.as_u64().is_some() {
                format!("must have value less than or equal to {max}")
            } else {
                "must be an integer".to_string()
            };
            return self.fail(Some(value), false, path, constraint);
        };
        if n < min {
            self.fail(
                Some(value),
                false,
                path,
                format!("must have value greater than or equal to {min}"),
            );
        }
        if n > max {
            self.fail(
                Some(value),
                false,
                path,
                format!("must have value less than or equal to {max}"),
            );
        }
    }

    fn check_size(
        &mut self,
        value: &Value,
        path: &Path,
        len: u64,
        min: Option<u64>,
        max: Option<u64>,
    ) {
        if let Some(min) = min
            && len < min
        {
            self.fail(
                Some(value),
                false,
                path,
                format!("must have length greater than or equal to {min}"),
            );
        }
        if let Some(max) = max
            && len > max
        {
            self.fail(
                Some(value),
                false,
                path,
                format!("must have length less than or equal to {max}"),
            );
        }
    }
}

/// Where a value is in the request, as AWS's messages name it (`tags.key`, `arns.1.member`,
/// `multitrackInputConfiguration.policy`); written out only for a message.
enum Path<'a> {
    /// The input itself.
    Root,
    /// A structure's member, or a map's value under its key.
    Member(&'a Path<'a>, &'a str),
    /// A list's item, counted from 1.
    Item(&'a Path<'a>, usize),
    /// A map's key.
    Key(&'a Path<'a>),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Member(Path::Root, name) => f.write_str(name),
            Path::Member(parent, name) => write!(f, "{parent}.{name}"),
            Path::Item(parent, n) => write!(f, "{parent}.{n}.member"),
            Path::Key(parent) => write!(f, "{parent}.key"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::{Service, model};
    use serde_json::json;

    fn check(shape: &str, value: Value) -> Result<(), String> {
        let model = model(Service::Ivs);
        validate(model, model.shape(shape), &value).map_err(|e| e.message)
    }

    #[test]
    fn accepts_a_valid_request() {
        check(
            "CreateChannelRequest",
            json!({"name": "a-b_c", "type": "BASIC", "tags": {"k": "v"}}),
        )
        .unwrap();
        check("CreateChannelRequest", json!({})).unwrap();
    }

    #[test]
    fn reports_every_violation_in_aws_words() {
        let msg = check("CreateChannelRequest", json!({"name": "a b", "latencyMode": "FAST"}))
            .unwrap_err();
        assert!(msg.starts_with("2 validation errors detected: "), "{msg}");
        assert!(msg.contains("Value 'FAST' at 'latencyMode' failed to satisfy constraint: Member must satisfy enum value set: [NORMAL, LOW]"), "{msg}");
        assert!(msg.contains("Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]*"), "{msg}");
    }

    #[test]
    fn required_null_and_types() {
        let msg = check("GetChannelRequest", json!({"arn": null})).unwrap_err();
        assert_eq!(
            msg,
            "1 validation error detected: Value null at 'arn' failed to satisfy constraint: Member must not be null"
        );
        let msg = check("ListChannelsRequest", json!({"maxResults": "10"})).unwrap_err();
        assert!(msg.contains("must be an integer"), "{msg}");
        let msg = check("ListChannelsRequest", json!({"maxResults": 101})).unwrap_err();
        assert!(msg.contains("less than or equal to 100"), "{msg}");
        let msg = check("BatchGetChannelRequest", json!({"arns": []})).unwrap_err();
        assert!(msg.contains("length greater than or equal to 1"), "{msg}");
        let msg = check(
            "CreateChannelRequest",
            json!({"authorized": "yes", "multitrackInputConfiguration": {"policy": "NONE"}}),
        )
        .unwrap_err();
        assert!(
            msg.contains("'authorized'") && msg.contains("'multitrackInputConfiguration.policy'"),
            "{msg}"
        );
    }

    /// The pass that pairs members with an object's entries needs both in name order.
    #[test]
    fn json_objects_iterate_in_key_order() {
        let object = json!({"zeta": 1, "alpha": 2, "Mid": 3, "mid": 4});
        let keys: Vec<&String> = object.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Mid", "alpha", "mid", "zeta"]);
    }

    #[test]
    fn violations_come_in_member_order_with_their_paths() {
        // Unknown members, before, between and after known ones, are ignored.
        let msg = check(
            "CreateChannelRequest",
            json!({
                "Zz": 1, "aa": 1, "type": "HUGE", "latencyMode": "FAST", "m": 1, "authorized": 3,
                "tags": {"": "v", "k": null}, "zz": 1
            }),
        )
        .unwrap_err();
        assert_eq!(
            msg,
            "6 validation errors detected: \
             Value '3' at 'authorized' failed to satisfy constraint: Member must be a boolean; \
             Value 'FAST' at 'latencyMode' failed to satisfy constraint: Member must satisfy \
             enum value set: [NORMAL, LOW]; \
             Value '' at 'tags.key' failed to satisfy constraint: Member must have length \
             greater than or equal to 1; \
             Value '' at 'tags.key' failed to satisfy constraint: Member must satisfy regular \
             expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+); \
             Value null at 'tags.k' failed to satisfy constraint: Member must not be null; \
             Value 'HUGE' at 'type' failed to satisfy constraint: Member must satisfy enum \
             value set: [BASIC, STANDARD, ADVANCED_SD, ADVANCED_HD]"
        );
        let msg = check("BatchGetChannelRequest", json!({"arns": ["x", null]})).unwrap_err();
        assert!(msg.contains("at 'arns.1.member'"), "{msg}");
        assert!(msg.contains("Value null at 'arns.2.member'"), "{msg}");
        // A required member after every entry is still reported.
        let msg = check("GetChannelRequest", json!({"Arn": "x"})).unwrap_err();
        assert_eq!(
            msg,
            "1 validation error detected: Value null at 'arn' failed to satisfy constraint: \
             Member must not be null"
        );
    }

    #[test]
    fn sensitive_values_are_not_echoed() {
        let msg = check(
            "PutMetadataRequest",
            json!({"channelArn": "arn:aws:ivs:us-east-1:000000000000:channel/abc", "metadata": 1}),
        )
        .unwrap_err();
        assert!(msg.contains("[sensitive]"), "{msg}");
    }
}
