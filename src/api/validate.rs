//! Checks an assembled request against its input shape, as AWS's front end does before any
//! business logic runs: value types, required members, string lengths and patterns, enums,
//! number ranges, list and map sizes.
//!
//! Every violation is collected and reported in one 400 `ValidationException`, worded the way
//! AWS words them (`1 validation error detected: Value 'a b' at 'name' failed to satisfy
//! constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]*`). Handlers
//! never repeat these checks. A JSON `null` counts as an absent member.
//!
//! [`validate`] walks an assembled [`Value`]. [`is_valid_body`] applies the same checks (the
//! `*_faults` functions below) to a body as it stands, without building one, and only says
//! whether the body passes: a body that does not goes to [`validate`], which says why.

use super::model::{ServiceModel, Shape};
use super::tags;
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
    fn fail(&mut self, value: Option<&Value>, sensitive: bool, path: &Path, fault: Fault) {
        let shown = match value {
            None | Some(Value::Null) => "null".to_string(),
            Some(_) if sensitive => "[sensitive]".to_string(),
            Some(Value::String(s)) => format!("'{s}'"),
            Some(other) => format!("'{other}'"),
        };
        self.errors.push(format!(
            "Value {shown} at '{path}' failed to satisfy constraint: Member {fault}"
        ));
    }

    /// `value` is not the JSON type its shape needs (`kind`: "a string").
    fn wrong_type(&mut self, value: &Value, path: &Path, kind: &'static str) {
        self.fail(Some(value), false, path, Fault::Type(kind));
    }

    fn check(&mut self, shape: &'static Shape, value: &Value, path: &Path) {
        let model = self.model;
        match shape {
            Shape::Structure { members, required } => {
                let Some(object) = value.as_object() else {
                    return self.wrong_type(value, path, "a structure (a JSON object)");
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
                            self.fail(None, false, &Path::Member(path, name), Fault::Null)
                        }
                        None | Some(Value::Null) => {}
                        Some(v) => {
                            self.check(member.shape.resolve(model), v, &Path::Member(path, name))
                        }
                    }
                }
            }
            Shape::String { sensitive, .. } => {
                let Some(s) = value.as_str() else {
                    return self.fail(Some(value), *sensitive, path, Fault::Type("a string"));
                };
                string_faults(shape, s, |fault| self.fail(Some(value), *sensitive, path, fault));
            }
            Shape::Integer { .. } | Shape::Long { .. } => {
                let (lo, hi) = integer_bounds(shape);
                let Some(n) = value.as_i64() else {
                    let fault = if value.as_u64().is_some() {
                        Fault::AtMost(Bound::Integer(hi))
                    } else {
                        Fault::Type("an integer")
                    };
                    return self.fail(Some(value), false, path, fault);
                };
                integer_faults(n, lo, hi, |fault| self.fail(Some(value), false, path, fault));
            }
            Shape::Float { min, max } | Shape::Double { min, max } => {
                let Some(n) = value.as_f64() else {
                    return self.wrong_type(value, path, "a number");
                };
                float_faults(n, *min, *max, |fault| self.fail(Some(value), false, path, fault));
            }
            Shape::Boolean {} => {
                if !value.is_boolean() {
                    self.wrong_type(value, path, "a boolean");
                }
            }
            Shape::Timestamp {} => {
                if !value.as_str().is_some_and(is_timestamp) {
                    self.wrong_type(value, path, "an ISO 8601 timestamp");
                }
            }
            Shape::List { member, min, max } => {
                let Some(items) = value.as_array() else {
                    return self.wrong_type(value, path, "a list (a JSON array)");
                };
                let len = items.len() as u64;
                size_faults(len, *min, *max, |fault| self.fail(Some(value), false, path, fault));
                for (i, item) in items.iter().enumerate() {
                    let child = Path::Item(path, i + 1);
                    if item.is_null() {
                        self.fail(None, false, &child, Fault::Null);
                    } else {
                        self.check(member.shape.resolve(model), item, &child);
                    }
                }
            }
            Shape::Map { key, value: value_shape, min, max } => {
                let Some(entries) = value.as_object() else {
                    return self.wrong_type(value, path, "a map (a JSON object)");
                };
                let len = entries.len() as u64;
                size_faults(len, *min, *max, |fault| self.fail(Some(value), false, path, fault));
                for (k, v) in entries {
                    self.check(
                        key.shape.resolve(model),
                        &Value::String(k.clone()),
                        &Path::Key(path),
                    );
                    if v.is_null() {
                        self.fail(None, false, &Path::Member(path, k), Fault::Null);
                    } else {
                        self.check(value_shape.shape.resolve(model), v, &Path::Member(path, k));
                    }
                }
            }
        }
    }
}

