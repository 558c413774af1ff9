//! The one error type of the AWS APIs, and the only code that writes an error response.
//!
//! An [`ApiError`] is either a modeled exception ([`ErrorCode`], generated from the models with
//! its HTTP status) or a failure of the protocol itself ([`ProtocolError`]: no such operation,
//! a body that is not JSON, ...). Both render the same way: the status, `x-amzn-ErrorType`,
//! `Content-Type: application/json` and a body carrying the text in `exceptionMessage` (the
//! member the models declare, read by the Go and Rust SDKs) and in `message` (the only member
//! botocore and the aws CLI read). `x-amzn-RequestId` is added to every response by
//! `server::Front`.

pub use crate::api::types::errors::ErrorCode;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Failures of the protocol that no model declares. Their wire names follow what the Smithy
/// rest-json server protocol sends, which every AWS SDK parses into a typed-by-code error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    /// No operation has this path (404).
    UnknownOperation,
    /// The path exists but not with this method (405).
    MethodNotAllowed,
    /// The body is not a JSON object (400).
    Serialization,
    /// A body that is not JSON by its `Content-Type` (415).
    UnsupportedMediaType,
    /// The body is over the size limit (413).
    PayloadTooLarge,
    /// The body did not arrive in time (408). The AWS SDKs count this code as transient and
    /// retry it.
    RequestTimeout,
    /// The operation is routed and validated but ivs-local does not implement it yet (501).
    NotImplemented,
    /// Strict authentication (`auth.rs`): the request carries no signature (403).
    MissingAuthenticationToken,
    /// Strict authentication: the signature is malformed or incomplete (403).
    IncompleteSignature,
    /// Strict authentication: the access key is not in the credentials file (403).
    UnrecognizedClient,
    /// Strict authentication: the signature does not match, or its time is too far off (403).
    InvalidSignature,
}

impl ProtocolError {
    pub const fn name(self) -> &'static str {
        match self {
            ProtocolError::UnknownOperation => "UnknownOperationException",
            ProtocolError::MethodNotAllowed => "MethodNotAllowedException",
            ProtocolError::Serialization => "SerializationException",
            ProtocolError::UnsupportedMediaType => "UnsupportedMediaTypeException",
            ProtocolError::PayloadTooLarge => "PayloadTooLargeException",
            ProtocolError::RequestTimeout => "RequestTimeoutException",
            ProtocolError::NotImplemented => "NotImplementedException",
            ProtocolError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ProtocolError::IncompleteSignature => "IncompleteSignatureException",
            ProtocolError::UnrecognizedClient => "UnrecognizedClientException",
            ProtocolError::InvalidSignature => "InvalidSignatureException",
        }
    }

    pub const fn status(self) -> u16 {
        match self {
            ProtocolError::UnknownOperation => 404,
            ProtocolError::MethodNotAllowed => 405,
            ProtocolError::Serialization => 400,
            ProtocolError::UnsupportedMediaType => 415,
            ProtocolError::PayloadTooLarge => 413,
            ProtocolError::RequestTimeout => 408,
            ProtocolError::NotImplemented => 501,
            ProtocolError::MissingAuthenticationToken
            | ProtocolError::IncompleteSignature
            | ProtocolError::UnrecognizedClient
            | ProtocolError::InvalidSignature => 403,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Modeled(ErrorCode),
    Protocol(ProtocolError),
}

/// An error answer of the `ivs` or `ivs-realtime` API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { kind: ErrorKind::Modeled(code), message: message.into() }
    }

    pub fn protocol(kind: ProtocolError, message: impl Into<String>) -> Self {
        ApiError { kind: ErrorKind::Protocol(kind), message: message.into() }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationException, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceNotFoundException, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ConflictException, message)
    }

    pub fn quota_exceeded(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServiceQuotaExceededException, message)
    }

    /// A bug in ivs-local, never the caller's fault. Logged where it is made.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            ErrorCode::InternalServerException,
            "Unexpected error during processing of request.",
        )
    }

    /// The wire name, sent as `x-amzn-ErrorType`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            ErrorKind::Modeled(code) => code.name(),
            ErrorKind::Protocol(p) => p.name(),
        }
    }

    pub fn status(&self) -> u16 {
        match self.kind {
            ErrorKind::Modeled(code) => code.status(),
            ErrorKind::Protocol(p) => p.status(),
        }
    }

    /// The modeled exception, if this is one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self.kind {
            ErrorKind::Modeled(code) => Some(code),
            ErrorKind::Protocol(_) => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name(), self.message)
    }
}

/// `x-amzn-ErrorType` (header names are case-insensitive; HTTP/1 writes them as given here).
pub const ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");
/// `x-amzn-RequestId`, on every answer.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "exceptionMessage": self.message,
            "message": self.message,
        });
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ERROR_TYPE, HeaderValue::from_static(self.name()));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_errors_are_402_as_modeled() {
        assert_eq!(ErrorCode::ServiceQuotaExceededException.status(), 402);
        assert_eq!(ApiError::not_found("x").status(), 404);
    }
}
