//! Strict SigV4 authentication (`--auth strict`, `--credentials FILE`): the one place that
//! decides whether a request's signature is good, and [`check`], which `server::Front` calls
//! before any handler runs. In the default `open` mode this module is not in the request path.
//!
//! The signature is recomputed with `aws-sigv4` (the signer of the AWS SDK for Rust) over the
//! request as it arrived: its method, path and query, the headers the client lists as signed,
//! and the payload hash (the body's SHA-256, or the `UNSIGNED-PAYLOAD` / `STREAMING-*` value
//! the client declared in `x-amz-content-sha256`), with the secret of the access key from the
//! credentials file, and compared with the one sent in constant time (`subtle`). Failures are
//! answered as the protocol of the request answers them (rest-json for IVS and `/_ivs-local/`,
//! Coral JSON for Cloud Control, XML for STS). No secret is ever logged or echoed.
//!
//! LIMITATIONS: only `AWS4-HMAC-SHA256` (no SigV4A, no SigV2); the time must be in
//! `X-Amz-Date` (a request signed over `Date` alone is refused); a session token is signed
//! like any header but not itself checked; an `aws-chunked` body has its seed signature
//! checked, not its chunk signatures. Presigned URLs are held to the same 15-minute window
//! as header-signed requests and `X-Amz-Expires` is only a signed parameter, as every AWS
//! service but S3 does.

use crate::api::internal;
use crate::error::{ApiError, ProtocolError};
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use subtle::ConstantTimeEq;

/// How far a request's time may be from the server's, either way (AWS's window).
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// `--auth`: which requests must be signed by a key of the credentials file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Any credentials, or none, are accepted and signatures are not checked.
    #[default]
    Open,
    /// Every request but `GET /_ivs-local/health` must be signed: the AWS APIs and the
    /// control API alike.
    Strict,
    /// The AWS APIs must be signed; the control API under `/_ivs-local/` stays open.
    StrictAwsOnly,
}

impl AuthMode {
    pub const fn name(self) -> &'static str {
        match self {
            AuthMode::Open => "open",
            AuthMode::Strict => "strict",
            AuthMode::StrictAwsOnly => "strict-aws-only",
        }
    }
}

impl std::str::FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(AuthMode::Open),
            "strict" => Ok(AuthMode::Strict),
            "strict-aws-only" => Ok(AuthMode::StrictAwsOnly),
            _ => Err(format!("{s:?} is not an auth mode: open, strict or strict-aws-only")),
        }
    }
}

/// One access key of the credentials file.
struct Key {
    secret: String,
    /// The account its requests act in; without one, the usual rule applies (a 12-digit
    /// access key id is the account, else the default).
    account: Option<String>,
}

/// The keys of a credentials file: `ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]` per line.
/// Its `Debug` names the access key ids only.
#[derive(Default)]
pub struct Credentials {
    keys: HashMap<String, Key>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Credentials").field("access_key_ids", &ids).finish_non_exhaustive()
    }
}

impl Credentials {
    /// Parses a credentials file. Blank lines and lines starting with `#` are skipped. Errors
    /// name the line, never its content (it holds a secret).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (id, secret, account) = match fields[..] {
                [id, secret] => (id, secret, None),
                [id, secret, account] => (id, secret, Some(account)),
                _ => {
                    return Err(format!(
                        "line {}: expected ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID], found {} fields",
                        n + 1,
                        fields.len()
                    ));
                }
            };
            if let Some(account) = account
                && !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(format!("line {}: the account id must be 12 digits", n + 1));
            }
            let key = Key { secret: secret.to_string(), account: account.map(str::to_string) };
            if keys.insert(id.to_string(), key).is_some() {
                return Err(format!("line {}: access key {id} is listed twice", n + 1));
            }
        }
        if keys.is_empty() {
            return Err("it lists no keys".to_string());
        }
        Ok(Credentials { keys })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Authentication settings of the server (`server::Config::auth`).
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    pub mode: AuthMode,
    pub credentials: Arc<Credentials>,
}

/// Who signed a verified request; put in the request's extensions for `api::handle`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub access_key: String,
    /// The account the credentials file gives the key, if it gives one.
    pub account: Option<String>,
}

