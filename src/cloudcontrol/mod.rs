//! The Cloud Control API (`cloudcontrolapi`, JSON 1.0) for the `AWS::IVS::*` types: a second
//! front door to the IVS handlers (DESIGN.md, "Cloud Control").
//!
//! `POST /` with `X-Amz-Target: CloudApiService.<Operation>` lands in [`handle`], which
//! validates the input against the cloudcontrol model and runs the operation. Desired states
//! and patches are checked against the type's CloudFormation schema (`schema.rs`); the work is
//! done by the IVS operations, reached through `api::call` (`resources.rs` maps the shapes), so
//! no IVS rule is written twice. Create, Update and Delete answer `IN_PROGRESS` and are
//! finished by the time the request's status is read (`requests.rs` keeps the records).
//!
//! Errors are rendered as AWS's Coral front end writes them: HTTP 400, a `__type` of
//! `com.amazon.cloudapiservice#<Name>` (or `com.amazon.coral.validate#ValidationException`),
//! the text in `Message` and `message`, and `x-amzn-ErrorType`.
//!
//! LIMITATIONS: no hooks (HooksProgressEvent is always empty); type versions and role ARNs are
//! accepted and ignored; requests never stay PENDING or IN_PROGRESS, so
//! CancelResourceRequest always finds them finished.

pub mod requests;
pub mod resources;
pub mod schema;

use crate::api::model::Operation;
use crate::api::types::EpochSeconds;
use crate::api::types::cloudcontrol::{
    CancelResourceRequestInput, CancelResourceRequestOutput, CreateResourceInput,
    CreateResourceOutput, DeleteResourceInput, DeleteResourceOutput, ErrorCode, GetResourceInput,
    GetResourceOutput, GetResourceRequestStatusInput, GetResourceRequestStatusOutput,
    HandlerErrorCode, ListResourceRequestsInput, ListResourceRequestsOutput, ListResourcesInput,
    ListResourcesOutput, Operation as CcOperation, OperationStatus, OperationType, ProgressEvent,
    ResourceDescription, UpdateResourceInput, UpdateResourceOutput,
};
use crate::api::types::ivs::Operation as Ivs;
use crate::api::types::ivs_realtime::Operation as Rt;
use crate::context::RequestContext;
use crate::error::{ApiError, ErrorKind};
use crate::server::App;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use requests::ClientToken;
use resources::TypeDef;
use schema::TypeSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// The `X-Amz-Target` prefix of Cloud Control's operations.
pub const TARGET_PREFIX: &str = "CloudApiService.";

/// An error answer of Cloud Control.
#[derive(Debug)]
pub struct CcError {
    /// The full `__type`.
    kind: String,
    /// The short name, for `x-amzn-ErrorType`.
    name: &'static str,
    message: String,
}

impl CcError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CcError {
            kind: format!("com.amazon.cloudapiservice#{}", code.name()),
            name: code.name(),
            message: message.into(),
        }
    }

    /// Input that breaks the model or a schema: Coral's own validation error.
    fn validation(message: impl Into<String>) -> Self {
        CcError {
            kind: "com.amazon.coral.validate#ValidationException".into(),
            name: "ValidationException",
            message: message.into(),
        }
    }

    /// An error of the Coral front end itself (`com.amazon.coral.service#<name>`): a request
    /// the JSON protocol cannot read (not JSON, unknown operation), or one that fails
    /// authentication (`auth.rs`).
    pub fn serialization(name: &'static str, message: impl Into<String>) -> Self {
        CcError { kind: format!("com.amazon.coral.service#{name}"), name, message: message.into() }
    }
}