/// A constraint a value breaks, as AWS words it after "Member ".
enum Fault<'a> {
    /// A required member, a list item or a map value that is absent or `null`.
    Null,
    /// The wrong JSON type: "must be {0}", "a string".
    Type(&'static str),
    LengthAtLeast(u64),
    LengthAtMost(u64),
    Pattern(&'a str),
    Enum(&'a [String]),
    AtLeast(Bound),
    AtMost(Bound),
}

/// A number range's end, written as the model has it.
#[derive(Clone, Copy)]
enum Bound {
    Integer(i64),
    Float(f64),
}

impl std::fmt::Display for Fault<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Null => f.write_str("must not be null"),
            Fault::Type(kind) => write!(f, "must be {kind}"),
            Fault::LengthAtLeast(min) => {
                write!(f, "must have length greater than or equal to {min}")
            }
            Fault::LengthAtMost(max) => write!(f, "must have length less than or equal to {max}"),
            Fault::Pattern(source) => {
                write!(f, "must satisfy regular expression pattern: {source}")
            }
            Fault::Enum(values) => {
                write!(f, "must satisfy enum value set: [{}]", values.join(", "))
            }
            Fault::AtLeast(bound) => write!(f, "must have value greater than or equal to {bound}"),
            Fault::AtMost(bound) => write!(f, "must have value less than or equal to {bound}"),
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Integer(n) => write!(f, "{n}"),
            Bound::Float(n) => write!(f, "{n}"),
        }
    }
}

// The checks of one value, shared by both walks: each reports every constraint the value
// breaks, in the order the messages list them.

/// A string shape's length (in characters), pattern and enum.
fn string_faults<'s>(shape: &'s Shape, s: &str, mut fault: impl FnMut(Fault<'s>)) {
    let Shape::String { min, max, pattern, enum_values, .. } = shape else { return };
    // A character is one to four bytes: count them only when the number of bytes leaves the
    // answer open. Otherwise the byte count is within both bounds, as the characters are.
    let bytes = s.len() as u64;
    let open = min.is_some_and(|min| bytes.div_ceil(4) < min) || max.is_some_and(|max| bytes > max);
    let len = if open { s.chars().count() as u64 } else { bytes };
    if let Some(min) = *min
        && len < min
    {
        fault(Fault::LengthAtLeast(min));
    }
    if let Some(max) = *max
        && len > max
    {
        fault(Fault::LengthAtMost(max));
    }
    if let Some(p) = pattern
        && !p.is_match(s)
    {
        fault(Fault::Pattern(&p.source));
    }
    if let Some(values) = enum_values
        && !values.iter().any(|v| v == s)
    {
        fault(Fault::Enum(values));
    }
}

/// An integer or long shape's range, its type's when the model gives none.
fn integer_bounds(shape: &Shape) -> (i64, i64) {
    match *shape {
        Shape::Integer { min, max } => {
            (min.unwrap_or(i32::MIN as i64), max.unwrap_or(i32::MAX as i64))
        }
        Shape::Long { min, max } => (min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX)),
        _ => (i64::MIN, i64::MAX),
    }
}

