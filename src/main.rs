//! The `ivs-local` binary: reads flags (each with an environment-variable twin), binds the
//! listener, logs where it listens and serves until SIGINT or SIGTERM.

use clap::{Parser, Subcommand};
use ivs_local::auth::{AuthConfig, AuthMode, Credentials};
use ivs_local::context::Defaults;
use ivs_local::cors::AllowedOrigins;
use ivs_local::limits::Limits;
use ivs_local::server::{self, Config};
use ivs_local::tls::{CertKeyPem, Tls};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// jemalloc, on glibc and musl targets (the Docker image): see Cargo.toml.
#[cfg(any(target_env = "gnu", target_env = "musl"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, which it reads before `main` from this symbol: one arena for all
/// threads. With its default of one per thread up to four per core, a table's index, grown by
/// one worker, freed its old arrays into that worker's arena, where the other worker's growth
/// could not reuse them: memory per channel in the load benchmark was 922-983 bytes, against
/// 857 with one arena, at the same throughput (small allocations stay in per-thread caches).
#[cfg(any(target_env = "gnu", target_env = "musl"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_CONF: &[u8; 10] = b"narenas:1\0";

/// How many ready sockets a worker takes from the kernel each time it polls for them (tokio's
/// default is 1,024). A worker queues every connection its poll wakes, runs the last one woken
/// first, and lets the other worker steal half; with at most 8, the workers take turns taking
/// small batches, and requests are answered closer to the order they came in. In the load
/// benchmark (32 busy connections, `benches/load.rs`) the p99 latency with the throughput
/// difference taken out (its "p99 x throughput" rows) fell from 1.31 to 1.13 for GetChannel and
/// from 1.15 to 1.02 for CreateChannel (means of the medians of 9 runs each, interleaved), at
/// the same throughput and CPU per request. 4 and 16 did less well. With one worker (see
/// [`runtime`]), 8, 64 and 1,024 did alike (3 runs each).
const IO_EVENTS_PER_TICK: usize = 8;

/// The name of the runtime's threads, as `ps -T` and `top -H` show them.
const WORKER_NAME: &str = "ivs-worker";

#[derive(Parser)]
#[command(
    name = "ivs-local",
    version,
    about = "A local emulator of the Amazon IVS control-plane APIs"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "IVS_LOCAL_HOST", default_value = "0.0.0.0")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one (the log line says which).
    #[arg(long, env = "IVS_LOCAL_PORT", default_value_t = 4566, global = true)]
    port: u16,
    /// Account for callers whose access key id is not a 12-digit account id.
    #[arg(long, env = "IVS_LOCAL_ACCOUNT_ID", default_value = "000000000000", value_parser = account_id)]
    account_id: String,
    /// Region for callers whose request names none in its credential scope.
    #[arg(long, env = "IVS_LOCAL_REGION", default_value = "us-east-1")]
    region: String,
    /// Seed for generated ids and secrets, for reproducible runs.
    #[arg(long, env = "IVS_LOCAL_SEED")]
    seed: Option<u64>,
    /// POST every IVS event, in EventBridge's envelope, to this http:// URL as it happens.
    #[arg(long, env = "IVS_LOCAL_EVENTS_WEBHOOK")]
    events_webhook: Option<String>,
    /// Put every IVS event on this EventBridge-compatible http:// endpoint (LocalStack, moto).
    #[arg(long, env = "IVS_LOCAL_EVENTBRIDGE_ENDPOINT")]
    eventbridge_endpoint: Option<String>,
    /// A JSON file of AWS API calls to make before the port opens (see the README).
    #[arg(long, env = "IVS_LOCAL_INIT")]
    init: Option<std::path::PathBuf>,
    /// Another name the generated TLS certificate covers, besides localhost, 127.0.0.1 and ::1
    /// (repeatable; in the environment, comma-separated).
    #[arg(long = "tls-hostname", env = "IVS_LOCAL_TLS_HOSTNAME", value_delimiter = ',')]
    tls_hostnames: Vec<String>,
    /// PEM certificate (chain) to serve HTTPS with instead of a generated one; needs --tls-key.
    #[arg(long, env = "IVS_LOCAL_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "IVS_LOCAL_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Comma-separated origins browsers may call from (e.g. `http://localhost:3000`); others
    /// get no `Access-Control-Allow-Origin`. Default: any origin, as AWS.
    #[arg(long, env = "IVS_LOCAL_CORS_ORIGINS", default_value = "*", value_parser = cors_origins)]
    cors_origins: AllowedOrigins,
    /// Keep state in this directory across restarts (created if missing). Without it, state
    /// lives in memory only.
    #[arg(long, env = "IVS_LOCAL_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A state document (as GET /_ivs-local/state answers) to load at start.
    #[arg(long, env = "IVS_LOCAL_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// `open` (any credentials), `strict` (SigV4 checked against --credentials everywhere but
    /// /_ivs-local/health) or `strict-aws-only` (checked on the AWS APIs only).
    #[arg(long, env = "IVS_LOCAL_AUTH", default_value = "open", value_parser = auth_mode)]
    auth: AuthMode,
    /// File of `ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]` lines, for --auth strict.
    #[arg(long, env = "IVS_LOCAL_CREDENTIALS")]
    credentials: Option<PathBuf>,
    /// Seconds a connection has to send a complete request head, from when it opens (TLS
    /// handshake included) or its previous answer ends; so also the keep-alive idle timeout.
    /// Checked 16 times per timeout: a late connection closes within 1/16 of it.
    #[arg(long, env = "IVS_LOCAL_HEADER_TIMEOUT", default_value_t = Seconds(LIMITS.header_timeout))]
    header_timeout: Seconds,
    /// Seconds to receive a request's whole body (408 beyond).
    #[arg(long, env = "IVS_LOCAL_BODY_TIMEOUT", default_value_t = Seconds(LIMITS.body_timeout))]
    body_timeout: Seconds,
    /// Seconds an answer may wait for a client that does not read it before the connection is
    /// closed.
    #[arg(long, env = "IVS_LOCAL_WRITE_TIMEOUT", default_value_t = Seconds(LIMITS.write_timeout))]
    write_timeout: Seconds,
    /// Connections open at once; at the limit a new one displaces an idle one.
    #[arg(long, env = "IVS_LOCAL_MAX_CONNECTIONS", default_value_t = LIMITS.max_connections, value_parser = at_least_one)]
    max_connections: usize,
    /// Requests being read or answered at once; beyond, 429 ThrottlingException.
    #[arg(long, env = "IVS_LOCAL_MAX_IN_FLIGHT", default_value_t = LIMITS.max_in_flight, value_parser = at_least_one)]
    max_in_flight: usize,
    /// Bytes of a request's head (request line and headers); beyond, 431 and the connection
    /// is closed.
    #[arg(long, env = "IVS_LOCAL_MAX_HEADER_BYTES", default_value_t = LIMITS.max_header_bytes, value_parser = at_least_one)]
    max_header_bytes: usize,
    /// Headers in a request; beyond, 431 and the connection is closed.
    #[arg(long, env = "IVS_LOCAL_MAX_HEADERS", default_value_t = LIMITS.max_headers, value_parser = at_least_one)]
    max_headers: usize,
    /// Threads that answer requests. Default: one fewer than the cores this process may use,
    /// and at least one, leaving a core to the clients that usually share the machine.
    #[arg(long, env = "IVS_LOCAL_WORKERS", value_parser = at_least_one)]
    workers: Option<usize>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Exit 0 if the server on --port answers its health check (for Docker's HEALTHCHECK).
    Healthcheck,
}

