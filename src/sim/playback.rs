//! Viewers asking for a low-latency channel's playlist: `POST /_ivs-local/playback/authorize`
//! decides as IVS's playback service would whether the viewer may watch, and why not.
//!
//! It reads the channel (`authorized`, `playbackRestrictionPolicyArn`), the imported playback
//! key pairs, the viewer-session revocations and the policies that the `ivs` handlers keep,
//! and it changes only one thing: an `aws:single-use-uuid` is spent on the first allowed play.
//! It serves no media; a refusal is an answer (`allowed: false`), not an HTTP error.
//!
//! LIMITATIONS: one request stands for the whole play, so strict origin enforcement (which AWS
//! applies to the variant playlists and segments too) is checked once, on this request;
//! `aws:maximum-resolution` is not checked; the viewer's country is what the caller says.

use crate::api::ivs::channel::arn as channel_arn;
use crate::server::App;
use crate::sim::{ControlError, parse_body};
use crate::store::RegionState;
use crate::store::ivs::Channel;
use crate::tokens::Jwt;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use p384::ecdsa::VerifyingKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// How far ahead a token with `aws:single-use-uuid` or `aws:viewer-id` may expire: AWS's
/// "Generate and Sign Playback Tokens" guide caps `exp` at 10 minutes in the future for both.
const SHORT_LIVED_MAX_SECS: i64 = 10 * 60;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthorizeRequest {
    /// The channel's `playbackUrl`, with `?token=<JWT>` for a private channel.
    playback_url: String,
    /// The request's `Origin` header, as a browser would send it.
    origin: Option<String>,
    /// The viewer's country, ISO 3166-1 alpha-2 (AWS finds it from the viewer's address).
    country: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Decision {
    allowed: bool,
    reason: String,
    channel_arn: String,
    live: bool,
}

/// `POST /_ivs-local/playback/authorize`. A URL that is not a playback URL is a 400; one
/// naming no channel is a 404, as the playback service answers 404 for an unknown playlist.
pub async fn authorize(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match decide(&app, &body) {
        Ok(decision) => Json(decision).into_response(),
        Err(e) => e.into_response(),
    }
}

fn decide(app: &App, body: &[u8]) -> Result<Decision, ControlError> {
    let request: AuthorizeRequest = parse_body(body)?;
    let url = PlaybackUrl::parse(&request.playback_url)?;
    let origin = request.origin.as_deref().map(str::trim).filter(|o| !o.is_empty());
    let country = request.country.as_deref().map(str::trim).filter(|c| !c.is_empty());
    // Only a channel that exists can be played, so a URL naming a new region or account makes
    // no scope.
    let scope = app.store.scope_or_scratch(&url.account, &url.region);
    // Write: an allowed single-use token is spent under the same lock that checked it.
    let mut st = scope.write();
    if url.prefix != st.endpoint_prefix {
        return Err(ControlError::not_found(format!(
            "No channel of account {} in {} is played from {}.playback.live-video.net; \
             use the playbackUrl that GetChannel returns.",
            url.account, url.region, url.prefix
        )));
    }
    let Some(channel) = st.ivs.channels.get(url.channel_id.as_str()) else {
        return Err(ControlError::not_found(format!(
            "No channel with id {} in account {}, region {}.",
            url.channel_id, url.account, url.region
        )));
    };
    let now = unix_now();
    let verdict = admit(&st, channel, url.token.as_deref(), origin, country, now);
    let channel_arn = crate::api::ivs::channel::arn(&st, channel);
    let live = st.ivs.is_live(&url.channel_id);
    let (allowed, reason) = match verdict {
        Ok(admission) => {
            if let Some((uuid, exp)) = admission.single_use {
                spend(&mut st, uuid, exp, now);
            }
            (true, admission.reason)
        }
        Err(reason) => (false, reason),
    };
    Ok(Decision { allowed, reason, channel_arn, live })
}

/// Why a viewer is let in, and the single-use id (with its token's `exp`) to spend.
struct Admission {
    reason: String,
    single_use: Option<(String, i64)>,
}

/// The rules in the order a refusal is most useful to read: the private-channel token first,
/// then the channel's playback restriction policy. `Err` is the reason for refusing.
fn admit(
    st: &RegionState,
    channel: &Channel,
    token: Option<&str>,
    origin: Option<&str>,
    country: Option<&str>,
    now: i64,
) -> Result<Admission, String> {
    // A token on a public channel's URL is ignored: only authorized channels read it.
    let single_use =
        if channel.authorized { check_token(st, channel, token, origin, now)? } else { None };
    check_policy(st, channel, origin, country)?;
    let mut reason = if channel.authorized {
        format!("Allowed: the token is valid for private channel {}", channel_arn(st, channel))
    } else {
        format!("Allowed: channel {} is public", channel_arn(st, channel))
    };
    if !channel.playback_restriction_policy_arn.is_empty() {
        reason.push_str(" and its playback restriction policy admits this viewer");
    }
    reason.push('.');
    Ok(Admission { reason, single_use })
}

/// The rules of a private channel's viewer token (AWS's "Setting Up Private Channels" guide;
/// reference 6.3). Answers the single-use id to spend if the play goes ahead.
fn check_token(
    st: &RegionState,
    channel: &Channel,
    token: Option<&str>,
    origin: Option<&str>,
    now: i64,
) -> Result<Option<(String, i64)>, String> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(format!(
            "Channel {} is private (authorized) and the playback URL has no token; \
             append ?token=<JWT signed with a playback key pair's private key>.",
            channel_arn(st, channel)
        ));
    };
    let jwt = Jwt::parse(token).map_err(|e| format!("The token is refused: {e}."))?;
    if jwt.alg() != "ES384" {
        return Err(format!(
            "The token's header says alg '{}'; playback tokens are signed with ES384.",
            jwt.alg()
        ));
    }
    if st.ivs.playback_key_pairs.is_empty() {
        return Err(format!(
            "No playback key pair is imported in account {}, region {}, so no token can be \
             verified; import the public key with ImportPlaybackKeyPair.",
            st.scope.account, st.scope.region
        ));
    }
    // No `kid` is documented: AWS tries every key pair of the account and region.
    let verifies = st.ivs.playback_key_pairs.values().any(|k| {
        VerifyingKey::from_sec1_bytes(&k.public_key_sec1).is_ok_and(|key| jwt.verify_es384(&key))
    });
    if !verifies {
        return Err("The token's signature does not verify with any playback key pair imported \
                    in this account and region."
            .into());
    }
    match jwt.claim("aws:channel-arn").and_then(Value::as_str) {
        None => return Err("The token has no aws:channel-arn claim.".into()),
        Some(arn) if arn != channel_arn(st, channel) => {
            return Err(format!(
                "The token is for channel {arn}, not {}.",
                channel_arn(st, channel)
            ));
        }
        Some(_) => {}
    }
    let Some(exp) = jwt.claim("exp").and_then(number) else {
        return Err("The token has no numeric exp claim (its expiry, in seconds since the \
                    Unix epoch)."
            .into());
    };
    if exp <= now {
        return Err(format!("The token expired {} seconds ago (exp {exp}).", now - exp));
    }
    let single_use = jwt.claim("aws:single-use-uuid").and_then(Value::as_str);
    let viewer_id = jwt.claim("aws:viewer-id").and_then(Value::as_str);
    if (single_use.is_some() || viewer_id.is_some()) && exp - now > SHORT_LIVED_MAX_SECS {
        return Err(format!(
            "A token with aws:single-use-uuid or aws:viewer-id may expire at most \
             {SHORT_LIVED_MAX_SECS} seconds ahead; this one expires in {} seconds \
             (exp must be in seconds, not milliseconds).",
            exp - now
        ));
    }
    if let Some(viewer_id) = viewer_id {
        let version = jwt.claim("aws:viewer-session-version").and_then(number).unwrap_or(0);
        let revoked = st
            .ivs
            .revocations
            .get(channel_arn(st, channel).as_str())
            .and_then(|v| v.get(viewer_id));
        if let Some(&revoked) = revoked.filter(|&&r| version <= r) {
            return Err(format!(
                "The session of viewer {viewer_id} is revoked: versions up to {revoked} are \
                 refused and the token carries aws:viewer-session-version {version}."
            ));
        }
    }
    if let Some(allowed) = jwt.claim("aws:access-control-allow-origin").and_then(Value::as_str) {
        let strict = jwt.claim("aws:strict-origin-enforcement").and_then(Value::as_bool);
        let patterns: Vec<&str> = allowed.split(',').map(str::trim).collect();
        check_origin(origin, &patterns, strict == Some(true), "the token's origins")?;
    }
    if let Some(uuid) = single_use
        && st.ivs.used_single_use_uuids.contains_key(uuid)
    {
        return Err(format!("The token's aws:single-use-uuid {uuid} has already been used."));
    }
    Ok(single_use.map(|uuid| (uuid.to_string(), exp)))
}

