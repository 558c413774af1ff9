//! The AWS APIs: every request that is not for `/_ivs-local/` ends up in [`handle`].
//!
//! The flow is one way: route (`routing.rs`) -> assemble the input from body, labels and query
//! (`codec.rs`) -> validate it against the model (`validate.rs`) -> deserialize into the
//! generated input type -> call the handler under the scope's lock -> write the generated
//! output type (`json.rs`) with the operation's modeled status. Any error on the way is an
//! [`ApiError`], rendered in `error.rs`. Operations without a handler answer 501 after
//! validation.
//!
//! Most requests take a shorter way through the first three steps: when the body is the whole
//! input and passes the same checks read straight from its bytes, serde reads it into the
//! input type without the `Value` in between ([`fast_input`]). A body that fails them goes
//! the long way, which words the error.

pub mod codec;
pub mod imported_key;
pub mod internal;
pub mod ivs;
pub mod ivs_realtime;
pub mod json;
pub mod model;
pub mod routing;
pub mod tags;
pub mod types;
pub mod validate;

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorCode, ProtocolError};
use crate::server::{App, Handled};
use crate::store::RegionState;
use axum::body::Bytes;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use codec::RawInput;
use json::WriteJson;
use model::Operation;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The largest request body accepted. The largest legitimate IVS input (a PEM public key,
/// participant attributes) is a few KiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Serves one AWS API request, whose body `server::Front` has read. `caller` is the key
/// strict authentication verified, if it did. With the answer, the service and operation it
/// was routed to, for the access log.
pub fn handle(
    app: &App,
    parts: &Parts,
    body: &Bytes,
    request_id: &str,
    caller: Option<&crate::auth::Caller>,
) -> (Response, Option<Handled>) {
    let query = parts.uri.query();
    let mut ctx = RequestContext::new(request_id, &parts.headers, query, &app.defaults);
    // Strict authentication verified the key: the credentials file's account for it wins.
    if let Some(account) = caller.and_then(|c| c.account.as_deref()) {
        ctx.account = account.into();
    }

    if parts.uri.path() == "/" {
        // The target header decides: some Cloud Control clients also send STS-like
        // `?Action=...&Version=...` query strings.
        if crate::cloudcontrol::is_cloudcontrol(&parts.headers) {
            let (response, operation) =
                crate::cloudcontrol::handle(app, &ctx, &parts.headers, body);
            return (response, Some(Handled { service: "cloudcontrol", operation }));
        }
        let response = crate::sts::handle(&ctx, &parts.headers, query, body);
        return (response, Some(Handled { service: "sts", operation: "-" }));
    }

    let route = match routing::route(parts.method.as_str(), parts.uri.path()) {
        Ok(route) => route,
        Err(e) => return (e.into_response(), None),
    };
    let operation = route.operation;
    let raw = RawInput { labels: &route.labels, query, headers: &parts.headers, body };
    let response = execute(app, &ctx, operation, &raw).unwrap_or_else(IntoResponse::into_response);
    (response, Some(Handled { service: operation.service().name(), operation: operation.name() }))
}

/// The 413 for a body over [`MAX_BODY_BYTES`].
pub fn body_too_large() -> ApiError {
    ApiError::protocol(
        ProtocolError::PayloadTooLarge,
        format!("The request body is larger than the limit of {MAX_BODY_BYTES} bytes."),
    )
}

fn execute(
    app: &App,
    ctx: &RequestContext,
    operation: Operation,
    raw: &RawInput,
) -> Result<Response, ApiError> {
    let def = operation.def();
    let model = model::model(operation.service());
    let body = match fast_input(model, operation, raw) {
        Some(input) => run(app, ctx, operation, input)?,
        None => call(app, ctx, operation, codec::assemble_input(model, def, raw)?)?,
    };
    let status = StatusCode::from_u16(def.http.response_code).unwrap_or(StatusCode::OK);
    if status == StatusCode::NO_CONTENT {
        return Ok(status.into_response());
    }
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// The request's body as the whole of its input, already valid, when it can be read straight
/// into the input type: every member of the input travels in the body, the body is declared
/// as JSON, and `validate::is_valid_body` finds it valid. Most requests are such. The others,
/// and every invalid one, are assembled into a [`Value`] and validated by `validate::validate`,
/// which words the answer; both ways apply the same checks (`validate.rs`).
fn fast_input<'a>(
    model: &'static model::ServiceModel,
    operation: Operation,
    raw: &RawInput<'a>,
) -> Option<Input<'a>> {
    let shape = operation.def().body_input(model)?;
    let valid = codec::json_content_type(raw.headers).is_ok()
        && validate::is_valid_body(model, shape, raw.body);
    valid.then_some(Input::Body(raw.body))
}

