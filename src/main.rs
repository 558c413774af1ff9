//! The `ivs-local` binary: reads flags (each with an environment-variable twin), binds the
//! listener, logs where it listens and serves until SIGINT or SIGTERM.

use clap::{Parser, Subcommand};
use ivs_local::context::Defaults;
use ivs_local::cors::AllowedOrigins;
use ivs_local::server::{self, Config};
use ivs_local::tls::{CertKeyPem, Tls};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

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

fn cors_origins(s: &str) -> Result<AllowedOrigins, String> {
    Ok(AllowedOrigins::parse(s))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck) = cli.command {
        return healthcheck(cli.port);
    }
    ivs_local::logging::install("info", std::io::stdout);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(serve(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> std::io::Result<()> {
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => {
            if !cli.tls_hostnames.is_empty() {
                tracing::warn!("--tls-hostname only names a generated certificate; ignored");
            }
            CertKeyPem::read(cert, key).and_then(Tls::given)
        }
        // clap's `requires` rules out one without the other.
        _ => Ok(Tls::generated(cli.tls_hostnames.clone())),
    }
    .map_err(std::io::Error::other)?;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::new(cli.host, cli.port)).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {}:{}: {e}", cli.host, cli.port),
            )
        })?;
    let init = match &cli.init {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                std::io::Error::new(e.kind(), format!("init file {}: {e}", path.display()))
            })?;
            Some((path.display().to_string(), text))
        }
        None => None,
    };
    let config = Config {
        defaults: Defaults { account: cli.account_id, region: cli.region },
        seed: cli.seed,
        events_webhook: cli.events_webhook,
        eventbridge_endpoint: cli.eventbridge_endpoint,
        init,
        tls: Arc::new(tls),
        cors_origins: cli.cors_origins,
    };
    tracing::info!(
        "ivs-local {} listening on http://{}",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr()?
    );
    tracing::info!("HTTPS on the same port; its certificate is at /_ivs-local/tls/cert.pem");
    server::run(listener, config, shutdown_signal()).await?;
    tracing::info!("ivs-local stopped");
    Ok(())
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