/// The channel's playback restriction policy, if it has one: countries, then origins.
fn check_policy(
    st: &RegionState,
    channel: &Channel,
    origin: Option<&str>,
    country: Option<&str>,
) -> Result<(), String> {
    let policy = st
        .find_id(
            &channel.playback_restriction_policy_arn,
            crate::store::arn::ResourceType::PlaybackRestrictionPolicy,
        )
        .and_then(|id| st.ivs.playback_restriction_policies.get(&id));
    let Some(policy) = policy else { return Ok(()) };
    // An empty list allows every country (model doc).
    if !policy.allowed_countries.is_empty() {
        let list = policy.allowed_countries.join(", ");
        match country {
            None => {
                return Err(format!(
                    "Playback restriction policy {} allows only viewers in {list}, and the \
                     request gives no country (pass \"country\", an ISO 3166-1 alpha-2 code).",
                    policy.arn
                ));
            }
            Some(c) if !policy.allowed_countries.iter().any(|a| a.eq_ignore_ascii_case(c)) => {
                return Err(format!(
                    "Viewers in {c} are blocked by playback restriction policy {} (allowed \
                     countries: {list}).",
                    policy.arn
                ));
            }
            Some(_) => {}
        }
    }
    if !policy.allowed_origins.is_empty() {
        let patterns: Vec<&str> = policy.allowed_origins.iter().map(String::as_str).collect();
        let whose = format!("playback restriction policy {}", policy.arn);
        check_origin(origin, &patterns, policy.enable_strict_origin_enforcement, &whose)?;
    }
    Ok(())
}

