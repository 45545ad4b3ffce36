//! `naftiko import openapi`: an OpenAPI 3.0/3.1 document as a capability (alpha2; beta5
//! through the migration).
//!
//! - one consumed API per server URL (an operation's or path's own `servers` win over the
//!   document's), namespace from `--namespace` or the title (`-2`, … for further servers);
//! - one consumed resource per path, one operation per method: its `operationId` in kebab
//!   case (else method and path), path/query/header/cookie parameters as inputs in the
//!   same `in`, a form body as a `formUrlEncoded` body of its fields, a JSON object body as
//!   a `json` body of its top-level fields (each one a template of the same name, so values
//!   keep their JSON types);
//! - the first 2xx JSON object response's top-level properties as outputs (`value: $.name`,
//!   typed); other answers pass through;
//! - the first security requirement that applies as `authentication`, its secrets bound from
//!   environment variables named after the namespace (`VECTARA_API_KEY`, …);
//! - a REST block serving every operation at the same path and method, and an MCP block
//!   with one tool per operation.
//!
//! What cannot be carried over is listed in [`Imported::notes`].

use serde_json::{Map, Value, json};

/// The capability written from an OpenAPI document.
#[derive(Debug)]
pub struct Imported {
    /// The capability (alpha2 JSON tree; key order kept).
    pub document: Value,
    /// What could not be carried over, one sentence each.
    pub notes: Vec<String>,
}

/// Why a document cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not an OpenAPI 3 document.
    #[error("{0}")]
    NotOpenApi(String),
}

/// The most `$ref`s followed for one value (a cycle is cut there).
const MAX_REF_DEPTH: usize = 16;

/// A capability from the OpenAPI document `api`; `namespace` names its consumed API.
///
/// # Errors
/// [`ImportError::NotOpenApi`] when `api` is not an OpenAPI 3 document with paths.
pub fn import(api: &Value, namespace: Option<&str>) -> Result<Imported, ImportError> {
    let version = api.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.") {
        return Err(ImportError::NotOpenApi(
            "not an OpenAPI 3 document (no `openapi: 3.x`)".to_owned(),
        ));
    }
    let paths = api
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| ImportError::NotOpenApi("the document has no `paths`".to_owned()))?;
    let title = api
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("api");
    let base = kebab(namespace.unwrap_or(title));
    let base = if base.is_empty() {
        "api".to_owned()
    } else {
        base
    };
    let mut cx = Cx {
        api,
        base,
        apis: Vec::new(),
        rest: Vec::new(),
        tools: Vec::new(),
        notes: Vec::new(),
    };
    for (path, item) in paths {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if let Some(op) = item.get(method) {
                cx.operation(path, item, method, op);
            }
        }
    }
    if cx.rest.is_empty() {
        return Err(ImportError::NotOpenApi(
            "the document has no operations".to_owned(),
        ));
    }
    let document = cx.document(title);
    Ok(Imported {
        document,
        notes: cx.notes,
    })
}

/// The state of one import.
struct Cx<'a> {
    api: &'a Value,
    /// The namespace of the first consumed API.
    base: String,
    /// Consumed APIs: (namespace, base URI, resources by path, authentication, binds).
    apis: Vec<Api>,
    /// Exposed REST resources (path → resource).
    rest: Vec<(String, Value)>,
    tools: Vec<Value>,
    notes: Vec<String>,
}

struct Api {
    namespace: String,
    base_uri: String,
    resources: Vec<(String, Value)>,
    authentication: Option<Value>,
    keys: Vec<String>,
}

