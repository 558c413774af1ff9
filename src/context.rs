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
            .map(|(_, c)| Cow::Borrowed(split_once_at(c, b' ').map_or(c, |(c, _)| c)))
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
/// header through it too.
///
/// Every signed request goes through this and [`credential_parts`], so both cut at bytes with
/// `memchr`. In their place core's string searches (the two-way searcher for `"Credential="`,
/// then about 190 instructions for each one-character cut on strings this short) made a
/// GetChannel with an SDK's headers cost 28,800 instructions instead of 26,500 (callgrind).
pub fn authorization_parts(value: &str) -> (&str, impl Iterator<Item = (&str, &str)>) {
    let value = value.trim_ascii();
    let (algorithm, rest) = split_once_at(value, b' ').unwrap_or((value, ""));
    let mut start = 0;
    let ends = memchr::memchr_iter(b',', rest.as_bytes()).chain([rest.len()]);
    let parts = ends.map(move |end| {
        let part = &rest[start..end];
        start = end + 1;
        part
    });
    (algorithm, parts.filter_map(|part| split_once_at(part.trim_ascii(), b'=')))
}

/// The access key id and region of a credential `AKID/date/region/service/aws4_request`.
fn credential_parts(credential: &str) -> (Option<&str>, Option<&str>) {
    let (access_key, rest) = split_once_at(credential, b'/').unwrap_or((credential, ""));
    let region = split_once_at(rest, b'/')
        .map(|(_date, rest)| split_once_at(rest, b'/').map_or(rest, |(region, _)| region));
    (Some(access_key).filter(|k| !k.is_empty()), region.filter(|r| is_region(r)))
}

/// `s` around the first `byte`, an ASCII one (so both sides are whole characters).
fn split_once_at(s: &str, byte: u8) -> Option<(&str, &str)> {
    let i = memchr::memchr(byte, s.as_bytes())?;
    Some((&s[..i], &s[i + 1..]))
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
        let scope = "111122223333/20240101/eu-west-1/ivs/aws4_request";
        let cases = [
            // Not a SigV4 header: no algorithm before the parameters.
            (format!("Credential={scope}"), ("000000000000", "us-east-1")),
            // The name of another parameter only ends in it.
            (format!("AWS4-HMAC-SHA256 XCredential={scope}"), ("000000000000", "us-east-1")),
            // Parameters separated by spaces alone, as no SDK sends them: the credential still
            // ends at the first space.
            (
                format!("AWS4-HMAC-SHA256 Credential={scope} SignedHeaders=host"),
                ("111122223333", "eu-west-1"),
            ),
        ];
        for (header, (account, region)) in cases {
            let c = ctx(Some(&header), None);
            assert_eq!((c.0.as_str(), c.1.as_str()), (account, region), "{header}");
        }
    }

    #[test]
    fn credential_parts_takes_the_first_and_third_of_its_slash_separated_parts() {
        let cases = [
            ("AKID/20240101/eu-west-1/ivs/aws4_request", (Some("AKID"), Some("eu-west-1"))),
            ("AKID/20240101/eu-west-1", (Some("AKID"), Some("eu-west-1"))),
            ("AKID/20240101", (Some("AKID"), None)),
            ("AKID", (Some("AKID"), None)),
            ("/20240101/eu-west-1/ivs", (None, Some("eu-west-1"))),
            ("AKID/20240101//ivs", (Some("AKID"), None)),
            ("AKID/20240101/EU_WEST/ivs", (Some("AKID"), None)),
            ("", (None, None)),
        ];
        for (credential, parts) in cases {
            assert_eq!(credential_parts(credential), parts, "{credential}");
        }
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
