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
    v.check(shape, value, "");
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
        path: &str,
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

    fn check(&mut self, shape: &'static Shape, value: &Value, path: &str) {
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
                for (name, member) in members {
                    // The member's path is built only for a member that is there or missing.
                    match object.get(name) {
                        None | Some(Value::Null) if required.contains(name) => {
                            self.fail(None, false, &join(path, name), "must not be null")
                        }
                        None | Some(Value::Null) => {}
                        Some(v) => self.check(member.shape.resolve(model), v, &join(path, name)),
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
                    let child = format!("{path}.{}.member", i + 1);
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
                        &format!("{path}.key"),
                    );
                    if v.is_null() {
                        self.fail(None, false, &join(path, k), "must not be null");
                    } else {
                        self.check(value_shape.shape.resolve(model), v, &join(path, k));
                    }
                }
            }
        }
    }

    fn check_integer(&mut self, value: &Value, path: &str, min: i64, max: i64) {
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
        path: &str,
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

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
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
