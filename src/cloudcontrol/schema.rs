//! The CloudFormation resource schemas of the ten `AWS::IVS::*` types, embedded, and the
//! JSON-Schema checks Cloud Control runs on a desired state before any handler sees it.
//!
//! The messages follow the ones AWS's schema validator writes (`#: required key [X] not
//! found`, `#: extraneous key [X] is not permitted`, `#/Name: expected maxLength: 128, actual:
//! 200`, ...), collected into `Model validation failed (...)`. Only the keywords these schemas
//! use are implemented: type, properties, additionalProperties, required, enum, pattern,
//! minLength/maxLength, minimum/maximum, minItems/maxItems, uniqueItems, items and `$ref`
//! into `#/definitions`.

use regex::Regex;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// One `AWS::IVS::*` schema with the property lists Cloud Control acts on.
pub struct TypeSchema {
    pub type_name: &'static str,
    pub schema: Value,
    /// Top-level property names (`Arn`, `Name`, ...), from `/properties/X` pointers.
    pub read_only: Vec<String>,
    pub create_only: Vec<String>,
    pub write_only: Vec<String>,
    /// The property pointers as written (`/properties/Video/Width`), for patch checks.
    pub read_only_paths: Vec<String>,
    pub create_only_paths: Vec<String>,
}

macro_rules! schemas {
    ($($name:literal),* $(,)?) => {
        [$((concat!("AWS::IVS::", $name), include_str!(concat!(
            "../../fixtures/models/cloudformation/AWS_IVS_", $name, ".json"
        )))),*]
    };
}

const SOURCES: [(&str, &str); 10] = schemas!(
    "Channel",
    "StreamKey",
    "RecordingConfiguration",
    "PlaybackKeyPair",
    "PlaybackRestrictionPolicy",
    "Stage",
    "StorageConfiguration",
    "EncoderConfiguration",
    "PublicKey",
    "IngestConfiguration",
);

static SCHEMAS: LazyLock<HashMap<&'static str, TypeSchema>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(name, text)| {
            let schema: Value = serde_json::from_str(text).expect("embedded schema is JSON");
            assert_eq!(schema["typeName"], *name, "schema file matches its type");
            let paths = |key: &str| -> Vec<String> {
                schema[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            };
            let top = |paths: &[String]| -> Vec<String> {
                let mut names: Vec<String> = paths
                    .iter()
                    .filter_map(|p| p.strip_prefix("/properties/"))
                    .map(|p| p.split('/').next().unwrap_or(p).to_string())
                    .collect();
                names.dedup();
                names
            };
            let read_only_paths = paths("readOnlyProperties");
            let create_only_paths = paths("createOnlyProperties");
            let write_only_paths = paths("writeOnlyProperties");
            let entry = TypeSchema {
                type_name: name,
                read_only: top(&read_only_paths),
                create_only: top(&create_only_paths),
                write_only: top(&write_only_paths),
                read_only_paths,
                create_only_paths,
                schema,
            };
            (*name, entry)
        })
        .collect()
});

/// The schema of `type_name`, if ivs-local serves that type.
pub fn get(type_name: &str) -> Option<&'static TypeSchema> {
    SCHEMAS.get(type_name)
}

/// Every type ivs-local serves, sorted.
pub fn type_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = SOURCES.iter().map(|(n, _)| *n).collect();
    names.sort();
    names
}

impl TypeSchema {
    /// Validates a whole resource model; the error is AWS's `Model validation failed (...)`.
    pub fn validate(&self, model: &Value) -> Result<(), String> {
        failure(self.violations(model))
    }

    /// Validates a model made by patching `current`, which the read handler answered: a
    /// property the patch left as it was is not held against it. (The schemas' own defaults
    /// do not always match their patterns: IngestConfiguration's `StageArn` is `""` when no
    /// stage is attached, which its pattern refuses.)
    pub fn validate_patched(&self, model: &Value, current: &Value) -> Result<(), String> {
        let unchanged = |violation: &String| {
            let Some(rest) = violation.strip_prefix("#/") else { return false };
            let property = rest.split([':', '/']).next().unwrap_or_default();
            model.get(property).is_some() && model.get(property) == current.get(property)
        };
        failure(self.violations(model).into_iter().filter(|v| !unchanged(v)).collect())
    }

    fn violations(&self, model: &Value) -> Vec<String> {
        let mut v = Validator { root: &self.schema, errors: Vec::new() };
        v.check(&self.schema, model, "#");
        v.errors
    }

    /// The schema of a top-level property.
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.schema["properties"].get(name)
    }

    /// Resolves a `$ref` into `#/definitions`, or returns `schema` itself.
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        resolve(&self.schema, schema)
    }
}

fn failure(errors: Vec<String>) -> Result<(), String> {
    match errors.len() {
        0 => Ok(()),
        1 => Err(format!("Model validation failed ({})", errors[0])),
        n => Err(format!(
            "Model validation failed (#: {n} schema violations found: {})",
            errors.join(", ")
        )),
    }
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .map(|target| resolve(root, target))
            .unwrap_or(schema),
        None => schema,
    }
}

struct Validator<'s> {
    root: &'s Value,
    errors: Vec<String>,
}

