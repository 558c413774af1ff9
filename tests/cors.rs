//! CORS over raw HTTP, as a browser speaks it: preflights for the IVS APIs, the tag routes,
//! Cloud Control and ivs-local's own endpoints; the headers on successes and errors; and
//! `--cors-origins` narrowing who may call. `tests/browser.rs` runs a real browser.

mod common;

use ivs_local::cors::AllowedOrigins;
use ivs_local::server::Config;
use reqwest::Method;
use reqwest::header::HeaderMap;

const PAGE: &str = "http://page.example:8080";

/// What a browser needs to see on every answer before it lets the SDK read it.
fn assert_readable(headers: &HeaderMap, allow_origin: &str) {
    assert_eq!(header(headers, "access-control-allow-origin"), allow_origin, "{headers:?}");
    let exposed = header(headers, "access-control-expose-headers").to_ascii_lowercase();
    for name in ["x-amzn-requestid", "x-amzn-errortype", "x-amzn-errormessage", "date"] {
        assert!(exposed.split(',').any(|e| e == name), "{name} not in {exposed}");
    }
    assert!(!header(headers, "x-amzn-requestid").is_empty(), "{headers:?}");
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Sends a preflight for `method path` asking for `request_headers`; the answer's headers.
async fn preflight(
    url: &str,
    path: &str,
    method: &str,
    request_headers: &str,
    origin: &str,
) -> HeaderMap {
    let response = reqwest::Client::new()
        .request(Method::OPTIONS, format!("{url}{path}"))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", request_headers)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200, "preflight for {method} {path}");
    response.headers().clone()
}

fn assert_allows(headers: &HeaderMap, method: &str, request_headers: &str) {
    let methods = header(headers, "access-control-allow-methods");
    assert!(methods.split(',').any(|m| m == method), "{method} not in {methods}");
    assert_eq!(header(headers, "access-control-allow-headers"), request_headers);
}

#[tokio::test]
async fn preflights_pass_for_every_kind_of_path() {
    let server = common::start().await;
    let signed = "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-date,x-amz-user-agent";
    let tag_path = format!("/tags/{}", common::missing_arn("channel"));
    let cases = [
        ("/CreateChannel", "POST", signed.to_string()),
        ("/ListStages", "POST", signed.to_string()),
        (tag_path.as_str(), "GET", signed.to_string()),
        (tag_path.as_str(), "POST", signed.to_string()),
        (tag_path.as_str(), "DELETE", signed.to_string()),
        ("/", "POST", format!("{signed},x-amz-target")),
        ("/_ivs-local/health", "GET", "content-type".to_string()),
        ("/_ivs-local/broadcasts/start", "POST", "content-type".to_string()),
        ("/NoSuchOperation", "PUT", "x-custom".to_string()),
    ];
    for (path, method, request_headers) in &cases {
        let headers = preflight(&server.url, path, method, request_headers, PAGE).await;
        assert_readable(&headers, "*");
        assert_allows(&headers, method, request_headers);
        assert!(headers.get("vary").is_none(), "no Vary when every origin is allowed");
    }
}

#[tokio::test]
async fn an_options_request_without_cors_headers_is_not_a_404() {
    let server = common::start().await;
    let request =
        reqwest::Client::new().request(Method::OPTIONS, format!("{}/GetChannel", server.url));
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_readable(response.headers(), "*");
}

#[tokio::test]
async fn successes_and_errors_carry_the_cors_headers() {
    let server = common::start().await;
    let client = reqwest::Client::new();
    // With and without an Origin: AWS sends `*` either way.
    for origin in [Some(PAGE), None] {
        let with_origin = |r: reqwest::RequestBuilder| match origin {
            Some(o) => r.header("origin", o),
            None => r,
        };
        let ok = with_origin(client.get(format!("{}/_ivs-local/health", server.url)));
        let ok = ok.send().await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_readable(ok.headers(), "*");

        let missing = format!(r#"{{"arn": "{}"}}"#, common::missing_arn("channel"));
        let not_found = with_origin(client.post(format!("{}/GetChannel", server.url)))
            .header("content-type", "application/json")
            .body(missing);
        let not_found = not_found.send().await.unwrap();
        assert_eq!(not_found.status(), 404);
        assert_eq!(header(not_found.headers(), "x-amzn-errortype"), "ResourceNotFoundException");
        assert_readable(not_found.headers(), "*");

        let invalid = with_origin(client.post(format!("{}/CreateChannel", server.url)))
            .header("content-type", "application/json")
            .body(r#"{"latencyMode": "FAST"}"#);
        let invalid = invalid.send().await.unwrap();
        assert_eq!(invalid.status(), 400);
        assert_readable(invalid.headers(), "*");

        let no_route = with_origin(client.get(format!("{}/no/such/route", server.url)));
        let no_route = no_route.send().await.unwrap();
        assert!(no_route.status().is_client_error());
        assert_readable(no_route.headers(), "*");

        let cloud_control = with_origin(client.post(&server.url))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "CloudApiService.GetResource")
            .body(r#"{"TypeName": "AWS::S3::Bucket", "Identifier": "b"}"#);
        let cloud_control = cloud_control.send().await.unwrap();
        assert_eq!(cloud_control.status(), 400);
        assert!(!header(cloud_control.headers(), "x-amzn-errortype").is_empty());
        assert_readable(cloud_control.headers(), "*");
    }
}

#[tokio::test]
async fn cors_origins_allows_only_the_listed_origins() {
    let config = Config {
        cors_origins: AllowedOrigins::parse("http://localhost:3000,https://app.example"),
        ..Default::default()
    };
    let server = common::start_with(config).await;
    let client = reqwest::Client::new();
    let health = format!("{}/_ivs-local/health", server.url);

    for allowed in ["http://localhost:3000", "https://app.example"] {
        let headers =
            preflight(&server.url, "/CreateChannel", "POST", "content-type", allowed).await;
        assert_readable(&headers, allowed);
        assert_eq!(header(&headers, "vary"), "origin");
        let ok = client.get(&health).header("origin", allowed).send().await.unwrap();
        assert_readable(ok.headers(), allowed);
        assert_eq!(header(ok.headers(), "vary"), "origin");
    }

    // Another origin, or none: the answer comes, but without Allow-Origin, so a browser keeps it
    // from the page. The request itself is still served (curl and SDKs outside browsers).
    let headers = preflight(&server.url, "/CreateChannel", "POST", "content-type", PAGE).await;
    assert!(headers.get("access-control-allow-origin").is_none(), "{headers:?}");
    assert_eq!(header(&headers, "vary"), "origin");
    for request in [client.get(&health).header("origin", PAGE), client.get(&health)] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("access-control-allow-origin").is_none());
        assert_eq!(header(response.headers(), "vary"), "origin");
    }
}
