//! The log: one line per event, filtered by `RUST_LOG` (`info` by default, which logs one line
//! per request, see `server::log_request`).
//!
//! Lines look like `tracing_subscriber`'s default ("full") format, and are `logfmt` after the
//! target:
//!
//! ```text
//! 2026-11-22T11:30:37.185026Z  INFO ivs_local::server: request request_id=ef07... method=POST path=/GetChannel service=ivs operation=GetChannel status=200 error=- latency_us=68
//! ```
//!
//! [`Line`] formats them; the access line, written for every request, [`Access`] formats the
//! same way without going through the subscriber. The default formatter was the most expensive
//! step of a GetChannel after the kernel's TCP path (about 12,000 instructions a line: a
//! `Debug` visit of every field, styling through `nu_ansi_term` even with colours off,
//! `chrono`-style timestamp formatting); `Line` writes strings and integers straight into the
//! line buffer.
//!
//! The binary writes through [`Stdout`]: on the runtime's worker threads, lines gather in a
//! buffer of the thread's own and are written together when the thread runs out of work
//! ([`worker_idle`]), when the buffer passes 16 KiB, or when the thread stops. Under load that
//! is one `write` for many requests instead of one each; an idle server writes each line as
//! soon as its request is answered. Other threads write each line at once. A writer thread
//! (`tracing-appender`) was measured and not kept: it cost more CPU per request (a wake-up of
//! the writer per line or batch) and, with its default queue of 128,000 lines, 4 MiB of
//! resident memory at rest.

use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};
use std::io::Write as _;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// Installs the global subscriber, writing to `writer` ([`Stdout`] in the binary);
/// `default_filter` applies when `RUST_LOG` is unset or invalid. The level is coloured only
/// when stdout is a terminal. From then on [`Access::log`] writes its lines straight to
/// `writer`.
pub fn install<W>(default_filter: &str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Clone + Send + Sync + 'static,
{
    use std::io::IsTerminal;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let ansi = std::io::stdout().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .event_format(Line)
        .with_writer(writer.clone())
        .init();
    let write = Box::new(move |line: &[u8]| {
        let _ = writer.make_writer().write_all(line);
    });
    let _ = DIRECT.set(Direct { ansi, write });
}

/// Set by [`install`]: access lines skip the subscriber and go to its writer as it would
/// write them, coloured or not.
static DIRECT: std::sync::OnceLock<Direct> = std::sync::OnceLock::new();

struct Direct {
    ansi: bool,
    /// Writes one whole line with the subscriber's writer.
    write: WriteLine,
}

type WriteLine = Box<dyn Fn(&[u8]) + Send + Sync>;

/// The access log's line for one request (`server::log_request`), at `info` with the target
/// `ivs_local::server`:
///
/// ```text
/// 2026-11-22T11:30:37.185026Z  INFO ivs_local::server: request request_id=ef07... method=POST path=/GetChannel service=ivs operation=GetChannel status=200 error=- latency_us=68
/// ```
pub struct Access<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub service: &'a str,
    pub operation: &'a str,
    pub status: u16,
    pub error: &'a str,
    pub latency_us: u64,
}

/// The module the access log was first written from: `RUST_LOG=ivs_local::server=warn` still
/// turns it off.
const ACCESS_TARGET: &str = "ivs_local::server";

