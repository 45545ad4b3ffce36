//! The direct path of MCP `tools/call` over Streamable HTTP: a well-formed call of a known
//! tool is answered here, without rmcp's per-request machinery (its JSON-RPC parse through
//! buffered untagged enums, the standard headers checked by serialising the request again,
//! a service spawned per request, the result converted twice).
//!
//! A call takes this path only when rmcp would accept it as it is; whatever this module is
//! not sure of goes to rmcp, which answers it (or explains what is wrong) as before:
//! - `Host` allowed as rmcp allows it, no `Origin`, an `Accept` naming both
//!   `application/json` and `text/event-stream` without parameters or quotes, and a
//!   `Content-Type` of `application/json`;
//! - a JSON-RPC request with only `jsonrpc: "2.0"`, an integer or string `id`,
//!   `method: "tools/call"` and `params` with a string `name` of a known tool whose input
//!   schema puts no argument in a header (`x-mcp-header`), object or absent `arguments` and
//!   an optional `_meta`;
//! - either a 2025 revision (an `MCP-Protocol-Version` of 2025-03-26, 2025-06-18 or
//!   2025-11-25 and no `_meta`), or 2026-07-28 (the same revision in the header and in
//!   `_meta`, valid client capabilities and client info there and nothing else, and one
//!   `Mcp-Method: tools/call` and one `Mcp-Name` naming the tool as written).
//!
//! The answer is the one rmcp gives: 200, `application/json`, the JSON-RPC response with
//! `mcp_tool`'s result (with `resultType` on 2026-07-28). `--general-path` turns this path
//! off; `tests/it/run_mcp_direct.rs` holds the two to the same answers.

use std::borrow::Cow;

use http::HeaderMap;
use naftiko_http1::fields::visible_text;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// The revisions of the 2025 era a direct call may name.
const ERA_2025: [&str; 3] = ["2025-03-26", "2025-06-18", "2025-11-25"];
/// The stateless revision.
const STATELESS: &str = "2026-07-28";

/// A request's header fields, wherever they are kept: a `HeaderMap` (the hyper path), or
/// the head the HTTP/1 loop decoded, read where it lies (no map built for the checks).
pub(crate) trait Fields {
    /// The values of the header `name` (lowercase), in order.
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a;
}

impl Fields for HeaderMap {
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name).iter().map(http::HeaderValue::as_bytes)
    }
}

/// A head the HTTP/1 loop decoded, with its bytes.
pub(crate) struct RawFields<'h> {
    pub(crate) head: &'h naftiko_http1::Head,
    pub(crate) bytes: &'h [u8],
}

impl Fields for RawFields<'_> {
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.head.headers.iter().filter_map(move |(n, v)| {
            let named = self
                .bytes
                .get(n.clone())?
                .eq_ignore_ascii_case(name.as_bytes());
            named.then(|| self.bytes.get(v.clone())).flatten()
        })
    }
}

/// What decides whether a call may take the direct path, made once per endpoint.
#[derive(Debug)]
pub(crate) struct Rules {
    /// Allowed `Host` authorities (host lowercased without brackets, port when given);
    /// `None`: any host.
    hosts: Option<Vec<(String, Option<u16>)>>,
    /// The tools a direct call may name.
    tools: Vec<String>,
}

/// A call that takes the direct path.
#[derive(Debug)]
pub(crate) struct Call {
    /// The request's id, as sent.
    pub id: Value,
    /// The tool.
    pub name: String,
    pub arguments: Map<String, Value>,
    /// The revision it speaks.
    pub version: String,
    /// It speaks 2026-07-28 (its result carries `resultType`; it has no session).
    pub stateless: bool,
}

/// A `tools/call` message with nothing else, read without a `Value` tree (a duplicate or
/// unknown member fails the read: such a message goes to rmcp).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message<'a> {
    #[serde(borrow)]
    jsonrpc: Cow<'a, str>,
    id: Value,
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow)]
    params: Params<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
    /// Absent, or an object (`null` fails the read).
    #[serde(rename = "_meta", default, deserialize_with = "present", borrow)]
    meta: Option<Meta<'a>>,
}

/// A 2026-07-28 request's `_meta`: client capabilities as rmcp reads them
/// ([`Meta::fits`]), and client info as a name and a version only (anything more fails the
/// read: rmcp's type reads those two for certain, a test holds the two together).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta<'a> {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow)]
    version: Cow<'a, str>,
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities")]
    capabilities: Map<String, Value>,
    #[serde(
        rename = "io.modelcontextprotocol/clientInfo",
        default,
        deserialize_with = "present",
        borrow
    )]
    _client: Option<ClientInfo<'a>>,
}

