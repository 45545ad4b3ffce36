//! MCP tools: the engine's operations described for protocol adapters (name, input and
//! output JSON Schemas, hints) and called with a JSON object of arguments.
//!
//! A tool is either declared (`exposes: type: mcp` → `tools`) or derived from an exposed
//! REST operation (`naftiko run --expose mcp`). Both run the same [`Invocable`] as REST; a
//! derived tool spreads its arguments back over the REST operation's path, query and header
//! inputs so the operation sees exactly what a REST caller would have sent.

use serde_json::{Map, Value, json};

use crate::error::InvokeError;
use crate::ids::OpId;
use crate::inbound::{Inbound, InboundBody};
use crate::invoke::{Input, Outcome, OutcomeBody, Target, With};
use crate::scope::scalar_text;
use naftiko_spec::model::ParamLocation;

/// How a tool's arguments reach its operation.
#[derive(Debug, Clone)]
pub(crate) enum ArgMapping {
    /// The arguments are the operation's inputs (declared MCP tools).
    Body,
    /// A REST operation: these arguments are path variables, query parameters, headers.
    Rest {
        path: Vec<String>,
        query: Vec<String>,
        headers: Vec<String>,
    },
}

/// A tool, described for adapters.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// The tool name.
    pub name: String,
    /// A human-readable title (`label`).
    pub title: Option<String>,
    /// What it does.
    pub description: Option<String>,
    /// JSON Schema of its arguments (an object schema).
    pub input_schema: Value,
    /// JSON Schema of its structured result (an object schema), when outputs are declared.
    pub output_schema: Option<Value>,
    /// MCP tool annotations (`readOnlyHint`, …), when hints are declared.
    pub annotations: Option<Value>,
    /// The operation it runs.
    pub op: OpId,
    pub(crate) args: ArgMapping,
}

/// A tool call's result, protocol-neutral.
#[derive(Debug, Clone)]
pub struct ToolResult {
    /// True when the call failed (bad argument, upstream error status, unreachable, …).
    pub is_error: bool,
    /// The text content: the JSON result, the upstream's text, or the error message.
    pub text: String,
    /// The structured result (always an object), when the result is JSON.
    pub structured: Option<Structured>,
    /// Binary content (`outputRawFormat: binary`); `text` then only describes it.
    pub binary: Option<Blob>,
}

/// A tool call's structured result.
#[derive(Debug, Clone, PartialEq)]
pub enum Structured {
    /// This object.
    Value(Value),
    /// The result's `text` itself, which is then the compact JSON text of an object (the
    /// outputs shaped straight from the answer's bytes): written as it is, not parsed again.
    Text,
}

/// Bytes with their media type: a binary tool result or resource content.
#[derive(Debug, Clone)]
pub struct Blob {
    /// The media type.
    pub media_type: String,
    /// The bytes.
    pub bytes: bytes::Bytes,
}

impl ToolSpec {
    /// Where the argument `name` of a REST operation's tool goes in the request: `path`,
    /// `query` or `header`; `None` for a body field (and for every argument of a tool that
    /// is not a REST operation).
    pub fn argument_location(&self, name: &str) -> Option<&'static str> {
        let ArgMapping::Rest {
            path,
            query,
            headers,
        } = &self.args
        else {
            return None;
        };
        let has = |list: &Vec<String>| list.iter().any(|n| n == name);
        if has(path) {
            Some("path")
        } else if has(query) {
            Some("query")
        } else if has(headers) {
            Some("header")
        } else {
            None
        }
    }
}

impl ToolResult {
    fn new(is_error: bool, text: String, structured: Option<Structured>) -> Self {
        ToolResult {
            is_error,
            text,
            structured,
            binary: None,
        }
    }
}

impl ArgMapping {
    /// The inbound request a REST caller would have sent with these arguments.
    pub(crate) fn inbound(&self, args: Map<String, Value>) -> Inbound {
        let mut inbound = Inbound::default();
        if let ArgMapping::Rest {
            path,
            query,
            headers,
        } = self
        {
            let text = |n: &String| args.get(n).and_then(scalar_text).map(|v| (n.clone(), v));
            inbound.path = path.iter().filter_map(text).collect();
            for n in query {
                match args.get(n) {
                    Some(Value::Array(items)) => inbound
                        .query
                        .extend(items.iter().filter_map(scalar_text).map(|v| (n.clone(), v))),
                    Some(v) => inbound.query.extend(scalar_text(v).map(|v| (n.clone(), v))),
                    None => {}
                }
            }
            for (n, v) in headers.iter().filter_map(text) {
                if let (Ok(name), Ok(value)) = (
                    http::header::HeaderName::from_bytes(n.as_bytes()),
                    http::HeaderValue::from_str(&v),
                ) {
                    inbound.headers.insert(name, value);
                }
            }
        }
        inbound.body = InboundBody::Json(Value::Object(args));
        inbound
    }
}

