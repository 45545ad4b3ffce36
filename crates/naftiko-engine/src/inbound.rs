//! What a caller sent, in adapter-neutral form, and how the engine finds an *argument* in it
//! (docs/semantics.md §5: declared input, path variable, query parameter, body field, header).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::InvokeError;
use crate::form::parse_form;

/// An inbound request as the engine sees it (REST fills every part; MCP passes its
/// arguments as a JSON body).
#[derive(Debug, Clone, Default)]
pub struct Inbound {
    /// Path variables, percent-decoded, by the name written in the route.
    pub path: Vec<(String, String)>,
    /// Query parameters, decoded, in order (a repeated name appears repeatedly).
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: http::HeaderMap,
    /// The parsed body.
    pub body: InboundBody,
}

/// A parsed inbound body.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum InboundBody {
    /// No body (or an empty one).
    #[default]
    Empty,
    /// A JSON document.
    Json(Value),
    /// `application/x-www-form-urlencoded` fields (a repeated field becomes an array).
    Form(Map<String, Value>),
    /// Any other text.
    Text(String),
}

/// Deepest nesting accepted in an inbound JSON body.
pub const MAX_JSON_DEPTH: usize = 128;

impl InboundBody {
    /// Parses `bytes` according to the request's `Content-Type`.
    ///
    /// JSON (`application/json`, `*+json`) and form bodies are parsed; other text is kept
    /// as text; anything else that is not UTF-8 is refused (415). A body without a content
    /// type is read as JSON when it looks like JSON, else as text.
    ///
    /// # Errors
    /// [`InvokeError::BadBody`] for malformed JSON (with line and column) or nesting beyond
    /// [`MAX_JSON_DEPTH`]; [`InvokeError::UnsupportedMediaType`] for binary bodies.
    pub fn parse(content_type: Option<&str>, bytes: &[u8]) -> Result<InboundBody, InvokeError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(InboundBody::Empty);
        }
        if is_form(content_type) {
            return Ok(InboundBody::Form(parse_form(bytes)));
        }
        let essence = content_type
            .map(|c| essence_of(c).to_ascii_lowercase())
            .unwrap_or_default();
        let is_json = essence == "application/json" || essence.ends_with("+json");
        if is_json || (essence.is_empty() && looks_like_json(bytes)) {
            return parse_json(bytes).map(InboundBody::Json);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(InboundBody::Text(text.to_owned())),
            Err(_) => Err(InvokeError::UnsupportedMediaType(if essence.is_empty() {
                "(none)".to_owned()
            } else {
                essence
            })),
        }
    }

    /// The whole body as a JSON value (`None` when empty).
    pub fn to_value(&self) -> Option<Value> {
        match self {
            InboundBody::Empty => None,
            InboundBody::Json(v) => Some(v.clone()),
            InboundBody::Form(m) => Some(Value::Object(m.clone())),
            InboundBody::Text(t) => Some(Value::String(t.clone())),
        }
    }

    /// A top-level field of a JSON object or form body.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            InboundBody::Json(Value::Object(m)) | InboundBody::Form(m) => m.get(name),
            _ => None,
        }
    }
}

/// The media type of a `Content-Type` value, without parameters.
fn essence_of(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// True when a `Content-Type` is `application/x-www-form-urlencoded` (any case, any
/// parameters): the body is read as form fields.
pub(crate) fn is_form(content_type: Option<&str>) -> bool {
    const FORM: &str = "application/x-www-form-urlencoded";
    content_type.is_some_and(|c| {
        // The usual spelling (alone or before parameters) needs no splitting.
        let usual = c
            .get(..FORM.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(FORM))
            && matches!(c.as_bytes().get(FORM.len()), None | Some(b';'));
        usual || essence_of(c).eq_ignore_ascii_case(FORM)
    })
}

fn looks_like_json(bytes: &[u8]) -> bool {
    matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Parses JSON, refusing nesting deeper than [`MAX_JSON_DEPTH`] before serde sees it.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, InvokeError> {
    if nesting_depth(bytes) > MAX_JSON_DEPTH {
        return Err(InvokeError::BadBody(format!(
            "JSON nested deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        InvokeError::BadBody(format!(
            "invalid JSON at line {} column {}: {}",
            e.line(),
            e.column(),
            json_error_reason(&e)
        ))
    })
}

/// The reason part of a serde_json error, without the location suffix it appends.
fn json_error_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Maximum bracket depth of a JSON text (strings skipped).
fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A name with case, `-` and `_` ignored.
pub(crate) fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The arguments of one invocation: declared inputs (validated and typed) over what the
/// caller sent.
#[derive(Debug)]
pub(crate) struct Args<'a> {
    pub(crate) inbound: &'a Inbound,
    /// The request's trace.
    pub(crate) trace: &'a crate::trace::Trace,
    /// The span upstream calls are made from: the request's, or the running step's.
    pub(crate) span: crate::trace::SpanId,
    pub(crate) declared: Map<String, Value>,
    /// Step outputs and other values added while the invocation runs.
    pub(crate) extra: Map<String, Value>,
    /// What the exposing adapter adds to its calls.
    pub(crate) exposure: crate::binary::Exposure,
}

impl<'a> Args<'a> {
    pub(crate) fn new(inbound: &'a Inbound, trace: &'a crate::trace::Trace) -> Self {
        Args {
            inbound,
            trace,
            span: trace.span_id(),
            declared: Map::new(),
            extra: Map::new(),
            exposure: crate::binary::Exposure::default(),
        }
    }

    /// Where an upstream call made now stands in the request's trace.
    pub(crate) fn parent(&self) -> crate::trace::Parent<'a> {
        crate::trace::Parent {
            trace: self.trace,
            span: self.span,
        }
    }

    /// A copy for a nested run (steps, an aggregate function): the same inbound request,
    /// trace, arguments and exposure.
    pub(crate) fn nested(&self) -> Args<'a> {
        Args {
            inbound: self.inbound,
            trace: self.trace,
            span: self.span,
            declared: self.declared.clone(),
            extra: self.extra.clone(),
            exposure: self.exposure.clone(),
        }
    }

    /// The argument called `name`: a declared input, else a path variable, a query
    /// parameter, a top-level body field, and (when `headers` is true) a header.
    pub(crate) fn get(&self, name: &str, headers: bool) -> Option<Cow<'_, Value>> {
        if let Some(v) = self.declared.get(name).or_else(|| self.extra.get(name)) {
            return Some(Cow::Borrowed(v));
        }
        if let Some((_, v)) = self.inbound.path.iter().find(|(k, _)| k == name) {
            return Some(Cow::Owned(Value::String(v.clone())));
        }
        if let Some((_, v)) = self.inbound.query.iter().find(|(k, _)| k == name) {
            return Some(Cow::Owned(Value::String(v.clone())));
        }
        if let Some(v) = self.inbound.body.field(name) {
            return Some(Cow::Borrowed(v));
        }
        if headers && let Some(v) = self.inbound.headers.get(name) {
            return v
                .to_str()
                .ok()
                .map(|s| Cow::Owned(Value::String(s.to_owned())));
        }
        // Published files often spell one path variable two ways (`{roomid}` in the route,
        // `rest.roomId` in `with`; `{application-id}` vs `{application_id}`): as a last
        // resort, a path variable matches ignoring case, `-` and `_`.
        let wanted = loose(name);
        self.inbound
            .path
            .iter()
            .find(|(k, _)| loose(k) == wanted)
            .map(|(_, v)| Cow::Owned(Value::String(v.clone())))
    }

    /// `rest.<name>` / `tools.<name>`: the argument, or for `body` with no argument of
    /// that name, the whole inbound body.
    pub(crate) fn qualified(&self, name: &str) -> Option<Cow<'_, Value>> {
        match self.get(name, true) {
            Some(v) => Some(v),
            None if name == "body" => self.inbound.body.to_value().map(Cow::Owned),
            None => None,
        }
    }
}

