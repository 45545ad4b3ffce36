//! A `forward` resource as path-item operations. A forward takes every method no operation
//! of the same path serves, so it gets each OpenAPI method the path item has left; the
//! request and the answer pass as they are: any body, any media type, any status.

use naftiko_engine::ForwardRoute;
use naftiko_spec::model::ExposedResource;
use serde_json::{Map, Value, json};

use super::parts::{openapi_path, unauthorized};

/// The methods an OpenAPI path item can hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Headers OpenAPI says a `header` parameter must not describe.
const NOT_PARAMETERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// Adds the forward's operations to `item` (the path item of its path), for each method
/// it does not hold yet.
pub(crate) fn add_operations(
    item: &mut Map<String, Value>,
    route: &ForwardRoute,
    resource: Option<&ExposedResource>,
    guarded: bool,
) {
    let name = resource
        .and_then(|r| r.name.as_ref())
        .map_or_else(|| route.target.clone(), |n| n.value.clone());
    for method in METHODS {
        if item.contains_key(method) {
            continue;
        }
        let mut o = operation(route, resource, &name, method);
        if guarded {
            o["responses"]["401"] = unauthorized();
        }
        item.insert(method.to_owned(), o);
    }
}

/// One method of the forward.
fn operation(
    route: &ForwardRoute,
    resource: Option<&ExposedResource>,
    name: &str,
    method: &str,
) -> Value {
    let mut description = format!(
        "Forwarded as it comes to the consumed API `{}`: method, the rest of the path, \
         query and body; the answer passes back as the upstream sent it.",
        route.target
    );
    if let Some(d) = resource.and_then(|r| r.description.as_ref()) {
        description = format!("{}\n\n{description}", d.value);
    }
    let mut o = json!({
        "operationId": format!("forward-{name}-{method}"),
        "description": description,
        "responses": {"default": {
            "description": "The upstream's answer, any status, passed back as it came; or one of naftiko's problems (RFC 9457) when the request cannot be forwarded.",
            "content": {"*/*": {}},
        }},
    });
    if !matches!(method, "get" | "head" | "delete" | "options" | "trace") {
        o["requestBody"] = json!({"required": false, "content": {"*/*": {}}});
    }
    let parameters = parameters(route, resource);
    if !parameters.is_empty() {
        o["parameters"] = Value::Array(parameters);
    }
    o
}

/// The path's variables (the last one, when it captures, takes the rest of the path) and
/// the trusted headers OpenAPI lets a parameter describe.
fn parameters(route: &ForwardRoute, resource: Option<&ExposedResource>) -> Vec<Value> {
    let path = openapi_path(&route.path);
    let variables: Vec<&str> = path
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(v, _)| v))
        .collect();
    let mut out = Vec::new();
    for (i, v) in variables.iter().enumerate() {
        let mut p =
            json!({"name": v, "in": "path", "required": true, "schema": {"type": "string"}});
        if route.captures && i + 1 == variables.len() {
            p["description"] = json!("The rest of the path, slashes included.");
        }
        out.push(p);
    }
    let trusted = resource
        .and_then(|r| r.forward.as_ref())
        .map(|f| f.trusted_headers.as_slice())
        .unwrap_or_default();
    for h in trusted {
        if NOT_PARAMETERS.contains(&h.value.to_ascii_lowercase().as_str()) {
            continue;
        }
        out.push(json!({
            "name": h.value,
            "in": "header",
            "required": false,
            "description": "Passed on to the upstream (a trusted header).",
            "schema": {"type": "string"},
        }));
    }
    out
}