/// `{"name": "…", "version": "…"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientInfo<'a> {
    #[serde(rename = "name", borrow)]
    _name: Cow<'a, str>,
    #[serde(rename = "version", borrow)]
    _version: Cow<'a, str>,
}

impl Meta<'_> {
    /// The client capabilities are what rmcp's type reads (none, or checked with it).
    fn fits(&self) -> bool {
        self.capabilities.is_empty()
            || serde_json::from_value::<rmcp::model::ClientCapabilities>(Value::Object(
                self.capabilities.clone(),
            ))
            .is_ok()
    }
}

/// A member that, when present, must hold a `T` (not `null`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl Rules {
    /// The rules of an endpoint that allows `allowed_hosts` (empty: any) and serves `tools`
    /// (name and input schema).
    pub(crate) fn new<'a>(
        allowed_hosts: &[String],
        tools: impl Iterator<Item = (&'a str, &'a Value)>,
    ) -> Rules {
        let hosts = (!allowed_hosts.is_empty())
            .then(|| allowed_hosts.iter().filter_map(|h| allowed(h)).collect());
        let tools = tools
            .filter(|(_, schema)| !names_key(schema, "x-mcp-header"))
            .map(|(name, _)| name.to_owned())
            .collect();
        Rules { hosts, tools }
    }

    /// The call the POST body `body` makes, when it may take the direct path.
    pub(crate) fn call(&self, body: &[u8], headers: &impl Fields) -> Option<Call> {
        if !(self.host_allowed(headers) && media_types_fit(headers)) {
            return None;
        }
        let m: Message<'_> = serde_json::from_slice(body).ok()?;
        let id_fits = match &m.id {
            Value::String(_) => true,
            Value::Number(n) => n.as_i64().is_some(),
            _ => false,
        };
        let p = m.params;
        if m.jsonrpc != "2.0" || m.method != "tools/call" || !id_fits {
            return None;
        }
        if !self.tools.iter().any(|t| *t == p.name) {
            return None;
        }
        let header = only(headers, "mcp-protocol-version")?;
        let stateless = match &p.meta {
            None if ERA_2025.contains(&header) => false,
            Some(meta)
                if header == STATELESS
                    && meta.version == STATELESS
                    && standard_headers_fit(&p.name, headers)
                    && meta.fits() =>
            {
                true
            }
            _ => return None,
        };
        Some(Call {
            id: m.id,
            name: p.name.into_owned(),
            arguments: p.arguments.unwrap_or_default(),
            version: header.to_owned(),
            stateless,
        })
    }

    /// `Host` is one value rmcp allows (parsed and compared as rmcp does).
    fn host_allowed(&self, headers: &impl Fields) -> bool {
        if headers.values("origin").next().is_some() {
            return false;
        }
        let Some(host) = only(headers, "host") else {
            return false;
        };
        let Some(host) = authority(host) else {
            return false;
        };
        match &self.hosts {
            None => true,
            Some(allowed) => allowed
                .iter()
                .any(|(h, p)| *h == host.0 && p.is_none_or(|p| host.1 == Some(p))),
        }
    }
}

/// A 2026-07-28 call's standard headers: one `Mcp-Method: tools/call` and one `Mcp-Name`
/// naming the tool as written (not Base64-encoded).
fn standard_headers_fit(name: &str, headers: &impl Fields) -> bool {
    only(headers, "mcp-method") == Some("tools/call")
        && only(headers, "mcp-name").is_some_and(|n| n == name && !n.starts_with("=?"))
}

/// `Accept` names both media types MCP needs, plainly; `Content-Type` is JSON.
fn media_types_fit(headers: &impl Fields) -> bool {
    let mut json = false;
    let mut sse = false;
    for value in headers.values("accept") {
        let Some(value) = visible_text(value) else {
            return false;
        };
        for entry in value.split(',') {
            if entry.contains([';', '"']) {
                return false;
            }
            let essence = entry.trim();
            json |= essence.eq_ignore_ascii_case("application/json");
            sse |= essence.eq_ignore_ascii_case("text/event-stream");
        }
    }
    let content_type = only(headers, "content-type").is_some_and(|c| {
        let essence = c.split_once(';').map_or(c, |(e, _)| e);
        essence.trim().eq_ignore_ascii_case("application/json")
    });
    json && sse && content_type
}

