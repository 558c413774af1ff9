//! `--init FILE`: AWS API calls that run before the port opens, so a server starts with known
//! resources (as LocalStack users mount init scripts).
//!
//! The file is a JSON array of calls, each `{"service": "ivs" | "ivs-realtime", "operation":
//! "CreateChannel", "input": {...}, "account"?: "123456789012", "region"?: "us-west-2"}`.
//! Each runs through `api::call`, the same validation and handlers as a request over HTTP,
//! in the caller's (account, region) or the server's defaults. The first call that fails stops
//! the start with a message naming it; nothing here is special-cased per operation.

use crate::api::model::Operation;
use crate::context::RequestContext;
use crate::server::App;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Call {
    service: String,
    operation: String,
    #[serde(default = "empty_object")]
    input: Value,
    account: Option<String>,
    region: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// Runs every call of the init file `text` (from `path`, for messages) against `app`; how many
/// ran, or why the start must stop.
pub fn run(app: &App, path: &str, text: &str) -> Result<usize, String> {
    let calls: Vec<Call> = serde_json::from_str(text).map_err(|e| {
        format!("init file {path}: not a JSON array of calls ({{service, operation, input}}): {e}")
    })?;
    for (i, call) in calls.iter().enumerate() {
        let what =
            format!("init file {path}, call {} ({} {})", i + 1, call.service, call.operation);
        let operation = Operation::all()
            .find(|op| op.service().name() == call.service && op.name() == call.operation)
            .ok_or_else(|| format!("{what}: no such operation of ivs or ivs-realtime"))?;
        let account = call.account.clone().unwrap_or_else(|| app.defaults.account.clone());
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{what}: account {account:?} is not 12 digits"));
        }
        let request_id = format!("init-{}", i + 1);
        let ctx = RequestContext {
            request_id: &request_id,
            region: call.region.as_deref().unwrap_or(&app.defaults.region).into(),
            account: account.into(),
            access_key: None,
        };
        crate::api::call(app, &ctx, operation, call.input.clone())
            .map_err(|e| format!("{what} failed: {} {}", e.name(), e.message))?;
    }
    Ok(calls.len())
}
