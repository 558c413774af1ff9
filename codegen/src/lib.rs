//! Generates ivs-local's typed API layer from the AWS service models.
//!
//! Input: `fixtures/models/*.service.json` (botocore format) with `fixtures/model-patches.json`
//! applied. Output: one Rust file per service under `src/api/types/` with a serde struct per
//! structure shape, an enum per enum shape and the service's `Operation` enum, plus
//! `errors.rs` with the modeled exceptions of both services and their HTTP status codes. The
//! rest-json services' types also get the `WriteJson` impls their answers are written with
//! (`src/api/json.rs`).
//!
//! The output is committed; `tests/codegen.rs` in the main crate fails when it is stale and
//! `cargo run -p ivs-local-codegen` rewrites it. Nothing here runs in the server.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A service the emulator generates types for: the model file stem and the Rust module name.
/// Their exceptions share one `ErrorCode` enum (`errors.rs`).
pub const SERVICES: &[(&str, &str)] =
    &[("ivs-2020-07-14", "ivs"), ("ivs-realtime-2020-07-14", "ivs_realtime")];

/// Cloud Control (JSON 1.0): its types go to `cloudcontrol.rs` with their own exception enum,
/// because its exceptions share names with the IVS ones but not their status codes, and its
/// timestamps are epoch seconds.
pub const CLOUDCONTROL: (&str, &str) = ("cloudcontrol-2021-09-30", "cloudcontrol");

/// The repository root, from this crate's own location.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen lives one level below the repository root")
        .to_path_buf()
}

/// Loads a model with the repository's patches applied.
pub fn load_model(root: &Path, stem: &str) -> Value {
    let read = |p: PathBuf| -> Value {
        let text =
            std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", p.display()))
    };
    let mut model = read(root.join("fixtures/models").join(format!("{stem}.service.json")));
    let patches = read(root.join("fixtures/model-patches.json"));
    if let Some(list) = patches.get(stem).and_then(Value::as_array) {
        for patch in list {
            let shape = patch["shape"].as_str().expect("patch names a shape");
            let target = model["shapes"]
                .get_mut(shape)
                .unwrap_or_else(|| panic!("patch names unknown shape {shape}"));
            json_patch::merge(target, &patch["merge"]);
        }
    }
    model
}