impl Cx<'_> {
    /// Follows `$ref`s (local ones) from `v`.
    fn deref<'v>(&'v self, mut v: &'v Value) -> &'v Value {
        for _ in 0..MAX_REF_DEPTH {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                return v;
            };
            match r.strip_prefix('#').and_then(|p| self.api.pointer(p)) {
                Some(target) => v = target,
                None => return v,
            }
        }
        v
    }

    /// The properties of an object schema and its required ones, `allOf` members merged.
    fn object<'v>(&'v self, schema: &'v Value) -> (Vec<(&'v String, &'v Value)>, Vec<&'v str>) {
        let schema = self.deref(schema);
        let mut props: Vec<(&String, &Value)> = Vec::new();
        let mut required: Vec<&str> = Vec::new();
        let parts = std::iter::once(schema).chain(
            schema
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|s| self.deref(s)),
        );
        for part in parts {
            for (k, v) in part
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if !props.iter().any(|(n, _)| *n == k) {
                    props.push((k, v));
                }
            }
            required.extend(
                part.get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            );
        }
        (props, required)
    }

    /// One operation: its consumed operation, REST operation and MCP tool.
    fn operation(&mut self, path: &str, item: &Value, method: &str, op: &Value) {
        let name = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(kebab)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| kebab(&format!("{method} {path}")));
        let server = self.server(item, op);
        let api = self.api_for(&server);
        let security = self.security(op);
        if let Some((auth, keys)) = security {
            let ns = self.apis[api].namespace.clone();
            let a = &mut self.apis[api];
            if a.authentication.is_none() {
                a.authentication = Some(auth);
                a.keys.extend(keys);
            } else if a.authentication.as_ref() != Some(&auth) {
                self.notes.push(format!("`{name}`: its security differs from the other operations of `{ns}`; they share one authentication"));
            }
        }
        let params = self.parameters(item, op);
        let body = self.body(op, &name);
        let (outputs, format) = self.outputs(op);
        let description = op
            .get("summary")
            .or_else(|| op.get("description"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{} {path}", method.to_ascii_uppercase()));
        let mut consumed = json!({"name": name, "method": method.to_ascii_uppercase(), "description": description});
        let consumed_inputs: Vec<Value> = params
            .iter()
            .map(|p| json!({"name": p.name, "in": p.location}))
            .collect();
        if !consumed_inputs.is_empty() {
            consumed["inputParameters"] = json!(consumed_inputs);
        }
        if let Some(f) = format {
            consumed["outputRawFormat"] = json!(f);
        }
        if !outputs.is_empty() {
            consumed["outputParameters"] = json!(outputs);
        }
        if let Some(b) = &body {
            consumed["body"] = b.template.clone();
        }
        let ns = self.apis[api].namespace.clone();
        push_operation(&mut self.apis[api].resources, path, &name, consumed);
        self.expose(
            path,
            method,
            &name,
            &ns,
            &description,
            &params,
            body.as_ref(),
        );
    }

    /// The server URL an operation calls (its own, else its path's, else the document's).
    fn server(&mut self, item: &Value, op: &Value) -> String {
        let servers = [
            op.get("servers"),
            item.get("servers"),
            self.api.get("servers"),
        ];
        let url = servers
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_array()?.first())
            .find_map(server_url);
        match url {
            Some(u) => u,
            None => {
                let fallback = "http://localhost:8080".to_owned();
                let note = format!(
                    "no absolute server URL: the base URI is {fallback}; pass `naftiko run --base-uri` or edit it"
                );
                if !self.notes.contains(&note) {
                    self.notes.push(note);
                }
                fallback
            }
        }
    }

    /// The index of the consumed API for `base_uri`, created on first use.
    fn api_for(&mut self, base_uri: &str) -> usize {
        if let Some(i) = self.apis.iter().position(|a| a.base_uri == base_uri) {
            return i;
        }
        let namespace = match self.apis.len() {
            0 => self.base.clone(),
            n => format!("{}-{}", self.base, n + 1),
        };
        self.apis.push(Api {
            namespace,
            base_uri: base_uri.to_owned(),
            resources: Vec::new(),
            authentication: None,
            keys: Vec::new(),
        });
        self.apis.len() - 1
    }
}

/// A parameter of an operation.
struct Param {
    name: String,
    location: String,
    ty: String,
    description: Option<String>,
    required: bool,
}

/// A request body: the consumed `body` template and the fields callers send.
struct Body {
    template: Value,
    fields: Vec<Param>,
}