/// The verifier `server::Front` holds; `None` in open mode.
pub fn verifier(config: &AuthConfig) -> Option<Arc<Verifier>> {
    match config.mode {
        AuthMode::Open => None,
        mode => Some(Arc::new(Verifier { mode, credentials: config.credentials.clone() })),
    }
}

pub struct Verifier {
    mode: AuthMode,
    credentials: Arc<Credentials>,
}

/// Verifies a request whose body has been read (`server::Front` reads it first, within the
/// size limit): the caller, or the protocol's error to answer with. `None` when the request
/// needs no signature (the health check, and with `strict-aws-only` all of `/_ivs-local/`).
pub fn check(
    verifier: &Verifier,
    parts: &axum::http::request::Parts,
    body: &[u8],
    request_id: &str,
) -> Result<Option<Caller>, Box<Response>> {
    let path = parts.uri.path();
    // The health check stays open whatever the mode: Docker's health check cannot sign.
    let open = path == internal::HEALTH_PATH
        || (verifier.mode == AuthMode::StrictAwsOnly && path.starts_with(internal::PREFIX));
    if open {
        return Ok(None);
    }
    let protocol = Protocol::of(path, &parts.headers);
    let incoming = Incoming {
        method: parts.method.as_str(),
        path,
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body,
    };
    verifier.verify(&incoming, protocol.service(), SystemTime::now()).map(Some).map_err(|failure| {
        tracing::debug!(error = failure.name(), "request refused by strict authentication");
        Box::new(failure.into_response(protocol, request_id))
    })
}

/// The wire protocol of a request, which decides the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// IVS and ivs-realtime (`/{Operation}`, `/tags/...`), and the control API.
    RestJson { internal: bool },
    /// `POST /` with `X-Amz-Target` (Cloud Control; any other target is answered 501).
    Coral { cloudcontrol: bool },
    /// `/` without a target: STS.
    Query,
}

impl Protocol {
    fn of(path: &str, headers: &HeaderMap) -> Self {
        if path != "/" {
            return Protocol::RestJson { internal: path.starts_with(internal::PREFIX) };
        }
        if headers.contains_key("x-amz-target") {
            Protocol::Coral { cloudcontrol: crate::cloudcontrol::is_cloudcontrol(headers) }
        } else {
            Protocol::Query
        }
    }

    /// The service the credential scope must name, where one is known. Both IVS APIs sign
    /// as `ivs`. The control API takes any; so does the query endpoint, which also declines
    /// (501) the IAM `GetUser` that the Terraform provider sends before STS.
    fn service(self) -> Option<&'static str> {
        match self {
            Protocol::RestJson { internal: false } => Some("ivs"),
            Protocol::Coral { cloudcontrol: true } => Some("cloudcontrolapi"),
            Protocol::RestJson { internal: true }
            | Protocol::Coral { cloudcontrol: false }
            | Protocol::Query => None,
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No `Authorization` header and no presigned query parameters.
    Missing,
    /// A signature that cannot be read, or lacks a part.
    Incomplete(String),
    /// An access key the credentials file does not list.
    UnknownKey,
    /// A signature that does not match, or a time too far off; the message says which.
    Invalid(String),
}

/// AWS's words for a signature that does not match.
pub const MISMATCH: &str = "The request signature we calculated does not match the signature \
     you provided. Check your AWS Secret Access Key and signing method. Consult the service \
     documentation for details.";
/// AWS's words for an access key it does not know.
pub const UNKNOWN_KEY: &str = "The security token included in the request is invalid.";

impl Failure {
    fn name(&self) -> &'static str {
        match self {
            Failure::Missing => "MissingAuthenticationToken",
            Failure::Incomplete(_) => "IncompleteSignature",
            Failure::UnknownKey => "UnrecognizedClient",
            Failure::Invalid(_) => "InvalidSignature",
        }
    }

