//! Input validation, derived from the service models at test time.
//!
//! Every constrained input member of every implemented operation gets a request at each bound
//! (which must not be a `ValidationException`; a business error such as 404 is fine) and one
//! past it (a 400 `ValidationException` naming the member and the constraint in AWS's words).
//! Limits, patterns and enums come from `ivs_local::api::model` (the models with
//! `fixtures/model-patches.json` applied), never from this file; the valid inputs they start
//! from come from `common/model_inputs.rs`. Operations without a handler get one valid request
//! (501 naming the operation) and one invalid one (400: validation runs first). Requests are raw HTTP laid out as the model's `http` trait says, since SDKs refuse
//! to send most of these inputs. Run with `--nocapture` to see the case counts and skips.

mod common;

use common::model_inputs::{ModelInputs, arn_prefix, full_match, lay_out};
use common::{RawResponse, TestServer};
use ivs_local::api::is_implemented;
use ivs_local::api::model::{Location, Operation, Service, ServiceModel, Shape};
use serde_json::{Value, json};

/// The key used when a case puts a value into a map (so its path is `tags.k`).
const MAP_KEY: &str = "k";

/// One step from an input object to a member: a structure member, a list item, a map key or a
/// map value.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Member(String),
    Item,
    Key,
    Value,
}

/// The member path as AWS's messages write it: `arns.1.member`, `tags.key`, `tags.k`.
fn path_of(steps: &[Step]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::Member(name) => name.clone(),
            Step::Item => "1.member".into(),
            Step::Key => "key".into(),
            Step::Value => MAP_KEY.into(),
        })
        .collect();
    parts.join(".")
}

fn with(steps: &[Step], step: Step) -> Vec<Step> {
    let mut steps = steps.to_vec();
    steps.push(step);
    steps
}

#[derive(Debug)]
enum Expect {
    /// Anything but a `ValidationException` (or another 400, or a 5xx).
    Accepted,
    /// 400 `ValidationException` whose message says `at '{path}' ... Member {constraint}`.
    Rejected { path: String, constraint: String },
}

#[derive(Debug)]
struct Case {
    op: Operation,
    what: String,
    input: Value,
    expect: Expect,
}

// ---------------------------------------------------------------------------------------------
// Values that satisfy (or break) a shape.

/// The models and one (service, operation) being turned into cases.
struct Cases<'m> {
    service: Service,
    model: &'m ServiceModel,
    inputs: ModelInputs,
    op: Operation,
    base: Value,
    cases: Vec<Case>,
    skipped: Vec<String>,
}

impl<'m> Cases<'m> {
    fn new(op: Operation) -> Self {
        let inputs = ModelInputs::new(op.service());
        let mut cases = Cases {
            service: op.service(),
            model: inputs.model,
            inputs,
            op,
            base: Value::Null,
            cases: Vec::new(),
            skipped: Vec::new(),
        };
        cases.base = inputs.base_input(op);
        cases
    }

    /// `service Operation`, for messages.
    fn label(&self) -> String {
        format!("{} {}", self.service.name(), self.op.name())
    }