impl Access<'_> {
    /// Whether access lines are logged (`RUST_LOG` lets `info` through for `ivs_local::server`).
    pub fn enabled() -> bool {
        tracing::enabled!(target: ACCESS_TARGET, Level::INFO)
    }

    /// Logs the line. Once [`install`] has run, the line is formatted here, as [`Line`] formats
    /// the same event, and handed to the subscriber's writer: the subscriber's way (a visitor
    /// call per field, a buffer of its own, a look-up of the current span) cost about twice as
    /// much, for a line written on every request. Otherwise it is an event like any other.
    pub fn log(&self) {
        let Some(direct) = DIRECT.get() else {
            return self.event();
        };
        let _ = LINE.try_with(|line| {
            let Ok(mut line) = line.try_borrow_mut() else { return };
            line.clear();
            if self.format(&mut line, std::time::SystemTime::now(), direct.ansi).is_ok() {
                (direct.write)(line.as_bytes());
            }
        });
    }

    /// The line as a `tracing` event.
    fn event(&self) {
        tracing::info!(
            target: ACCESS_TARGET,
            request_id = self.request_id,
            method = self.method,
            path = self.path,
            service = self.service,
            operation = self.operation,
            status = self.status,
            error = self.error,
            latency_us = self.latency_us,
            "request"
        );
    }

    fn format(&self, out: &mut String, now: std::time::SystemTime, ansi: bool) -> fmt::Result {
        write_time(out, now)?;
        write_level(out, Level::INFO, ansi)?;
        out.push_str(ACCESS_TARGET);
        out.push_str(": request");
        for (name, value) in [
            (" request_id=", self.request_id),
            (" method=", self.method),
            (" path=", self.path),
            (" service=", self.service),
            (" operation=", self.operation),
        ] {
            out.push_str(name);
            write_str_value(out, value)?;
        }
        out.push_str(" status=");
        out.push_str(itoa::Buffer::new().format(self.status));
        out.push_str(" error=");
        write_str_value(out, self.error)?;
        out.push_str(" latency_us=");
        out.push_str(itoa::Buffer::new().format(self.latency_us));
        out.push('\n');
        Ok(())
    }
}

thread_local! {
    /// Whether this thread batches its lines ([`worker_idle`]).
    static BATCHING: Cell<bool> = const { Cell::new(false) };
    /// Lines not yet written.
    static PENDING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The access line being formatted ([`Access::log`]).
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Pending lines beyond this are written at once.
const BATCH_BYTES: usize = 16 * 1024;

/// Standard output, with the lines of batching threads written in batches.
#[derive(Clone, Copy, Default)]
pub struct Stdout;

impl<'w> MakeWriter<'w> for Stdout {
    type Writer = Stdout;

    fn make_writer(&'w self) -> Stdout {
        Stdout
    }
}

impl std::io::Write for Stdout {
    /// Takes one whole line (the fmt layer writes each event with one `write_all`).
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        if !BATCHING.get() {
            return std::io::stdout().write_all(line).map(|()| line.len());
        }
        let full = PENDING.with_borrow_mut(|pending| {
            pending.extend_from_slice(line);
            pending.len() >= BATCH_BYTES
        });
        if full {
            flush_thread();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// For the runtime's `on_thread_park`: the calling thread, a worker that has run out of work,
/// writes its pending lines, and from now on batches them. Only workers park, so the blocking
/// pool's threads, which would hold their lines until they stop, never batch.
pub fn worker_idle() {
    BATCHING.set(true);
    flush_thread();
}

/// Writes the calling thread's pending lines, if any.
pub fn flush_thread() {
    let _ = PENDING.try_with(|pending| {
        let Ok(mut pending) = pending.try_borrow_mut() else { return };
        if pending.is_empty() {
            return;
        }
        // A failed write (a closed pipe) loses these lines, as it would lose one.
        let _ = std::io::stdout().write_all(&pending);
        pending.clear();
        // A burst's buffer is not kept at rest.
        pending.shrink_to(BATCH_BYTES);
    });
}

/// Formats one event as a line: time (UTC, microseconds), level, the spans it is in, target,
/// message, then `key=value` fields. A value with a space, a quote, `=` or a control character
/// is quoted as a Rust string literal; any other is written as it is.
pub struct Line;

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write_time(&mut writer, std::time::SystemTime::now())?;
        let metadata = event.metadata();
        let ansi = writer.has_ansi_escapes();
        write_level(&mut writer, *metadata.level(), ansi)?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                writer.write_char(':')?;
            }
            writer.write_char(' ')?;
        }
        writer.write_str(metadata.target())?;
        writer.write_str(": ")?;
        let mut fields = Fields { writer: &mut writer, result: Ok(()), first: true };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// `2026-11-22T11:30:37.185026Z `, as `tracing_subscriber` writes it.
fn write_time(writer: &mut impl fmt::Write, now: std::time::SystemTime) -> fmt::Result {
    let mut digits = [0u8; 27];
    let (second, micros) = match now.duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => (Some(since.as_secs()), since.subsec_micros()),
        Err(_) => (None, time::OffsetDateTime::from(now).microsecond()),
    };
    // Most lines fall in the same second as the thread's previous one, and only need their
    // microseconds: the calendar date took about a tenth of the access line's cost.
    match SECOND.get() {
        (cached, prefix) if second == Some(cached) => digits[..20].copy_from_slice(&prefix),
        _ => {
            let prefix = date_to_the_second(now);
            digits[..20].copy_from_slice(&prefix);
            if let Some(second) = second {
                SECOND.set((second, prefix));
            }
        }
    }
    put_digits(&mut digits[20..26], micros);
    digits[26] = b'Z';
    // Only ASCII digits and separators were written.
    writer.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)?;
    writer.write_char(' ')
}

