//! The AWS service models, embedded in the binary and read once at startup.
//!
//! This module owns the runtime view of `fixtures/models/` (with `fixtures/model-patches.json`
//! applied): each operation's HTTP binding, input shape and modeled errors, and every shape's
//! constraints. Routing (`routing.rs`), input assembly (`codec.rs`) and validation
//! (`validate.rs`) read from here; nothing in this module interprets a request.

use super::types::{ivs, ivs_realtime};
use regex::Regex;
use regex_automata::Anchored;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{LazyLock, OnceLock};

/// One of the two APIs served on the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Ivs,
    IvsRealtime,
}

impl Service {
    pub const ALL: [Service; 2] = [Service::Ivs, Service::IvsRealtime];

    /// The name users know the service by (the aws CLI command).
    pub const fn name(self) -> &'static str {
        match self {
            Service::Ivs => "ivs",
            Service::IvsRealtime => "ivs-realtime",
        }
    }

    fn model_stem(self) -> &'static str {
        match self {
            Service::Ivs => "ivs-2020-07-14",
            Service::IvsRealtime => "ivs-realtime-2020-07-14",
        }
    }

    fn model_text(self) -> &'static str {
        match self {
            Service::Ivs => include_str!("../../fixtures/models/ivs-2020-07-14.service.json"),
            Service::IvsRealtime => {
                include_str!("../../fixtures/models/ivs-realtime-2020-07-14.service.json")
            }
        }
    }
}

/// An operation of either service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Ivs(ivs::Operation),
    Realtime(ivs_realtime::Operation),
}

impl Operation {
    pub fn service(self) -> Service {
        match self {
            Operation::Ivs(_) => Service::Ivs,
            Operation::Realtime(_) => Service::IvsRealtime,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::Ivs(op) => op.name(),
            Operation::Realtime(op) => op.name(),
        }
    }

    /// Every operation of both services.
    pub fn all() -> impl Iterator<Item = Operation> {
        let ivs = ivs::Operation::ALL.iter().map(|&op| Operation::Ivs(op));
        ivs.chain(ivs_realtime::Operation::ALL.iter().map(|&op| Operation::Realtime(op)))
    }

    /// This operation's entry in its service model.
    pub fn def(self) -> &'static OperationDef {
        // A request asks several times; an index into a table saves a walk of the operations'
        // tree by name each time.
        static DEFS: LazyLock<[Vec<&'static OperationDef>; 2]> = LazyLock::new(|| {
            let by_name = |op: Operation| &model(op.service()).operations[op.name()];
            [
                ivs::Operation::ALL.iter().map(|&op| by_name(Operation::Ivs(op))).collect(),
                ivs_realtime::Operation::ALL
                    .iter()
                    .map(|&op| by_name(Operation::Realtime(op)))
                    .collect(),
            ]
        });
        match self {
            Operation::Ivs(op) => DEFS[0][op as usize],
            Operation::Realtime(op) => DEFS[1][op as usize],
        }
    }
}

/// Both service models, parsed and patched. Built on first use; `server::run` touches it
/// before it accepts connections so that no request pays for it.
pub fn model(service: Service) -> &'static ServiceModel {
    static MODELS: LazyLock<[ServiceModel; 2]> =
        LazyLock::new(|| Service::ALL.map(ServiceModel::load));
    &MODELS[service as usize]
}

#[derive(Debug, Deserialize)]
pub struct ServiceModel {
    pub operations: BTreeMap<String, OperationDef>,
    /// Looked up by name the first time a reference is followed ([`Target::resolve`]) and for
    /// an operation's input: FNV hashes a short name in a fraction of SipHash's time, and the
    /// names come from the embedded models, not from callers.
    pub shapes: fnv::FnvHashMap<String, Shape>,
}

/// The Cloud Control model (JSON 1.0), for validating its inputs; built like [`model`].
pub fn cloudcontrol_model() -> &'static ServiceModel {
    static MODEL: LazyLock<ServiceModel> = LazyLock::new(|| {
        ServiceModel::from_text(
            include_str!("../../fixtures/models/cloudcontrol-2021-09-30.service.json"),
            "cloudcontrol-2021-09-30",
        )
    });
    &MODEL
}

impl ServiceModel {
    fn load(service: Service) -> ServiceModel {
        Self::from_text(service.model_text(), service.model_stem())
    }

    fn from_text(text: &str, stem: &str) -> ServiceModel {
        let mut value: Value = serde_json::from_str(text).expect("embedded model is JSON");
        let patches: Value =
            serde_json::from_str(include_str!("../../fixtures/model-patches.json"))
                .expect("model patches are JSON");
        for patch in patches[stem].as_array().into_iter().flatten() {
            let shape = patch["shape"].as_str().expect("a patch names its shape");
            let target = value["shapes"]
                .get_mut(shape)
                .unwrap_or_else(|| panic!("model patch names unknown shape {shape}"));
            json_patch::merge(target, &patch["merge"]);
        }
        serde_json::from_value(value).expect("embedded model matches ServiceModel")
    }

