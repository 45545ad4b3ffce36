//! Where `naftiko run`'s log lines go: standard error. Access-log lines (one per request)
//! are batched: they are appended to a buffer that is written out when it holds 32 KiB,
//! every 50 ms, before any other line, and at exit. Writing each access line on its own
//! cost a system call per request; every other line is still written at once.

use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, SystemTime};

use naftiko_server::access::{AccessLine, AccessSink, McpLine, ToolCallLine};
use naftiko_server::clock::{push_rfc3339_micros, wall};
use tracing::Metadata;
use tracing_subscriber::fmt::MakeWriter;

/// Access lines waiting to be written.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Buffer size that triggers a write.
const FLUSH_AT: usize = 32 * 1024;

/// Longest time an access line waits in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The access-log target, whose lines are batched.
const ACCESS_TARGET: &str = "naftiko::access";

fn pending() -> MutexGuard<'static, Vec<u8>> {
    // A panic while holding the lock leaves plain bytes behind: still fine to write.
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

fn write_out(buffer: &mut Vec<u8>) {
    if !buffer.is_empty() {
        let _ = io::stderr().lock().write_all(buffer);
        buffer.clear();
    }
}

/// Writes every batched line now (call before the process exits).
pub(crate) fn flush() {
    write_out(&mut pending());
}

/// The [`MakeWriter`] for the fmt subscriber.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stderr;

/// One event's writer: batched (access lines) or direct.
pub(crate) enum Line {
    /// Appended to the batch.
    Batched,
    /// Written at once, after the batch.
    Direct,
}

impl Write for Line {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut buffer = pending();
        match self {
            Line::Batched => {
                buffer.extend_from_slice(data);
                if buffer.len() >= FLUSH_AT {
                    write_out(&mut buffer);
                }
            }
            Line::Direct => {
                write_out(&mut buffer);
                io::stderr().lock().write_all(data)?;
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line::Direct
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        if meta.target() == ACCESS_TARGET {
            start_flusher();
            Line::Batched
        } else {
            Line::Direct
        }
    }
}

/// Starts (once) the thread that writes batched lines at least every [`FLUSH_EVERY`].
fn start_flusher() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("naftiko-log-flush".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(FLUSH_EVERY);
                    flush();
                }
            });
        if spawned.is_err() {
            // Without the thread, lines are still written when the buffer fills, before
            // any other line, and at exit.
            eprintln!("naftiko: cannot start the log flusher; access lines are batched by size");
        }
    });
}

/// Writes REST access lines straight into the batch, in the same text or JSON shape as
/// `tracing-subscriber`'s formatter (which cost a tenth of a proxied request).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccessWriter {
    /// JSON lines (`--log-format json`) rather than text.
    pub(crate) json: bool,
}

impl AccessSink for AccessWriter {
    fn write(&self, line: &AccessLine<'_>) {
        self.write_fields(line.message, &rest_fields(line), wall(line.at));
    }
    fn write_mcp(&self, line: &McpLine<'_>) {
        self.write_fields("mcp request", &mcp_fields(line), SystemTime::now());
    }
    fn write_tool_call(&self, line: &ToolCallLine<'_>) {
        self.write_fields("tool call", &tool_call_fields(line), SystemTime::now());
    }
}

/// One field's value, as `tracing` records it.
#[derive(Clone, Copy)]
enum Field<'a> {
    /// Recorded with `%` (its `Display`): bare in text lines.
    Shown(&'a str),
    /// Recorded as a `&str`: quoted (its `Debug`) in text lines.
    Text(&'a str),
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
}

/// A REST request's fields, in the order `access::emit` records them.
fn rest_fields<'a>(line: &AccessLine<'a>) -> [(&'static str, Field<'a>); 7] {
    [
        ("method", Field::Shown(line.method)),
        ("route", Field::Shown(line.route)),
        ("status", Field::U64(line.status.into())),
        ("upstream_status", Field::I64(line.upstream_status)),
        ("latency_ms", Field::F64(line.latency_ms)),
        ("request_id", Field::Shown(line.request_id)),
        ("trace_id", Field::Shown(line.trace_id)),
    ]
}

/// An MCP request's fields, in the order `access::emit_mcp` records them.
fn mcp_fields<'a>(line: &McpLine<'a>) -> [(&'static str, Field<'a>); 9] {
    [
        ("adapter", Field::Text("mcp")),
        ("method", Field::Shown(line.method)),
        ("rpc_method", Field::Text(line.rpc_method)),
        ("protocol_version", Field::Text(line.protocol_version)),
        ("session", Field::Bool(line.session)),
        ("status", Field::U64(line.status.into())),
        ("latency_ms", Field::F64(line.latency_ms)),
        ("request_id", Field::Shown(line.request_id)),
        ("trace_id", Field::Shown(line.trace_id)),
    ]
}

