//! Valid requests for every door of the server: each operation of both models (from
//! `model_inputs.rs`, naming real resources), Cloud Control's operations, the `/_ivs-local/`
//! control API and STS; and [`judge`], the rule every answer keeps, however bad the request.
//! `mutation.rs` breaks these requests, and the fuzz target (`fuzz/src/lib.rs` includes this
//! file and `model_inputs.rs`) starts its corpus from them.

use super::model_inputs::{ModelInputs, lay_out};
use axum::http::HeaderMap;
use ivs_local::api::model::Operation;
use serde_json::{Value, json};

/// Resources that exist when the requests are sent, for requests to name.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// A channel that is live (its stream key was used to start a broadcast).
    pub live_channel: String,
    /// A channel that is not live.
    pub channel: String,
    pub stream_key_arn: String,
    pub stream_key: String,
    /// The live channel's playback URL.
    pub playback_url: String,
    pub recording_configuration: String,
    pub policy: String,
    pub stage: String,
    /// A participant token of `stage`, if one was made.
    pub token: Option<String>,
    /// A participant connected to a stage: (stage ARN, participant id).
    pub participant: Option<(String, String)>,
}

impl Known {
    /// A real ARN of the resource type a (placeholder) ARN names, if one is known.
    fn real(&self, arn: &str, i: usize) -> Option<String> {
        let kind = arn.split(':').nth(5)?.split('/').next()?;
        let pool = match kind {
            "channel" => vec![&self.channel, &self.live_channel],
            "stream-key" => vec![&self.stream_key_arn],
            "recording-configuration" => vec![&self.recording_configuration],
            "playback-restriction-policy" => vec![&self.policy],
            "stage" => vec![&self.stage],
            _ => return None,
        };
        Some(pool[i % pool.len()].clone()).filter(|a| !a.is_empty())
    }

