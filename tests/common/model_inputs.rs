//! Valid inputs for every operation, derived from the service models, and the raw HTTP
//! request the model's `http` trait lays each one out as.
//!
//! `validation.rs` walks these inputs to each constraint's bounds, `mutation.rs` breaks them in
//! every way a client could, and the fuzz target's seed corpus (`fuzz/`) starts from them.
//! Limits, patterns and enums come from `ivs_local::api::model` (the models with
//! `fixtures/model-patches.json` applied); nothing here copies one.

use ivs_local::api::model::{Location, Operation, Service, ServiceModel, Shape, model};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use regex::Regex;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Full-match, as ivs-local (and AWS's Coral validation) applies model patterns. Compiled
/// once each: the `\p{L}` classes are slow to build in a debug build.
pub fn full_match(pattern: Option<&str>, s: &str) -> bool {
    static COMPILED: LazyLock<Mutex<HashMap<String, Regex>>> = LazyLock::new(Default::default);
    let Some(p) = pattern else { return true };
    let mut compiled = COMPILED.lock().unwrap();
    let regex =
        compiled.entry(p.to_string()).or_insert_with(|| Regex::new(&format!("^(?:{p})$")).unwrap());
    regex.is_match(s)
}

/// `prefix` + `a`s + `suffix`, exactly `n` characters long, with at least one `a`.
pub fn padded(prefix: &str, suffix: &str, n: usize) -> Option<String> {
    let fill = n.checked_sub(prefix.len() + suffix.len()).filter(|&k| k > 0)?;
    Some(format!("{prefix}{}{suffix}", "a".repeat(fill)))
}

/// For ARN shapes: the ARN up to the id (which is padded to length), and whether `""` is
/// also allowed (the `^$|^arn:...$` patterns).
pub fn arn_prefix(service: Service, shape: &str, pattern: Option<&str>) -> Option<(String, bool)> {
    static ARN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(\^\$\|\^)?arn:aws:([a-z]+):\[a-z0-9-\]\+:\[0-9\]\+:([a-zA-Z-]+)/\[a-zA-Z0-9-\]\+\$?$",
        )
        .unwrap()
    });
    if shape == "ResourceArn" {
        // Its pattern is patched out and tags.rs parses it instead; the ARN type picks the
        // service the tag path routes to.
        let kind = match service {
            Service::Ivs => "channel",
            Service::IvsRealtime => "stage",
        };
        return Some((format!("arn:aws:ivs:us-west-2:123456789012:{kind}/"), false));
    }
    let c = ARN.captures(pattern?)?;
    let prefix = format!("arn:aws:{}:us-west-2:123456789012:{}/", &c[2], &c[3]);
    Some((prefix, c.get(1).is_some()))
}

/// Optional members (shape, member) without which a handler refuses the request with a
/// business ValidationException, hiding what the tests check: AWS documents that a recording
/// needs its S3 destination, an ad configuration its MediaTailor ARNs, and CUSTOM renditions a
/// list of renditions.
pub const NEEDED: &[(&str, &str)] = &[
    ("DestinationConfiguration", "s3"),
    ("MediaTailorPlaybackConfiguration", "playbackConfigurationArn"),
    ("RenditionConfiguration", "renditions"),
    // width x height may not exceed 1920 x 1080 pixels: with a small width, any height fits.
    ("Video", "width"),
];

/// A P-384 public key, for the inputs whose handlers parse one.
pub const P384_PEM: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEkoK3G135hg7KULqTzD2uxb6OcNXFeB0M
2ZzXPn/8BqQe1tDCZZKAx4EwZ2KJbCWw+5zCSMRcaW5kyD5UsV0iPnKlAlKXa4ii
sV7y3DVuXN+VYtdNj2L964jjfC/tUlBt
-----END PUBLIC KEY-----
";

pub const PEM_BEGIN: &str = "-----BEGIN PUBLIC KEY-----\n";
pub const PEM_END: &str = "\n-----END PUBLIC KEY-----";

/// Valid values of one service model's shapes.
#[derive(Clone, Copy)]
pub struct ModelInputs {
    pub service: Service,
    pub model: &'static ServiceModel,
}

impl ModelInputs {
    pub fn new(service: Service) -> Self {
        ModelInputs { service, model: model(service) }
    }