impl IntoResponse for CcError {
    fn into_response(self) -> Response {
        let body = json!({"__type": self.kind, "Message": self.message, "message": self.message});
        let mut response = (StatusCode::BAD_REQUEST, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        headers.insert("x-amzn-ErrorType", HeaderValue::from_static(self.name));
        response
    }
}

const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// Whether a request to `/` is for Cloud Control.
pub fn is_cloudcontrol(headers: &HeaderMap) -> bool {
    target(headers).is_some_and(|t| t.starts_with(TARGET_PREFIX))
}

fn target(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-amz-target").and_then(|t| t.to_str().ok())
}

/// Serves one Cloud Control request; the operation's name for the access log.
pub fn handle(
    app: &App,
    ctx: &RequestContext,
    headers: &HeaderMap,
    body: &[u8],
) -> (Response, &'static str) {
    let name = target(headers).and_then(|t| t.strip_prefix(TARGET_PREFIX)).unwrap_or_default();
    let Some(operation) = CcOperation::from_name(name) else {
        let error = CcError::serialization(
            "UnknownOperationException",
            format!("Cloud Control has no operation {name:?}."),
        );
        return (error.into_response(), "-");
    };
    let response = match run(app, ctx, operation, body) {
        Ok(body) => {
            let mut response = (StatusCode::OK, body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            response
        }
        Err(e) => e.into_response(),
    };
    (response, operation.name())
}

fn run(app: &App, ctx: &RequestContext, op: CcOperation, body: &[u8]) -> Result<String, CcError> {
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| {
            CcError::serialization("SerializationException", format!("The body is not JSON: {e}"))
        })?
    };
    let model = crate::api::model::cloudcontrol_model();
    let shape =
        &model.operations[op.name()].input.as_ref().expect("every operation has input").shape;
    crate::api::validate::validate(model, shape.resolve(model), &input)
        .map_err(|e| CcError::validation(e.message))?;
    let cc = CloudControl { app, ctx };
    match op {
        CcOperation::CreateResource => answer(cc.create(decode(input)?)),
        CcOperation::GetResource => answer(cc.get(decode(input)?)),
        CcOperation::UpdateResource => answer(cc.update(decode(input)?)),
        CcOperation::DeleteResource => answer(cc.delete(decode(input)?)),
        CcOperation::ListResources => answer(cc.list(decode(input)?)),
        CcOperation::GetResourceRequestStatus => answer(cc.status(decode(input)?)),
        CcOperation::ListResourceRequests => answer(cc.list_requests(decode(input)?)),
        CcOperation::CancelResourceRequest => answer(cc.cancel(decode(input)?)),
    }
}

fn decode<T: DeserializeOwned>(input: Value) -> Result<T, CcError> {
    serde_json::from_value(input).map_err(|e| CcError::validation(format!("Invalid input: {e}")))
}

fn answer<T: Serialize>(output: Result<T, CcError>) -> Result<String, CcError> {
    output.map(|o| serde_json::to_string(&o).expect("outputs serialize"))
}

struct CloudControl<'a> {
    app: &'a App,
    ctx: &'a RequestContext<'a>,
}

/// The type's mapping and schema, or TypeNotFoundException naming what ivs-local serves.
fn type_of(type_name: &str) -> Result<(&'static TypeDef, &'static TypeSchema), CcError> {
    match (resources::get(type_name), schema::get(type_name)) {
        (Some(def), Some(schema)) => Ok((def, schema)),
        _ => Err(CcError::new(
            ErrorCode::TypeNotFoundException,
            format!(
                "The type '{type_name}' cannot be found. ivs-local serves only the AWS::IVS::* \
                 types: {}.",
                schema::type_names().join(", ")
            ),
        )),
    }
}