    fn replace_arns(&self, value: &mut Value, i: &mut usize) {
        match value {
            Value::String(s) if s.starts_with("arn:aws:ivs:") => {
                *i += 1;
                if let Some(real) = self.real(s, *i) {
                    *s = real;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.replace_arns(v, i)),
            Value::Object(members) => members.values_mut().for_each(|v| self.replace_arns(v, i)),
            _ => {}
        }
    }
}

/// One valid request, as text.
#[derive(Debug, Clone)]
pub struct SeedRequest {
    /// `service Operation`, `cloudcontrol Operation`, `control METHOD route` or `sts Action`.
    pub what: String,
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// A body member holding a JSON document as text (Cloud Control's `DesiredState`,
    /// `PatchDocument` and `ResourceModel`), worth mutating as JSON too.
    pub inner: Option<&'static str>,
}

/// A valid request for every door. `authorization` puts the AWS requests in a scope;
/// `delete_known` lets Delete operations name the known resources (else they keep the
/// models' placeholders, so the known resources survive).
pub fn seed_requests(known: &Known, authorization: &str, delete_known: bool) -> Vec<SeedRequest> {
    let mut seeds = Vec::new();
    let signed = |extra: &[(&str, &str)]| {
        let mut headers = vec![("authorization".to_string(), authorization.to_string())];
        headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        headers
    };
    for op in Operation::all() {
        let mut input = ModelInputs::new(op.service()).base_input(op);
        if delete_known || !op.name().starts_with("Delete") {
            known.replace_arns(&mut input, &mut 0);
        }
        let raw = lay_out(op, &input);
        let mut headers = signed(&[]);
        headers.extend(raw.headers.iter().cloned());
        seeds.push(SeedRequest {
            what: format!("{} {}", op.service().name(), op.name()),
            method: raw.method.clone(),
            target: raw.target(),
            headers,
            body: raw.body,
            inner: None,
        });
    }

    // Cloud Control (JSON 1.0, `POST /`).
    let channel = &known.channel;
    let placeholder_stage = "arn:aws:ivs:us-west-2:123456789012:stage/abcdABCDefgh";
    let cloudcontrol = [
        (
            "CreateResource",
            json!({"TypeName": "AWS::IVS::Channel", "DesiredState": json!({"Name": "cc", "Tags": [{"Key": "k", "Value": "v"}]}).to_string()}),
            Some("DesiredState"),
        ),
        (
            "CreateResource",
            json!({"TypeName": "AWS::IVS::RecordingConfiguration", "DesiredState": json!({"DestinationConfiguration": {"S3": {"BucketName": "b"}}}).to_string()}),
            Some("DesiredState"),
        ),
        (
            "CreateResource",
            json!({"TypeName": "AWS::IVS::StreamKey", "DesiredState": json!({"ChannelArn": channel}).to_string()}),
            Some("DesiredState"),
        ),
        (
            "CreateResource",
            json!({"TypeName": "AWS::IVS::Stage", "DesiredState": json!({"Name": "cc"}).to_string(), "ClientToken": "token-1"}),
            Some("DesiredState"),
        ),
        ("GetResource", json!({"TypeName": "AWS::IVS::Channel", "Identifier": channel}), None),
        (
            "ListResources",
            json!({"TypeName": "AWS::IVS::StreamKey", "ResourceModel": json!({"ChannelArn": channel}).to_string(), "MaxResults": 5}),
            Some("ResourceModel"),
        ),
        (
            "UpdateResource",
            json!({"TypeName": "AWS::IVS::Channel", "Identifier": channel, "PatchDocument": json!([{"op": "replace", "path": "/Name", "value": "x"}]).to_string()}),
            Some("PatchDocument"),
        ),
        (
            "DeleteResource",
            json!({"TypeName": "AWS::IVS::Stage", "Identifier": if delete_known { known.stage.as_str() } else { placeholder_stage }}),
            None,
        ),
        (
            "GetResourceRequestStatus",
            json!({"RequestToken": "00000000-0000-4000-8000-000000000000"}),
            None,
        ),
        (
            "ListResourceRequests",
            json!({"MaxResults": 3, "ResourceRequestStatusFilter": {"Operations": ["CREATE"], "OperationStatuses": ["SUCCESS"]}}),
            None,
        ),
        (
            "CancelResourceRequest",
            json!({"RequestToken": "00000000-0000-4000-8000-000000000000"}),
            None,
        ),
    ];
    for (op, body, inner) in cloudcontrol {
        let target = format!("CloudApiService.{op}");
        seeds.push(SeedRequest {
            what: format!("cloudcontrol {op}"),
            method: "POST".into(),
            target: "/".into(),
            headers: signed(&[
                ("x-amz-target", &target),
                ("content-type", "application/x-amz-json-1.0"),
            ]),
            body: Some(body.to_string()),
            inner,
        });
    }

    // The control API.
    let placeholder_token = "eyJhbGciOiJLTVMiLCJ0eXAiOiJKV1QifQ.e30.c2lnbmF0dXJl".to_string();
    let token = known.token.clone().unwrap_or(placeholder_token);
    let (stage, participant) =
        known.participant.clone().unwrap_or((known.stage.clone(), "abcdABCDefgh".into()));
    let video = json!({"codec": "avc1.64001F", "targetFramerate": 30, "videoHeight": 720, "videoWidth": 1280});
    let control = [
        (
            "POST",
            "broadcasts/start",
            Some(
                json!({"streamKey": known.stream_key, "protocol": "SRT", "health": "HEALTHY", "viewerCount": 3, "video": video}),
            ),
        ),
        (
            "POST",
            "broadcasts/update",
            Some(json!({"channelArn": known.live_channel, "health": "STARVING", "viewerCount": 5})),
        ),
        ("POST", "broadcasts/stop", Some(json!({"channelArn": known.channel}))),
        ("POST", "stages/join", Some(json!({"token": token, "publish": true, "subscribe": true}))),
        (
            "POST",
            "stages/update",
            Some(json!({"stageArn": stage, "participantId": participant, "publish": false})),
        ),
        (
            "POST",
            "stages/leave",
            Some(json!({"stageArn": known.stage, "participantId": "abcdABCDefgh"})),
        ),
        (
            "POST",
            "playback/authorize",
            Some(
                json!({"playbackUrl": known.playback_url, "origin": "https://a.example", "country": "NZ"}),
            ),
        ),
        ("GET", "broadcasts", None),
        ("GET", "keys", None),
        ("GET", "health", None),
    ];
    for (method, route, body) in control {
        let content_type: &[(&str, &str)] = match body {
            Some(_) => &[("content-type", "application/json")],
            None => &[],
        };
        seeds.push(SeedRequest {
            what: format!("control {method} {route}"),
            method: method.into(),
            target: format!("/_ivs-local/{route}"),
            headers: content_type.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.map(|b| b.to_string()),
            inner: None,
        });
    }
    seeds.push(SeedRequest {
        what: "control GET events".into(),
        method: "GET".into(),
        target: format!(
            "/_ivs-local/events?resource={}&since=2024-01-01T00:00:00Z",
            known.live_channel
        ),
        headers: Vec::new(),
        body: None,
        inner: None,
    });

    // STS, on the same `/` as Cloud Control.
    seeds.push(SeedRequest {
        what: "sts GetCallerIdentity".into(),
        method: "POST".into(),
        target: "/".into(),
        headers: signed(&[("content-type", "application/x-www-form-urlencoded")]),
        body: Some("Action=GetCallerIdentity&Version=2011-06-15".into()),
        inner: None,
    });
    seeds
}

/// Why an answer breaks the rules, if it does: any 5xx but STS's documented 501 at `/` (for
/// actions and JSON targets it does not serve), or an error without `x-amzn-ErrorType` or
/// whose body is not a JSON object (STS's XML aside), but for the HTTP parser's documented
/// refusal of a request head over its limits.
pub fn judge(target: &[u8], status: u16, headers: &HeaderMap, body: &[u8]) -> Option<String> {
    // The path as the server reads it: without a query or a fragment (`/#x` is `/`), and
    // without the scheme and authority of an absolute-form target (`http://host/`).
    let to_root = axum::http::Uri::try_from(target).is_ok_and(|uri| uri.path() == "/");
    if status >= 500 && !(status == 501 && to_root) {
        let shown = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Some(format!("answered {status}: {shown}"));
    }
    if status < 400 {
        return None;
    }
    // A head over `--max-headers` or `--max-header-bytes`: hyper refuses the request before
    // it is read as an AWS call, with an empty 431 that closes the connection (the README's
    // limits say so).
    let closes = headers.get("connection").is_some_and(|c| c.as_bytes() == b"close");
    if status == 431 && closes && body.is_empty() {
        return None;
    }
    if headers.get("x-amzn-errortype").is_none_or(|t| t.is_empty()) {
        return Some(format!("{status} without x-amzn-ErrorType"));
    }
    let xml = headers.get("content-type").is_some_and(|t| t.as_bytes().starts_with(b"text/xml"));
    let object = serde_json::from_slice::<Value>(body).is_ok_and(|v| v.is_object());
    if !xml && !object {
        let shown = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Some(format!("{status} with a body that is not a JSON object: {shown:?}"));
    }
    None
}
