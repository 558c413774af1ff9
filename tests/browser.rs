//! A real browser against ivs-local: headless Chromium loads a page from a second origin, and
//! the page's script (`tests/browser/page.js`, the AWS SDK for JavaScript v3's
//! `@aws-sdk/client-ivs` bundled by esbuild) creates a channel, lists channels and reads a 404
//! for a missing one. The test reads the outcome from the page's DOM (`--dump-dom`), then asks
//! the Rust SDK. This is what a browser app depends on: preflights pass, and the SDK can read
//! the answers' headers.
//!
//! Needs Debian's `/usr/bin/chromium` and the npm packages of `tests/browser` (`.ci/run`
//! installs both). Without them the test says why on stderr and passes, unless `CI` is set:
//! CI installs them, so there a missing tool is a failure.

mod common;

use axum::http::header::CONTENT_TYPE;
use common::{ACCOUNT, REGION, TestServer};
use ivs_local::cors::AllowedOrigins;
use ivs_local::server::Config;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Far above a healthy run (a few seconds), so a hung browser fails the test instead of CI.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_another_origin_creates_and_lists_channels_with_the_js_sdk() {
    let Some(page) = Page::build() else { return };
    let server = common::start().await;
    let ivs = server.ivs();
    ivs.create_channel().name("made-before").send().await.unwrap();

    let dom = page.open(&server, "from-browser").await;
    let result = read_pre(&dom, "result").unwrap_or_else(|| panic!("no result in\n{dom}"));
    let arn = result["channelArn"].as_str().unwrap_or_else(|| panic!("no ARN in {result}"));
    assert!(arn.starts_with(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:channel/")), "{result}");
    assert!(result["streamKey"].as_str().is_some_and(|k| k.starts_with("sk_")), "{result}");
    // The SDK read `x-amzn-RequestId`, which only the expose list lets it see.
    assert!(result["requestId"].as_str().is_some_and(|id| !id.is_empty()), "{result}");
    let listed = result["listed"].as_array().unwrap_or_else(|| panic!("no list in {result}"));
    let names: Vec<&str> = listed.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names.len(), 2, "{result}");
    assert!(names.contains(&"made-before") && names.contains(&"from-browser"), "{result}");
    assert!(listed.iter().any(|c| c["arn"] == arn), "{result}");
    // The error type and request id of a 404 reached the SDK through the expose list.
    let not_found = &result["notFound"];
    assert_eq!(not_found["name"], "ResourceNotFoundException", "{result}");
    assert_eq!(not_found["status"], 404, "{result}");
    assert!(not_found["requestId"].as_str().is_some_and(|id| !id.is_empty()), "{result}");

    let channel = ivs.get_channel().arn(arn).send().await.unwrap();
    let channel = channel.channel().unwrap();
    assert_eq!(channel.name(), Some("from-browser"));
    assert_eq!(channel.tags().and_then(|t| t.get("from")).map(String::as_str), Some("browser"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_an_origin_outside_cors_origins_is_refused_by_the_browser() {
    let Some(page) = Page::build() else { return };
    let config =
        Config { cors_origins: AllowedOrigins::parse("https://app.example"), ..Default::default() };
    let server = common::start_with(config).await;

    let dom = page.open(&server, "refused").await;
    let error = read_pre(&dom, "error").unwrap_or_else(|| panic!("no error in\n{dom}"));
    // The preflight had no Allow-Origin, so the browser never sent the request: the script
    // sees only a network failure.
    assert_eq!(error["name"], "TypeError", "{error}");
    let channels = server.ivs().list_channels().send().await.unwrap();
    assert!(channels.channels().is_empty(), "the browser must not have sent CreateChannel");
}

/// The bundled page, served by its own little HTTP server (the second origin).
struct Page {
    /// `http://127.0.0.1:<port>`, not ivs-local's port: another origin to the browser.
    origin: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    profile: TempDir,
}

impl Page {
    /// Bundles `page.js` and starts serving it; `None` after saying why when a tool is missing.
    fn build() -> Option<Page> {
        let project = find_project()?;
        let dist = tempfile::tempdir().expect("a temp dir");
        let bundle = dist.path().join("page.js");
        let out = std::process::Command::new(project.join("node_modules/.bin/esbuild"))
            .arg("page.js")
            .args(["--bundle", "--format=esm", "--target=es2020", "--log-level=warning"])
            .arg(format!("--outfile={}", bundle.display()))
            .current_dir(&project)
            .output()
            .expect("esbuild runs");
        assert!(out.status.success(), "esbuild: {}", String::from_utf8_lossy(&out.stderr));
        let script = std::fs::read(&bundle).expect("the bundle");

        let html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>ivs-local</title>\
                    <script type=\"module\" src=\"/page.js\"></script></head><body></body></html>";
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(move || async move { ([(CONTENT_TYPE, "text/html")], html) }),
            )
            .route(
                "/page.js",
                axum::routing::get(move || async move {
                    ([(CONTENT_TYPE, "text/javascript")], script.clone())
                }),
            )
            .route(
                "/favicon.ico",
                axum::routing::get(|| async { axum::http::StatusCode::NO_CONTENT }),
            );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let shutdown = async {
                let _ = stopped.await;
            };
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await.unwrap();
        });
        Some(Page { origin, _stop: stop, profile: tempfile::tempdir().expect("a temp dir") })
    }

    /// Loads the page in headless Chromium, pointed at `server`; the DOM once the script is
    /// done (virtual time runs out only after the page's fetches finish).
    /// Loads the page and returns the DOM once its script has written its `<pre>`. Under a
    /// loaded machine headless Chromium now and then dumps the DOM before the script has
    /// finished (an empty `<body>`, its virtual time spent): that, and only that, is tried
    /// again, after removing what the unfinished run made, so every try starts alike.
    async fn open(&self, server: &TestServer, channel_name: &str) -> String {
        let mut dom = String::new();
        for attempt in 1..=3 {
            dom = self.load(server, channel_name).await;
            if dom.contains("<pre id=") {
                return dom;
            }
            eprintln!("browser: attempt {attempt} dumped the page before its script finished");
            let ivs = server.ivs();
            let made = ivs.list_channels().filter_by_name(channel_name).send().await.unwrap();
            for channel in made.channels() {
                ivs.delete_channel().arn(channel.arn().unwrap()).send().await.unwrap();
            }
        }
        dom
    }

    async fn load(&self, server: &TestServer, channel_name: &str) -> String {
        let url = format!("{}/?endpoint={}&name={channel_name}", self.origin, server.url);
        let mut command = tokio::process::Command::new(CHROMIUM);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=20000",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .arg(&url)
            .env("HOME", self.profile.path())
            .kill_on_drop(true);
        let out = match tokio::time::timeout(BROWSER_TIMEOUT, command.output()).await {
            Ok(out) => out.expect("chromium starts"),
            Err(_) => panic!("chromium took over {BROWSER_TIMEOUT:?} on {url}"),
        };
        let dom = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "chromium: {}\n{dom}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        dom
    }
}

/// The JSON in `<pre id="{id}">` of a dumped DOM (the page writes it with `textContent`, so
/// only `&`, `<` and `>` come escaped).
fn read_pre(dom: &str, id: &str) -> Option<Value> {
    let start = dom.find(&format!("<pre id=\"{id}\">"))?;
    let text = &dom[start..];
    let text = &text[text.find('>')? + 1..text.find("</pre>")?];
    let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e} in {text}")))
}

/// The npm project, when Chromium and its packages are installed; else `None` after saying
/// why. On CI a missing tool fails the test instead.
fn find_project() -> Option<PathBuf> {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let reason = if !Path::new(CHROMIUM).is_file() {
        format!("no {CHROMIUM} (Debian: `apt-get install chromium`)")
    } else if !project.join("node_modules/@aws-sdk/client-ivs/package.json").is_file()
        || !project.join("node_modules/.bin/esbuild").exists()
    {
        format!(
            "the page's packages are not installed: run `npm ci --prefix {}`",
            project.display()
        )
    } else {
        return Some(project);
    };
    assert!(std::env::var_os("CI").is_none(), "browser test cannot run: {reason} (CI is set)");
    // Straight to stderr: the test harness swallows eprintln! from passing tests.
    let _ = writeln!(std::io::stderr(), "skipping browser test: {reason}");
    None
}