thread_local! {
    /// The second since the epoch of this thread's last timestamp, and its text up to the
    /// fraction (`2026-11-18T11:06:40.`).
    static SECOND: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
}

/// `now` in UTC to the second, with the dot before the fraction: `2026-11-18T11:06:40.`.
fn date_to_the_second(now: std::time::SystemTime) -> [u8; 20] {
    let now = time::OffsetDateTime::from(now);
    let (year, month, day) = now.to_calendar_date();
    let mut text = [0u8; 20];
    put_digits(&mut text[0..4], year.clamp(0, 9999) as u32);
    put_digits(&mut text[5..7], u8::from(month).into());
    put_digits(&mut text[8..10], day.into());
    put_digits(&mut text[11..13], now.hour().into());
    put_digits(&mut text[14..16], now.minute().into());
    put_digits(&mut text[17..19], now.second().into());
    for (at, separator) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.')] {
        text[at] = separator;
    }
    text
}

/// `value`'s last `out.len()` decimal digits, zero-padded.
fn put_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn write_level(writer: &mut impl fmt::Write, level: Level, ansi: bool) -> fmt::Result {
    let (text, colour) = match level {
        Level::ERROR => ("ERROR", "31"),
        Level::WARN => (" WARN", "33"),
        Level::INFO => (" INFO", "32"),
        Level::DEBUG => ("DEBUG", "34"),
        Level::TRACE => ("TRACE", "35"),
    };
    if ansi {
        write!(writer, "\x1b[{colour}m{text}\x1b[0m ")
    } else {
        writer.write_str(text)?;
        writer.write_char(' ')
    }
}

/// Writes an event's fields: the message as it is, every other field as `name=value`.
struct Fields<'a, 'w> {
    writer: &'a mut Writer<'w>,
    result: fmt::Result,
    first: bool,
}

impl Fields<'_, '_> {
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let is_message = field.name() == "message";
        self.result = (|| {
            if !self.first {
                self.writer.write_char(' ')?;
            }
            if !is_message {
                self.writer.write_str(field.name())?;
                self.writer.write_char('=')?;
            }
            value(self.writer)
        })();
        self.first = false;
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let is_message = field.name() == "message";
        self.field(
            field,
            |w| if is_message { w.write_str(value) } else { write_str_value(w, value) },
        );
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            return self.field(field, |w| write!(w, "{value:?}"));
        }
        // Debug output of a `%` (Display) value or a message is rarely in need of quotes; test
        // it in a small buffer only when it might be.
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.record_str(field, &text);
    }
}

/// A field's text as it is, or quoted as a Rust string literal when it needs quotes.
fn write_str_value(w: &mut impl fmt::Write, value: &str) -> fmt::Result {
    if needs_quotes(value) { write!(w, "{value:?}") } else { w.write_str(value) }
}