/// Runs `operation` on an assembled input object exactly as if it had come over HTTP:
/// validation against the model, the reserved-tag rule, then the handler; the answer is the
/// serialized output. Cloud Control reaches the IVS handlers through here, so every rule
/// applies to both doors.
pub fn call(
    app: &App,
    ctx: &RequestContext,
    operation: Operation,
    input: Value,
) -> Result<Bytes, ApiError> {
    validated_input(operation, &input)?;
    run(app, ctx, operation, Input::Object(input))
}

/// An operation's input, valid, on its way to the handler's input type.
enum Input<'a> {
    /// An object that passed [`validated_input`].
    Object(Value),
    /// A request body that is the whole input and that [`fast_input`] found valid.
    Body(&'a [u8]),
}

/// Runs the handler of `operation` on a valid input; 501 for an operation without one.
fn run(
    app: &App,
    ctx: &RequestContext,
    operation: Operation,
    input: Input,
) -> Result<Bytes, ApiError> {
    let Some(invoke) = handler(operation) else {
        return Err(ApiError::protocol(
            ProtocolError::NotImplemented,
            format!(
                "ivs-local does not implement the {} operation {} yet.",
                operation.service().name(),
                operation.name()
            ),
        ));
    };
    invoke(app, ctx, input).inspect_err(|e| check_modeled(operation, e))
}

/// The checks every input passes before its handler: the model's constraints and the
/// reserved `aws:` tag prefix.
pub fn validated_input(operation: Operation, input: &Value) -> Result<(), ApiError> {
    let Some(shape) = &operation.def().input else { return Ok(()) };
    let model = model::model(operation.service());
    let shape = shape.shape.resolve(model);
    validate::validate(model, shape, input)?;
    // A `tags` the input does not have is an unknown member, which AWS ignores.
    match shape {
        model::Shape::Structure { members, .. } if members.contains_key(tags::MEMBER) => {
            tags::refuse_reserved_keys(input)
        }
        _ => Ok(()),
    }
}

/// Runs `f` under the exclusive lock of the caller's scope: for front doors that call a
/// handler function directly, after [`validated_input`].
pub fn with_scope<T>(app: &App, ctx: &RequestContext, f: impl FnOnce(&mut RegionState) -> T) -> T {
    let scope = app.store.scope(&ctx.account, &ctx.region);
    let mut state = scope.write();
    f(&mut state)
}

/// A handler may only answer with exceptions its operation models; anything else is a bug
/// that an SDK could not parse into a typed error. Caught in debug builds (the tests).
fn check_modeled(operation: Operation, error: &ApiError) {
    let Some(code) = error.code() else { return };
    let modeled = operation.def().errors.iter().any(|e| e.shape == code.name());
    if !modeled && code != ErrorCode::InternalServerException {
        tracing::error!(
            operation = operation.name(),
            error = code.name(),
            "handler returned an unmodeled error"
        );
        debug_assert!(modeled, "{} returned unmodeled {}", operation.name(), code.name());
    }
}

