//! `naftiko export openapi`: one exposed REST block as an OpenAPI 3.1 document.
//!
//! - `paths`: one entry per resource path (`{{x}}` written `{x}`), one operation per method:
//!   `operationId` is the operation's name, path/query/header arguments are `parameters`,
//!   the other arguments a `requestBody` (JSON or form fields: naftiko reads both);
//! - responses: `200` with the schema of the operation's outputs (or the binary media type
//!   its response contract declares; no schema when the upstream's answer passes through),
//!   `401` when the block requires authentication, and `default`: naftiko's RFC 9457
//!   problems (`application/problem+json`);
//! - `security`: the block's `authentication` as a security scheme (bearer, basic, digest,
//!   apikey, oauth2 as OpenID Connect discovery of its authorization server);
//! - `servers`: where the block listens;
//! - `forward` resources: every method no operation of their path serves (`forward.rs`).

mod forward;
mod parts;

use std::sync::Arc;

use naftiko_engine::{BuildOptions, FakeEnv, RestService, Runtime};
use naftiko_spec::model::{
    ApiKeyPlacement, Authentication, Document, ExposedOperation, Exposes, ExposesRest,
};
use naftiko_validate::Validation;
use serde_json::{Map, Value, json};

use parts::{openapi_path, problem_content, problem_schema, unauthorized};

/// Why no document can be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The capability has errors (`validate` lists them).
    #[error("the capability does not build: {0}")]
    Build(String),
    /// No REST block, or none of that namespace.
    #[error("{0}")]
    NoRest(String),
    /// Several REST blocks and no namespace to choose one.
    #[error("several REST blocks ({0}): choose one with --namespace")]
    Several(String),
}

/// The OpenAPI document of the REST block `namespace` (or of the only one) of the
/// capabilities of `validation` (which must have no errors).
///
/// # Errors
/// [`ExportError`] when the capabilities do not build or the block cannot be chosen.
pub fn export(validation: &Validation, namespace: Option<&str>) -> Result<Value, ExportError> {
    let runtime = build(validation)?;
    let services = runtime.rest_services();
    let service = match namespace {
        Some(ns) => services.iter().find(|s| s.namespace == ns).ok_or_else(|| {
            ExportError::NoRest(format!(
                "no REST block `{ns}` (the REST blocks: {})",
                names(services)
            ))
        })?,
        None => match services {
            [] => {
                return Err(ExportError::NoRest(
                    "the capability exposes no REST API".to_owned(),
                ));
            }
            [one] => one,
            _ => return Err(ExportError::Several(names(services))),
        },
    };
    let (doc, block) = find_block(validation, &service.namespace)
        .ok_or_else(|| ExportError::NoRest(format!("no REST block `{}`", service.namespace)))?;
    Ok(document(&runtime, service, doc, block))
}

fn names(services: &[RestService]) -> String {
    services
        .iter()
        .map(|s| format!("`{}`", s.namespace))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The runtime as `naftiko run` would build it, with made-up secrets and every consumed
/// API pointed at a loopback address (nothing is called).
fn build(validation: &Validation) -> Result<Runtime, ExportError> {
    let mut options = BuildOptions::new(Arc::new(FakeEnv));
    options.base_uris = validation
        .scopes
        .iter()
        .flat_map(|s| s.consumes.iter())
        .map(|(ns, _)| (ns.clone(), "http://127.0.0.1:9".to_owned()))
        .collect();
    options.base_uris.sort();
    options.base_uris.dedup();
    Runtime::build(validation, &options).map_err(|e| ExportError::Build(e.to_string()))
}

/// The document and the model of the REST block `namespace`.
fn find_block<'v>(
    validation: &'v Validation,
    namespace: &str,
) -> Option<(&'v Document, &'v ExposesRest)> {
    validation
        .files
        .iter()
        .filter_map(|f| f.document.as_ref())
        .find_map(|doc| {
            doc.all_exposes().find_map(|e| match e {
                Exposes::Rest(r) if r.namespace.as_ref().is_some_and(|n| n.value == namespace) => {
                    Some((doc, r))
                }
                _ => None,
            })
        })
}

fn document(
    runtime: &Runtime,
    service: &RestService,
    doc: &Document,
    block: &ExposesRest,
) -> Value {
    let mut paths = Map::new();
    for route in &service.routes {
        let Some(tool) = runtime.rest_tool(route.op) else {
            continue;
        };
        let op_model = operation_model(block, &route.path, &tool.name);
        let mut operation = operation(runtime, route.op, tool, op_model);
        if block.authentication.is_some() {
            operation["responses"]["401"] = unauthorized();
        }
        let path = openapi_path(&route.path);
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[route.method.as_str().to_ascii_lowercase()] = operation;
    }
    for route in &service.forwards {
        let resource = block.resources.iter().find(|r| {
            r.forward.is_some() && r.path.as_ref().is_some_and(|p| p.value == route.path)
        });
        let entry = paths
            .entry(openapi_path(&route.path))
            .or_insert_with(|| json!({}));
        if let Some(item) = entry.as_object_mut() {
            forward::add_operations(item, route, resource, block.authentication.is_some());
        }
    }
    let info = doc.info.as_ref();
    let text = |t: Option<&naftiko_spec::model::Text>| t.map(|t| t.value.clone());
    let mut out = json!({
        "openapi": "3.1.0",
        "info": {
            "title": text(info.and_then(|i| i.label.as_ref())).unwrap_or_else(|| service.namespace.clone()),
            "version": text(info.and_then(|i| i.version.as_ref())).unwrap_or_else(|| "1.0.0".to_owned()),
        },
        "servers": [{"url": server_url(&service.address, service.port)}],
        "paths": paths,
        "components": {"schemas": {"Problem": problem_schema()}},
    });
    if let Some(d) =
        text(block.description.as_ref()).or_else(|| text(info.and_then(|i| i.description.as_ref())))
    {
        out["info"]["description"] = json!(d);
    }
    if let Some(auth) = &block.authentication
        && let Some(scheme) = security_scheme(auth)
    {
        out["components"]["securitySchemes"] = json!({"inbound": scheme});
        out["security"] = json!([{"inbound": []}]);
    }
    out
}