    /// The answer AWS gives in each protocol: 403 with `x-amzn-ErrorType` for rest-json,
    /// 400 with a `com.amazon.coral.service#` type for Coral JSON (as DynamoDB, ECS and Cloud
    /// Control answer every front-end error), 403 XML with the query protocol's own codes for
    /// STS.
    fn into_response(self, protocol: Protocol, request_id: &str) -> Response {
        let (rest, coral, query, message) = match self {
            Failure::Missing => {
                let message = match protocol {
                    Protocol::RestJson { .. } => "Missing Authentication Token",
                    _ => "Request is missing Authentication Token",
                };
                (
                    ProtocolError::MissingAuthenticationToken,
                    "MissingAuthenticationTokenException",
                    "MissingAuthenticationToken",
                    message.to_string(),
                )
            }
            Failure::Incomplete(message) => (
                ProtocolError::IncompleteSignature,
                "IncompleteSignatureException",
                "IncompleteSignature",
                message,
            ),
            Failure::UnknownKey => (
                ProtocolError::UnrecognizedClient,
                "UnrecognizedClientException",
                "InvalidClientTokenId",
                UNKNOWN_KEY.to_string(),
            ),
            Failure::Invalid(message) => (
                ProtocolError::InvalidSignature,
                "InvalidSignatureException",
                "SignatureDoesNotMatch",
                message,
            ),
        };
        match protocol {
            Protocol::RestJson { .. } => ApiError::protocol(rest, message).into_response(),
            Protocol::Coral { .. } => {
                crate::cloudcontrol::CcError::serialization(coral, message).into_response()
            }
            Protocol::Query => {
                crate::sts::error(request_id, StatusCode::FORBIDDEN, query, &message)
            }
        }
    }
}

/// The parts of a request the signature covers.
pub struct Incoming<'a> {
    pub method: &'a str,
    /// As sent, percent-encoded.
    pub path: &'a str,
    /// As sent, percent-encoded, without the `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// What the client says it signed, from the `Authorization` header or the presigned query.
struct Claimed {
    credential: String,
    signed_headers: String,
    signature: String,
    /// `X-Amz-Date`, as sent.
    date: String,
    /// Presigned: `X-Amz-Expires`, in seconds.
    expires: Option<u64>,
}

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The query parameters the signer adds itself when it presigns: they are taken out of the
/// query it is given, and `X-Amz-Signature` is what is being checked.
const PRESIGN_PARAMS: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
];
/// A presigned URL may live at most seven days (SigV4's limit).
const MAX_EXPIRES: u64 = 7 * 24 * 3600;

impl Verifier {
    /// Checks `request`'s signature at time `now`; `service` is the signing name its
    /// credential scope must carry, where one is known.
    pub fn verify(
        &self,
        request: &Incoming,
        service: Option<&str>,
        now: SystemTime,
    ) -> Result<Caller, Failure> {
        let claimed = claimed(request)?;
        let scope: Vec<&str> = claimed.credential.split('/').collect();
        let [access_key, _date, region, scope_service, terminator] = scope[..] else {
            return Err(Failure::Incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term, got '{}'",
                claimed.credential
            )));
        };
        let Some(key) = self.credentials.keys.get(access_key) else {
            return Err(Failure::UnknownKey);
        };
        if terminator != "aws4_request" {
            return Err(Failure::Invalid(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not \
                 '{terminator}'."
            )));
        }
        if let Some(service) = service
            && scope_service != service
        {
            return Err(Failure::Invalid(format!(
                "Credential should be scoped to correct service: '{service}'. "
            )));
        }
        let time = parse_amz_date(&claimed.date).ok_or_else(|| {
            Failure::Incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See \
                 http://en.wikipedia.org/wiki/ISO_8601",
                claimed.date
            ))
        })?;
        check_skew(time, now)?;
        let signed: Vec<&str> = claimed.signed_headers.split(';').collect();
        if !signed.contains(&"host") {
            return Err(Failure::Incomplete(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
                    .to_string(),
            ));
        }
        let headers: Vec<(&str, &str)> = signed
            .iter()
            .flat_map(|&name| {
                request
                    .headers
                    .get_all(name)
                    .iter()
                    .filter_map(move |v| Some((name, v.to_str().ok()?)))
            })
            .collect();
        if !headers.iter().any(|(name, _)| *name == "host") {
            return Err(Failure::Invalid(MISMATCH.to_string()));
        }
        let identity =
            aws_credential_types::Credentials::new(access_key, &key.secret, None, None, "file")
                .into();
        let mut settings = SigningSettings::default();
        // Sign exactly what the client says it signed, whatever the SDK's own exclusions.
        settings.excluded_headers = None;
        if let Some(expires) = claimed.expires {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(Duration::from_secs(expires));
        }
        let params: aws_sigv4::http_request::SigningParams =
            aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&identity)
                .region(region)
                .name(scope_service)
                .time(time)
                .settings(settings)
                .build()
                .map_err(|_| Failure::Invalid(MISMATCH.to_string()))?
                .into();
        let uri = if claimed.expires.is_some() {
            let rest: Vec<&str> = request
                .query
                .split('&')
                .filter(|pair| {
                    let name = pair.split('=').next().unwrap_or_default();
                    !pair.is_empty() && !PRESIGN_PARAMS.contains(&decode(name).as_str())
                })
                .collect();
            with_query(request.path, &rest.join("&"))
        } else {
            with_query(request.path, request.query)
        };
        let mut matched = false;
        for body in payloads(request, claimed.expires.is_some()) {
            let signable =
                SignableRequest::new(request.method, uri.as_str(), headers.iter().copied(), body);
            let expected = signable.and_then(|s| sign(s, &params));
            if let Ok(expected) = expected {
                // Constant time, so a caller cannot find the signature byte by byte.
                matched |=
                    bool::from(expected.signature().as_bytes().ct_eq(claimed.signature.as_bytes()));
            }
        }
        if !matched {
            return Err(Failure::Invalid(MISMATCH.to_string()));
        }
        Ok(Caller { access_key: access_key.to_string(), account: key.account.clone() })
    }
}