/// Every generated file: (path relative to the repository root, contents).
pub fn generate(root: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut errors: BTreeMap<String, (u16, Vec<&'static str>)> = BTreeMap::new();
    for &(stem, module) in SERVICES {
        let model = load_model(root, stem);
        for (name, shape) in shapes(&model) {
            if shape.get("exception").is_some() {
                let status =
                    shape["error"]["httpStatusCode"].as_u64().expect("error status") as u16;
                let entry = errors.entry(name.clone()).or_insert((status, Vec::new()));
                assert_eq!(entry.0, status, "{name} has different status codes across models");
                entry.1.push(module);
            }
        }
        let path = PathBuf::from(format!("src/api/types/{module}.rs"));
        files.push((path, rustfmt(root, service_file(stem, &model))));
    }
    files.push((PathBuf::from("src/api/types/errors.rs"), rustfmt(root, errors_file(&errors))));
    let (stem, module) = CLOUDCONTROL;
    let model = load_model(root, stem);
    let mut code = service_file(stem, &model);
    code.push_str(&json_errors(&model));
    files.push((PathBuf::from(format!("src/api/types/{module}.rs")), rustfmt(root, code)));
    files
}

/// The exception enum of a JSON 1.0 service: names only (all are HTTP 400 there).
fn json_errors(model: &Value) -> String {
    let names: Vec<&String> = shapes(model)
        .iter()
        .filter(|(_, s)| s.get("exception").is_some())
        .map(|(n, _)| n)
        .collect();
    let mut out =
        String::from("/// The modeled exceptions of this service (each answered with HTTP 400).\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum ErrorCode {\n");
    for name in &names {
        writeln!(out, "    {name},").unwrap();
    }
    out.push_str("}\n\nimpl ErrorCode {\n    /// The shape name.\n    pub const fn name(self) -> &'static str {\n        match self {\n");
    for name in &names {
        writeln!(out, "            ErrorCode::{name} => \"{name}\",").unwrap();
    }
    out.push_str("        }\n    }\n}\n");
    out
}

/// Formats generated code as `cargo fmt` would, so the committed files pass `cargo fmt --check`.
fn rustfmt(root: &Path, code: String) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--config-path"])
        .arg(root.join("rustfmt.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt is installed with the Rust toolchain");
    child.stdin.take().unwrap().write_all(code.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "rustfmt rejected the generated code");
    String::from_utf8(out.stdout).unwrap()
}

fn shapes(model: &Value) -> &Map<String, Value> {
    model["shapes"].as_object().expect("model has shapes")
}

fn header(source: &str) -> String {
    format!(
        "// @generated by ivs-local-codegen from {source}.\n\
         // Do not edit: change fixtures/model-patches.json or the generator and run\n\
         // `cargo run -p ivs-local-codegen`.\n\n"
    )
}

fn service_file(stem: &str, model: &Value) -> String {
    let shapes = shapes(model);
    let mut out = header(&format!("fixtures/models/{stem}.service.json"));
    writeln!(
        out,
        "//! Types of the `{}` API, one per model shape.",
        model["metadata"]["endpointPrefix"].as_str().unwrap_or(stem)
    )
    .unwrap();
    out.push_str("//!\n//! Members bound to HTTP headers in outputs (the CORS and security headers) are not\n//! generated: the emulator does not send them.\n\n");
    out.push_str("#![allow(clippy::large_enum_variant, clippy::enum_variant_names)]\n\n");
    // JSON 1.0 services (Cloud Control) put timestamps on the wire as epoch seconds.
    let json = model["metadata"]["protocol"] == "json";
    let timestamp = if json { "EpochSeconds as Timestamp" } else { "Timestamp" };
    let maps = shapes.values().any(|s| s["type"] == "map");
    writeln!(out, "use super::{timestamp};\nuse serde::{{Deserialize, Serialize}};").unwrap();
    // The rest-json services' answers are written by `api::json`; Cloud Control's by serde_json.
    let writer = !json;
    if writer {
        out.push_str("use crate::api::json::{self, WriteJson};\n");
    }
    if maps {
        out.push_str("use std::collections::BTreeMap;\n");
    }
    out.push('\n');

    operation_enum(&mut out, model);

    for (name, shape) in shapes {
        if shape.get("enum").is_some() {
            enum_type(&mut out, name, shape);
            if writer {
                enum_writer(&mut out, name, shape);
            }
        }
    }
    for (name, shape) in shapes {
        if shape["type"] == "structure" && shape.get("exception").is_none() {
            struct_type(&mut out, shapes, name, shape);
            if writer {
                struct_writer(&mut out, name, shape);
            }
        }
    }
    out
}

fn operation_enum(out: &mut String, model: &Value) {
    let ops: Vec<&String> = model["operations"].as_object().unwrap().keys().collect();
    out.push_str("/// The operations of this service, as named in the model.\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum Operation {\n");
    for op in &ops {
        writeln!(out, "    {op},").unwrap();
    }
    out.push_str("}\n\nimpl Operation {\n    /// Every operation, in model order.\n    pub const ALL: &'static [Operation] = &[\n");
    for op in &ops {
        writeln!(out, "        Operation::{op},").unwrap();
    }
    out.push_str("    ];\n\n    /// The operation's name in the model.\n    pub const fn name(self) -> &'static str {\n        match self {\n");
    for op in &ops {
        writeln!(out, "            Operation::{op} => \"{op}\",").unwrap();
    }
    out.push_str("        }\n    }\n\n    /// The operation with this model name.\n    pub fn from_name(name: &str) -> Option<Self> {\n        Some(match name {\n");
    for op in &ops {
        writeln!(out, "            \"{op}\" => Operation::{op},").unwrap();
    }
    out.push_str("            _ => return None,\n        })\n    }\n}\n\n");
}

/// The Rust type of a shape: its name, except that a shape named `Operation` (Cloud Control's
/// CREATE/UPDATE/DELETE) would collide with the service's operation enum.
fn type_name(shape_name: &str) -> String {
    match shape_name {
        "Operation" => "OperationType".to_string(),
        other => other.to_string(),
    }
}

fn enum_type(out: &mut String, name: &str, shape: &Value) {
    let name = &type_name(name);
    let values: Vec<&str> =
        shape["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let variants: Vec<String> = values.iter().map(|v| variant_name(v)).collect();
    writeln!(out, "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]\npub enum {name} {{").unwrap();
    for (v, value) in variants.iter().zip(&values) {
        writeln!(out, "    #[serde(rename = \"{value}\")]\n    {v},").unwrap();
    }
    writeln!(out, "}}\n\nimpl {name} {{\n    /// Every value, in model order.\n    pub const ALL: &'static [{name}] = &[").unwrap();
    for v in &variants {
        writeln!(out, "        {name}::{v},").unwrap();
    }
    out.push_str("    ];\n\n    /// The value on the wire.\n    pub const fn as_str(self) -> &'static str {\n        match self {\n");
    for (v, value) in variants.iter().zip(&values) {
        writeln!(out, "            {name}::{v} => \"{value}\",").unwrap();
    }
    out.push_str("        }\n    }\n}\n\n");
}

/// `WriteJson` for an enum: each value's JSON text, quotes and all, as a constant.
fn enum_writer(out: &mut String, name: &str, shape: &Value) {
    let name = &type_name(name);
    writeln!(out, "impl WriteJson for {name} {{\n    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), json::Error> {{\n        let text = match self {{").unwrap();
    for value in shape["enum"].as_array().unwrap() {
        let value = value.as_str().unwrap();
        writeln!(out, "            {name}::{} => {:?},", variant_name(value), json_text(value))
            .unwrap();
    }
    out.push_str(
        "        };\n        out.extend_from_slice(text.as_bytes());\n        Ok(())\n    }\n}\n\n",
    );
}

/// `WriteJson` for a structure: its members in the order serde's derive writes them (the
/// struct's), each with its `,"name":` as a constant, absent ones left out.
fn struct_writer(out: &mut String, name: &str, shape: &Value) {
    let name = &type_name(name);
    let required = required_members(shape);
    writeln!(out, "impl WriteJson for {name} {{\n    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), json::Error> {{\n        let start = out.len();").unwrap();
    for (member, _) in generated_members(shape) {
        let field = field_name(member);
        let key = format!(",{}:", json_text(member));
        if required.contains(&member.as_str()) {
            writeln!(out, "        json::member(out, {key:?}, &self.{field})?;").unwrap();
        } else {
            writeln!(
                out,
                "        if let Some(value) = &self.{field} {{\n            json::member(out, {key:?}, value)?;\n        }}"
            )
            .unwrap();
        }
    }
    out.push_str("        json::end_object(out, start);\n        Ok(())\n    }\n}\n\n");
}

/// A string as JSON text.
fn json_text(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// `ADVANCED_SD` -> `AdvancedSd`; the empty value -> `Empty`.
fn variant_name(value: &str) -> String {
    if value.is_empty() {
        return "Empty".to_string();
    }
    let mut name = String::new();
    for word in value.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        let first = chars.next().unwrap();
        name.push(first.to_ascii_uppercase());
        // `FULL_HD` -> `FullHd`, but a value already in camel case (`NotUpdatable`) keeps it.
        let shouting = !word.chars().any(|c| c.is_ascii_lowercase());
        name.extend(chars.map(|c| if shouting { c.to_ascii_lowercase() } else { c }));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    name
}

fn struct_type(out: &mut String, shapes: &Map<String, Value>, name: &str, shape: &Value) {
    let name = &type_name(name);
    let required = required_members(shape);
    let members = generated_members(shape);
    let all_optional = members.iter().all(|(m, _)| !required.contains(&m.as_str()));
    let derive_default = if all_optional { ", Default" } else { "" };
    writeln!(out, "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize{derive_default})]\npub struct {name} {{").unwrap();
    for (member, def) in members {
        let target = def["shape"].as_str().unwrap();
        let ty = rust_type(shapes, target);
        let field = field_name(member);
        if let Some(loc) = def.get("location").and_then(Value::as_str) {
            writeln!(
                out,
                "    /// Bound to the request's {loc} as `{}`.",
                def["locationName"].as_str().unwrap_or(member)
            )
            .unwrap();
        }
        if required.contains(&member.as_str()) {
            writeln!(out, "    #[serde(rename = \"{member}\")]\n    pub {field}: {ty},").unwrap();
        } else {
            writeln!(
                out,
                "    #[serde(rename = \"{member}\", default, skip_serializing_if = \"Option::is_none\")]\n    pub {field}: Option<{ty}>,"
            )
            .unwrap();
        }
    }
    out.push_str("}\n\n");
}

fn required_members(shape: &Value) -> Vec<&str> {
    shape
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// A structure's members that become fields: all but those bound to HTTP headers.
fn generated_members(shape: &Value) -> Vec<(&String, &Value)> {
    shape["members"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, m)| m.get("location").and_then(Value::as_str) != Some("header"))
        .collect()
}

fn rust_type(shapes: &Map<String, Value>, shape_name: &str) -> String {
    let shape = &shapes[shape_name];
    match shape["type"].as_str().unwrap() {
        "string" if shape.get("enum").is_some() => type_name(shape_name),
        "string" => "String".to_string(),
        "integer" => "i32".to_string(),
        "long" => "i64".to_string(),
        "float" => "f32".to_string(),
        "double" => "f64".to_string(),
        "boolean" => "bool".to_string(),
        "timestamp" => "Timestamp".to_string(),
        "list" => format!("Vec<{}>", rust_type(shapes, shape["member"]["shape"].as_str().unwrap())),
        "map" => {
            assert_eq!(
                shapes[shape["key"]["shape"].as_str().unwrap()]["type"],
                "string",
                "map keys are strings"
            );
            format!(
                "BTreeMap<String, {}>",
                rust_type(shapes, shape["value"]["shape"].as_str().unwrap())
            )
        }
        "structure" => type_name(shape_name),
        other => panic!("shape {shape_name} has unsupported type {other}"),
    }
}

/// `recordingConfigurationArn` -> `recording_configuration_arn`; `type` -> `r#type`.
pub fn field_name(member: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = member.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    match out.as_str() {
        "type" | "match" | "ref" | "box" | "mod" | "use" | "in" | "fn" | "self" | "where"
        | "loop" | "move" => format!("r#{out}"),
        _ => out,
    }
}

fn errors_file(errors: &BTreeMap<String, (u16, Vec<&'static str>)>) -> String {
    let mut out = header("the exception shapes of fixtures/models/ivs-*.service.json");
    out.push_str("//! The modeled exceptions of both services, with their HTTP status codes.\n\n");
    out.push_str("/// An exception shape of the `ivs` or `ivs-realtime` model.\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum ErrorCode {\n");
    for (name, (status, services)) in errors {
        writeln!(out, "    /// HTTP {status}; modeled in {}.\n    {name},", services.join(", "))
            .unwrap();
    }
    out.push_str("}\n\nimpl ErrorCode {\n    /// Every modeled exception.\n    pub const ALL: &'static [ErrorCode] = &[\n");
    for name in errors.keys() {
        writeln!(out, "        ErrorCode::{name},").unwrap();
    }
    out.push_str("    ];\n\n    /// The shape name, sent as `x-amzn-ErrorType`.\n    pub const fn name(self) -> &'static str {\n        match self {\n");
    for name in errors.keys() {
        writeln!(out, "            ErrorCode::{name} => \"{name}\",").unwrap();
    }
    out.push_str("        }\n    }\n\n    /// The shape's `httpStatusCode`.\n    pub const fn status(self) -> u16 {\n        match self {\n");
    for (name, (status, _)) in errors {
        writeln!(out, "            ErrorCode::{name} => {status},").unwrap();
    }
    out.push_str("        }\n    }\n\n    /// The exception with this shape name.\n    pub fn from_name(name: &str) -> Option<Self> {\n        Some(match name {\n");
    for name in errors.keys() {
        writeln!(out, "            \"{name}\" => ErrorCode::{name},").unwrap();
    }
    out.push_str("            _ => return None,\n        })\n    }\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_follow_rust_conventions() {
        assert_eq!(field_name("recordingConfigurationArn"), "recording_configuration_arn");
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("arns"), "arns");
        assert_eq!(field_name("playbackURL"), "playback_url");
    }

    #[test]
    fn enum_variants_are_pascal_case() {
        assert_eq!(variant_name("ADVANCED_SD"), "AdvancedSd");
        assert_eq!(variant_name("FULL_HD"), "FullHd");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("NotUpdatable"), "NotUpdatable");
        assert_eq!(variant_name("IN_PROGRESS"), "InProgress");
    }
}