/// The model of the operation a route serves (for its binary response contract).
fn operation_model<'b>(
    block: &'b ExposesRest,
    path: &str,
    name: &str,
) -> Option<&'b ExposedOperation> {
    block
        .resources
        .iter()
        .filter(|r| r.path.as_ref().is_some_and(|p| p.value == path))
        .flat_map(|r| &r.operations)
        .find(|o| o.name.as_ref().is_some_and(|n| n.value == name))
}

/// One operation object.
fn operation(
    runtime: &Runtime,
    op: naftiko_engine::OpId,
    tool: &naftiko_engine::ToolSpec,
    model: Option<&ExposedOperation>,
) -> Value {
    let mut o = json!({"operationId": tool.name});
    if let Some(t) = model.and_then(|m| m.label.as_ref()) {
        o["summary"] = json!(t.value);
    }
    if let Some(d) = &tool.description {
        o["description"] = json!(d);
    }
    let (parameters, body) = arguments(tool);
    if !parameters.is_empty() {
        o["parameters"] = Value::Array(parameters);
    }
    if let Some(body) = body {
        o["requestBody"] = json!({"content": {
            "application/json": {"schema": body},
            "application/x-www-form-urlencoded": {"schema": body},
        }});
    }
    o["responses"] = json!({
        "200": success(runtime.answer_schema(op), model),
        "default": {"description": "A problem: a bad request, a refused upstream, a limit (RFC 9457).", "content": problem_content()},
    });
    o
}

/// The tool's arguments split into `parameters` (path, query, header) and the schema of
/// the request body (the rest), when there are body fields.
fn arguments(tool: &naftiko_engine::ToolSpec) -> (Vec<Value>, Option<Value>) {
    let empty = Map::new();
    let props = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<&str> = tool
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut parameters = Vec::new();
    let (mut body_props, mut body_required) = (Map::new(), Vec::new());
    for (name, schema) in props {
        let is_required = required.contains(&name.as_str());
        let mut schema = schema.clone();
        let description = schema.as_object_mut().and_then(|m| m.remove("description"));
        match tool.argument_location(name) {
            Some(location) => {
                let mut p = json!({
                    "name": name,
                    "in": location,
                    "required": location == "path" || is_required,
                    "schema": schema,
                });
                if let Some(d) = description {
                    p["description"] = d;
                }
                parameters.push(p);
            }
            None => {
                if let (Some(d), Some(m)) = (description, schema.as_object_mut()) {
                    m.insert("description".to_owned(), d);
                }
                if is_required {
                    body_required.push(json!(name));
                }
                body_props.insert(name.clone(), schema);
            }
        }
    }
    let body = (!body_props.is_empty()).then(|| {
        let mut b = json!({"type": "object", "properties": body_props});
        if !body_required.is_empty() {
            b["required"] = Value::Array(body_required);
        }
        b
    });
    (parameters, body)
}

/// The `200` response: the binary media type the contract declares, else the outputs'
/// schema as JSON, else the upstream's answer with no schema.
fn success(schema: Option<Value>, model: Option<&ExposedOperation>) -> Value {
    if let Some(media) = model.and_then(ExposedOperation::binary_media_type) {
        return json!({"description": "The bytes the upstream answered.", "content": {
            media: {"schema": {"type": "string", "contentMediaType": media}}
        }});
    }
    match schema {
        Some(s) => {
            json!({"description": "The operation's outputs.", "content": {"application/json": {"schema": s}}})
        }
        None => {
            json!({"description": "The upstream's answer, passed through with its media type."})
        }
    }
}

/// Where a block listens, as a URL clients can use (`0.0.0.0` and `::` as `localhost`).
fn server_url(address: &str, port: u16) -> String {
    let host = match address {
        "0.0.0.0" | "::" | "[::]" => "localhost".to_owned(),
        a if a.contains(':') && !a.starts_with('[') => format!("[{a}]"),
        a => a.to_owned(),
    };
    format!("http://{host}:{port}")
}

/// The block's inbound authentication as a security scheme.
fn security_scheme(auth: &Authentication) -> Option<Value> {
    Some(match auth {
        Authentication::None { .. } => return None,
        Authentication::Basic(_) => json!({"type": "http", "scheme": "basic"}),
        Authentication::Digest(_) => json!({"type": "http", "scheme": "digest"}),
        Authentication::Bearer(_) => json!({"type": "http", "scheme": "bearer"}),
        Authentication::ApiKey(a) => {
            let name = a.key.as_ref().map(|k| k.value.clone()).unwrap_or_default();
            let place = match a.placement.as_ref().map(|p| p.value) {
                Some(ApiKeyPlacement::Query) => "query",
                _ => "header",
            };
            json!({"type": "apiKey", "name": name, "in": place})
        }
        Authentication::OAuth2(o) => {
            let server = o
                .authorization_server_uri
                .as_ref()
                .map(|u| u.value.trim_end_matches('/').to_owned())
                .unwrap_or_default();
            json!({"type": "openIdConnect", "openIdConnectUrl": format!("{server}/.well-known/openid-configuration")})
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers() {
        assert_eq!(server_url("0.0.0.0", 80), "http://localhost:80");
        assert_eq!(server_url("::1", 80), "http://[::1]:80");
        assert_eq!(server_url("127.0.0.1", 8080), "http://127.0.0.1:8080");
    }
}