fn property(ty: Option<&str>, description: Option<&str>) -> Value {
    let mut p = Map::new();
    p.insert("type".to_owned(), json!(ty.unwrap_or("string")));
    if let Some(d) = description {
        p.insert("description".to_owned(), json!(d));
    }
    Value::Object(p)
}

/// Builds an object schema from `(name, property, required)` entries (first wins).
fn object_schema(entries: Vec<(String, Value, bool)>) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for (name, p, req) in entries {
        if props.contains_key(&name) {
            continue;
        }
        if req {
            required.push(Value::String(name.clone()));
        }
        props.insert(name, p);
    }
    let mut schema = json!({"type": "object", "properties": props});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    schema
}

/// The input schema of a unit: its declared inputs, then whatever its path, `with`
/// arguments and called operation need that they leave out (the whole schema, for the
/// community form with no declared inputs).
pub(crate) fn input_schema(
    inputs: &[Input],
    with: &With,
    target: &Target,
    path_vars: &[String],
) -> Value {
    // Declared inputs first, so their types and descriptions win over bare path variables.
    let mut entries: Vec<(String, Value, bool)> = inputs
        .iter()
        .map(|i| {
            (
                i.name.clone(),
                property(i.ty.map(|t| t.as_str()), i.description.as_deref()),
                i.required,
            )
        })
        .collect();
    entries.extend(
        path_vars
            .iter()
            .map(|v| (v.clone(), property(Some("string"), None), true)),
    );
    // Whatever the declared inputs leave out but the call needs (community files often
    // declare some inputs and forget a path variable) is added below, after them.
    if let Target::Function(f) = target
        && inputs.is_empty()
    {
        // A tool that only names an aggregate function takes the function's inputs.
        return input_schema(&f.inputs, &f.with, &f.target, path_vars);
    }
    let Target::Call(op) = target else {
        for (_, arg) in with.arguments() {
            entries.push((arg.to_owned(), property(None, None), false));
        }
        return object_schema(entries);
    };
    let spreads_body = op.params.iter().any(|p| {
        matches!(p.location, ParamLocation::Form)
            || (p.location == ParamLocation::Body && p.name != "body")
    });
    for (key, arg) in with.arguments() {
        let param = op.params.iter().find(|p| p.name == key);
        if arg == "body" && key == "body" && spreads_body {
            // The whole arguments object is the body: its fields are listed below.
            continue;
        }
        let ty = param
            .and_then(|p| p.ty)
            .map(|t| t.as_str())
            .or((arg == "body").then_some("object"));
        let required = param.is_some_and(|p| p.required);
        entries.push((
            arg.to_owned(),
            property(ty, param.and_then(|p| p.description.as_deref())),
            required,
        ));
    }
    for p in &op.params {
        if p.has_own_value() || with.has(&p.name) {
            continue;
        }
        let ty =
            p.ty.map(|t| t.as_str())
                .or((p.name == "body").then_some("object"));
        entries.push((
            p.name.clone(),
            property(ty, p.description.as_deref()),
            p.required,
        ));
    }
    for v in op.url.variables() {
        if !with.has(v) && !op.params.iter().any(|p| p.name == v) {
            entries.push((v.to_owned(), property(Some("string"), None), true));
        }
    }
    object_schema(entries)
}

/// An output schema usable as MCP `outputSchema` (always an object schema).
pub(crate) fn output_schema(schema: Option<Value>) -> Option<Value> {
    let schema = schema?;
    if schema.get("type") == Some(&json!("object")) {
        Some(schema)
    } else {
        Some(json!({"type": "object", "properties": {"result": schema}, "required": ["result"]}))
    }
}