/// The header's value when it is sent once, as text (visible ASCII, as
/// `HeaderValue::to_str` has it).
fn only<'h>(headers: &'h impl Fields, name: &'h str) -> Option<&'h str> {
    let mut values = headers.values(name);
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    visible_text(first)
}

/// An authority as rmcp compares hosts: the host lowercased without brackets, the port.
fn authority(text: &str) -> Option<(String, Option<u16>)> {
    let a = http::uri::Authority::try_from(text).ok()?;
    Some((normalized(a.host()), a.port_u16()))
}

/// An allowed host as rmcp reads it: an authority, else a bare host name.
fn allowed(entry: &str) -> Option<(String, Option<u16>)> {
    let entry = entry.trim();
    if entry.is_empty() {
        return None;
    }
    authority(entry).or_else(|| Some((normalized(entry), None)))
}

fn normalized(host: &str) -> String {
    host.trim_matches('[')
        .trim_matches(']')
        .to_ascii_lowercase()
}

/// True when `v` has an object member named `key`, at any depth.
fn names_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| k == key || names_key(x, key)),
        Value::Array(a) => a.iter().any(|x| names_key(x, key)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    fn rules() -> Rules {
        let schema = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        let in_header = json!({"type": "object",
            "properties": {"id": {"type": "string", "x-mcp-header": "Id"}}});
        let hosts = ["localhost".to_owned(), "example.test:8080".to_owned()];
        Rules::new(
            &hosts,
            [("get-item", &schema), ("in-header", &in_header)].into_iter(),
        )
    }

    const BASE: [(&str, &str); 4] = [
        ("host", "localhost:9090"),
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("mcp-protocol-version", "2025-06-18"),
    ];

    /// What `scripts/bench-shapes/wrk/mcp_call.lua` sends, in both eras, takes the path.
    #[test]
    fn the_benchmarks_calls_take_the_direct_path() {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get-item", "arguments": {"id": "abc123", "q": "x"}}});
        let call = rules().call(body.to_string().as_bytes(), &headers(&BASE));
        let call = call.expect("a 2025 call takes the direct path");
        assert_eq!(
            (call.id, call.name.as_str(), call.stateless),
            (json!(1), "get-item", false)
        );
        assert_eq!(call.arguments["q"], "x");

        let mut body = body;
        body["params"]["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "bench-shapes-wrk", "version": "1"}});
        let mut h = headers(&BASE[..3]);
        for (k, v) in [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "get-item"),
        ] {
            h.insert(k, http::HeaderValue::from_static(v));
        }
        let call = rules()
            .call(body.to_string().as_bytes(), &h)
            .expect("a 2026-07-28 call too");
        assert!(call.stateless);
    }

    #[test]
    fn hosts_are_compared_as_rmcp_compares_them() {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get-item"}});
        for (host, taken) in [
            ("localhost:9090", true),
            ("LOCALHOST", true),
            ("example.test:8080", true),
            ("example.test:8081", false),
            ("example.test", false),
            ("evil.test", false),
        ] {
            let mut h = headers(&BASE);
            h.insert("host", http::HeaderValue::from_static(host));
            assert_eq!(
                rules().call(body.to_string().as_bytes(), &h).is_some(),
                taken,
                "{host}"
            );
        }
    }

    /// What the direct path reads without rmcp's types (no capabilities; a client's name
    /// and version) they read too; other client info is left to rmcp.
    #[test]
    fn the_commonest_capabilities_and_client_info_are_what_rmcp_reads() {
        let caps = serde_json::from_value::<rmcp::model::ClientCapabilities>(json!({}));
        assert!(caps.is_ok());
        let client = json!({"name": "bench-shapes-wrk", "version": "1"});
        let text = client.to_string();
        assert!(serde_json::from_str::<ClientInfo<'_>>(&text).is_ok());
        assert!(serde_json::from_value::<rmcp::model::Implementation>(client).is_ok());
        for odd in [
            json!({"name": "x"}),
            json!({"name": 5, "version": "1"}),
            json!({"name": "x", "version": "1", "title": "T"}),
        ] {
            let text = odd.to_string();
            assert!(
                serde_json::from_str::<ClientInfo<'_>>(&text).is_err(),
                "{odd}"
            );
        }
    }

    #[test]
    fn a_tool_taking_an_argument_from_a_header_is_left_to_rmcp() {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "in-header", "arguments": {"id": "a"}}});
        assert!(
            rules()
                .call(body.to_string().as_bytes(), &headers(&BASE))
                .is_none()
        );
    }
}