/// An origin restriction. Without strict enforcement it binds browsers only, which always send
/// `Origin`: a request without one (a native player, curl) passes, as AWS's guide says. With
/// it, every request must carry a matching `Origin`.
fn check_origin(
    origin: Option<&str>,
    patterns: &[&str],
    strict: bool,
    whose: &str,
) -> Result<(), String> {
    match origin {
        None if strict => Err(format!(
            "Strict origin enforcement is on for {whose} ({}), and the request has no Origin.",
            patterns.join(", ")
        )),
        None => Ok(()),
        Some(o) if !patterns.iter().any(|p| origin_matches(p, o)) => {
            Err(format!("Origin {o} is not allowed by {whose} ({}).", patterns.join(", ")))
        }
        Some(_) => Ok(()),
    }
}

/// Whether `origin` (`scheme://host[:port]`) matches an allowed origin: `*` (any), the same
/// origin, or a wildcard host such as `https://*.example.com`, which AWS allows at the start
/// of the hostname and which matches any subdomain (not the bare domain).
fn origin_matches(pattern: &str, origin: &str) -> bool {
    let normalize = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    let (pattern, origin) = (normalize(pattern), normalize(origin));
    if pattern == "*" || pattern == origin {
        return true;
    }
    let (Some((p_scheme, p_host)), Some((o_scheme, o_host))) =
        (pattern.split_once("://"), origin.split_once("://"))
    else {
        return false;
    };
    let Some(suffix) = p_host.strip_prefix('*') else { return false };
    p_scheme == o_scheme
        && suffix.starts_with('.')
        && o_host.strip_suffix(suffix).is_some_and(|sub| !sub.is_empty())
}

