//! The one STS operation clients need from an endpoint that serves their IVS calls:
//! `GetCallerIdentity` (query protocol, XML answer). The Terraform provider calls it to learn
//! the account id it checks ARNs against, so it answers with the account the caller's
//! credential maps to (see `context.rs`).
//!
//! Requests to `/` carrying `X-Amz-Target: CloudApiService.*` are Cloud Control's and never
//! reach this module (`cloudcontrol/`); any other JSON-protocol target is answered 501.

use crate::context::RequestContext;
use crate::error::{ApiError, ProtocolError};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

pub fn handle(
    ctx: &RequestContext,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Response {
    if let Some(target) = headers.get("x-amz-target").and_then(|t| t.to_str().ok()) {
        return ApiError::protocol(
            ProtocolError::NotImplemented,
            format!("ivs-local does not implement {target} yet."),
        )
        .into_response();
    }
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .chain(form_urlencoded::parse(body))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let Some(action) = params.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.as_str()) else {
        return ApiError::protocol(
            ProtocolError::UnknownOperation,
            "No operation is served at /: IVS operations have paths of their own, and STS requests name an Action.",
        )
        .into_response();
    };
    match action {
        "GetCallerIdentity" => get_caller_identity(ctx),
        other => error(
            ctx.request_id,
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            &format!("ivs-local implements only the STS action GetCallerIdentity, not {other}."),
        ),
    }
}

fn get_caller_identity(ctx: &RequestContext) -> Response {
    let account = &ctx.account;
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"{XMLNS}\">\n  <GetCallerIdentityResult>\n    \
         <Arn>arn:aws:iam::{account}:root</Arn>\n    <UserId>{account}</UserId>\n    \
         <Account>{account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    \
         <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        ctx.request_id
    );
    xml(StatusCode::OK, body)
}

/// An error in the query protocol's XML form (also used by `auth.rs` for STS requests).
pub fn error(request_id: &str, status: StatusCode, code: &str, message: &str) -> Response {
    let message = escape(message);
    let body = format!(
        "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n    \
         <Message>{message}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n"
    );
    let mut response = xml(status, body);
    response.headers_mut().insert("x-amzn-ErrorType", code.parse().expect("ASCII error code"));
    response
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
