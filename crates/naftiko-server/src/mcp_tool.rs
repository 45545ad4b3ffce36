//! One MCP tool call, whichever way it came in (rmcp's handler in `mcp.rs`, or the direct
//! path of `mcp_direct.rs`): runs the tool through the engine, counts it, writes its
//! `tool call` line, and writes its result as MCP's `CallToolResult` JSON. Both ways
//! write the result here, so they answer the same.

use base64::Engine as _;
use naftiko_engine::trace::Trace;
use naftiko_engine::{Blob, Runtime, Structured, ToolResult, ToolSpec};
use serde_json::{Map, Value, json};

use crate::access::{self, AccessSink, ToolCallLine};

/// Runs `tool` of the MCP service `namespace` with `arguments`: a bad argument, an upstream
/// error status or a timeout is a result with `isError: true`.
pub(crate) async fn call(
    runtime: &Runtime,
    namespace: &str,
    tool: &ToolSpec,
    arguments: Map<String, Value>,
    trace: &Trace,
    access: Option<&dyn AccessSink>,
) -> Called {
    let started = std::time::Instant::now();
    let in_flight = runtime.metrics().start();
    let result = runtime.call_tool(tool, arguments, trace).await;
    drop(in_flight);
    runtime.metrics().request(
        "mcp",
        &tool.name,
        if result.is_error { 500 } else { 200 },
        result.is_error.then_some("tool-error"),
        started.elapsed(),
    );
    access::record_tool_call(
        access,
        &ToolCallLine {
            tool: &tool.name,
            is_error: result.is_error,
            request_id: trace.request_id().as_str(),
            trace_id: trace.trace_hex().as_str(),
        },
    );
    let block = result
        .binary
        .as_ref()
        .map(|blob| binary_block(namespace, &tool.name, blob));
    Called { result, block }
}

/// A tool call's result.
#[derive(Debug)]
pub(crate) struct Called {
    result: ToolResult,
    /// The content block of a binary result.
    block: Option<Value>,
}

impl Called {
    /// Appends the result as `CallToolResult` JSON to `out`: its content block, its
    /// structured content when it has one, `isError`, and first `resultType: "complete"`
    /// when `complete` (required from MCP 2026-07-28).
    pub(crate) fn write(&self, complete: bool, out: &mut Vec<u8>) {
        // Writing into a `Vec` cannot fail: strings, and values with string keys.
        out.push(b'{');
        if complete {
            out.extend_from_slice(br#""resultType":"complete","#);
        }
        out.extend_from_slice(br#""content":["#);
        match &self.block {
            Some(block) => {
                let _ = serde_json::to_writer(&mut *out, block);
            }
            None => {
                out.extend_from_slice(br#"{"type":"text","text":"#);
                naftiko_engine::push_json_str(out, &self.result.text);
                out.push(b'}');
            }
        }
        out.push(b']');
        match &self.result.structured {
            Some(Structured::Value(s)) => {
                out.extend_from_slice(br#","structuredContent":"#);
                let _ = serde_json::to_writer(&mut *out, s);
            }
            Some(Structured::Text) => {
                out.extend_from_slice(br#","structuredContent":"#);
                out.extend_from_slice(self.result.text.as_bytes());
            }
            None => {}
        }
        out.extend_from_slice(if self.result.is_error {
            br#","isError":true}"#
        } else {
            br#","isError":false}"#
        });
    }

    /// The result as a JSON value (what rmcp's handler hands back).
    pub(crate) fn to_value(&self, complete: bool) -> Value {
        let mut out = Vec::with_capacity(256);
        self.write(complete, &mut out);
        serde_json::from_slice(&out).unwrap_or(Value::Null)
    }
}

/// A binary tool result as an MCP content block: `image` or `audio` by its media type,
/// else an embedded resource holding the bytes under a URI naming the tool call.
fn binary_block(namespace: &str, tool: &str, blob: &Blob) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(&blob.bytes);
    let kind = blob
        .media_type
        .split('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match kind.as_str() {
        "image" | "audio" => json!({"type": kind, "data": data, "mimeType": blob.media_type}),
        _ => json!({"type": "resource", "resource": {
            "uri": format!("naftiko://transient/{namespace}/{tool}/{}", uuid::Uuid::new_v4()),
            "mimeType": blob.media_type,
            "blob": data,
        }}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn called(is_error: bool, text: &str, structured: Option<Structured>) -> Called {
        Called {
            result: ToolResult {
                is_error,
                text: text.to_owned(),
                structured,
                binary: None,
            },
            block: None,
        }
    }

    #[test]
    fn a_result_is_its_text_block_structured_content_and_error_flag() {
        let text = "{\"a\":\"é\\\"\"}";
        let c = called(false, text, Some(Structured::Value(json!({"a": "é\""}))));
        assert_eq!(
            c.to_value(false),
            json!({"content": [{"type": "text", "text": "{\"a\":\"é\\\"\"}"}],
                "structuredContent": {"a": "é\""}, "isError": false})
        );
        assert_eq!(
            called(false, text, Some(Structured::Text)).to_value(false),
            c.to_value(false),
            "an object's text is its structured content"
        );
        let c = called(true, "upstream answered 404: nope", None);
        assert_eq!(
            c.to_value(true),
            json!({"resultType": "complete", "isError": true,
                "content": [{"type": "text", "text": "upstream answered 404: nope"}]})
        );
    }

    #[test]
    fn binary_results_are_image_audio_or_embedded_resource_blocks() {
        let blob = |t: &str| Blob {
            media_type: t.to_owned(),
            bytes: bytes::Bytes::from_static(b"\x89PNG"),
        };
        let b = binary_block("ns", "t", &blob("image/png"));
        assert_eq!(
            b,
            json!({"type": "image", "data": "iVBORw==", "mimeType": "image/png"})
        );
        let b = binary_block("ns", "t", &blob("application/pdf"));
        assert_eq!(b["type"], "resource");
        assert!(
            b["resource"]["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("naftiko://transient/ns/t/"))
        );
    }
}