    /// The name of an operation's input shape.
    pub fn input_shape(op: Operation) -> &'static str {
        &op.def().input.as_ref().expect("every IVS operation has input").shape
    }

    /// A valid input of `op`: the required members, plus what the handler's business rules
    /// need.
    pub fn base_input(&self, op: Operation) -> Value {
        let mut base = self.valid(Self::input_shape(op));
        // Presets apply only to ADVANCED channels; on others the handler refuses them with a
        // (business) ValidationException.
        if op.name() == "CreateChannel" {
            base["type"] = json!("ADVANCED_HD");
        }
        // The import handlers parse the key: give them a real P-384 public key (the worked
        // example of reference 6.4). Importing it again is a 409 or a 402, not a 400.
        if matches!(op.name(), "ImportPlaybackKeyPair" | "ImportPublicKey") {
            base["publicKeyMaterial"] = json!(P384_PEM);
        }
        // RTMP ingest (the first protocol) needs insecure ingest allowed.
        if op.name() == "CreateIngestConfiguration" {
            base["insecureIngest"] = json!(true);
        }
        base
    }

    /// A string of exactly `n` characters that the string shape accepts, if this generator
    /// knows how to write one. `a` repeated fits most patterns; the table below covers the rest.
    pub fn string_of_len(&self, shape: &str, n: usize) -> Option<String> {
        let Shape::String { pattern, .. } = self.model.shape(shape) else {
            panic!("{shape} is not a string");
        };
        let pattern = pattern.as_ref().map(|p| p.source.as_str());
        let s = match (arn_prefix(self.service, shape, pattern), pattern) {
            (Some((_, true)), _) if n == 0 => String::new(),
            (Some((prefix, _)), _) => padded(&prefix, "", n)?,
            // The model allows any base64-ish text, but the handlers read a token as the
            // base64 of a creation number (or, for a few lists, of a key); "MDAw" is "000".
            _ if shape == "PaginationToken" => n.is_multiple_of(4).then(|| "MDAw".repeat(n / 4))?,
            (None, Some(p)) if p.starts_with("st-") => padded("st-", "", n)?,
            (None, Some(p)) if p.starts_with("rt_") => padded("rt_1_a_a_", "", n)?,
            (None, Some(p)) if p.contains("BEGIN PUBLIC KEY") => padded(PEM_BEGIN, PEM_END, n)?,
            _ => "a".repeat(n),
        };
        assert_eq!(s.chars().count(), n, "generator for {shape} wrote {s:?}");
        full_match(pattern, &s).then_some(s)
    }

    /// A valid value of a shape, as small as the shape allows: its required members, and the
    /// optional ones that the handlers' business rules need ([`NEEDED`]).
    pub fn valid(&self, shape_name: &str) -> Value {
        match self.model.shape(shape_name) {
            Shape::Structure { members, required } => {
                let needed = NEEDED.iter().filter(|(s, _)| *s == shape_name).map(|(_, m)| m);
                let names = required.iter().map(String::as_str).chain(needed.copied());
                names.map(|m| (m.to_string(), self.valid(&members[m].shape))).collect()
            }
            Shape::String { enum_values: Some(values), .. } => json!(values[0]),
            // An optional reference ("" or an ARN) is valid empty, and then names nothing
            // that must exist.
            Shape::String { pattern: Some(p), .. }
                if arn_prefix(self.service, shape_name, Some(&p.source))
                    .is_some_and(|(_, empty)| empty) =>
            {
                json!("")
            }
            Shape::String { min, max, .. } => {
                let lo = min.unwrap_or(0).max(1) as usize;
                let hi = max.map_or(lo + 200, |m| m as usize);
                let s = (lo..=hi).find_map(|n| self.string_of_len(shape_name, n));
                json!(s.unwrap_or_else(|| panic!("no valid value for {shape_name}")))
            }
            Shape::Integer { min, .. } | Shape::Long { min, .. } => json!(min.unwrap_or(1)),
            Shape::Float { min, .. } | Shape::Double { min, .. } => json!(min.unwrap_or(1.0)),
            Shape::Boolean {} => json!(false),
            Shape::Timestamp {} => json!("2024-01-01T00:00:00Z"),
            // At least one item: an empty list in a query string is no list at all.
            Shape::List { member, min, .. } => {
                (0..min.unwrap_or(0).max(1)).map(|_| self.valid(&member.shape)).collect()
            }
            Shape::Map { value, min, .. } => {
                (0..min.unwrap_or(0)).map(|i| (format!("k{i}"), self.valid(&value.shape))).collect()
            }
        }
    }
}

/// One HTTP request, as text: what a client would put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRequest {
    pub method: String,
    /// The path, labels percent-encoded.
    pub path: String,
    /// The query string without `?`, possibly empty.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl RawRequest {
    /// The request target: the path and, when there is one, the query string.
    pub fn target(&self) -> String {
        match self.query.is_empty() {
            true => self.path.clone(),
            false => format!("{}?{}", self.path, self.query),
        }
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The raw request for `op` with `input`: URI labels percent-encoded into the path, query
/// members as (repeated) parameters, header members as headers, the rest as the JSON body.
pub fn lay_out(op: Operation, input: &Value) -> RawRequest {
    let def = op.def();
    let service_model = model(op.service());
    let mut path = def.http.request_uri.clone();
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut body = input.as_object().cloned().unwrap_or_default();
    let mut headers = Vec::new();
    if let Some(input_ref) = &def.input {
        let Shape::Structure { members, .. } = service_model.shape(&input_ref.shape) else {
            panic!("input of {} is not a structure", op.name());
        };
        for (name, member) in members {
            let (Some(location), Some(value)) = (member.location, body.get(name).cloned()) else {
                continue;
            };
            body.remove(name);
            let wire = member.location_name.as_deref().unwrap_or(name);
            match location {
                Location::Uri => {
                    let encoded = utf8_percent_encode(&text(&value), NON_ALPHANUMERIC).to_string();
                    path = path
                        .replace(&format!("{{{wire}}}"), &encoded)
                        .replace(&format!("{{{wire}+}}"), &encoded);
                }
                Location::Querystring => match &value {
                    Value::Array(items) => {
                        for item in items {
                            query.append_pair(wire, &text(item));
                        }
                    }
                    other => {
                        query.append_pair(wire, &text(other));
                    }
                },
                Location::Header => headers.push((wire.to_string(), text(&value))),
            }
        }
    }
    let with_body = def.http.method == "POST" || !body.is_empty();
    if with_body {
        headers.push(("content-type".into(), "application/json".into()));
    }
    RawRequest {
        method: def.http.method.clone(),
        path,
        query: query.finish(),
        headers,
        body: with_body.then(|| Value::Object(body).to_string()),
    }
}
