//! The OTLP trace export request (`opentelemetry/proto/collector/trace/v1`), written as
//! protobuf by hand: the few messages and fields naftiko fills, each with its field number
//! from the `.proto` files (opentelemetry-proto 1.x). Nested messages are written into a
//! buffer of their own, then as a length-delimited field. The end-to-end test decodes what
//! this writes with the official Python classes (`tests/it/run_otlp.rs`).

use naftiko_engine::trace::{AttrValue, SpanKind, SpanRecord};

/// Protobuf wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

/// `Status.code` for an error (`STATUS_CODE_ERROR`).
const STATUS_ERROR: u64 = 2;

/// What the export says of the process (`Resource`) and of naftiko (`InstrumentationScope`).
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// `service.name`.
    pub(crate) service: String,
    /// `service.version` and the scope's version.
    pub(crate) version: &'static str,
}

/// An `ExportTraceServiceRequest` holding `spans`, all from `source`.
pub(crate) fn export_request(source: &Source, spans: &[SpanRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + spans.len() * 256);
    // ExportTraceServiceRequest.resource_spans = 1
    message(&mut out, 1, |rs| {
        // ResourceSpans.resource = 1
        message(rs, 1, |resource| {
            // Resource.attributes = 1
            attribute(
                resource,
                1,
                "service.name",
                &AttrValue::from(source.service.clone()),
            );
            attribute(
                resource,
                1,
                "service.version",
                &AttrValue::from(source.version),
            );
            attribute(
                resource,
                1,
                "telemetry.sdk.name",
                &AttrValue::from("naftiko"),
            );
            attribute(
                resource,
                1,
                "telemetry.sdk.language",
                &AttrValue::from("rust"),
            );
        });
        // ResourceSpans.scope_spans = 2
        message(rs, 2, |ss| {
            // ScopeSpans.scope = 1: InstrumentationScope { name = 1, version = 2 }
            message(ss, 1, |scope| {
                string(scope, 1, "naftiko");
                string(scope, 2, source.version);
            });
            for span in spans {
                // ScopeSpans.spans = 2
                message(ss, 2, |s| write_span(s, span));
            }
        });
    });
    out
}

/// One `Span`.
fn write_span(out: &mut Vec<u8>, span: &SpanRecord) {
    bytes(out, 1, &span.trace_id.0);
    bytes(out, 2, &span.span_id.0);
    if let Some(state) = &span.trace_state {
        string(out, 3, state);
    }
    if !span.parent_span_id.is_none() {
        bytes(out, 4, &span.parent_span_id.0);
    }
    string(out, 5, &span.name);
    // Span.SpanKind: INTERNAL = 1, SERVER = 2, CLIENT = 3.
    let kind = match span.kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
    };
    key(out, 6, VARINT);
    varint(out, kind);
    key(out, 7, FIXED64);
    out.extend_from_slice(&span.start_unix_nanos.to_le_bytes());
    key(out, 8, FIXED64);
    out.extend_from_slice(&span.end_unix_nanos.max(span.start_unix_nanos).to_le_bytes());
    for (name, value) in &span.attributes {
        attribute(out, 9, name, value);
    }
    if span.error {
        // Span.status = 15: Status { code = 3 } (unset otherwise).
        message(out, 15, |status| {
            key(status, 3, VARINT);
            varint(status, STATUS_ERROR);
        });
    }
}

/// A `KeyValue` { key = 1, value = 2: AnyValue { string_value = 1 | int_value = 3 } } as
/// field `field`.
fn attribute(out: &mut Vec<u8>, field: u32, name: &str, value: &AttrValue) {
    message(out, field, |kv| {
        string(kv, 1, name);
        message(kv, 2, |any| match value {
            AttrValue::Str(text) => string(any, 1, text),
            AttrValue::Int(n) => {
                key(any, 3, VARINT);
                // int64 travels as its two's complement.
                varint(any, u64::from_ne_bytes(n.to_ne_bytes()));
            }
        });
    });
}

/// A nested message as field `field`, written by `write`.
fn message(out: &mut Vec<u8>, field: u32, write: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    write(&mut inner);
    bytes(out, field, &inner);
}

fn string(out: &mut Vec<u8>, field: u32, text: &str) {
    bytes(out, field, text.as_bytes());
}

fn bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    key(out, field, LEN);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        // The low seven bits, with the continuation bit.
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_little_endian_groups_of_seven_bits() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        out.clear();
        varint(&mut out, u64::MAX);
        assert_eq!(out.len(), 10);
        out.clear();
        key(&mut out, 15, LEN);
        assert_eq!(out, [0x7a]);
    }
}