/// A handler made callable on a valid input.
type Invoke = fn(&App, &RequestContext, Input) -> Result<Bytes, ApiError>;

/// Whether ivs-local implements an operation (the others answer 501).
pub fn is_implemented(operation: Operation) -> bool {
    handler(operation).is_some()
}

/// The handler of each implemented operation. Reads take the scope's lock shared, writes
/// exclusively.
fn handler(operation: Operation) -> Option<Invoke> {
    use types::ivs::Operation as Ivs;
    use types::ivs_realtime::Operation as Rt;
    macro_rules! read {
        ($f:path) => {
            |app, ctx, input| invoke_read(app, ctx, input, $f)
        };
    }
    macro_rules! write {
        ($f:path) => {
            |app, ctx, input| invoke_write(app, ctx, input, $f)
        };
    }
    let invoke: Invoke = match operation {
        Operation::Ivs(op) => match op {
            Ivs::CreateChannel => write!(ivs::channel::create_channel),
            Ivs::GetChannel => read!(ivs::channel::get_channel),
            Ivs::BatchGetChannel => read!(ivs::channel::batch_get_channel),
            Ivs::ListChannels => read!(ivs::channel::list_channels),
            Ivs::UpdateChannel => write!(ivs::channel::update_channel),
            Ivs::DeleteChannel => write!(ivs::channel::delete_channel),
            Ivs::CreateStreamKey => write!(ivs::stream_key::create_stream_key),
            Ivs::GetStreamKey => read!(ivs::stream_key::get_stream_key),
            Ivs::BatchGetStreamKey => read!(ivs::stream_key::batch_get_stream_key),
            Ivs::ListStreamKeys => read!(ivs::stream_key::list_stream_keys),
            Ivs::DeleteStreamKey => write!(ivs::stream_key::delete_stream_key),
            Ivs::ImportPlaybackKeyPair => {
                write!(ivs::playback_key_pair::import_playback_key_pair)
            }
            Ivs::GetPlaybackKeyPair => read!(ivs::playback_key_pair::get_playback_key_pair),
            Ivs::ListPlaybackKeyPairs => read!(ivs::playback_key_pair::list_playback_key_pairs),
            Ivs::DeletePlaybackKeyPair => {
                write!(ivs::playback_key_pair::delete_playback_key_pair)
            }
            Ivs::CreatePlaybackRestrictionPolicy => {
                write!(ivs::playback_restriction_policy::create_playback_restriction_policy)
            }
            Ivs::GetPlaybackRestrictionPolicy => {
                read!(ivs::playback_restriction_policy::get_playback_restriction_policy)
            }
            Ivs::ListPlaybackRestrictionPolicies => {
                read!(ivs::playback_restriction_policy::list_playback_restriction_policies)
            }
            Ivs::UpdatePlaybackRestrictionPolicy => {
                write!(ivs::playback_restriction_policy::update_playback_restriction_policy)
            }
            Ivs::DeletePlaybackRestrictionPolicy => {
                write!(ivs::playback_restriction_policy::delete_playback_restriction_policy)
            }
            Ivs::StartViewerSessionRevocation => {
                write!(ivs::viewer_session::start_viewer_session_revocation)
            }
            Ivs::BatchStartViewerSessionRevocation => {
                write!(ivs::viewer_session::batch_start_viewer_session_revocation)
            }
            Ivs::CreateRecordingConfiguration => {
                write!(ivs::recording_configuration::create_recording_configuration)
            }
            Ivs::GetRecordingConfiguration => {
                read!(ivs::recording_configuration::get_recording_configuration)
            }
            Ivs::ListRecordingConfigurations => {
                read!(ivs::recording_configuration::list_recording_configurations)
            }
            Ivs::DeleteRecordingConfiguration => {
                write!(ivs::recording_configuration::delete_recording_configuration)
            }
            Ivs::CreateAdConfiguration => write!(ivs::ad_configuration::create_ad_configuration),
            Ivs::GetAdConfiguration => read!(ivs::ad_configuration::get_ad_configuration),
            Ivs::ListAdConfigurations => read!(ivs::ad_configuration::list_ad_configurations),
            Ivs::DeleteAdConfiguration => write!(ivs::ad_configuration::delete_ad_configuration),
            Ivs::GetStream => read!(ivs::stream::get_stream),
            Ivs::ListStreams => read!(ivs::stream::list_streams),
            Ivs::GetStreamSession => read!(ivs::stream::get_stream_session),
            Ivs::ListStreamSessions => read!(ivs::stream::list_stream_sessions),
            Ivs::PutMetadata => read!(ivs::stream::put_metadata),
            Ivs::StopStream => write!(ivs::stream::stop_stream),
            Ivs::InsertAdBreak => write!(ivs::stream::insert_ad_break),
            Ivs::TagResource => write!(tags::ivs::tag_resource),
            Ivs::UntagResource => write!(tags::ivs::untag_resource),
            Ivs::ListTagsForResource => read!(tags::ivs::list_tags_for_resource),
        },
        Operation::Realtime(op) => match op {
            Rt::StartComposition => write!(ivs_realtime::composition::start_composition),
            Rt::GetComposition => read!(ivs_realtime::composition::get_composition),
            Rt::ListCompositions => read!(ivs_realtime::composition::list_compositions),
            Rt::StopComposition => write!(ivs_realtime::composition::stop_composition),
            Rt::CreateStage => write!(ivs_realtime::stage::create_stage),
            Rt::GetStage => read!(ivs_realtime::stage::get_stage),
            Rt::ListStages => read!(ivs_realtime::stage::list_stages),
            Rt::UpdateStage => write!(ivs_realtime::stage::update_stage),
            Rt::DeleteStage => write!(ivs_realtime::stage::delete_stage),
            Rt::CreateParticipantToken => {
                read!(ivs_realtime::participant_token::create_participant_token)
            }
            Rt::ListStageSessions => read!(ivs_realtime::session::list_stage_sessions),
            Rt::GetStageSession => read!(ivs_realtime::session::get_stage_session),
            Rt::ListParticipants => read!(ivs_realtime::participant::list_participants),
            Rt::GetParticipant => read!(ivs_realtime::participant::get_participant),
            Rt::ListParticipantEvents => {
                read!(ivs_realtime::participant::list_participant_events)
            }
            Rt::DisconnectParticipant => {
                write!(ivs_realtime::participant::disconnect_participant)
            }
            Rt::StartParticipantReplication => {
                write!(ivs_realtime::replication::start_participant_replication)
            }
            Rt::StopParticipantReplication => {
                write!(ivs_realtime::replication::stop_participant_replication)
            }
            Rt::ListParticipantReplicas => {
                read!(ivs_realtime::replication::list_participant_replicas)
            }
            Rt::CreateStorageConfiguration => {
                write!(ivs_realtime::storage_configuration::create_storage_configuration)
            }
            Rt::GetStorageConfiguration => {
                read!(ivs_realtime::storage_configuration::get_storage_configuration)
            }
            Rt::ListStorageConfigurations => {
                read!(ivs_realtime::storage_configuration::list_storage_configurations)
            }
            Rt::DeleteStorageConfiguration => {
                write!(ivs_realtime::storage_configuration::delete_storage_configuration)
            }
            Rt::CreateEncoderConfiguration => {
                write!(ivs_realtime::encoder_configuration::create_encoder_configuration)
            }
            Rt::GetEncoderConfiguration => {
                read!(ivs_realtime::encoder_configuration::get_encoder_configuration)
            }
            Rt::ListEncoderConfigurations => {
                read!(ivs_realtime::encoder_configuration::list_encoder_configurations)
            }
            Rt::DeleteEncoderConfiguration => {
                write!(ivs_realtime::encoder_configuration::delete_encoder_configuration)
            }
            Rt::ImportPublicKey => write!(ivs_realtime::public_key::import_public_key),
            Rt::GetPublicKey => read!(ivs_realtime::public_key::get_public_key),
            Rt::ListPublicKeys => read!(ivs_realtime::public_key::list_public_keys),
            Rt::DeletePublicKey => write!(ivs_realtime::public_key::delete_public_key),
            Rt::CreateIngestConfiguration => {
                write!(ivs_realtime::ingest_configuration::create_ingest_configuration)
            }
            Rt::GetIngestConfiguration => {
                read!(ivs_realtime::ingest_configuration::get_ingest_configuration)
            }
            Rt::ListIngestConfigurations => {
                read!(ivs_realtime::ingest_configuration::list_ingest_configurations)
            }
            Rt::UpdateIngestConfiguration => {
                write!(ivs_realtime::ingest_configuration::update_ingest_configuration)
            }
            Rt::DeleteIngestConfiguration => {
                write!(ivs_realtime::ingest_configuration::delete_ingest_configuration)
            }
            Rt::TagResource => write!(tags::ivs_realtime::tag_resource),
            Rt::UntagResource => write!(tags::ivs_realtime::untag_resource),
            Rt::ListTagsForResource => read!(tags::ivs_realtime::list_tags_for_resource),
        },
    };
    Some(invoke)
}