fn account_id(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err("an account id is 12 digits".to_string())
    }
}

fn auth_mode(s: &str) -> Result<AuthMode, String> {
    s.parse()
}

/// The defaults of the limit flags.
const LIMITS: Limits = Limits::DEFAULT;

/// A positive number of seconds, fractions allowed (`0.5`).
#[derive(Clone, Copy)]
struct Seconds(Duration);

impl std::str::FromStr for Seconds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<f64>() {
            Ok(n) if n > 0.0 => {
                Duration::try_from_secs_f64(n).map(Seconds).map_err(|e| e.to_string())
            }
            _ => Err("a number of seconds more than 0".to_string()),
        }
    }
}

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a whole number, at least 1".to_string()),
    }
}

fn cors_origins(s: &str) -> Result<AllowedOrigins, String> {
    Ok(AllowedOrigins::parse(s))
}

/// A file given on the command line: its path as text, and its contents; an error names it as
/// `what`.
fn read_named(what: &str, path: &std::path::Path) -> std::io::Result<(String, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{what} {}: {e}", path.display())))?;
    Ok((path.display().to_string(), text))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck) = cli.command {
        return healthcheck(cli.port);
    }
    ivs_local::logging::install("info", ivs_local::logging::Stdout);
    let runtime = runtime(cli.workers.unwrap_or_else(default_workers));
    let served = runtime.block_on(serve(cli));
    if let Err(e) = &served {
        tracing::error!("{e}");
    }
    // A single worker is this thread, which batches its lines like any worker: what is left,
    // the runtime's last included.
    drop(runtime);
    ivs_local::logging::flush_thread();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// `--workers`' default: one fewer than the cores this process may use (which counts a