/// Turns an invocation's outcome into a tool result.
pub(crate) fn tool_result(
    outcome: Result<Outcome, InvokeError>,
    redact: impl Fn(&str) -> String,
) -> ToolResult {
    let o = match outcome {
        Err(e) => return ToolResult::new(true, redact(&e.to_string()), None),
        Ok(o) => o,
    };
    let is_error = o.status >= 400;
    let text = |text: String| {
        if is_error {
            format!("upstream answered {}: {text}", o.status)
        } else {
            text
        }
    };
    match o.body {
        OutcomeBody::Json(v) => {
            let t = text(crate::json_text::json_string(&v));
            let structured = (!is_error).then(|| Structured::Value(as_object(v)));
            ToolResult::new(is_error, t, structured)
        }
        // Compact JSON text, so an object's text is its structured form as it is.
        OutcomeBody::JsonText(bytes) if !is_error && bytes.first() == Some(&b'{') => {
            let raw = lossy_text(&bytes);
            ToolResult::new(is_error, raw, Some(Structured::Text))
        }
        OutcomeBody::JsonText(bytes) | OutcomeBody::Raw { bytes, .. } => {
            let raw = lossy_text(&bytes);
            let structured = (!is_error)
                .then(|| serde_json::from_str::<Value>(&raw).ok())
                .flatten()
                .map(|v| Structured::Value(as_object(v)));
            ToolResult::new(is_error, text(raw), structured)
        }
        OutcomeBody::Binary { media_type, bytes } => ToolResult {
            is_error,
            text: format!("{} bytes of {media_type}", bytes.len()),
            structured: None,
            binary: Some(Blob { media_type, bytes }),
        },
        // No body (204, an answer to HEAD): the status is the result.
        OutcomeBody::Empty => ToolResult::new(
            is_error,
            if is_error {
                format!("upstream answered {}", o.status)
            } else {
                format!("upstream answered {} with no content", o.status)
            },
            None,
        ),
    }
}

/// `bytes` as text, invalid UTF-8 replaced (checked first the fast way: JSON text always
/// is UTF-8).
fn lossy_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A structured result: an object as it is, anything else as `{"result": …}`.
fn as_object(v: Value) -> Value {
    match v {
        Value::Object(_) => v,
        other => json!({ "result": other }),
    }
}

/// The member `key` of `map`: found by a scan when the map is small (a few string
/// compares cost less than hashing the key with the map's SipHash), else by its index.
pub(crate) fn member<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if map.len() > 16 {
        return map.get(key);
    }
    map.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The member `key` of `v` when it is an object (see [`member`]).
fn member_of<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object().and_then(|m| member(m, key))
}

/// Checks arguments against an input schema (required properties and JSON types), so a
/// bad argument is refused, by name, before anything is sent upstream.
pub(crate) fn check_arguments(
    schema: &Value,
    args: &Map<String, Value>,
) -> Result<(), InvokeError> {
    if let Some(Value::Array(required)) = member_of(schema, "required") {
        for r in required.iter().filter_map(Value::as_str) {
            if member(args, r).is_none_or(Value::is_null) {
                return Err(InvokeError::bad_input(r, "argument", "is required"));
            }
        }
    }
    let Some(Value::Object(props)) = member_of(schema, "properties") else {
        return Ok(());
    };
    for (name, value) in args {
        let Some(ty) = member(props, name)
            .and_then(|p| member_of(p, "type"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let ok = match (ty, value) {
            (_, Value::Null) => true,
            ("string", Value::String(_)) => true,
            ("number", Value::Number(_)) => true,
            ("integer", Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            ("boolean", Value::Bool(_)) => true,
            ("array", Value::Array(_)) => true,
            ("object", Value::Object(_)) => true,
            _ => false,
        };
        if !ok {
            return Err(InvokeError::bad_input(
                name,
                "argument",
                format!("must be of type {ty}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked_for_presence_and_type_by_name() {
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}, "required": ["s"]});
        let args = |v: Value| v.as_object().unwrap().clone();
        assert!(check_arguments(&schema, &args(json!({"s": "x", "n": 3}))).is_ok());
        let e = check_arguments(&schema, &args(json!({"n": 3}))).unwrap_err();
        assert!(e.to_string().contains("`s`"), "{e}");
        let e = check_arguments(&schema, &args(json!({"s": "x", "n": "three"}))).unwrap_err();
        assert!(
            e.to_string().contains("`n`") && e.to_string().contains("integer"),
            "{e}"
        );
    }
}