/// Reads the signature's parts from the `Authorization` header, or from the query of a
/// presigned URL.
fn claimed(request: &Incoming) -> Result<Claimed, Failure> {
    if let Some(value) = request.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| {
            Failure::Incomplete("The Authorization header is not ASCII.".to_string())
        })?;
        let (algorithm, parts) = crate::context::authorization_parts(value);
        if algorithm != ALGORITHM {
            return Err(Failure::Incomplete(format!(
                "ivs-local verifies only {ALGORITHM} (SigV4) signatures, not '{algorithm}'."
            )));
        }
        let fields: HashMap<&str, &str> = parts.collect();
        let date = request.headers.get("x-amz-date").and_then(|d| d.to_str().ok());
        let mut missing = Vec::new();
        for field in ["Credential", "Signature", "SignedHeaders"] {
            if !fields.contains_key(field) {
                missing.push(format!("Authorization header requires '{field}' parameter."));
            }
        }
        if date.is_none() {
            missing.push(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
                 header."
                    .to_string(),
            );
        }
        if !missing.is_empty() {
            return Err(Failure::Incomplete(format!(
                "{} Authorization={value}",
                missing.join(" ")
            )));
        }
        return Ok(Claimed {
            credential: fields["Credential"].to_string(),
            signed_headers: fields["SignedHeaders"].to_string(),
            signature: fields["Signature"].to_string(),
            date: date.unwrap_or_default().to_string(),
            expires: None,
        });
    }
    let params: HashMap<String, String> = form_urlencoded::parse(request.query.as_bytes())
        .filter(|(k, _)| k.starts_with("X-Amz-"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !params.contains_key("X-Amz-Signature") && !params.contains_key("X-Amz-Credential") {
        return Err(Failure::Missing);
    }
    let get = |name: &str| params.get(name).cloned();
    let (Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers)) = (
        get("X-Amz-Algorithm"),
        get("X-Amz-Credential"),
        get("X-Amz-Signature"),
        get("X-Amz-Date"),
        get("X-Amz-SignedHeaders"),
    ) else {
        return Err(Failure::Incomplete(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', \
             'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the \
             query-string parameters."
                .to_string(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(Failure::Incomplete(format!(
            "ivs-local verifies only {ALGORITHM} (SigV4) signatures, not '{algorithm}'."
        )));
    }
    // SigV4 presigning always sends X-Amz-Expires; without it, the signer's default applies.
    let expires = match get("X-Amz-Expires") {
        None => 900,
        Some(e) => match e.parse::<u64>() {
            Ok(secs) if (1..=MAX_EXPIRES).contains(&secs) => secs,
            _ => {
                return Err(Failure::Incomplete(format!(
                    "X-Amz-Expires must be a number of seconds from 1 to {MAX_EXPIRES} (seven days)."
                )));
            }
        },
    };
    Ok(Claimed { credential, signed_headers, signature, date, expires: Some(expires) })
}

/// The payload hashes to try, in order: what `x-amz-content-sha256` declares when it is not a
/// hash (`UNSIGNED-PAYLOAD`, `STREAMING-...`), else the body's own hash. A presigned URL may
/// also have been signed over `UNSIGNED-PAYLOAD` (as S3's are), so that is tried second.
fn payloads<'a>(request: &'a Incoming, presigned: bool) -> Vec<SignableBody<'a>> {
    let declared = request
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            presigned
                .then(|| {
                    form_urlencoded::parse(request.query.as_bytes())
                        .find(|(k, _)| k == "X-Amz-Content-Sha256")
                        .map(|(_, v)| v.into_owned())
                })
                .flatten()
        });
    match declared {
        Some(d) if d == "UNSIGNED-PAYLOAD" => vec![SignableBody::UnsignedPayload],
        Some(d) if d.starts_with("STREAMING-") => vec![SignableBody::Precomputed(d)],
        // A hash, or nothing: the body must hash to what was signed.
        Some(_) => vec![SignableBody::Bytes(request.body)],
        None if presigned => {
            vec![SignableBody::Bytes(request.body), SignableBody::UnsignedPayload]
        }
        None => vec![SignableBody::Bytes(request.body)],
    }
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() { path.to_string() } else { format!("{path}?{query}") }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `20240101T000000Z` (ISO 8601 basic format, UTC), as SigV4 writes times.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits(0..8) || !digits(9..15) {
        return None;
    }
    let extended = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    let time = DateTime::from_str(&extended, Format::DateTime).ok()?;
    SystemTime::try_from(time).ok()
}