/// Compiled patterns, shared by all validations.
static PATTERNS: LazyLock<parking_lot::Mutex<HashMap<String, Option<Regex>>>> =
    LazyLock::new(Default::default);

fn pattern_matches(pattern: &str, s: &str) -> bool {
    let mut cache = PATTERNS.lock();
    let compiled = cache.entry(pattern.to_string()).or_insert_with(|| Regex::new(pattern).ok());
    // JSON Schema patterns are searched, not anchored; the schemas anchor where they mean it.
    compiled.as_ref().is_none_or(|re| re.is_match(s))
}

fn type_word(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

impl Validator<'_> {
    fn fail(&mut self, path: &str, message: String) {
        self.errors.push(format!("{path}: {message}"));
    }

    fn check(&mut self, schema: &Value, value: &Value, path: &str) {
        let schema = resolve(self.root, schema);
        if let Some(expected) = schema.get("type").and_then(Value::as_str) {
            let ok = match expected {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" => value.as_f64().is_some_and(|f| f.fract() == 0.0),
                "number" => value.is_number(),
                _ => true,
            };
            if !ok {
                let expected = match expected {
                    "object" => "JSONObject",
                    "array" => "JSONArray",
                    "string" => "String",
                    "boolean" => "Boolean",
                    "integer" => "Integer",
                    "number" => "Number",
                    other => other,
                };
                return self
                    .fail(path, format!("expected type: {expected}, found: {}", type_word(value)));
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array)
            && !values.contains(value)
        {
            let shown = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
            self.fail(path, format!("{shown} is not a valid enum value"));
        }
        match value {
            Value::Object(object) => self.object(schema, object, path),
            Value::Array(items) => self.array(schema, items, path),
            Value::String(s) => self.string(schema, s, path),
            Value::Number(n) => {
                let n = n.as_f64().unwrap_or_default();
                let show =
                    |v: f64| if v.fract() == 0.0 { format!("{v:.0}") } else { v.to_string() };
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                    && n < min
                {
                    self.fail(
                        path,
                        format!("{} is not greater or equal to {}", show(n), show(min)),
                    );
                }
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                    && n > max
                {
                    self.fail(path, format!("{} is not less or equal to {}", show(n), show(max)));
                }
            }
            _ => {}
        }
    }

    fn object(&mut self, schema: &Value, object: &Map<String, Value>, path: &str) {
        let properties = schema.get("properties").and_then(Value::as_object);
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(key) = key.as_str()
                && !object.contains_key(key)
            {
                self.fail(path, format!("required key [{key}] not found"));
            }
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (key, value) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(property) => self.check(property, value, &format!("{path}/{key}")),
                None if closed => {
                    self.fail(path, format!("extraneous key [{key}] is not permitted"))
                }
                None => {}
            }
        }
    }

    fn array(&mut self, schema: &Value, items: &[Value], path: &str) {
        let n = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && n < min
        {
            self.fail(path, format!("expected minimum item count: {min}, found: {n}"));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && n > max
        {
            self.fail(path, format!("expected maximum item count: {max}, found: {n}"));
        }
        if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
            let unique = items.iter().enumerate().all(|(i, a)| !items[..i].contains(a));
            if !unique {
                self.fail(path, "array items are not unique".to_string());
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{path}/{i}"));
            }
        }
    }

    fn string(&mut self, schema: &Value, s: &str, path: &str) {
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            self.fail(path, format!("expected minLength: {min}, actual: {len}"));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            self.fail(path, format!("expected maxLength: {max}, actual: {len}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && !pattern_matches(pattern, s)
        {
            self.fail(path, format!("string [{s}] does not match pattern {pattern}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_loads_with_its_property_lists() {
        assert_eq!(type_names().len(), 10);
        let recording = get("AWS::IVS::RecordingConfiguration").unwrap();
        assert!(recording.read_only.contains(&"State".to_string()));
        assert!(recording.create_only.contains(&"DestinationConfiguration".to_string()));
        let key_pair = get("AWS::IVS::PlaybackKeyPair").unwrap();
        assert_eq!(key_pair.write_only, vec!["PublicKeyMaterial".to_string()]);
    }

    #[test]
    fn messages_read_like_aws() {
        let recording = get("AWS::IVS::RecordingConfiguration").unwrap();
        let err = recording.validate(&json!({"Name": "x"})).unwrap_err();
        assert_eq!(
            err,
            "Model validation failed (#: required key [DestinationConfiguration] not found)"
        );
        let err = recording
            .validate(&json!({"DestinationConfiguration": {"S3": {"BucketName": "bucket", "Prefix": "p"}}}))
            .unwrap_err();
        assert_eq!(
            err,
            "Model validation failed (#/DestinationConfiguration/S3: extraneous key [Prefix] is not permitted)"
        );
        let channel = get("AWS::IVS::Channel").unwrap();
        let err =
            channel.validate(&json!({"LatencyMode": "FAST", "Authorized": "yes"})).unwrap_err();
        assert!(err.contains("2 schema violations"), "{err}");
        assert!(err.contains("#/LatencyMode: FAST is not a valid enum value"), "{err}");
        assert!(err.contains("#/Authorized: expected type: Boolean, found: String"), "{err}");
        assert!(
            channel.validate(&json!({"Name": "ok", "Tags": [{"Key": "k", "Value": "v"}]})).is_ok()
        );
    }
}