/// What the IVS API said, as the handler error code Cloud Control reports in a FAILED event.
fn handler_error(def: &TypeDef, op: OperationType, e: &ApiError) -> HandlerErrorCode {
    use crate::error::ErrorCode as E;
    match e.kind {
        ErrorKind::Modeled(E::ResourceNotFoundException) => HandlerErrorCode::NotFound,
        // Importing a key that is already imported: the resource exists.
        ErrorKind::Modeled(E::ConflictException)
            if op == OperationType::Create
                && matches!(def.type_name, "AWS::IVS::PlaybackKeyPair" | "AWS::IVS::PublicKey") =>
        {
            HandlerErrorCode::AlreadyExists
        }
        ErrorKind::Modeled(E::ConflictException) => HandlerErrorCode::ResourceConflict,
        ErrorKind::Modeled(E::ServiceQuotaExceededException) => {
            HandlerErrorCode::ServiceLimitExceeded
        }
        ErrorKind::Modeled(E::ValidationException) => HandlerErrorCode::InvalidRequest,
        ErrorKind::Modeled(E::AccessDeniedException | E::PendingVerification) => {
            HandlerErrorCode::AccessDenied
        }
        ErrorKind::Modeled(E::ThrottlingException) => HandlerErrorCode::Throttling,
        ErrorKind::Modeled(E::InternalServerException) => HandlerErrorCode::ServiceInternalError,
        _ => HandlerErrorCode::GeneralServiceException,
    }
}

fn not_found_message(def: &TypeDef, identifier: &str) -> String {
    format!("Resource of type '{}' with identifier '{identifier}' was not found.", def.type_name)
}

/// What a finished request reports.
type Outcome = Result<(String, Option<String>), (HandlerErrorCode, String)>;