fn format_amz_date(t: SystemTime) -> String {
    let secs = DateTime::from(t).secs();
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .map(|s| s.replace(['-', ':'], ""))
        .unwrap_or_default()
}

/// AWS's window: a request signed more than 15 minutes before or after the server's clock is
/// refused, in AWS's words.
fn check_skew(time: SystemTime, now: SystemTime) -> Result<(), Failure> {
    if let Some(earliest) = now.checked_sub(MAX_SKEW)
        && time < earliest
    {
        return Err(Failure::Invalid(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            format_amz_date(time),
            format_amz_date(earliest),
            format_amz_date(now)
        )));
    }
    let latest = now + MAX_SKEW;
    if time > latest {
        return Err(Failure::Invalid(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            format_amz_date(time),
            format_amz_date(latest),
            format_amz_date(now)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_files_are_read_and_their_errors_never_show_a_secret() {
        let creds = Credentials::parse(
            "# team keys\n\nAKIDEXAMPLE wJalrXUtnFEMI 111122223333\n123456789012 secret\n",
        )
        .unwrap();
        assert_eq!(creds.len(), 2);
        assert_eq!(creds.keys["AKIDEXAMPLE"].account.as_deref(), Some("111122223333"));
        assert_eq!(creds.keys["123456789012"].account, None);
        assert!(!format!("{creds:?}").contains("wJalr"));
        for (text, error) in [
            ("AKID s3cr3t-value 1234\n", "line 1: the account id must be 12 digits"),
            (
                "AKID\n",
                "line 1: expected ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID], found 1 fields",
            ),
            ("A s3cr3t-value\nA s3cr3t-value\n", "line 2: access key A is listed twice"),
            ("# nothing\n", "it lists no keys"),
        ] {
            let e = Credentials::parse(text).unwrap_err();
            assert_eq!(e, error);
            assert!(!e.contains("s3cr3t"));
        }
    }

    #[test]
    fn amz_dates_round_trip_and_the_window_is_aws_words() {
        let t = parse_amz_date("20240101T002000Z").unwrap();
        assert_eq!(format_amz_date(t), "20240101T002000Z");
        assert!(parse_amz_date("2024-01-01T00:20:00Z").is_none());
        assert!(parse_amz_date("20241301T002000Z").is_none());
        let signed = parse_amz_date("20240101T000000Z").unwrap();
        assert_eq!(
            check_skew(signed, t),
            Err(Failure::Invalid(
                "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z \
                 (20240101T002000Z - 15 min.)"
                    .into()
            ))
        );
        assert_eq!(check_skew(signed, signed + MAX_SKEW), Ok(()));
        assert!(matches!(
            check_skew(t, signed),
            Err(Failure::Invalid(m)) if m.starts_with("Signature not yet current: 20240101T002000Z is still later than 20240101T001500Z")
        ));
    }
}
