//! The log: `tracing`'s fmt output, filtered by `RUST_LOG` (`info` by default, which logs one
//! line per request, see `server::access_log`).
//!
//! Each line is formatted in a buffer of the thread's own and written with one `write`. A
//! writer thread (`tracing-appender`) was measured and not kept: it cost more CPU per request
//! (a wake-up of the writer per line or batch) and, with its default queue of 128,000 lines,
//! 4 MiB of resident memory at rest.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the global subscriber, writing to `writer` (`std::io::stdout` in the binary);
/// `default_filter` applies when `RUST_LOG` is unset or invalid. ANSI colours only when
/// stdout is a terminal.
pub fn install<W>(default_filter: &str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    use std::io::IsTerminal;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(writer)
        .init();
}