type ReadFn<I, O> = fn(&RequestContext, &RegionState, I) -> Result<O, ApiError>;
type WriteFn<I, O> = fn(&RequestContext, &mut RegionState, I) -> Result<O, ApiError>;

/// Runs a read-only handler under the scope's shared lock.
fn invoke_read<I: DeserializeOwned, O: Serialize + WriteJson>(
    app: &App,
    ctx: &RequestContext,
    input: Input,
    f: ReadFn<I, O>,
) -> Result<Bytes, ApiError> {
    let input = decode_input(input)?;
    let scope = app.store.scope_or_scratch(&ctx.account, &ctx.region);
    let output = f(ctx, &scope.read(), input)?;
    encode(&output)
}

/// Runs a handler that changes state under the scope's exclusive lock.
fn invoke_write<I: DeserializeOwned, O: Serialize + WriteJson>(
    app: &App,
    ctx: &RequestContext,
    input: Input,
    f: WriteFn<I, O>,
) -> Result<Bytes, ApiError> {
    let input = decode_input(input)?;
    let scope = app.store.scope(&ctx.account, &ctx.region);
    let output = f(ctx, &mut scope.write(), input)?;
    encode(&output)
}

/// The input type of a validated input object.
pub fn decode<I: DeserializeOwned>(input: Value) -> Result<I, ApiError> {
    serde_json::from_value(input).map_err(undecodable)
}

fn decode_input<I: DeserializeOwned>(input: Input) -> Result<I, ApiError> {
    match input {
        Input::Object(object) => decode(object),
        Input::Body(body) => serde_json::from_slice(body).map_err(undecodable),
    }
}

fn undecodable(e: serde_json::Error) -> ApiError {
    // Validation passed, so this is a gap between the validator and the generated types.
    tracing::warn!(error = %e, "validated input did not deserialize");
    ApiError::protocol(ProtocolError::Serialization, format!("The request could not be read: {e}"))
}

fn encode<O: Serialize + WriteJson>(output: &O) -> Result<Bytes, ApiError> {
    // Most answers fit in 2 KiB (CreateChannel's, a channel with its stream key, is about
    // 1.4 KiB): one allocation rather than a series of doublings. A `Vec` rather than
    // `BytesMut`'s writer, whose every small write (the writer makes dozens per answer) zeroed
    // the spare capacity it wrote into; `Bytes::from` takes the `Vec` as it is.
    let mut body = Vec::with_capacity(2048);
    json::to_vec(output, &mut body).map_err(ApiError::internal)?;
    Ok(Bytes::from(body))
}
