//! CORS, as IVS answers browsers: applied in front of every route (the AWS APIs, Cloud Control
//! and `/_ivs-local/`) by `server::Front`, so a page on another origin can use the AWS SDK for
//! JavaScript.
//!
//! Every answer, errors included, carries `Access-Control-Allow-Origin` and the
//! `Access-Control-Expose-Headers` list IVS sends (the AWS CLI's start-participant-replication
//! example prints both), so the SDK can read `x-amzn-RequestId` and `x-amzn-ErrorType`.
//! Every `OPTIONS` request without a body is a preflight, answered with [`preflight`]; no IVS
//! or Cloud Control operation uses that method, so it never reaches a router (which would say
//! 404 or 405). Header values are static or echoed, since this runs on every request.

use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS, ORIGIN,
    VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The expose list from IVS's own answers, in its order: without it a browser hides every
/// header but the CORS-safelisted ones, and the SDK would see no request id or error type.
const EXPOSE_HEADERS: HeaderValue = HeaderValue::from_static(
    "Access-Control-Allow-Origin,Access-Control-Expose-Headers,Cache-Control,Content-Length,\
     Content-Security-Policy,Content-Type,date,Strict-Transport-Security,x-amz-apigw-id,\
     x-amzn-errormessage,x-amzn-errortype,x-amzn-requestid,x-amzn-trace-id,\
     X-Content-Type-Options,X-Frame-Options",
);
const ANY_ORIGIN: HeaderValue = HeaderValue::from_static("*");
/// Every method the three protocols use (IVS: GET, POST, DELETE; Cloud Control: POST), and
/// then some, so a preflight for any of them passes.
const ALLOW_METHODS: HeaderValue =
    HeaderValue::from_static("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT");
/// What the JavaScript SDK sends when a preflight names no headers (it always names some).
const DEFAULT_ALLOW_HEADERS: HeaderValue = HeaderValue::from_static(
    "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,\
     x-amz-date,x-amz-security-token,x-amz-target,x-amz-user-agent",
);
/// Chromium caps a cached preflight at two hours; ask for that much.
const MAX_AGE: HeaderValue = HeaderValue::from_static("7200");
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("origin");

/// Which origins get `Access-Control-Allow-Origin`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Every origin, as AWS: `*` on every answer.
    #[default]
    Any,
    /// Only these (exact `scheme://host[:port]`), echoed back with `Vary: Origin`.
    List(Arc<[String]>),
}

impl AllowedOrigins {
    /// Reads `--cors-origins`: a comma-separated list; empty or `*` means any origin.
    pub fn parse(list: &str) -> Self {
        let origins: Vec<String> = list
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect();
        if origins.is_empty() || origins.iter().any(|o| o == "*") {
            AllowedOrigins::Any
        } else {
            AllowedOrigins::List(origins.into())
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request with these headers, if any.
    fn allow_origin(&self, request: &HeaderMap) -> Option<HeaderValue> {
        match self {
            AllowedOrigins::Any => Some(ANY_ORIGIN),
            AllowedOrigins::List(list) => {
                let origin = request.get(ORIGIN)?;
                let text = origin.to_str().ok()?;
                list.iter().any(|o| o.eq_ignore_ascii_case(text)).then(|| origin.clone())
            }
        }
    }
}

/// What CORS adds to one request's answer, decided from the request before it is handled.
pub struct Cors {
    allow_origin: Option<HeaderValue>,
    /// Whether the allowed origin depends on the request (a `--cors-origins` list).
    varies: bool,
}

impl Cors {
    pub fn new(origins: &AllowedOrigins, request: &HeaderMap) -> Cors {
        Cors {
            allow_origin: origins.allow_origin(request),
            varies: matches!(origins, AllowedOrigins::List(_)),
        }
    }

    /// Whether this is a preflight, which `server::Front` answers with [`preflight`] and never
    /// routes. A preflight never has a body (Fetch); an OPTIONS with one goes on like any
    /// request, so that its body is read and the keep-alive connection stays usable.
    pub fn is_preflight(method: &Method, has_body: bool) -> bool {
        method == Method::OPTIONS && !has_body
    }

    /// Adds the CORS headers to an answer, a preflight's included.
    pub fn finish(self, response: &mut Response) {
        let headers = response.headers_mut();
        if let Some(origin) = self.allow_origin {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS);
        if self.varies {
            // Caches must not hand one origin's answer to another.
            headers.append(VARY, VARY_ORIGIN);
        }
    }
}

/// A preflight's answer: 200 with no body, allowing every method and the headers asked for.
/// An origin outside `--cors-origins` gets the same answer without `Allow-Origin`, which is
/// how a browser learns it is refused.
pub fn preflight(request: &HeaderMap) -> Response {
    let allow_headers =
        request.get(ACCESS_CONTROL_REQUEST_HEADERS).cloned().unwrap_or(DEFAULT_ALLOW_HEADERS);
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
    headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
    headers.insert(ACCESS_CONTROL_MAX_AGE, MAX_AGE);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_star_means_any_origin() {
        assert_eq!(AllowedOrigins::parse(""), AllowedOrigins::Any);
        assert_eq!(AllowedOrigins::parse("*"), AllowedOrigins::Any);
        assert_eq!(AllowedOrigins::parse("https://a.example, *"), AllowedOrigins::Any);
    }

    #[test]
    fn a_list_is_trimmed_and_loses_trailing_slashes() {
        let AllowedOrigins::List(list) =
            AllowedOrigins::parse(" https://a.example/ ,http://localhost:3000")
        else {
            panic!("a list")
        };
        assert_eq!(&list[..], ["https://a.example", "http://localhost:3000"]);
    }

    #[test]
    fn only_listed_origins_are_echoed() {
        let origins = AllowedOrigins::parse("https://a.example");
        let mut request = HeaderMap::new();
        assert_eq!(origins.allow_origin(&request), None);
        request.insert(ORIGIN, HeaderValue::from_static("https://b.example"));
        assert_eq!(origins.allow_origin(&request), None);
        request.insert(ORIGIN, HeaderValue::from_static("https://a.example"));
        assert_eq!(
            origins.allow_origin(&request),
            Some(HeaderValue::from_static("https://a.example"))
        );
    }
}