impl Cx<'_> {
    /// The authentication of the first security requirement naftiko can express, and the
    /// environment variables it binds.
    fn security(&mut self, op: &Value) -> Option<(Value, Vec<String>)> {
        let requirements = op
            .get("security")
            .or_else(|| self.api.get("security"))?
            .as_array()?;
        for requirement in requirements {
            let Some(name) = requirement.as_object().and_then(|m| m.keys().next()) else {
                // `{}`: no authentication is one of the choices.
                return None;
            };
            let scheme = self.api.pointer(&format!(
                "/components/securitySchemes/{}",
                pointer_escape(name)
            ))?;
            let scheme = self.deref(scheme);
            if let Some(auth) = self.authentication(scheme) {
                return Some(auth);
            }
        }
        if !requirements.is_empty() {
            let note = "a security scheme naftiko cannot express (oauth2 flows, OpenID Connect, mutual TLS, cookie API keys) is left out: write its `authentication` by hand".to_owned();
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        None
    }

    /// One security scheme as `authentication`, with the variables it binds.
    fn authentication(&self, scheme: &Value) -> Option<(Value, Vec<String>)> {
        let var = |suffix: &str| {
            format!(
                "{}_{suffix}",
                self.base.to_ascii_uppercase().replace('-', "_")
            )
        };
        let tpl = |v: &str| format!("{{{{{v}}}}}");
        let kind = scheme.get("type").and_then(Value::as_str)?;
        match (
            kind,
            scheme
                .get("scheme")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref(),
        ) {
            ("http", Some("bearer")) => {
                let t = var("TOKEN");
                Some((json!({"type": "bearer", "token": tpl(&t)}), vec![t]))
            }
            ("http", Some(s @ ("basic" | "digest"))) => {
                let (u, p) = (var("USERNAME"), var("PASSWORD"));
                Some((
                    json!({"type": s, "username": tpl(&u), "password": tpl(&p)}),
                    vec![u, p],
                ))
            }
            ("apiKey", _) => {
                let placement = scheme.get("in").and_then(Value::as_str)?;
                if placement != "header" && placement != "query" {
                    return None;
                }
                let key = scheme.get("name").and_then(Value::as_str)?;
                let v = var("API_KEY");
                Some((
                    json!({"type": "apikey", "key": key, "value": tpl(&v), "placement": placement}),
                    vec![v],
                ))
            }
            _ => None,
        }
    }

    /// The path's and the operation's parameters (the operation's win), in order.
    fn parameters(&mut self, item: &Value, op: &Value) -> Vec<Param> {
        let mut out: Vec<Param> = Vec::new();
        let lists = [item.get("parameters"), op.get("parameters")];
        for p in lists
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
        {
            let p = self.deref(p);
            let (Some(name), Some(location)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            if location == "header"
                && ["authorization", "content-type", "accept"]
                    .contains(&name.to_ascii_lowercase().as_str())
            {
                continue;
            }
            let schema = p.get("schema").map(|s| self.deref(s));
            let param = Param {
                name: name.to_owned(),
                location: location.to_owned(),
                ty: schema.map_or("string", json_type).to_owned(),
                description: p
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                required: location == "path" || p.get("required") == Some(&Value::Bool(true)),
            };
            out.retain(|q| !(q.name == param.name && q.location == param.location));
            out.push(param);
        }
        out
    }

    /// The request body: a form or a JSON object, as a body template of its fields.
    fn body(&mut self, op: &Value, name: &str) -> Option<Body> {
        let content = self
            .deref(op.get("requestBody")?)
            .get("content")?
            .as_object()?;
        let (kind, media) = if let Some(m) = content.get("application/x-www-form-urlencoded") {
            ("formUrlEncoded", m)
        } else if let Some((_, m)) = content.iter().find(|(k, _)| is_json(k)) {
            ("json", m)
        } else {
            self.notes.push(format!(
                "`{name}`: its request body ({}) is not a form or JSON: it is left out",
                content.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
            return None;
        };
        let (props, required) = self.object(media.get("schema")?);
        let fields: Vec<Param> = props
            .iter()
            .map(|(field, s)| {
                let s = self.deref(s);
                Param {
                    name: (*field).clone(),
                    location: "body".to_owned(),
                    ty: json_type(s).to_owned(),
                    description: s
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    required: required.contains(&field.as_str()),
                }
            })
            .collect();
        if fields.is_empty() {
            self.notes.push(format!(
                "`{name}`: its request body is not an object with properties: it is left out"
            ));
            return None;
        }
        let data: Map<String, Value> = fields
            .iter()
            .map(|f| (f.name.clone(), json!(format!("{{{{{}}}}}", f.name))))
            .collect();
        Some(Body {
            template: json!({"type": kind, "data": data}),
            fields,
        })
    }

    /// The outputs of the first 2xx answer with a JSON object schema, and the raw format
    /// of an XML answer.
    fn outputs(&self, op: &Value) -> (Vec<Value>, Option<&'static str>) {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return (Vec::new(), None);
        };
        let Some(response) = responses
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .map(|(_, r)| self.deref(r))
            .find(|r| r.get("content").is_some())
        else {
            return (Vec::new(), None);
        };
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return (Vec::new(), None);
        };
        let Some((_, media)) = content.iter().find(|(k, _)| is_json(k)) else {
            let xml = content.keys().any(|k| k.contains("xml"));
            return (Vec::new(), xml.then_some("xml"));
        };
        let Some(schema) = media.get("schema").map(|s| self.deref(s)) else {
            return (Vec::new(), None);
        };
        let (props, _) = self.object(schema);
        let outputs = props
            .iter()
            .map(|(name, s)| {
                // Outputs have `number`, not `integer`, in the official schema.
                let ty = match json_type(self.deref(s)) {
                    "integer" => "number",
                    t => t,
                };
                json!({"name": name, "type": ty, "value": json_path(name)})
            })
            .collect();
        (outputs, None)
    }

    /// The REST operation and the MCP tool of one consumed operation.
    #[allow(clippy::too_many_arguments)]
    fn expose(
        &mut self,
        path: &str,
        method: &str,
        name: &str,
        namespace: &str,
        description: &str,
        params: &[Param],
        body: Option<&Body>,
    ) {
        let all: Vec<&Param> = params
            .iter()
            .chain(body.iter().flat_map(|b| &b.fields))
            .collect();
        let with: Map<String, Value> = params
            .iter()
            .map(|p| (p.name.clone(), json!(format!("{{{{{}}}}}", p.name))))
            .collect();
        let call = format!("{namespace}.{name}");
        let described = |p: &Param| {
            p.description
                .clone()
                .unwrap_or_else(|| format!("The `{}` of the request.", p.name))
        };
        let rest_inputs: Vec<Value> = all
            .iter()
            .map(|p| json!({"name": p.name, "in": p.location, "type": p.ty, "description": described(p)}))
            .collect();
        let mut rest_op = json!({"name": name, "method": method.to_ascii_uppercase(), "description": description});
        if !rest_inputs.is_empty() {
            rest_op["inputParameters"] = json!(rest_inputs);
        }
        rest_op["call"] = json!(call);
        if !with.is_empty() {
            rest_op["with"] = Value::Object(with.clone());
        }
        match self.rest.iter_mut().find(|(p, _)| p == path) {
            Some((_, resource)) => {
                if let Some(ops) = resource["operations"].as_array_mut() {
                    ops.push(rest_op);
                }
            }
            None => self.rest.push((
                path.to_owned(),
                json!({"name": resource_name(path), "path": path, "description": format!("`{path}`."), "operations": [rest_op]}),
            )),
        }
        let tool_inputs: Vec<Value> = all
            .iter()
            .map(|p| json!({"name": p.name, "type": p.ty, "description": described(p), "required": p.required}))
            .collect();
        let mut tool = json!({"name": name, "description": description});
        if !tool_inputs.is_empty() {
            tool["inputParameters"] = json!(tool_inputs);
        }
        tool["call"] = json!(call);
        if !with.is_empty() {
            tool["with"] = Value::Object(with);
        }
        if !self.tools.iter().any(|t| t["name"] == json!(name)) {
            self.tools.push(tool);
        }
    }

    /// The capability document.
    fn document(&self, title: &str) -> Value {
        let description = self
            .api
            .pointer("/info/description")
            .and_then(Value::as_str)
            .map_or_else(
                || format!("{title}, imported from its OpenAPI document."),
                str::to_owned,
            );
        let consumes: Vec<Value> = self
            .apis
            .iter()
            .map(|a| {
                let mut c = json!({
                    "type": "http",
                    "namespace": a.namespace,
                    "description": format!("{title} at {}.", a.base_uri),
                    "baseUri": a.base_uri,
                });
                if let Some(auth) = &a.authentication {
                    c["authentication"] = auth.clone();
                }
                c["resources"] = Value::Array(a.resources.iter().map(|(_, r)| r.clone()).collect());
                c
            })
            .collect();
        let mut doc = json!({
            "naftiko": "1.0.0-alpha2",
            "info": {"label": title, "description": description},
        });
        let keys: Map<String, Value> = self
            .apis
            .iter()
            .flat_map(|a| &a.keys)
            .map(|k| (k.clone(), json!(k)))
            .collect();
        if !keys.is_empty() {
            doc["binds"] = json!([{"namespace": format!("{}-env", self.base), "keys": keys}]);
        }
        doc["capability"] = json!({
            "consumes": consumes,
            "exposes": [
                {"type": "rest", "namespace": format!("{}-rest", self.base), "port": 8080,
                 "resources": self.rest.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>()},
                {"type": "mcp", "namespace": format!("{}-mcp", self.base), "port": 3000,
                 "description": format!("{title} as MCP tools."), "tools": self.tools},
            ],
        });
        doc
    }
}

/// Adds `op` to the consumed resource of `path` (created on first use).
fn push_operation(resources: &mut Vec<(String, Value)>, path: &str, name: &str, op: Value) {
    if let Some((_, r)) = resources.iter_mut().find(|(p, _)| p == path) {
        if let Some(ops) = r["operations"].as_array_mut() {
            ops.push(op);
        }
        return;
    }
    let _ = name;
    resources.push((
        path.to_owned(),
        json!({"name": resource_name(path), "path": templated(path), "operations": [op]}),
    ));
}

/// A server object's URL with its variables at their defaults, when it is absolute.
fn server_url(server: &Value) -> Option<String> {
    let mut url = server.get("url")?.as_str()?.to_owned();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (k, v) in vars {
            if let Some(d) = v.get("default").and_then(Value::as_str) {
                url = url.replace(&format!("{{{k}}}"), d);
            }
        }
    }
    let url = url.trim_end_matches('/').to_owned();
    (url.starts_with("http://") || url.starts_with("https://")).then_some(url)
}