    pub fn shape(&self, name: &str) -> &Shape {
        &self.shapes[name]
    }
}

#[derive(Debug, Deserialize)]
pub struct OperationDef {
    pub name: String,
    pub http: Http,
    pub input: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    /// [`OperationDef::body_input`], found on first use.
    #[serde(skip)]
    body_input: OnceLock<Option<&'static Shape>>,
}

impl OperationDef {
    /// The input's shape, when every member of it travels in the JSON body (none in a label,
    /// the query string or a header), so that the body is the whole input.
    pub fn body_input(&self, model: &'static ServiceModel) -> Option<&'static Shape> {
        *self.body_input.get_or_init(|| {
            let shape = self.input.as_ref()?.shape.resolve(model);
            match shape {
                Shape::Structure { members, .. }
                    if members.values().all(|m| m.location.is_none()) =>
                {
                    Some(shape)
                }
                _ => None,
            }
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct Http {
    pub method: String,
    #[serde(rename = "requestUri")]
    pub request_uri: String,
    #[serde(rename = "responseCode", default = "ok")]
    pub response_code: u16,
}

fn ok() -> u16 {
    200
}

#[derive(Debug, Deserialize)]
pub struct ShapeRef {
    pub shape: Target,
}

/// The name of the shape a reference points to, and the shape once looked up: validation
/// follows every member of an input on every request, and a look-up by name each time cost
/// more than the checks themselves.
#[derive(Debug, Deserialize)]
#[serde(from = "String")]
pub struct Target {
    name: String,
    shape: OnceLock<&'static Shape>,
}

impl From<String> for Target {
    fn from(name: String) -> Self {
        Target { name, shape: OnceLock::new() }
    }
}

impl std::ops::Deref for Target {
    type Target = str;

    fn deref(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl PartialEq<&str> for Target {
    fn eq(&self, name: &&str) -> bool {
        self.name == *name
    }
}

impl Target {
    /// The shape, in `model`, the model this reference is part of.
    pub fn resolve(&self, model: &'static ServiceModel) -> &'static Shape {
        self.shape.get_or_init(|| model.shape(&self.name))
    }
}

/// A structure member: its shape and where it travels in the HTTP request.
#[derive(Debug, Deserialize)]
pub struct Member {
    pub shape: Target,
    pub location: Option<Location>,
    #[serde(rename = "locationName")]
    pub location_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Uri,
    Querystring,
    Header,
}

/// A model shape with the constraints validation enforces.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Shape {
    Structure {
        members: BTreeMap<String, Member>,
        #[serde(default)]
        required: Vec<String>,
    },
    String {
        min: Option<u64>,
        max: Option<u64>,
        pattern: Option<Pattern>,
        #[serde(rename = "enum")]
        enum_values: Option<Vec<String>>,
        #[serde(default)]
        sensitive: bool,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Long {
        min: Option<i64>,
        max: Option<i64>,
    },
    Float {
        min: Option<f64>,
        max: Option<f64>,
    },
    Double {
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean {},
    Timestamp {},
    List {
        member: ShapeRef,
        min: Option<u64>,
        max: Option<u64>,
    },
    Map {
        key: ShapeRef,
        value: ShapeRef,
        min: Option<u64>,
        max: Option<u64>,
    },
}

/// A model `pattern`, compiled on first use.
///
/// The models' patterns come from AWS's Coral validation, which matches the *whole* value
/// (Java's `Matcher.matches`): AWS rejects a channel name `a b` even though the unanchored
/// pattern `[a-zA-Z0-9-_]*` would find a match inside it. So every pattern is anchored here;
/// the ones already written as `^...$` mean the same either way.
#[derive(Debug, Deserialize)]
#[serde(from = "String")]
pub struct Pattern {
    pub source: String,
    /// The pattern as a full DFA, which answers a short value in a few instructions a byte
    /// where `Regex::is_match` first spends several hundred on choosing an engine and taking a
    /// cache from its pool. `None` for a pattern the DFA cannot hold (over the size limit).
    dfa: OnceLock<Option<Dfa>>,
    /// The `Regex`, built only when it is needed: for a pattern without a DFA and, in debug
    /// builds, to check every answer of the DFA against.
    regex: OnceLock<Regex>,
}

/// The largest DFA built for one pattern; the models' largest (Unicode letter classes) take
/// a few hundred KiB at most.
const DFA_SIZE_LIMIT: usize = 4 << 20;

impl From<String> for Pattern {
    fn from(source: String) -> Self {
        Pattern { source, dfa: OnceLock::new(), regex: OnceLock::new() }
    }
}

impl Pattern {
    pub fn is_match(&self, value: &str) -> bool {
        let Some(dfa) = self.dfa.get_or_init(|| self.build_dfa()) else {
            return self.regex().is_match(value);
        };
        // `None` is a byte the DFA gave up on, which a DFA without Unicode word boundaries
        // never meets; the regex answers then.
        let Some(matched) = dfa.matches_whole(value.as_bytes()) else {
            return self.regex().is_match(value);
        };
        debug_assert_eq!(matched, self.regex().is_match(value), "{} on {value:?}", self.source);
        matched
    }

    fn anchored(&self) -> String {
        format!("^(?:{})$", self.source)
    }

    fn build_dfa(&self) -> Option<Dfa> {
        let config = dense::Config::new()
            .start_kind(StartKind::Anchored)
            .dfa_size_limit(Some(DFA_SIZE_LIMIT))
            .determinize_size_limit(Some(DFA_SIZE_LIMIT));
        let dfa = dense::Builder::new().configure(config).build(&self.anchored()).ok()?;
        let start = dfa.start_state(&start::Config::new().anchored(Anchored::Yes)).ok()?;
        Some(Dfa { dfa: Box::new(dfa), start })
    }

    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            Regex::new(&self.anchored())
                .unwrap_or_else(|e| panic!("model pattern {:?} does not compile: {e}", self.source))
        })
    }
}

/// An anchored pattern's DFA and the state every value starts from.
#[derive(Debug)]
struct Dfa {
    dfa: Box<dense::DFA<Vec<u32>>>,
    start: StateID,
}

impl Dfa {
    /// Whether the pattern (`^(?:...)$`) matches the whole of `value`: one transition a byte,
    /// then the end of input. A search (`try_search_fwd`) answers the same but first sets up
    /// for finding where a match ends, which cost as much as the walk on a 60-byte ARN. `None`
    /// if the DFA gives up on a byte.
    fn matches_whole(&self, value: &[u8]) -> Option<bool> {
        let dfa = &*self.dfa;
        let mut state = self.start;
        for &byte in value {
            state = dfa.next_state(state, byte);
            if dfa.is_special_state(state) {
                if dfa.is_dead_state(state) {
                    return Some(false);
                }
                if dfa.is_quit_state(state) {
                    return None;
                }
            }
        }
        Some(dfa.is_match_state(dfa.next_eoi_state(state)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_finds_its_own_entry() {
        for op in Operation::all() {
            let named = &model(op.service()).operations[op.name()];
            assert!(std::ptr::eq(op.def(), named), "{}", op.name());
        }
    }

    #[test]
    fn every_model_pattern_compiles_and_accepts_what_aws_generates() {
        for service in Service::ALL {
            for shape in model(service).shapes.values() {
                if let Shape::String { pattern: Some(p), .. } = shape {
                    p.is_match("");
                    assert!(p.dfa.get().unwrap().is_some(), "{} has no DFA", p.source);
                }
            }
        }
        let ivs = model(Service::Ivs);
        let Shape::String { pattern: Some(name), .. } = ivs.shape("ChannelName") else { panic!() };
        assert!(name.is_match("my-channel_1"));
        assert!(!name.is_match("my channel"));
        let Shape::String { pattern: Some(arn), .. } = ivs.shape("ChannelArn") else { panic!() };
        assert!(arn.is_match("arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh"));
    }

    /// Every pattern's DFA answers as its regex (`Pattern::is_match` asserts it in debug
    /// builds) on values of every kind its shapes see.
    #[test]
    fn every_pattern_s_dfa_agrees_with_its_regex() {
        let values = [
            "",
            "a",
            "a b",
            "my-channel_1",
            "-_",
            "st-abcDEF123",
            "rt_123_us-west-2_abc_x",
            "arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh",
            "arn:aws:ivs:us-west-2:123456789012:channel/",
            "arn:aws:ivs:us-west-2:123456789012:stage/abc\n",
            "arn:aws:mediatailor:us-west-2:123456789012:playbackConfiguration/x",
            "ñandú 日本 @:/=+-_.",
            "tab\there",
            "-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE\n-----END PUBLIC KEY-----\n",
            "\u{0}\u{7f}\u{10ffff}",
        ];
        let models = Service::ALL.map(model);
        for model in models.iter().copied().chain([cloudcontrol_model()]) {
            for shape in model.shapes.values() {
                if let Shape::String { pattern: Some(p), .. } = shape {
                    for value in values {
                        p.is_match(value);
                    }
                }
            }
        }
    }

    #[test]
    fn patches_are_applied() {
        let Shape::String { pattern, .. } = model(Service::Ivs).shape("ResourceArn") else {
            panic!()
        };
        assert!(pattern.is_none());
    }

    #[test]
    fn both_models_have_all_operations() {
        assert_eq!(Operation::all().count(), 79);
        for op in Operation::all() {
            assert_eq!(op.def().name, op.name());
        }
    }
}