/// Looks up a request header by name (any case): adapters implement it over whatever
/// they parsed the request into.
pub trait HeaderLookup {
    /// The first value of the header `name`.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl HeaderLookup for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(http::HeaderValue::as_bytes)
    }
}

/// A REST request as its adapter read it, before the engine decides how to serve it (see
/// [`crate::Runtime::invoke_direct`]): adapters fill in what they have, the engine knows
/// which requests its direct path may take.
pub struct RequestView<'a> {
    /// The first `Content-Type`, when it is visible ASCII (as `HeaderValue::to_str` has it).
    pub content_type: Option<&'a str>,
    /// The query string, when the target has one (even an empty one).
    pub query: Option<&'a str>,
    /// The path variables the route bound.
    pub path_params: &'a [(String, String)],
    /// The request's headers.
    pub headers: &'a (dyn HeaderLookup + Sync),
    /// The whole request body.
    pub body: &'a [u8],
}

impl std::fmt::Debug for RequestView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestView")
            .field("content_type", &self.content_type)
            .field("query", &self.query.is_some())
            .field("path_params", &self.path_params.len())
            .field("body", &self.body.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_bodies_become_objects_and_repeated_fields_arrays() {
        let b = InboundBody::parse(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"a=1&b=x+y&a=2",
        )
        .unwrap();
        assert_eq!(b.to_value(), Some(json!({"a": ["1", "2"], "b": "x y"})));
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let e = InboundBody::parse(Some("application/json"), b"{\n \"a\": }").unwrap_err();
        assert!(e.to_string().contains("line 2 column"), "{e}");
    }

    #[test]
    fn deep_json_is_refused_before_parsing() {
        let deep = "[".repeat(MAX_JSON_DEPTH + 1) + &"]".repeat(MAX_JSON_DEPTH + 1);
        let e = InboundBody::parse(Some("application/json"), deep.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("nested"), "{e}");
    }

    #[test]
    fn binary_bodies_are_an_unsupported_media_type() {
        let e = InboundBody::parse(Some("application/octet-stream"), &[0xff, 0xfe]).unwrap_err();
        assert!(matches!(e, InvokeError::UnsupportedMediaType(_)));
    }

    #[test]
    fn arguments_prefer_declared_then_path_query_body_header() {
        let mut inbound = Inbound {
            path: vec![("id".into(), "p".into())],
            query: vec![("id".into(), "q".into()), ("q".into(), "1".into())],
            body: InboundBody::Json(json!({"id": "b", "f": 2})),
            ..Inbound::default()
        };
        inbound
            .headers
            .insert("x-h", http::HeaderValue::from_static("h"));
        let trace = crate::trace::Trace::default();
        let args = Args::new(&inbound, &trace);
        assert_eq!(args.get("id", true).unwrap().as_ref(), &json!("p"));
        assert_eq!(args.get("q", true).unwrap().as_ref(), &json!("1"));
        assert_eq!(args.get("f", true).unwrap().as_ref(), &json!(2));
        assert_eq!(args.get("x-h", true).unwrap().as_ref(), &json!("h"));
        assert!(args.get("x-h", false).is_none());
        assert_eq!(
            args.get("ID", false).unwrap().as_ref(),
            &json!("p"),
            "loose path match"
        );
        assert_eq!(
            args.qualified("body").unwrap().as_ref(),
            &json!({"id": "b", "f": 2})
        );
    }
}