impl CloudControl<'_> {
    /// Runs an IVS operation on a JSON input; its JSON answer.
    fn call(&self, operation: Operation, input: Value) -> Result<Value, ApiError> {
        let bytes = crate::api::call(self.app, self.ctx, operation, input)?;
        if bytes.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&bytes).map_err(ApiError::internal)
    }

    /// The resource `identifier` names, as a CloudFormation model.
    fn read(
        &self,
        def: &TypeDef,
        schema: &TypeSchema,
        identifier: &str,
    ) -> Result<Map<String, Value>, ApiError> {
        let names_this_type = crate::store::arn::Arn::parse(identifier)
            .is_ok_and(|a| a.resource_type.as_str() == def.arn_type);
        if !names_this_type {
            return Err(ApiError::not_found(not_found_message(def, identifier)));
        }
        let answer = self.call(def.get, json!({ "arn": identifier }))?;
        Ok(resources::from_api(schema, &answer[def.member]))
    }

    /// Records a finished request under the scope's request log and answers what AWS answers
    /// at first: the same event, still IN_PROGRESS.
    fn finish(
        &self,
        def: &TypeDef,
        operation: OperationType,
        identifier: Option<String>,
        client_token: Option<(String, String)>,
        outcome: Outcome,
        log: &mut requests::Requests,
    ) -> ProgressEvent {
        let token = uuid::Uuid::new_v4().to_string();
        let first = ProgressEvent {
            type_name: Some(def.type_name.to_string()),
            identifier: identifier.clone(),
            request_token: Some(token.clone()),
            operation: Some(operation),
            operation_status: Some(OperationStatus::InProgress),
            event_time: Some(EpochSeconds::now()),
            ..Default::default()
        };
        let mut last = first.clone();
        last.event_time = Some(EpochSeconds::now());
        match outcome {
            Ok((identifier, model)) => {
                last.operation_status = Some(OperationStatus::Success);
                last.identifier = Some(identifier);
                last.resource_model = model;
            }
            Err((code, message)) => {
                last.operation_status = Some(OperationStatus::Failed);
                last.error_code = Some(code);
                last.status_message = Some(message);
            }
        }
        log.insert(last, client_token);
        first
    }

    fn requests(&self) -> std::sync::Arc<crate::store::RequestsLock> {
        self.app.store.cloudcontrol_requests(&self.ctx.account, &self.ctx.region)
    }

    /// The request records, for the calls that only read them: these make none in an account
    /// or region that has none.
    fn requests_to_read(&self) -> std::sync::Arc<crate::store::RequestsLock> {
        self.app.store.cloudcontrol_requests_or_scratch(&self.ctx.account, &self.ctx.region)
    }

    fn create(&self, input: CreateResourceInput) -> Result<CreateResourceOutput, CcError> {
        let (def, schema) = type_of(&input.type_name)?;
        let desired: Value = serde_json::from_str(&input.desired_state).map_err(|e| {
            CcError::validation(format!("DesiredState is not a JSON document: {e}"))
        })?;
        schema.validate(&desired).map_err(CcError::validation)?;
        let desired = desired.as_object().cloned().unwrap_or_default();
        let requests = self.requests();
        let mut log = requests.write();
        let request = format!("CREATE {} {}", def.type_name, input.desired_state);
        let client_token = match self.idempotent(&log, input.client_token.as_deref(), &request)? {
            Err(event) => return Ok(CreateResourceOutput { progress_event: Some(event) }),
            Ok(token) => token,
        };
        let outcome = self.do_create(def, schema, &desired);
        let event = self.finish(def, OperationType::Create, None, client_token, outcome, &mut log);
        Ok(CreateResourceOutput { progress_event: Some(event) })
    }

    /// `Ok(Some(..))` to record the client token with this request, `Ok(None)` when there is
    /// none, `Err(event)` to answer a repeated request again.
    fn idempotent(
        &self,
        log: &requests::Requests,
        client_token: Option<&str>,
        request: &str,
    ) -> Result<Result<Option<(String, String)>, ProgressEvent>, CcError> {
        let Some(client_token) = client_token else { return Ok(Ok(None)) };
        match log.client_token(client_token, request) {
            ClientToken::New => Ok(Ok(Some((client_token.to_string(), request.to_string())))),
            ClientToken::Repeat(event) => Ok(Err(event.clone())),
            ClientToken::Conflict => Err(CcError::new(
                ErrorCode::ClientTokenConflictException,
                format!(
                    "The client token {client_token} was already used for a different request."
                ),
            )),
        }
    }

    fn do_create(
        &self,
        def: &TypeDef,
        schema: &TypeSchema,
        desired: &Map<String, Value>,
    ) -> Outcome {
        let failed = |e: ApiError| (handler_error(def, OperationType::Create, &e), e.message);
        let input = Value::Object(resources::to_api(schema, desired));
        let answer = if def.create == Operation::Ivs(Ivs::CreateChannel) {
            // CloudFormation's channels come without a stream key (reference 7.5): its own
            // template example adds an AWS::IVS::StreamKey, which the one-key quota would
            // refuse otherwise.
            self.create_channel_without_key(input).map_err(failed)?
        } else {
            self.call(def.create, input).map_err(failed)?
        };
        let arn = answer[def.member]["arn"].as_str().unwrap_or_default().to_string();
        let model = self.read(def, schema, &arn).map_err(failed)?;
        Ok((arn, Some(Value::Object(model).to_string())))
    }

    fn create_channel_without_key(&self, input: Value) -> Result<Value, ApiError> {
        let operation = Operation::Ivs(Ivs::CreateChannel);
        crate::api::validated_input(operation, &input)?;
        let request = crate::api::decode(input)?;
        let output = crate::api::with_scope(self.app, self.ctx, |st| {
            crate::api::ivs::channel::create_channel_without_stream_key(self.ctx, st, request)
        })?;
        serde_json::to_value(output).map_err(ApiError::internal)
    }

    fn get(&self, input: GetResourceInput) -> Result<GetResourceOutput, CcError> {
        let (def, schema) = type_of(&input.type_name)?;
        let model = self.read(def, schema, &input.identifier).map_err(|e| match e.kind {
            ErrorKind::Modeled(crate::error::ErrorCode::ResourceNotFoundException) => CcError::new(
                ErrorCode::ResourceNotFoundException,
                not_found_message(def, &input.identifier),
            ),
            _ => CcError::new(ErrorCode::GeneralServiceException, e.message),
        })?;
        Ok(GetResourceOutput {
            type_name: Some(def.type_name.to_string()),
            resource_description: Some(ResourceDescription {
                identifier: Some(input.identifier),
                properties: Some(Value::Object(model).to_string()),
            }),
        })
    }

    fn update(&self, input: UpdateResourceInput) -> Result<UpdateResourceOutput, CcError> {
        let (def, schema) = type_of(&input.type_name)?;
        let patch: json_patch::Patch =
            serde_json::from_str(&input.patch_document).map_err(|e| {
                CcError::validation(format!("PatchDocument is not a JSON Patch (RFC 6902): {e}"))
            })?;
        let requests = self.requests();
        let mut log = requests.write();
        let request =
            format!("UPDATE {} {} {}", def.type_name, input.identifier, input.patch_document);
        let client_token = match self.idempotent(&log, input.client_token.as_deref(), &request)? {
            Err(event) => return Ok(UpdateResourceOutput { progress_event: Some(event) }),
            Ok(token) => token,
        };
        let current = match self.read(def, schema, &input.identifier) {
            Ok(current) => current,
            Err(e) => {
                let outcome = Err((handler_error(def, OperationType::Update, &e), e.message));
                let id = Some(input.identifier);
                let event =
                    self.finish(def, OperationType::Update, id, client_token, outcome, &mut log);
                return Ok(UpdateResourceOutput { progress_event: Some(event) });
            }
        };
        refuse_write_only(schema, &patch)?;
        let before = Value::Object(current.clone());
        let mut desired = before.clone();
        json_patch::patch(&mut desired, &patch)
            .map_err(|e| CcError::validation(format!("Invalid patch update: {e}")))?;
        check_unchangeable(schema, &before, &desired)?;
        schema.validate_patched(&desired, &before).map_err(CcError::validation)?;
        let desired = desired.as_object().cloned().unwrap_or_default();
        let outcome = self.do_update(def, schema, &input.identifier, &current, &desired);
        let id = Some(input.identifier);
        let event = self.finish(def, OperationType::Update, id, client_token, outcome, &mut log);
        Ok(UpdateResourceOutput { progress_event: Some(event) })
    }

    fn do_update(
        &self,
        def: &TypeDef,
        schema: &TypeSchema,
        arn: &str,
        current: &Map<String, Value>,
        desired: &Map<String, Value>,
    ) -> Outcome {
        let failed = |e: ApiError| (handler_error(def, OperationType::Update, &e), e.message);
        // The properties that changed, besides tags; a removed one goes back to its default.
        let mut changed = Map::new();
        let names: std::collections::BTreeSet<&String> =
            current.keys().chain(desired.keys()).collect();
        for name in names {
            if name == "Tags"
                || schema.read_only.contains(name)
                || current.get(name) == desired.get(name)
            {
                continue;
            }
            let value = desired.get(name).cloned().or_else(|| {
                schema.property(name).and_then(|p| schema.resolve(p).get("default").cloned())
            });
            if let Some(value) = value {
                changed.insert(name.clone(), value);
            }
        }
        if !changed.is_empty() {
            let Some(update) = def.update else {
                return Err((
                    HandlerErrorCode::NotUpdatable,
                    format!("{} has no updatable properties besides Tags.", def.type_name),
                ));
            };
            let mut input = resources::to_api(schema, &changed);
            input.insert("arn".into(), json!(arn));
            self.call(update, Value::Object(input)).map_err(failed)?;
        }
        let (old, new) = (resources::tags_of(current), resources::tags_of(desired));
        let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
        let added: Map<String, Value> = new
            .iter()
            .filter(|(k, v)| old.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (tag, untag) = match def.create {
            Operation::Ivs(_) => {
                (Operation::Ivs(Ivs::TagResource), Operation::Ivs(Ivs::UntagResource))
            }
            Operation::Realtime(_) => {
                (Operation::Realtime(Rt::TagResource), Operation::Realtime(Rt::UntagResource))
            }
        };
        if !removed.is_empty() {
            self.call(untag, json!({"resourceArn": arn, "tagKeys": removed})).map_err(failed)?;
        }
        if !added.is_empty() {
            self.call(tag, json!({"resourceArn": arn, "tags": added})).map_err(failed)?;
        }
        let model = self.read(def, schema, arn).map_err(failed)?;
        Ok((arn.to_string(), Some(Value::Object(model).to_string())))
    }

    fn delete(&self, input: DeleteResourceInput) -> Result<DeleteResourceOutput, CcError> {
        let (def, _) = type_of(&input.type_name)?;
        let requests = self.requests();
        let mut log = requests.write();
        let request = format!("DELETE {} {}", def.type_name, input.identifier);
        let client_token = match self.idempotent(&log, input.client_token.as_deref(), &request)? {
            Err(event) => return Ok(DeleteResourceOutput { progress_event: Some(event) }),
            Ok(token) => token,
        };
        let names_this_type = crate::store::arn::Arn::parse(&input.identifier)
            .is_ok_and(|a| a.resource_type.as_str() == def.arn_type);
        let outcome = if names_this_type {
            self.call(def.delete, json!({"arn": input.identifier}))
                .map(|_| (input.identifier.clone(), None))
                .map_err(|e| (handler_error(def, OperationType::Delete, &e), e.message))
        } else {
            Err((HandlerErrorCode::NotFound, not_found_message(def, &input.identifier)))
        };
        let id = Some(input.identifier);
        let event = self.finish(def, OperationType::Delete, id, client_token, outcome, &mut log);
        Ok(DeleteResourceOutput { progress_event: Some(event) })
    }

    fn list(&self, input: ListResourcesInput) -> Result<ListResourcesOutput, CcError> {
        let (def, schema) = type_of(&input.type_name)?;
        let mut request = Map::new();
        request.insert("maxResults".into(), json!(input.max_results.unwrap_or(100).clamp(1, 100)));
        if let Some(token) = &input.next_token {
            request.insert("nextToken".into(), json!(token));
        }
        if def.list == Operation::Ivs(Ivs::ListStreamKeys) {
            // The StreamKey schema's list handler requires the channel (its handlerSchema).
            let model: Value = input
                .resource_model
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or(Value::Null);
            let Some(channel) = model.get("ChannelArn").and_then(Value::as_str) else {
                return Err(CcError::new(
                    ErrorCode::InvalidRequestException,
                    "Missing or invalid ResourceModel property in AWS::IVS::StreamKey list \
                     handler request input. Required property: [ChannelArn]",
                ));
            };
            request.insert("channelArn".into(), json!(channel));
            request
                .insert("maxResults".into(), json!(input.max_results.unwrap_or(50).clamp(1, 50)));
        }
        let page = self.call(def.list, Value::Object(request)).map_err(|e| match e.kind {
            ErrorKind::Modeled(crate::error::ErrorCode::ResourceNotFoundException) => {
                CcError::new(ErrorCode::ResourceNotFoundException, e.message)
            }
            _ => CcError::new(ErrorCode::InvalidRequestException, e.message),
        })?;
        let mut descriptions = Vec::new();
        for summary in page[def.list_member].as_array().into_iter().flatten() {
            let Some(arn) = summary["arn"].as_str() else { continue };
            // A resource deleted since the page was read is simply not listed.
            if let Ok(model) = self.read(def, schema, arn) {
                descriptions.push(ResourceDescription {
                    identifier: Some(arn.to_string()),
                    properties: Some(Value::Object(model).to_string()),
                });
            }
        }
        Ok(ListResourcesOutput {
            type_name: Some(def.type_name.to_string()),
            resource_descriptions: Some(descriptions),
            next_token: page["nextToken"].as_str().map(str::to_string),
        })
    }

    fn status(
        &self,
        input: GetResourceRequestStatusInput,
    ) -> Result<GetResourceRequestStatusOutput, CcError> {
        let requests = self.requests_to_read();
        let log = requests.read();
        let event = log
            .get(&input.request_token)
            .cloned()
            .ok_or_else(|| token_not_found(&input.request_token))?;
        Ok(GetResourceRequestStatusOutput {
            progress_event: Some(event),
            hooks_progress_event: Some(Vec::new()),
        })
    }

    fn list_requests(
        &self,
        input: ListResourceRequestsInput,
    ) -> Result<ListResourceRequestsOutput, CcError> {
        let max = input.max_results.unwrap_or(20).clamp(1, 100) as usize;
        let before = match input.next_token.as_deref() {
            None => None,
            Some(token) => Some(
                STANDARD
                    .decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| {
                        CcError::validation(format!("The NextToken '{token}' is not valid."))
                    })?,
            ),
        };
        let filter = input.resource_request_status_filter.unwrap_or_default();
        let operations = filter.operations.unwrap_or_default();
        let statuses = filter.operation_statuses.unwrap_or_default();
        let requests = self.requests_to_read();
        let log = requests.read();
        let mut events = Vec::new();
        let mut next_token = None;
        let matching = log.newest_first(before).filter(|(_, e)| {
            (operations.is_empty() || e.operation.is_some_and(|o| operations.contains(&o)))
                && (statuses.is_empty()
                    || e.operation_status.is_some_and(|s| statuses.contains(&s)))
        });
        for (seq, event) in matching {
            if events.len() == max {
                next_token = Some(STANDARD.encode((seq + 1).to_string()));
                break;
            }
            events.push(event.clone());
        }
        Ok(ListResourceRequestsOutput {
            resource_request_status_summaries: Some(events),
            next_token,
        })
    }

    fn cancel(
        &self,
        input: CancelResourceRequestInput,
    ) -> Result<CancelResourceRequestOutput, CcError> {
        let requests = self.requests_to_read();
        let log = requests.read();
        let event =
            log.get(&input.request_token).ok_or_else(|| token_not_found(&input.request_token))?;
        Err(CcError::new(
            ErrorCode::ConcurrentModificationException,
            format!(
                "Request {} has already completed with status {}; only PENDING or IN_PROGRESS \
                 requests can be canceled.",
                input.request_token,
                event.operation_status.map(|s| s.as_str()).unwrap_or("UNKNOWN")
            ),
        ))
    }
}

