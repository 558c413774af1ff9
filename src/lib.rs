//! ivs-local: a local emulator of the Amazon IVS control-plane APIs (`ivs` and
//! `ivs-realtime`), served together on one port from memory.
//!
//! How a request flows:
//! 0. `server.rs` accepts the connection and, when its first byte opens a TLS handshake,
//!    decrypts it with `tls.rs`'s certificate; either way it is HTTP/1.1 from here on.
//!    `limits.rs` bounds the connections, the requests in flight and how long each step takes.
//! 1. `server.rs` gives it a request id, `cors.rs` answers preflights and adds the CORS
//!    headers, and `server.rs` serves `/_ivs-local/` itself; everything else goes
//!    to `api::handle`. `/` with `X-Amz-Target: CloudApiService.*` goes to `cloudcontrol/`
//!    (which calls the IVS operations through `api::call`), and `/` with an STS `Action` to
//!    `sts.rs`.
//!    With `--auth strict`, `auth.rs` first checks the SigV4 signature against the
//!    credentials file.
//! 2. `context.rs` reads the caller's account and region from the SigV4 credential.
//! 3. `api/routing.rs` maps (method, path) to (service, operation) from the models' `http`
//!    traits; `/tags/{arn}` goes to the service owning the ARN's resource type.
//! 4. `api/codec.rs` gathers the input from body, labels and query into one JSON object, and
//!    `api/validate.rs` checks it against the model's input shape. (When the body is the
//!    whole input, `api/validate.rs` first checks the body as it stands; if it passes, step 5
//!    reads it straight from the bytes, and only a body that fails takes this step.)
//! 5. serde turns it into the generated input type (`api/types/`), and the handler in
//!    `api/ivs/`, `api/ivs_realtime/` or `api/tags.rs` runs under the (account, region)'s
//!    lock in `store/`.
//! 6. The generated output type is serialized with the operation's modeled status; errors are
//!    rendered by `error.rs`.

pub mod api;
pub mod auth;
pub mod cloudcontrol;
pub mod context;
pub mod cors;
pub mod error;
pub mod init;
pub mod limits;
pub mod logging;
pub mod memory;
pub mod server;
pub mod sim;
pub mod store;
pub mod sts;
pub mod tls;
pub mod tokens;