/// A tool call's fields, in the order `access::emit_tool_call` records them.
fn tool_call_fields<'a>(line: &ToolCallLine<'a>) -> [(&'static str, Field<'a>); 5] {
    [
        ("adapter", Field::Text("mcp")),
        ("tool", Field::Shown(line.tool)),
        ("is_error", Field::Bool(line.is_error)),
        ("request_id", Field::Shown(line.request_id)),
        ("trace_id", Field::Shown(line.trace_id)),
    ]
}

impl AccessWriter {
    /// Writes one line of `fields`, timestamped `now` (batched with the others).
    fn write_fields(&self, message: &str, fields: &[(&str, Field<'_>)], now: SystemTime) {
        thread_local! {
            /// The line being written, its allocation reused from line to line.
            static TEXT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        start_flusher();
        TEXT.with_borrow_mut(|text| {
            text.clear();
            self.render_into(message, fields, now, text);
            let _ = Line::Batched.write(text.as_bytes());
        });
    }

    /// One line, with its line break.
    #[cfg(test)]
    fn render(&self, message: &str, fields: &[(&str, Field<'_>)], now: SystemTime) -> String {
        let mut text = String::new();
        self.render_into(message, fields, now, &mut text);
        text
    }

    /// Appends one line, with its line break, to `text`: what `tracing-subscriber`'s text or
    /// JSON formatter writes for an event with this message and these fields.
    fn render_into(
        &self,
        message: &str,
        fields: &[(&str, Field<'_>)],
        now: SystemTime,
        text: &mut String,
    ) {
        // Appended piece by piece: `format!` machinery was most of this line's cost.
        if self.json {
            text.push_str("{\"timestamp\":\"");
            push_rfc3339_micros(text, now);
            text.push_str("\",\"level\":\"INFO\",\"message\":");
            push_json_string(text, message);
            for (name, value) in fields {
                text.push_str(",\"");
                text.push_str(name);
                text.push_str("\":");
                push_value(text, *value, true);
            }
            text.push_str(",\"target\":\"");
            text.push_str(ACCESS_TARGET);
            text.push_str("\"}\n");
        } else {
            push_rfc3339_micros(text, now);
            text.push_str("  INFO ");
            text.push_str(ACCESS_TARGET);
            text.push_str(": ");
            text.push_str(message);
            for (name, value) in fields {
                text.push(' ');
                text.push_str(name);
                text.push('=');
                push_value(text, *value, false);
            }
            text.push('\n');
        }
    }
}

/// One field's value, in a JSON line or a text line.
fn push_value(out: &mut String, value: Field<'_>, json: bool) {
    let mut n = itoa::Buffer::new();
    match value {
        Field::Shown(s) | Field::Text(s) if json => push_json_string(out, s),
        Field::Shown(s) => out.push_str(s),
        Field::Text(s) => push_debug_string(out, s),
        Field::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Field::U64(v) => out.push_str(n.format(v)),
        Field::I64(v) => out.push_str(n.format(v)),
        Field::F64(v) => push_f64(out, v),
    }
}

/// `text` as `Debug` writes a string (quoted, escaped).
fn push_debug_string(out: &mut String, text: &str) {
    use std::fmt::Write as _;
    let plain = text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if plain {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        let _ = write!(out, "{text:?}");
    }
}

/// `value` as `tracing` records an `f64` (its `Debug` form: `0.5`, `1.0`).
fn push_f64(out: &mut String, value: f64) {
    use std::fmt::Write as _;
    // Latencies are whole microseconds counted in milliseconds. For those, `{:?}` writes
    // the exact decimal (thousandths, trailing zeros dropped, at least one digit after the
    // point): written here from the integer, without float formatting (a test compares).
    let micros = (value * 1000.0).round();
    if (0.0..1e12).contains(&micros) && micros / 1000.0 == value {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let micros = micros as u64;
        out.push_str(itoa::Buffer::new().format(micros / 1000));
        out.push('.');
        let fraction = micros % 1000;
        if fraction == 0 {
            out.push('0');
        } else {
            let digits = [fraction / 100, fraction / 10 % 10, fraction % 10];
            let keep = if digits[2] != 0 {
                3
            } else if digits[1] != 0 {
                2
            } else {
                1
            };
            for d in &digits[..keep] {
                out.push(char::from(b'0' + *d as u8));
            }
        }
        return;
    }
    let _ = write!(out, "{value:?}");
}

/// `text` as a JSON string.
fn push_json_string(out: &mut String, text: &str) {
    let plain = text
        .bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f);
    if plain {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn latencies_are_written_as_debug_formatting_writes_them() {
        let samples = (0..200_000u64)
            .chain((0..2000).map(|i| i * 7_919_993))
            .chain([999_999_999_999, 123_456_789_012]);
        for micros in samples {
            let value = micros as f64 / 1000.0;
            let mut ours = String::new();
            push_f64(&mut ours, value);
            assert_eq!(ours, format!("{value:?}"), "{micros} µs");
        }
        for odd in [0.0001, 1.0 / 3.0, 1e13, f64::NAN, -1.5] {
            let mut ours = String::new();
            push_f64(&mut ours, odd);
            assert_eq!(ours, format!("{odd:?}"));
        }
    }

    /// A `MakeWriter` that keeps what it is given.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// What `tracing-subscriber` writes for the event `emit` sends, as text then as JSON.
    fn written_by_tracing(emit: impl Fn()) -> (String, String) {
        let text_out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(text_out.clone())
            .with_target(true)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, &emit);
        let json_out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(json_out.clone())
            .with_target(true)
            .json()
            .flatten_event(true)
            .finish();
        tracing::subscriber::with_default(subscriber, &emit);
        let read = |c: Captured| String::from_utf8(c.0.lock().unwrap().clone()).unwrap();
        (read(text_out), read(json_out))
    }

    /// Checks the writer's two renderings of `fields` against `tracing-subscriber`'s of
    /// what `emit` sends, timestamps aside.
    fn assert_same(message: &str, fields: &[(&str, Field<'_>)], emit: impl Fn()) {
        let stamp = |text: &str| {
            text.split_once('Z')
                .map(|(_, rest)| rest.to_owned())
                .unwrap()
        };
        let (text, json) = written_by_tracing(emit);
        let ours = AccessWriter { json: false }.render(message, fields, SystemTime::now());
        assert_eq!(stamp(&ours), stamp(&text));
        let ours = AccessWriter { json: true }.render(message, fields, SystemTime::now());
        assert_eq!(stamp(&ours), stamp(&json));
    }

    /// The access writer's lines are exactly `tracing-subscriber`'s, timestamps aside.
    #[test]
    fn access_lines_are_what_tracing_subscriber_writes() {
        let lines = [
            AccessLine {
                method: "POST",
                route: "/v1/oauth2/token",
                status: 200,
                upstream_status: 200,
                latency_ms: 1.0,
                message: "request",
                request_id: "0af7651916cd43dd8448eb211c80319c",
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
                at: std::time::Instant::now(),
            },
            AccessLine {
                method: "GET",
                route: "/voyages/{{voyage-id}}/\"q\"",
                status: 499,
                upstream_status: -1,
                latency_ms: 0.123,
                message: "request abandoned by the client",
                request_id: "caller's-\"id\"\\x",
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
                at: std::time::Instant::now(),
            },
        ];
        for line in &lines {
            assert_same(line.message, &rest_fields(line), || {
                naftiko_server::access::emit(line);
            });
        }
    }

    /// MCP requests' and tool calls' lines too, with what a client sent (methods and
    /// revisions with quotes, backslashes, control characters and non-ASCII letters).
    #[test]
    fn mcp_and_tool_call_lines_are_what_tracing_subscriber_writes() {
        for (rpc_method, version) in [
            ("tools/call", "2025-06-18"),
            ("-", "-"),
            ("a\"b\\c\u{7}é\t", "2026-07-28\n"),
        ] {
            let line = McpLine {
                method: "POST",
                rpc_method,
                protocol_version: version,
                session: rpc_method == "-",
                status: 200,
                latency_ms: 0.25,
                request_id: "caller's-\"id\"",
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
            };
            assert_same("mcp request", &mcp_fields(&line), || {
                naftiko_server::access::emit_mcp(&line);
            });
        }
        for (tool, is_error) in [("get-item", false), ("t\"ool é", true)] {
            let line = ToolCallLine {
                tool,
                is_error,
                request_id: "0af7651916cd43dd8448eb211c80319c",
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
            };
            assert_same("tool call", &tool_call_fields(&line), || {
                naftiko_server::access::emit_tool_call(&line);
            });
        }
    }

    #[test]
    fn json_strings_are_escaped() {
        for text in ["/v1/oauth2/token", "/a\"b", "/é", "/tab\t", "-"] {
            let mut out = String::new();
            push_json_string(&mut out, text);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text);
        }
    }
}