/// container's CPU quota), at least one.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// The runtime that serves, of the kind [`server::runtime_builder`] picks for `workers` (one:
/// the single-threaded runtime, on this thread). Worker threads write their log lines in
/// batches, when they run out of work.
///
/// Why not a worker per core, tokio's default: the clients of an emulator (tests, Terraform,
/// an SDK) almost always run on the same machine. With as many busy workers as cores, the
/// kernel preempts a worker whenever a client thread wakes, and the requests queued on that
/// worker wait out the client's time slice. On the load benchmark's two cores
/// (`benches/load.rs`, 32 connections, the same sitting), one worker (on the single-threaded
/// runtime, which also spares each request about 2,000 instructions of work stealing) instead
/// of two made the p99 latency over the bare server's 1.21 instead of 1.42 for GetChannel and
/// 1.26 instead of 1.64 for CreateChannel (means of 13 and 8 runs; worst runs 1.72 and 1.93),
/// for 10% less throughput (0.74 and 0.66 of the bare server's, against 0.82 and 0.73). What
/// one thread gives up is peak throughput under many concurrent clients: in a whole-bench run
/// of both back to back, 37,000 GetChannels a second against 52,000, and 1,130
/// CreateParticipantTokens (CPU-bound signing) against 2,145; what it gains, besides the
/// tail, is the unloaded request, 15-35% faster in the same runs (GetChannel p50 0.090 ms
/// against 0.112 at 10,000 channels). `--workers 2` on two cores takes the other side.
///
/// In every run these figures come from, the benchmark sent requests without a signature (its
/// `--unsigned` now). Those runs had the server in its clients' session, where the scheduler counts
/// its threads among theirs (autogroup; README, "Sharing the machine with its clients"). In a
/// session of its own it gets its share of the cores first, and one worker still did better than
/// two (two interleaved pairs of runs): GetChannel 78,700 and 83,700 requests a second against
/// 77,800 and 74,000, with a p99 of 0.75 and 0.59 ms against 0.88 and 0.76; CreateChannel's p99
/// 0.77 and 0.64 ms against 1.07 and 0.95, at the same throughput.
fn runtime(workers: usize) -> tokio::runtime::Runtime {
    server::runtime_builder(Some(workers))
        .enable_all()
        .thread_name(WORKER_NAME)
        .max_io_events_per_tick(IO_EVENTS_PER_TICK)
        .on_thread_park(ivs_local::logging::worker_idle)
        .on_thread_stop(ivs_local::logging::flush_thread)
        .build()
        .expect("tokio runtime")
}

async fn serve(cli: Cli) -> std::io::Result<()> {
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => {
            if !cli.tls_hostnames.is_empty() {
                tracing::warn!("--tls-hostname only names a generated certificate; ignored");
            }
            CertKeyPem::read(cert, key).and_then(Tls::given)
        }
        // A generated certificate is kept in the data directory, so clients that trust it
        // keep trusting it across restarts.
        _ => match &cli.data_dir {
            Some(dir) => Tls::kept(cli.tls_hostnames.clone(), dir),
            // clap's `requires` rules out one without the other.
            None => Ok(Tls::generated(cli.tls_hostnames.clone())),
        },
    }
    .map_err(std::io::Error::other)?;
    let auth = auth_config(cli.auth, cli.credentials.as_deref())?;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::new(cli.host, cli.port)).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {}:{}: {e}", cli.host, cli.port),
            )
        })?;
    let init = cli.init.as_deref().map(|path| read_named("init file", path)).transpose()?;
    let state_file =
        cli.state_file.as_deref().map(|path| read_named("state file", path)).transpose()?;
    let config = Config {
        defaults: Defaults { account: cli.account_id, region: cli.region },
        seed: cli.seed,
        events_webhook: cli.events_webhook,
        eventbridge_endpoint: cli.eventbridge_endpoint,
        init,
        tls: Arc::new(tls),
        cors_origins: cli.cors_origins,
        data_dir: cli.data_dir,
        state_file,
        auth,
        limits: Limits {
            header_timeout: cli.header_timeout.0,
            body_timeout: cli.body_timeout.0,
            write_timeout: cli.write_timeout.0,
            max_connections: cli.max_connections,
            max_in_flight: cli.max_in_flight,
            max_header_bytes: cli.max_header_bytes,
            max_headers: cli.max_headers,
        },
    };
    if config.auth.mode != AuthMode::Open {
        tracing::info!(
            "--auth {}: SigV4 signatures are checked against {} key(s)",
            config.auth.mode.name(),
            config.auth.credentials.len()
        );
    }
    server::run(listener, config, shutdown_signal()).await?;
    tracing::info!("ivs-local stopped");
    Ok(())
}

/// Reads the credentials file that strict modes need. Its errors name a line, never a secret.
fn auth_config(mode: AuthMode, file: Option<&std::path::Path>) -> std::io::Result<AuthConfig> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    let credentials = match (mode, file) {
        (AuthMode::Open, Some(_)) => {
            tracing::warn!("--credentials is only used with --auth strict; ignored");
            return Ok(AuthConfig::default());
        }
        (AuthMode::Open, None) => return Ok(AuthConfig::default()),
        (mode, None) => {
            return Err(invalid(format!("--auth {} needs --credentials FILE", mode.name())));
        }
        (_, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                std::io::Error::new(e.kind(), format!("credentials file {}: {e}", path.display()))
            })?;
            Credentials::parse(&text)
                .map_err(|e| invalid(format!("credentials file {}: {e}", path.display())))?
        }
    };
    Ok(AuthConfig { mode, credentials: Arc::new(credentials) })
}

/// Completes on SIGINT or SIGTERM (as PID 1 in a container, SIGTERM is how it is stopped).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}

/// Asks the local server for its health with a bare HTTP/1.0 request: the runtime image has no
/// shell or curl.
fn healthcheck(port: u16) -> ExitCode {
    let check = || -> std::io::Result<bool> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(b"GET /_ivs-local/health HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"))
    };
    match check() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            ExitCode::FAILURE
        }
    }
}