fn integer_faults(n: i64, min: i64, max: i64, mut fault: impl FnMut(Fault<'static>)) {
    if n < min {
        fault(Fault::AtLeast(Bound::Integer(min)));
    }
    if n > max {
        fault(Fault::AtMost(Bound::Integer(max)));
    }
}

fn float_faults(n: f64, min: Option<f64>, max: Option<f64>, mut fault: impl FnMut(Fault<'static>)) {
    if let Some(min) = min
        && n < min
    {
        fault(Fault::AtLeast(Bound::Float(min)));
    }
    if let Some(max) = max
        && n > max
    {
        fault(Fault::AtMost(Bound::Float(max)));
    }
}

/// A list's or a map's number of entries.
fn size_faults(
    len: u64,
    min: Option<u64>,
    max: Option<u64>,
    mut fault: impl FnMut(Fault<'static>),
) {
    if let Some(min) = min
        && len < min
    {
        fault(Fault::LengthAtLeast(min));
    }
    if let Some(max) = max
        && len > max
    {
        fault(Fault::LengthAtMost(max));
    }
}

fn is_timestamp(s: &str) -> bool {
    DateTime::from_str(s, Format::DateTime).is_ok()
}

/// Whether `body`, a JSON object that is the whole of an operation's input, satisfies
/// `shape` and the reserved-tag rule, read as it stands instead of as a [`Value`]: the
/// checks of [`validate`], one value at a time, and none of its allocations. `true` promises
/// that `validate` accepts the body's object and that serde reads the body as the input type
/// as it would read that object. `false` says nothing about why: a body that breaks a
/// constraint, or one this reading leaves to [`validate`] (an escaped key, a key given twice,
/// anything but an object), goes the way every other input goes, which words the answer.
pub fn is_valid_body(model: &'static ServiceModel, shape: &'static Shape, body: &[u8]) -> bool {
    use serde::de::DeserializeSeed;
    let mut reader = serde_json::Deserializer::from_slice(body);
    let check = Check { model, shape, tags: false, input: true };
    check.deserialize(&mut reader).is_ok() && reader.end().is_ok()
}

/// [`is_valid_body`]'s reading of one value against its shape; any error means "not valid".
#[derive(Clone, Copy)]
struct Check {
    model: &'static ServiceModel,
    shape: &'static Shape,
    /// This value is the input's `tags` map, whose keys may not use the reserved prefix.
    tags: bool,
    /// This value is the input itself.
    input: bool,
}

impl Check {
    fn of(self, shape: &'static Shape) -> Check {
        Check { shape, tags: false, input: false, ..self }
    }
}

/// The most entries [`is_valid_body`] takes in one map: more than the 50 tags a resource may
/// have. Maps without a limit in the models (participant attributes) are small in practice.
const MAP_ENTRIES: usize = 64;

fn invalid<E: serde::de::Error>() -> E {
    E::custom("invalid")
}

fn valid<E: serde::de::Error>(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(invalid()) }
}

/// Whether one of the `*_faults` checks, given its report, reports nothing.
fn passes<'s>(check: impl FnOnce(&mut dyn FnMut(Fault<'s>))) -> bool {
    let mut ok = true;
    check(&mut |_| ok = false);
    ok
}

impl<'de> serde::de::DeserializeSeed<'de> for Check {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.shape {
            Shape::Structure { .. } | Shape::Map { .. } => d.deserialize_map(self),
            Shape::List { .. } => d.deserialize_seq(self),
            Shape::String { .. } | Shape::Timestamp {} => d.deserialize_str(self),
            Shape::Integer { .. } | Shape::Long { .. } => d.deserialize_i64(self),
            Shape::Float { .. } | Shape::Double { .. } => d.deserialize_f64(self),
            Shape::Boolean {} => d.deserialize_bool(self),
        }
    }
}

/// A value of any shape, read to its end and kept nowhere: an unknown member's, which AWS
/// ignores once the body has read as JSON.
#[derive(Clone, Copy)]
struct Any;

impl<'de> serde::de::DeserializeSeed<'de> for Any {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Any {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while items.next_element_seed(Any)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Any)?.is_some() {
            map.next_value_seed(Any)?;
        }
        Ok(())
    }
}

/// A member's, a list item's or a map value's value: `None` for `null`, which [`validate`]
/// counts as absent.
struct Present(Check);

impl<'de> serde::de::DeserializeSeed<'de> for Present {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Present {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        use serde::de::DeserializeSeed;
        self.0.deserialize(d).map(|()| true)
    }
}