fn token_not_found(token: &str) -> CcError {
    CcError::new(
        ErrorCode::RequestTokenNotFoundException,
        format!("Request with token {token} was not found"),
    )
}

/// A patch of a property that is write-only and create-only (a key pair's public key, an
/// ingest configuration's InsecureIngest) is refused by its path: its current value is never
/// read back, so it cannot be compared.
fn refuse_write_only(schema: &TypeSchema, patch: &json_patch::Patch) -> Result<(), CcError> {
    for operation in &patch.0 {
        let value = serde_json::to_value(operation).unwrap_or_default();
        let path = value.get("path").and_then(Value::as_str).unwrap_or_default();
        let property = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        if schema.write_only.iter().any(|w| w == property)
            && schema.create_only.iter().any(|c| c == property)
        {
            return Err(CcError::new(
                ErrorCode::NotUpdatableException,
                format!(
                    "Invalid patch update: createOnlyProperties [/properties/{property}] cannot \
                     be updated"
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a patch that changes a create-only property (NotUpdatableException) or a read-only
/// one (ValidationException), before anything changes, as AWS does. A patch that restates a
/// property's current value changes nothing and passes (IaC tools send whole models); a
/// write-only one is never read back, so any patch of it counts as a change.
fn check_unchangeable(schema: &TypeSchema, before: &Value, after: &Value) -> Result<(), CcError> {
    let changed = |listed: &String| {
        let pointer = listed.strip_prefix("/properties").unwrap_or(listed);
        before.pointer(pointer) != after.pointer(pointer)
    };
    if let Some(hit) = schema.create_only_paths.iter().find(|p| changed(p)) {
        return Err(CcError::new(
            ErrorCode::NotUpdatableException,
            format!("Invalid patch update: createOnlyProperties [{hit}] cannot be updated"),
        ));
    }
    if let Some(hit) = schema.read_only_paths.iter().find(|p| changed(p)) {
        return Err(CcError::validation(format!(
            "Invalid patch update: readOnlyProperties [{hit}] cannot be updated"
        )));
    }
    Ok(())
}
