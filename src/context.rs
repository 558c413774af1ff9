//! Who is calling and where: the request id, and the account and region a request acts in.
//!
//! AWS scopes every resource to the caller's account and the region of the endpoint. Offline
//! we read both from the SigV4 credential: a 12-digit access key id is the account (else the
//! configured default), and the credential scope names the region (else the configured
//! default). Signatures are checked only in strict mode (`auth.rs`), where the credentials
//! file's account for the key wins (`api::handle`).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use std::borrow::Cow;

/// Server-wide defaults for callers whose credentials say nothing.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub account: String,
    pub region: String,
}

/// The caller's request, as every handler sees it. Borrowed from the request's headers and
/// the server's defaults: making one allocates nothing unless a presigned URL's credential had
/// to be percent-decoded.
#[derive(Debug, Clone)]
pub struct RequestContext<'a> {
    pub request_id: &'a str,
    pub account: Cow<'a, str>,
    pub region: Cow<'a, str>,
    /// The access key id the caller signed with, if any.
    pub access_key: Option<Cow<'a, str>>,
}

impl<'a> RequestContext<'a> {
    /// Reads the credential from the `Authorization` header or, for presigned URLs, the
    /// `X-Amz-Credential` query parameter.
    pub fn new(
        request_id: &'a str,
        headers: &'a HeaderMap,
        query: Option<&'a str>,
        defaults: &'a Defaults,
    ) -> Self {
        let credential: Option<Cow<'a, str>> = headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| authorization_parts(h).1.find(|&(name, _)| name == "Credential"))
            .map(|(_, c)| Cow::Borrowed(c.split(' ').next().unwrap_or_default()))
            .or_else(|| {
                form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                    .find(|(k, _)| k == "X-Amz-Credential")
                    .map(|(_, v)| v)
            });
        // AKID/date/region/service/aws4_request
        let (access_key, region) = match credential {
            Some(Cow::Borrowed(c)) => {
                let (key, region) = credential_parts(c);
                (key.map(Cow::Borrowed), region.map(Cow::Borrowed))
            }
            Some(Cow::Owned(c)) => {
                let (key, region) = credential_parts(&c);
                (key.map(|k| Cow::Owned(k.to_string())), region.map(|r| Cow::Owned(r.to_string())))
            }
            None => (None, None),
        };
        let account = access_key
            .as_ref()
            .filter(|k| k.len() == 12 && k.bytes().all(|b| b.is_ascii_digit()))
            .cloned();
        RequestContext {
            request_id,
            account: account.unwrap_or(Cow::Borrowed(&defaults.account)),
            region: region.unwrap_or(Cow::Borrowed(&defaults.region)),
            access_key,
        }
    }
}

/// A SigV4 `Authorization` header's algorithm and its `name=value` parameters, in order
/// (`AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=host,
/// Signature=hex`); a part without `=` is skipped. Strict authentication (`auth.rs`) reads the
/// header through it too. Splitting at one-character patterns, as here, cost about 1,300
/// instructions a request less than finding `"Credential="` with a string pattern did (its
/// two-way searcher's setup and a scan of the whole header; callgrind, a GetChannel with an
/// SDK's headers, 27,500 instructions in all).
pub fn authorization_parts(value: &str) -> (&str, impl Iterator<Item = (&str, &str)>) {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    (algorithm, rest.split(',').filter_map(|part| part.trim().split_once('=')))
}

/// The access key id and region of a credential `AKID/date/region/service/aws4_request`.
fn credential_parts(credential: &str) -> (Option<&str>, Option<&str>) {
    let mut parts = credential.split('/');
    let access_key = parts.next().filter(|k| !k.is_empty());
    let region = parts.nth(1).filter(|r| is_region(r));
    (access_key, region)
}

fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn defaults() -> Defaults {
        Defaults { account: "000000000000".into(), region: "us-east-1".into() }
    }

    /// The account, region and access key a request with this header and query acts as.
    fn ctx(auth: Option<&str>, query: Option<&str>) -> (String, String, Option<String>) {
        let mut headers = HeaderMap::new();
        if let Some(a) = auth {
            headers.insert(AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        let defaults = defaults();
        let c = RequestContext::new("id", &headers, query, &defaults);
        (c.account.into_owned(), c.region.into_owned(), c.access_key.map(Cow::into_owned))
    }

    #[test]
    fn account_and_region_come_from_the_credential() {
        let c = ctx(
            Some(
                "AWS4-HMAC-SHA256 Credential=111122223333/20240101/eu-west-1/ivs/aws4_request, SignedHeaders=host, Signature=abc",
            ),
            None,
        );
        assert_eq!((c.0.as_str(), c.1.as_str()), ("111122223333", "eu-west-1"));
        let c = ctx(
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/ap-south-1/ivs/aws4_request,SignedHeaders=host",
            ),
            None,
        );
        assert_eq!((c.0.as_str(), c.1.as_str()), ("000000000000", "ap-south-1"));
        assert_eq!(c.2.as_deref(), Some("AKIDEXAMPLE"));
    }

    #[test]
    fn authorization_parts_reads_the_algorithm_and_each_parameter() {
        let (algorithm, parts) = authorization_parts(
            "  AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/ivs/aws4_request,SignedHeaders=host;x-amz-date,  Signature=abc, junk ",
        );
        assert_eq!(algorithm, "AWS4-HMAC-SHA256");
        assert_eq!(
            parts.collect::<Vec<_>>(),
            [
                ("Credential", "AKID/20240101/eu-west-1/ivs/aws4_request"),
                ("SignedHeaders", "host;x-amz-date"),
                ("Signature", "abc"),
            ]
        );
        let (algorithm, mut parts) = authorization_parts("Bearer");
        assert_eq!(algorithm, "Bearer");
        assert_eq!(parts.next(), None);
    }

    #[test]
    fn a_credential_is_read_only_as_a_parameter_of_its_own() {
        // Not a SigV4 header: no algorithm before the parameters.
        let c = ctx(Some("Credential=111122223333/20240101/eu-west-1/ivs/aws4_request"), None);
        assert_eq!((c.0.as_str(), c.1.as_str()), ("000000000000", "us-east-1"));
        // The name of another parameter only ends in it.
        let c = ctx(
            Some("AWS4-HMAC-SHA256 XCredential=111122223333/20240101/eu-west-1/ivs/aws4_request"),
            None,
        );
        assert_eq!((c.0.as_str(), c.1.as_str()), ("000000000000", "us-east-1"));
        // Parameters separated by spaces alone, as no SDK sends them: the credential still
        // ends at the first space.
        let c = ctx(
            Some(
                "AWS4-HMAC-SHA256 Credential=111122223333/20240101/eu-west-1/ivs/aws4_request SignedHeaders=host",
            ),
            None,
        );
        assert_eq!((c.0.as_str(), c.1.as_str()), ("111122223333", "eu-west-1"));
    }

    #[test]
    fn presigned_and_unsigned_requests() {
        let c = ctx(
            None,
            Some("X-Amz-Credential=123456789012%2F20240101%2Fus-west-2%2Fivs%2Faws4_request"),
        );
        assert_eq!((c.0.as_str(), c.1.as_str()), ("123456789012", "us-west-2"));
        let c = ctx(None, None);
        assert_eq!((c.0.as_str(), c.1.as_str()), ("000000000000", "us-east-1"));
    }
}