    fn input_shape(&self) -> &'static str {
        ModelInputs::input_shape(self.op)
    }

    fn string_of_len(&self, shape: &str, n: usize) -> Option<String> {
        self.inputs.string_of_len(shape, n)
    }

    fn valid(&self, shape_name: &str) -> Value {
        self.inputs.valid(shape_name)
    }

    fn list_of(&self, item: &str, n: u64) -> Value {
        (0..n).map(|_| self.valid(item)).collect()
    }

    fn map_of(&self, value: &str, n: u64) -> Value {
        (0..n).map(|i| (format!("k{i}"), self.valid(value))).collect()
    }

    /// A value of the wrong JSON type for a shape.
    fn wrong_type(&self, shape_name: &str) -> Value {
        match self.model.shape(shape_name) {
            Shape::String { .. } => json!(5),
            Shape::Integer { .. } | Shape::Long { .. } => json!("1"),
            Shape::Float { .. } | Shape::Double { .. } => json!("1.5"),
            Shape::Boolean {} => json!("true"),
            Shape::Timestamp {} => json!(true),
            Shape::List { .. } => json!("x"),
            Shape::Map { .. } | Shape::Structure { .. } => json!([]),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Placing a value into the base input.

    /// `container` (a value of `shape`, or none yet) with `value` at `steps`; `None` removes
    /// the member the steps lead to.
    fn put(
        &self,
        shape: &str,
        container: Option<&Value>,
        steps: &[Step],
        value: Option<Value>,
    ) -> Option<Value> {
        let Some((step, rest)) = steps.split_first() else {
            return value;
        };
        let mut out = container.cloned().unwrap_or_else(|| self.valid(shape));
        match (self.model.shape(shape), step) {
            (Shape::Structure { members, .. }, Step::Member(name)) => {
                let child = self.put(&members[name].shape, out.get(name), rest, value);
                let object = out.as_object_mut().unwrap();
                match child {
                    Some(v) => object.insert(name.clone(), v),
                    None => object.remove(name),
                };
            }
            (Shape::List { member, min, .. }, Step::Item) => {
                let item = self.put(&member.shape, None, rest, value)?;
                out = Value::Array(vec![item; min.unwrap_or(0).max(1) as usize]);
            }
            (Shape::Map { value: v, .. }, Step::Key) => {
                let key = value?.as_str().expect("map keys are strings").to_string();
                out.as_object_mut().unwrap().insert(key, self.valid(&v.shape));
            }
            (Shape::Map { value: v, .. }, Step::Value) => {
                let child = self.put(&v.shape, None, rest, value)?;
                out.as_object_mut().unwrap().insert(MAP_KEY.into(), child);
            }
            (_, step) => panic!("{step:?} does not apply to {shape}"),
        }
        Some(out)
    }

    fn case(&mut self, steps: &[Step], value: Option<Value>, what: String, expect: Expect) {
        let input = self.put(self.input_shape(), Some(&self.base), steps, value).unwrap();
        self.cases.push(Case {
            op: self.op,
            what: format!("{} {}: {what}", self.label(), path_of(steps)),
            input,
            expect,
        });
    }

    fn accept(&mut self, steps: &[Step], value: Value, what: impl Into<String>) {
        self.case(steps, Some(value), what.into(), Expect::Accepted);
    }

    fn reject(&mut self, steps: &[Step], value: Option<Value>, constraint: impl Into<String>) {
        let constraint = constraint.into();
        let expect = Expect::Rejected { path: path_of(steps), constraint: constraint.clone() };
        self.case(steps, value, constraint, expect);
    }

    fn skip(&mut self, steps: &[Step], why: impl std::fmt::Display) {
        self.skipped.push(format!("{} {}: {why}", self.label(), path_of(steps)));
    }

    // -----------------------------------------------------------------------------------------
    // Walking the input shape.

    /// Adds the cases for the member at `steps` (of shape `shape_name`, bound to `location`)
    /// and everything below it.
    fn walk(&mut self, shape_name: &str, steps: &[Step], location: Option<Location>) {
        assert!(steps.len() < 10, "shape recursion at {}", path_of(steps));
        let model = self.model;
        match model.shape(shape_name) {
            Shape::Structure { members, required } => {
                for (name, member) in members {
                    let child = with(steps, Step::Member(name.clone()));
                    let location = member.location.or(location);
                    if required.contains(name) {
                        match location {
                            Some(Location::Uri) => {
                                self.skip(&child, "required: a URI label cannot be left out")
                            }
                            _ => self.reject(&child, None, "must not be null"),
                        }
                    }
                    self.walk(&member.shape, &child, location);
                }
            }
            Shape::String { enum_values: Some(values), .. } => {
                for v in values {
                    self.accept(steps, json!(v), format!("enum value {v:?}"));
                }
                let v = json!("NOT_AN_ENUM_VALUE");
                self.reject(steps, Some(v), "must satisfy enum value set: [");
            }
            Shape::String { min, max, pattern, .. } => {
                if let Some(min) = *min {
                    self.string_bound(shape_name, steps, min as usize, "min");
                    if min == 1 && location == Some(Location::Uri) {
                        self.skip(steps, "length 0: an empty URI label is another path");
                    } else if min > 0 {
                        let n = min as usize - 1;
                        let v = self.string_of_len(shape_name, n).unwrap_or("a".repeat(n));
                        let c = format!("must have length greater than or equal to {min}");
                        self.reject(steps, Some(json!(v)), c);
                    }
                }
                if let Some(max) = *max {
                    self.string_bound(shape_name, steps, max as usize, "max");
                    let n = max as usize + 1;
                    let v = self.string_of_len(shape_name, n).unwrap_or("a".repeat(n));
                    let c = format!("must have length less than or equal to {max}");
                    self.reject(steps, Some(json!(v)), c);
                }
                if let Some(pattern) = pattern {
                    // A valid non-empty value with its first character made invalid.
                    let hi = max.map_or(200, |m| m as usize);
                    let valid = (1..=hi).find_map(|n| self.string_of_len(shape_name, n));
                    let valid = valid.unwrap_or_else(|| panic!("no valid value for {shape_name}"));
                    let bad = format!("!{}", &valid[1..]);
                    if full_match(Some(&pattern.source), &bad) {
                        self.skip(steps, format!("pattern: {bad:?} still matches"));
                    } else {
                        let c = "must satisfy regular expression pattern: ";
                        self.reject(steps, Some(json!(bad)), c);
                    }
                }
            }
            Shape::Integer { min, max } | Shape::Long { min, max } => {
                if let Some(min) = *min {
                    self.accept(steps, json!(min), format!("min {min}"));
                    let c = format!("must have value greater than or equal to {min}");
                    self.reject(steps, Some(json!(min - 1)), c);
                }
                if let Some(max) = *max {
                    self.accept(steps, json!(max), format!("max {max}"));
                    let c = format!("must have value less than or equal to {max}");
                    self.reject(steps, Some(json!(max + 1)), c);
                }
            }
            Shape::Float { min, max } | Shape::Double { min, max } => {
                if let Some(min) = *min {
                    self.accept(steps, json!(min), format!("min {min}"));
                    let c = format!("must have value greater than or equal to {min}");
                    self.reject(steps, Some(json!(min - 0.5)), c);
                }
                if let Some(max) = *max {
                    self.accept(steps, json!(max), format!("max {max}"));
                    let c = format!("must have value less than or equal to {max}");
                    self.reject(steps, Some(json!(max + 0.5)), c);
                }
            }
            Shape::Boolean {} | Shape::Timestamp {} => {}
            Shape::List { member, min, max } => {
                if let Some(min) = *min {
                    let v = self.list_of(&member.shape, min);
                    if min == 0 && location == Some(Location::Querystring) {
                        self.skip(steps, "0 items: a query string cannot carry an empty list");
                    } else {
                        self.accept(steps, v, format!("{min} items (min)"));
                    }
                    if min > 0 {
                        let v = self.list_of(&member.shape, min - 1);
                        let c = format!("must have length greater than or equal to {min}");
                        self.reject(steps, Some(v), c);
                    }
                }
                if let Some(max) = *max {
                    let v = self.list_of(&member.shape, max);
                    self.accept(steps, v, format!("{max} items (max)"));
                    let v = self.list_of(&member.shape, max + 1);
                    let c = format!("must have length less than or equal to {max}");
                    self.reject(steps, Some(v), c);
                }
                self.walk(&member.shape, &with(steps, Step::Item), location);
            }
            Shape::Map { key, value, min, max } => {
                if let Some(min) = *min {
                    let v = self.map_of(&value.shape, min);
                    self.accept(steps, v, format!("{min} entries (min)"));
                    if min > 0 {
                        let v = self.map_of(&value.shape, min - 1);
                        let c = format!("must have length greater than or equal to {min}");
                        self.reject(steps, Some(v), c);
                    }
                }
                if let Some(max) = *max {
                    let v = self.map_of(&value.shape, max);
                    self.accept(steps, v, format!("{max} entries (max)"));
                    let v = self.map_of(&value.shape, max + 1);
                    let c = format!("must have length less than or equal to {max}");
                    self.reject(steps, Some(v), c);
                }
                self.walk(&key.shape, &with(steps, Step::Key), location);
                self.walk(&value.shape, &with(steps, Step::Value), location);
            }
        }
        // A JSON value of the wrong type, for members that travel in the body (labels, query
        // values and map keys are text on the wire).
        let in_body = location.is_none() && !matches!(steps.last(), None | Some(Step::Key));
        if in_body {
            let v = self.wrong_type(shape_name);
            self.reject(steps, Some(v), "must be ");
        }
    }

    /// A string of exactly `n` characters at a length bound, which must be accepted.
    fn string_bound(&mut self, shape: &str, steps: &[Step], n: usize, which: &str) {
        if steps.last() == Some(&Step::Member("publicKeyMaterial".into())) {
            // Any text of that length passes validation, but only a real key passes the
            // handler, which then answers a (business) 400 naming what is wrong with it.
            return self.skip(steps, format!("length {n} ({which}): the handler parses the key"));
        }
        let pattern = match self.model.shape(shape) {
            Shape::String { pattern, .. } => pattern.as_ref().map(|p| p.source.as_str()),
            _ => None,
        };
        let models_not_found =
            self.op.def().errors.iter().any(|e| e.shape == "ResourceNotFoundException");
        if n > 0 && arn_prefix(self.service, shape, pattern).is_some() && !models_not_found {
            // An ARN of this length names no resource, and an operation that models no
            // ResourceNotFoundException refuses a missing reference with a (business) 400.
            return self.skip(steps, format!("length {n} ({which}): names no resource"));
        }
        match self.string_of_len(shape, n) {
            Some(v) => self.accept(steps, json!(v), format!("length {n} ({which})")),
            None => self.skip(steps, format!("length {n} ({which}): no value fits {shape}")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sending an input the way the model's http trait lays it out.

/// The raw request for `op` with `input`, laid out as the model's http trait says.
fn request(
    client: &reqwest::Client,
    url: &str,
    op: Operation,
    input: &Value,
) -> reqwest::RequestBuilder {
    let raw = lay_out(op, input);
    let method = reqwest::Method::from_bytes(raw.method.as_bytes()).unwrap();
    let mut request = client.request(method, format!("{url}{}", raw.target()));
    for (name, value) in raw.headers {
        request = request.header(name, value);
    }
    if let Some(body) = raw.body {
        request = request.body(body);
    }
    request
}

/// Why a response does not meet a case's expectation, if it does not.
fn check(case: &Case, r: &RawResponse) -> Option<String> {
    let failure = match &case.expect {
        Expect::Accepted => (r.status == 400 || r.status >= 500)
            .then(|| "expected no ValidationException (nor any 400 or 5xx)".to_string()),
        Expect::Rejected { path, constraint } => {
            let wanted = format!("at '{path}' failed to satisfy constraint: Member {constraint}");
            let ok = r.status == 400
                && r.error_type.as_deref() == Some("ValidationException")
                && r.message().contains(&wanted);
            (!ok).then(|| format!("expected 400 ValidationException with \"...{wanted}...\""))
        }
    };
    failure.map(|why| {
        let input = case.input.to_string();
        let input: String = input.chars().take(300).collect();
        format!(
            "{}\n    {why}\n    got {} {:?}: {}\n    input: {input}",
            case.what,
            r.status,
            r.error_type,
            r.message().chars().take(400).collect::<String>(),
        )
    })
}

async fn run(server: &TestServer, cases: &[Case]) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for case in cases {
        let response = server.send(request(&client, &server.url, case.op, &case.input)).await;
        failures.extend(check(case, &response));
    }
    failures
}

fn assert_no_failures(failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_constrained_member_is_accepted_at_its_bounds_and_rejected_past_them() {
    let server = common::start().await;
    let implemented: Vec<Operation> = Operation::all().filter(|op| is_implemented(*op)).collect();
    assert!(!implemented.is_empty());

    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    for &op in &implemented {
        let mut derived = Cases::new(op);
        derived.walk(derived.input_shape(), &[], None);
        assert!(!derived.cases.is_empty(), "{} has no cases", op.name());
        cases.append(&mut derived.cases);
        skipped.append(&mut derived.skipped);
    }
    let failures = run(&server, &cases).await;

    let accepted = cases.iter().filter(|c| matches!(c.expect, Expect::Accepted)).count();
    println!(
        "validation: {} cases over {} implemented operations ({accepted} at a bound or valid, {} past a bound or invalid); {} skipped:",
        cases.len(),
        implemented.len(),
        cases.len() - accepted,
        skipped.len()
    );
    for s in &skipped {
        println!("  skipped {s}");
    }
    assert_no_failures(&failures, cases.len());
}

/// The model's `ResourceArn` pattern is patched out (it matches no real ARN), so tags.rs
/// parses the ARN; a malformed one must still be a ValidationException naming `resourceArn`.
/// Whatever the ARN names, a malformed one routes to `ivs`.
#[tokio::test]
async fn malformed_tag_arns_are_validation_errors_naming_resource_arn() {
    let server = common::start().await;
    let malformed = [
        "not-an-arn",
        "arn:aws:s3:::bucket",
        "arn:aws:ivs:us-west-2:123:channel/abcdABCDefgh",
        "arn:aws:ivs:us-west-2:123456789012:widget/abcdABCDefgh",
        "arn:aws:ivs:us-west-2:123456789012:channel/",
        "arn:aws:ivs:US-WEST-2:123456789012:channel/abcdABCDefgh",
        "arn:aws:ivs:us-west-2:123456789012:channel/abc_def",
    ];
    let ops = ["TagResource", "UntagResource", "ListTagsForResource"];
    let mut cases = Vec::new();
    for name in ops {
        let op =
            Operation::all().find(|op| op.service() == Service::Ivs && op.name() == name).unwrap();
        let base = Cases::new(op).base;
        for arn in malformed {
            let mut input = base.clone();
            input["resourceArn"] = json!(arn);
            if name == "TagResource" {
                input["tags"] = json!({"k": "v"});
            }
            cases.push(Case {
                op,
                what: format!("{name} resourceArn {arn:?}"),
                input,
                expect: Expect::Rejected {
                    path: "resourceArn".into(),
                    constraint: "must be an Amazon IVS resource ARN".into(),
                },
            });
        }
    }
    let failures = run(&server, &cases).await;
    println!("validation: {} malformed tag ARN cases", cases.len());
    assert_no_failures(&failures, cases.len());
}

/// Every operation of both models has a handler: a valid input, sent as the model lays it
/// out, is answered by the operation itself (a 2xx or a modeled 4xx such as a 404 for the
/// placeholder ARNs), never by a 501 or any other 5xx.
#[tokio::test]
async fn every_operation_is_implemented_and_answers_a_valid_input() {
    let server = common::start().await;
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for op in Operation::all() {
        if !is_implemented(op) {
            failures.push(format!("{} {} has no handler", op.service().name(), op.name()));
            continue;
        }
        let derived = Cases::new(op);
        let r = server.send(request(&client, &server.url, op, &derived.base)).await;
        if r.status >= 500 || r.status == 400 {
            failures.push(format!(
                "{} {}: valid input {} got {} {:?}: {}",
                op.service().name(),
                op.name(),
                derived.base,
                r.status,
                r.error_type,
                r.message()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A value of `shape` with every member, item and entry a shape allows, as far as `depth`
/// levels down: the largest input a client could send.
fn full(inputs: &ModelInputs, shape_name: &str, depth: usize) -> Value {
    match inputs.model.shape(shape_name) {
        Shape::Structure { members, .. } if depth > 0 => members
            .iter()
            .filter(|(_, m)| m.location.is_none())
            .map(|(name, m)| (name.clone(), full(inputs, &m.shape, depth - 1)))
            .collect(),
        Shape::List { member, .. } if depth > 0 => json!([full(inputs, &member.shape, depth - 1)]),
        Shape::Map { key, value, .. } if depth > 0 => {
            let key = inputs.valid(&key.shape);
            let key = key.as_str().unwrap_or(MAP_KEY).to_string();
            json!({ key: full(inputs, &value.shape, depth - 1) })
        }
        _ => inputs.valid(shape_name),
    }
}

/// Every member, item and entry of `value`, by the steps to it.
fn places(value: &Value, at: Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(object) => {
            for (k, v) in object {
                places(v, with(&at, Step::Member(k.clone())), out);
            }
        }
        Value::Array(items) => {
            for item in items {
                places(item, with(&at, Step::Item), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn place<'v>(value: &'v mut Value, steps: &[Step]) -> &'v mut Value {
    steps.iter().fold(value, |v, step| match step {
        Step::Member(k) => &mut v[k.as_str()],
        Step::Item => &mut v[0],
        Step::Key | Step::Value => unreachable!("places writes members and items only"),
    })
}

/// `api::validate::is_valid_body`, the check that lets a request body go straight into the
/// input type, never accepts what the checks that word the errors (validation against the
/// model, then the reserved tag prefix) refuse, and accepts everything they accept unless the
/// body has a key twice or an escaped key. Where it accepts, serde reads the body as the input
/// type exactly as it reads the checked object. Inputs: every operation whose input travels in
/// the body alone, each with every member present, then with each member in turn replaced by
/// values of every JSON type and of odd sizes, removed, or repeated.
#[test]
fn the_body_check_accepts_exactly_what_validation_accepts() {
    use ivs_local::api::{types, validate, validated_input};
    let odd = [
        json!(null),
        json!(""),
        json!("a b"),
        json!("aws:k"),
        json!("ñandú \u{1F600} \n\"\\"),
        json!("x".repeat(2049)),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(2147483648u64),
        json!(9223372036854775808u64),
        json!(-9223372036854775808i64),
        json!(1e300),
        json!(true),
        json!([]),
        json!(["a"]),
        json!([null]),
        json!({}),
        json!({"k": "v"}),
        json!({"aws:k": "v"}),
        json!({"AWS:k": "v", "k": null}),
        json!({"": "v"}),
    ];
    let (mut agreed, mut accepted, mut left, mut typed) = (0, 0, 0, 0);
    for op in Operation::all() {
        let model = ivs_local::api::model::model(op.service());
        let Some(shape) = op.def().body_input(model) else { continue };
        let inputs = ModelInputs::new(op.service());
        let base = full(&inputs, ModelInputs::input_shape(op), 4);
        let text = base.to_string();
        assert!(validate::is_valid_body(model, shape, text.as_bytes()), "{} {text}", op.name());
        let mut bodies = vec![text.clone(), "{}".into(), " { } ".into(), "[]".into()];
        // Members the input does not have, which AWS ignores, whatever they hold.
        for (name, value) in [("zz", json!(1)), ("Tags", json!({"aws:k": "v"}))]
            .into_iter()
            .chain([("tags", json!({"aws:k": "v"})), ("tags", json!({"k": 1}))])
            .chain([("zz", json!({"a": [1, {"b": null}], "c": "d"}))])
        {
            let mut doc = base.clone();
            doc[name] = value;
            bodies.push(doc.to_string());
        }
        // Not JSON, though only where a value is decoded: a lone surrogate in an unknown
        // member, at the top and nested.
        let rest = &text[1..];
        let comma = if rest.starts_with('}') { "" } else { "," };
        bodies.push(format!("{{\"zz\":\"a\\ud800\"{comma}{rest}"));
        bodies.push(format!("{{\"zz\":[{{\"y\":\"\\udc00\"}}]{comma}{rest}"));
        let mut at = Vec::new();
        places(&base, Vec::new(), &mut at);
        for steps in at.iter().filter(|s| !s.is_empty()) {
            for value in &odd {
                let mut doc = base.clone();
                *place(&mut doc, steps) = value.clone();
                bodies.push(doc.to_string());
            }
            let mut doc = base.clone();
            let (last, parent) = steps.split_last().unwrap();
            if let (Step::Member(name), Some(object)) =
                (last, place(&mut doc, parent).as_object_mut())
            {
                let removed = object.remove(name).unwrap();
                let without = doc.to_string();
                if steps.len() == 1 {
                    // The member twice, first odd, then as it was, and the other way round;
                    // and its name escaped.
                    let others = without.strip_prefix('{').unwrap();
                    let comma = if others.starts_with('}') { "" } else { "," };
                    for (first, second) in
                        [(json!(1), removed.clone()), (removed.clone(), json!(1))]
                    {
                        bodies.push(format!(
                            "{{\"{name}\":{first},\"{name}\":{second}{comma}{others}"
                        ));
                    }
                    if !name.is_empty() {
                        let escaped = format!("\\u{:04x}{}", name.as_bytes()[0], &name[1..]);
                        bodies.push(format!("{{\"{escaped}\":{removed}{comma}{others}"));
                    }
                }
                bodies.push(without);
            }
        }
        // A lone surrogate in the first string member.
        if let Some(at) = text.find(":\"") {
            bodies.push(format!("{}:\"\\ud800{}", &text[..at], &text[at + 2..]));
        }
        // Bytes that are not UTF-8, in an unknown member's string.
        let mut bytes = b"{\"zz\":\"a".to_vec();
        bytes.extend([0xff, 0xfe, b'"']);
        bytes.extend(format!("{comma}{rest}").into_bytes());
        assert!(
            !validate::is_valid_body(model, shape, &bytes),
            "{} with bytes not UTF-8",
            op.name()
        );
        for body in &bodies {
            let fast = validate::is_valid_body(model, shape, body.as_bytes());
            let object = serde_json::from_str::<Value>(body).ok().filter(Value::is_object);
            let slow = object.as_ref().is_some_and(|v| validated_input(op, v).is_ok());
            let what = format!("{} {body}", op.name());
            assert!(slow || !fast, "the body check accepts what validation refuses: {what}");
            // Written by serde_json itself: no key twice, none escaped.
            let written =
                serde_json::from_str::<Value>(body).and_then(|v| serde_json::to_string(&v));
            let plain = !body.contains("\\u") && written.is_ok_and(|w| w == *body);
            if plain {
                assert_eq!(fast, slow, "the body check refuses a plain valid body: {what}");
            }
            agreed += 1;
            accepted += usize::from(fast);
            left += usize::from(slow && !fast);
            if !fast {
                continue;
            }
            // Where it accepts, the input type reads the same from the body as from the object.
            let object = object.unwrap();
            macro_rules! same {
                ($($t:ty),*) => {{
                    let mut checked = false;
                    $(if ModelInputs::input_shape(op) == stringify!($t).rsplit("::").next().unwrap() {
                        let from_body: $t = serde_json::from_str(body).unwrap();
                        let from_object: $t = serde_json::from_value(object.clone()).unwrap();
                        assert_eq!(from_body, from_object, "{what}");
                        checked = true;
                    })*
                    checked
                }};
            }
            typed += usize::from(same!(
                types::ivs::CreateChannelRequest,
                types::ivs::UpdateChannelRequest,
                types::ivs::BatchGetChannelRequest,
                types::ivs::CreateRecordingConfigurationRequest,
                types::ivs::CreatePlaybackRestrictionPolicyRequest,
                types::ivs::PutMetadataRequest,
                types::ivs_realtime::CreateStageRequest,
                types::ivs_realtime::CreateParticipantTokenRequest,
                types::ivs_realtime::StartCompositionRequest,
                types::ivs_realtime::CreateEncoderConfigurationRequest,
                types::ivs_realtime::ListParticipantsRequest
            ));
        }
    }
    // A map of many entries goes the long way, whose answer is the same; the body check
    // compares each key with the ones before it, and would take seconds over a megabyte.
    let op =
        Operation::Realtime(ivs_local::api::types::ivs_realtime::Operation::CreateParticipantToken);
    let model = ivs_local::api::model::model(op.service());
    let shape = op.def().body_input(model).unwrap();
    for entries in [65, 100_000] {
        let attributes: serde_json::Map<String, Value> =
            (0..entries).map(|i| (format!("k{i}"), json!("v"))).collect();
        let stage = "arn:aws:ivs:us-west-2:123456789012:stage/abcdABCDefgh";
        let body = json!({"stageArn": stage, "attributes": attributes});
        assert!(!validate::is_valid_body(model, shape, body.to_string().as_bytes()));
        assert!(validated_input(op, &body).is_ok(), "{entries} attributes");
    }
    println!(
        "{agreed} bodies: {accepted} accepted by the body check ({typed} read both ways), \
         {left} left to validation"
    );
    assert!(typed > 100, "{typed} bodies read both ways");
}