/// Marks a single-use id as spent, and forgets spent ids whose tokens have expired anyway,
/// which keeps the table as small as the tokens alive (each at most 10 minutes).
fn spend(st: &mut RegionState, uuid: String, exp: i64, now: i64) {
    st.ivs.used_single_use_uuids.retain(|_, &mut e| e > now);
    st.ivs.used_single_use_uuids.insert(uuid, exp);
}

/// A JSON number as whole seconds (JWT libraries may write `exp` as a float).
fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// A channel playback URL, `https://{prefix}.{region}.playback.live-video.net/api/video/v1/
/// {region}.{account}.channel.{id}.m3u8[?token=JWT]` (reference 2.2).
#[derive(Debug, PartialEq, Eq)]
struct PlaybackUrl {
    prefix: String,
    region: String,
    account: String,
    channel_id: String,
    token: Option<String>,
}

impl PlaybackUrl {
    fn parse(url: &str) -> Result<PlaybackUrl, ControlError> {
        let bad = |why: &str| {
            ControlError::bad_request(format!(
                "playbackUrl '{url}' is not a channel playback URL ({why}); expected \
                 https://{{prefix}}.{{region}}.playback.live-video.net/api/video/v1/\
                 {{region}}.{{account}}.channel.{{id}}.m3u8[?token=JWT]."
            ))
        };
        let rest = url.trim().strip_prefix("https://").ok_or_else(|| bad("not https"))?;
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, path) = location.split_once('/').ok_or_else(|| bad("no path"))?;
        let (prefix, host_region) = host
            .strip_suffix(".playback.live-video.net")
            .and_then(|h| h.split_once('.'))
            .ok_or_else(|| bad("the host is not {prefix}.{region}.playback.live-video.net"))?;
        let name = path
            .strip_prefix("api/video/v1/")
            .and_then(|p| p.strip_suffix(".m3u8"))
            .ok_or_else(|| bad("the path is not /api/video/v1/....m3u8"))?;
        let parts: Vec<&str> = name.split('.').collect();
        let [region, account, "channel", channel_id] = parts[..] else {
            return Err(bad("the playlist is not {region}.{account}.channel.{id}.m3u8"));
        };
        if region != host_region {
            return Err(bad("the host and the path name different regions"));
        }
        let token = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned());
        Ok(PlaybackUrl {
            prefix: prefix.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            channel_id: channel_id.to_string(),
            token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_channel_playback_urls() {
        let url = PlaybackUrl::parse(
            "https://71f7fb9559d6.us-west-2.playback.live-video.net/api/video/v1/\
             us-west-2.628856589662.channel.bKgfhWMG8tpi.m3u8?token=a.b.c",
        )
        .unwrap();
        assert_eq!(url.prefix, "71f7fb9559d6");
        assert_eq!(url.region, "us-west-2");
        assert_eq!(url.account, "628856589662");
        assert_eq!(url.channel_id, "bKgfhWMG8tpi");
        assert_eq!(url.token.as_deref(), Some("a.b.c"));
        assert!(PlaybackUrl::parse("http://x.us-west-2.playback.live-video.net/a.m3u8").is_err());
        assert!(
            PlaybackUrl::parse(
                "https://p.us-east-1.playback.live-video.net/api/video/v1/us-west-2.1.channel.x.m3u8"
            )
            .is_err()
        );
    }

    #[test]
    fn origins_match_exactly_or_by_wildcard_host() {
        assert!(origin_matches("*", "https://a.example"));
        assert!(origin_matches("https://example.com/", "HTTPS://Example.com"));
        assert!(origin_matches("https://*.example.com", "https://www.example.com"));
        assert!(origin_matches("https://*.example.com", "https://a.b.example.com"));
        assert!(!origin_matches("https://*.example.com", "https://example.com"));
        assert!(!origin_matches("https://*.example.com", "http://www.example.com"));
        assert!(!origin_matches("https://*.example.com", "https://evilexample.com"));
        assert!(!origin_matches("https://example.com", "https://example.com:8443"));
    }
}