impl<'de> serde::de::Visitor<'de> for Check {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a value of the input's shape")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.shape {
            Shape::Structure { members, required } => {
                // Members by their place in `members`, to refuse one given twice (serde's
                // reading of the input type refuses it too; `validate` would take the last).
                let mut seen = 0u64;
                let mut required_seen = 0;
                while let Some(key) = map.next_key::<&'de str>()? {
                    let Some((at, (name, member))) =
                        members.iter().enumerate().find(|(_, (name, _))| name.as_str() == key)
                    else {
                        // Read whole, not skipped: a string is only known to be valid (UTF-8,
                        // escapes that name characters) once it is decoded.
                        map.next_value_seed(Any)?;
                        continue;
                    };
                    let bit = 1u64.checked_shl(at as u32).ok_or_else(invalid)?;
                    valid(seen & bit == 0)?;
                    seen |= bit;
                    let check = Check {
                        tags: self.input && name == tags::MEMBER,
                        ..self.of(member.shape.resolve(self.model))
                    };
                    if map.next_value_seed(Present(check))? && required.contains(name) {
                        required_seen += 1;
                    }
                }
                valid(required_seen == required.len())
            }
            Shape::Map { key, value, min, max } => {
                let (key, value) = (key.shape.resolve(self.model), value.shape.resolve(self.model));
                // Keys so far, to refuse one given twice: the map would keep only the last.
                let mut keys: smallvec::SmallVec<[&'de str; 8]> = smallvec::SmallVec::new();
                while let Some(k) = map.next_key::<&'de str>()? {
                    // Each key is compared with all before it: a map past this size goes the
                    // long way, whose `BTreeMap` finds a key given twice in a few comparisons.
                    valid(keys.len() < MAP_ENTRIES)?;
                    let given_twice = keys.contains(&k);
                    let reserved = self.tags && tags::is_reserved(k);
                    valid(!given_twice && !reserved && passes(|f| string_faults(key, k, f)))?;
                    keys.push(k);
                    valid(map.next_value_seed(Present(self.of(value)))?)?;
                }
                valid(passes(|f| size_faults(keys.len() as u64, *min, *max, f)))
            }
            _ => Err(invalid()),
        }
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let Shape::List { member, min, max } = self.shape else { return Err(invalid()) };
        let item = self.of(member.shape.resolve(self.model));
        let mut len = 0;
        while let Some(present) = items.next_element_seed(Present(item))? {
            valid(present)?;
            len += 1;
        }
        valid(passes(|f| size_faults(len, *min, *max, f)))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        valid(match self.shape {
            Shape::String { .. } => passes(|f| string_faults(self.shape, s, f)),
            Shape::Timestamp {} => is_timestamp(s),
            _ => false,
        })
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<(), E> {
        valid(match *self.shape {
            Shape::Integer { .. } | Shape::Long { .. } => {
                let (min, max) = integer_bounds(self.shape);
                passes(|f| integer_faults(n, min, max, f))
            }
            Shape::Float { min, max } | Shape::Double { min, max } => {
                passes(|f| float_faults(n as f64, min, max, f))
            }
            _ => false,
        })
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<(), E> {
        match *self.shape {
            Shape::Float { min, max } | Shape::Double { min, max } => {
                valid(passes(|f| float_faults(n as f64, min, max, f)))
            }
            _ => self.visit_i64(i64::try_from(n).map_err(|_| invalid::<E>())?),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<(), E> {
        let (Shape::Float { min, max } | Shape::Double { min, max }) = *self.shape else {
            return Err(invalid());
        };
        valid(passes(|f| float_faults(n, min, max, f)))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        valid(matches!(self.shape, Shape::Boolean {}))
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

    /// Lengths are in characters, whether or not they are counted: the byte length decides
    /// only when every character count it allows is within the bounds.
    #[test]
    fn lengths_are_characters_of_one_to_four_bytes() {
        let shape = Shape::String {
            min: Some(2),
            max: Some(3),
            pattern: None,
            enum_values: None,
            sensitive: false,
        };
        for s in [
            "a",
            "ab",
            "abc",
            "abcd",
            "é",
            "éé",
            "ééé",
            "éééé",
            "😀",
            "😀😀",
            "😀😀😀",
            "😀😀😀😀",
            "a😀",
        ] {
            let mut faults = Vec::new();
            string_faults(&shape, s, |f| faults.push(f.to_string()));
            let n = s.chars().count();
            let expected: &[&str] = match n {
                0..2 => &["must have length greater than or equal to 2"],
                2..=3 => &[],
                _ => &["must have length less than or equal to 3"],
            };
            assert_eq!(faults, expected, "{s:?}");
        }
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