/// `/items/{id}` as a consumed path: `/items/{{id}}`.
fn templated(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    for c in path.chars() {
        match c {
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
    }
    out
}

/// A resource name from its path: `/ships/{imo}/crew` is `ships-imo-crew`.
fn resource_name(path: &str) -> String {
    let n = kebab(path);
    if n.is_empty() { "root".to_owned() } else { n }
}

/// Lowercase letters, digits and single `-` (camelCase split): `getOauthToken` is
/// `get-oauth-token`.
pub(crate) fn kebab(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_matches('-').to_owned();
    match out.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("x-{out}"),
        _ => out,
    }
}

/// The JSON type a schema names (the first non-null one of a list), `string` by default.
fn json_type(schema: &Value) -> &'static str {
    let named = match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    };
    match named {
        Some("integer") => "integer",
        Some("number") => "number",
        Some("boolean") => "boolean",
        Some("array") => "array",
        Some("object") => "object",
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    }
}

fn is_json(media: &str) -> bool {
    let m = media.split(';').next().unwrap_or("").trim();
    m == "application/json" || m.ends_with("+json")
}

/// The JSONPath of a top-level field.
fn json_path(name: &str) -> String {
    if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        format!("$.{name}")
    } else {
        format!("$['{}']", name.replace('\'', "\\'"))
    }
}

/// A JSON pointer segment (`~` and `/` escaped).
fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(kebab("getOauthToken"), "get-oauth-token");
        assert_eq!(kebab("list-ships"), "list-ships");
        assert_eq!(kebab("Vectara REST API"), "vectara-rest-api");
        assert_eq!(kebab("post /ships/{imo}/crew"), "post-ships-imo-crew");
        assert_eq!(kebab("2fa"), "x-2fa");
        assert_eq!(resource_name("/"), "root");
        assert_eq!(templated("/a/{id}"), "/a/{{id}}");
        assert_eq!(json_path("imo-number"), "$['imo-number']");
    }

    #[test]
    fn not_openapi() {
        assert!(import(&json!({"swagger": "2.0"}), None).is_err());
        assert!(import(&json!({"openapi": "3.1.0"}), None).is_err());
    }
}