fn needs_quotes(value: &str) -> bool {
    // No early exit: a plain fold over the bytes compiles to a vectorised loop, and values are
    // short (a request id is the longest common one).
    let unsafe_byte = |b: u8| b <= b' ' || b == b'"' || b == b'=' || b == 0x7f;
    value.is_empty() || value.bytes().fold(false, |seen, b| seen | unsafe_byte(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captures what the subscriber writes.
    #[derive(Clone, Default)]
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(f: impl FnOnce()) -> String {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(Level::TRACE)
            .event_format(Line)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        String::from_utf8(capture.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_line_has_time_level_target_message_and_fields() {
        let line = logged(|| {
            tracing::info!(
                request_id = "r-1",
                path = "/a b",
                status = 200u16,
                latency_us = 17u64,
                ok = true,
                shown = %"x=y",
                "request"
            )
        });
        let (time, rest) = line.split_once(' ').unwrap();
        assert_eq!(time.len(), 27, "{line}");
        assert!(time.ends_with('Z') && time.as_bytes()[10] == b'T', "{line}");
        assert_eq!(
            rest,
            " INFO ivs_local::logging::tests: request request_id=r-1 path=\"/a b\" status=200 \
             latency_us=17 ok=true shown=\"x=y\"\n"
        );
    }

    #[test]
    fn an_access_line_reads_as_its_event_would() {
        let access = Access {
            request_id: "r-1",
            method: "POST",
            path: "/a b",
            service: "ivs",
            operation: "GetChannel",
            status: 404,
            error: "ResourceNotFoundException",
            latency_us: 68,
        };
        let event = logged(|| access.event());
        let mut direct = String::new();
        access.format(&mut direct, std::time::SystemTime::now(), false).unwrap();
        // Equal but for the time (27 characters and a space).
        assert_eq!(event[28..], direct[28..], "{event}{direct}");
        assert_eq!(
            &direct[28..],
            " INFO ivs_local::server: request request_id=r-1 method=POST path=\"/a b\" \
             service=ivs operation=GetChannel status=404 error=ResourceNotFoundException \
             latency_us=68\n"
        );
    }

    #[test]
    fn spans_come_before_the_target() {
        let line = logged(|| {
            let span = tracing::info_span!("conn", peer = 7u64);
            let _in = span.enter();
            tracing::warn!("slow {}", 3);
        });
        assert!(line.contains(" WARN conn{peer=7}: ivs_local::logging::tests: slow 3\n"), "{line}");
    }

    #[test]
    fn a_batching_thread_writes_its_lines_when_flushed() {
        std::thread::spawn(|| {
            worker_idle();
            let mut out = Stdout;
            out.write_all(b"one\n").unwrap();
            out.write_all(b"two\n").unwrap();
            assert_eq!(PENDING.with_borrow(|p| p.clone()), b"one\ntwo\n");
            flush_thread();
            assert!(PENDING.with_borrow(Vec::is_empty));
            // A full buffer is written at once.
            out.write_all(&vec![b'x'; BATCH_BYTES]).unwrap();
            assert!(PENDING.with_borrow(Vec::is_empty));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn time_is_utc_with_microseconds() {
        let time = |micros: u64| {
            let mut text = String::new();
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_micros(micros);
            write_time(&mut Writer::new(&mut text), at).unwrap();
            text
        };
        assert_eq!(time(1_795_000_000_000_042), "2026-11-18T11:06:40.000042Z ");
        // The same second, then the next, then an earlier one: each from its own time.
        assert_eq!(time(1_795_000_000_999_999), "2026-11-18T11:06:40.999999Z ");
        assert_eq!(time(1_795_000_001_000_000), "2026-11-18T11:06:41.000000Z ");
        assert_eq!(time(1_700_000_000_500_000), "2023-11-14T22:13:20.500000Z ");
    }
}
