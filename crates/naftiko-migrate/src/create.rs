//! `naftiko create capability`: a minimal capability for people starting from nothing: one
//! consumed API with one operation, served as one REST operation and one MCP tool. The
//! document is built as alpha2 and, for beta5, rewritten by the migration, so both versions
//! come from one description of the file.

use serde_json::{Value, json};

/// What the new capability holds.
#[derive(Debug, Clone)]
pub struct NewCapability {
    /// The consumed API's namespace (`weather`); the exposes blocks are `<ns>-rest` and
    /// `<ns>-mcp`.
    pub namespace: String,
    /// The upstream's base URI (`https://api.example.com/v1`).
    pub base_uri: String,
    /// The operation's method (`GET`).
    pub method: String,
    /// The operation's path below the base URI (`/items/{id}`); `{name}` marks a path
    /// variable.
    pub path: String,
    /// The operation's name (`get-item`).
    pub operation: String,
    /// Write `ikanos: 1.0.0-beta5` rather than `naftiko: 1.0.0-alpha2`.
    pub beta5: bool,
}

/// Why no capability can be written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CreateError {
    /// A value does not fit where it goes; the message names the flag.
    #[error("{0}")]
    Invalid(String),
}

/// The capability document, as YAML.
///
/// # Errors
/// [`CreateError::Invalid`] naming the flag whose value cannot be used.
pub fn capability(new: &NewCapability) -> Result<String, CreateError> {
    check(new)?;
    let alpha2 = crate::write_yaml(&document(new));
    if !new.beta5 {
        return Ok(alpha2);
    }
    crate::to_beta5(&alpha2)
        .map(|m| m.yaml)
        .map_err(|e| CreateError::Invalid(e.to_string()))
}

/// A name for an operation from its method and path: `GET /items/{id}` is `get-items`,
/// `POST /` is `post-root`.
pub fn default_name(method: &str, path: &str) -> String {
    let mut name = method.to_ascii_lowercase();
    let words: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && !s.contains('{'))
        .map(|s| {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect::<String>()
                .trim_matches('-')
                .to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect();
    if words.is_empty() {
        name.push_str("-root");
    }
    for w in words {
        name.push('-');
        name.push_str(&w);
    }
    name
}

fn invalid(flag: &str, value: &str, expected: &str) -> CreateError {
    CreateError::Invalid(format!("{flag} `{value}`: expected {expected}"))
}

/// `letters, digits and -`, starting with a letter (a namespace or a name).
fn kebab(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.ends_with('-')
}

fn check(new: &NewCapability) -> Result<(), CreateError> {
    if !kebab(&new.namespace) {
        return Err(invalid(
            "--namespace",
            &new.namespace,
            "lowercase letters, digits and `-`, starting with a letter",
        ));
    }
    if !kebab(&new.operation) {
        return Err(invalid(
            "--name",
            &new.operation,
            "lowercase letters, digits and `-`, starting with a letter",
        ));
    }
    let scheme_ok = ["http://", "https://"].iter().any(|s| {
        new.base_uri
            .strip_prefix(s)
            .is_some_and(|rest| !rest.is_empty())
    });
    if !scheme_ok || new.base_uri.ends_with('/') || new.base_uri.contains(['?', '#', ' ']) {
        return Err(invalid(
            "--base-uri",
            &new.base_uri,
            "an http(s) URL without a trailing `/`, query or fragment",
        ));
    }
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    if !methods.contains(&new.method.as_str()) {
        return Err(invalid(
            "--method",
            &new.method,
            "GET, POST, PUT, PATCH or DELETE",
        ));
    }
    let vars_ok = variables(&new.path).iter().all(|v| {
        !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if !new.path.starts_with('/')
        || new.path.contains(['?', '#', ' '])
        || (new.path.len() > 1 && new.path.ends_with('/'))
        || !vars_ok
    {
        return Err(invalid(
            "--path",
            &new.path,
            "a path starting with `/`, without a trailing `/` or query, `{name}` for a variable",
        ));
    }
    Ok(())
}

/// The `{name}` variables of a path, in order.
fn variables(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(v, _)| v.to_owned()))
        .collect()
}

/// `path` with `{name}` written `{{name}}` (consumed paths are templates).
fn templated(path: &str) -> String {
    let mut out = path.to_owned();
    for v in variables(path) {
        out = out.replace(&format!("{{{v}}}"), &format!("{{{{{v}}}}}"));
    }
    out
}

/// The alpha2 document as JSON (key order kept).
fn document(new: &NewCapability) -> Value {
    let ns = &new.namespace;
    let vars = variables(&new.path);
    let call = format!("{ns}.{}", new.operation);
    let with: serde_json::Map<String, Value> = vars
        .iter()
        .map(|v| (v.clone(), json!(format!("{{{{{v}}}}}"))))
        .collect();
    let exposed_inputs: Vec<Value> = vars
        .iter()
        .map(|v| json!({"name": v, "in": "path", "type": "string", "description": format!("The `{v}` of the request.")}))
        .collect();
    let tool_inputs: Vec<Value> = vars
        .iter()
        .map(|v| json!({"name": v, "type": "string", "description": format!("The `{v}` of the request.")}))
        .collect();
    let consumed_inputs: Vec<Value> = vars
        .iter()
        .map(|v| json!({"name": v, "in": "path"}))
        .collect();
    let described = format!("`{} {}` of {}", new.method, new.path, new.base_uri);
    let mut consumed_op = json!({"name": new.operation, "method": new.method, "description": format!("Calls {described}.")});
    let mut rest_op = json!({"name": new.operation, "method": new.method, "description": format!("Answers what {described} answers.")});
    let mut tool =
        json!({"name": new.operation, "description": format!("Answers what {described} answers.")});
    if !vars.is_empty() {
        consumed_op["inputParameters"] = json!(consumed_inputs);
        tool["inputParameters"] = json!(tool_inputs);
    }
    for unit in [&mut rest_op, &mut tool] {
        unit["call"] = json!(call);
        if !with.is_empty() {
            unit["with"] = Value::Object(with.clone());
        }
    }
    let mut rest_resource = json!({"name": new.operation, "path": new.path, "description": format!("The {} operation.", new.operation)});
    if !vars.is_empty() {
        rest_resource["inputParameters"] = json!(exposed_inputs);
    }
    rest_resource["operations"] = json!([rest_op]);
    json!({
        "naftiko": "1.0.0-alpha2",
        "info": {
            "label": ns,
            "description": format!("The `{ns}` API as a capability (created by `naftiko create capability`; edit it to add operations, inputs and outputs)."),
        },
        "capability": {
            "consumes": [{
                "type": "http",
                "namespace": ns,
                "description": format!("The `{ns}` API."),
                "baseUri": new.base_uri,
                "resources": [{
                    "name": new.operation,
                    "path": templated(&new.path),
                    "operations": [consumed_op],
                }],
            }],
            "exposes": [
                {
                    "type": "rest",
                    "namespace": format!("{ns}-rest"),
                    "port": 8080,
                    "resources": [rest_resource],
                },
                {
                    "type": "mcp",
                    "namespace": format!("{ns}-mcp"),
                    "port": 3000,
                    "description": format!("The `{ns}` API as MCP tools."),
                    "tools": [tool],
                },
            ],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewCapability {
        NewCapability {
            namespace: "items".into(),
            base_uri: "http://127.0.0.1:8000/v1".into(),
            method: "GET".into(),
            path: "/items/{id}".into(),
            operation: "get-item".into(),
            beta5: false,
        }
    }

    #[test]
    fn names_from_method_and_path() {
        assert_eq!(default_name("GET", "/items/{id}"), "get-items");
        assert_eq!(default_name("POST", "/"), "post-root");
        assert_eq!(
            default_name("GET", "/v1/Work_Items/{id}/notes"),
            "get-v1-work-items-notes"
        );
    }

    #[test]
    fn paths_become_templates() {
        assert_eq!(templated("/a/{id}/b/{x}"), "/a/{{id}}/b/{{x}}");
        assert_eq!(variables("/a/{id}/b/{x}"), ["id", "x"]);
    }

    #[test]
    fn bad_flags_are_named() {
        for (change, flag) in [
            (
                NewCapability {
                    namespace: "Items".into(),
                    ..new()
                },
                "--namespace",
            ),
            (
                NewCapability {
                    base_uri: "ftp://x".into(),
                    ..new()
                },
                "--base-uri",
            ),
            (
                NewCapability {
                    base_uri: "http://x/".into(),
                    ..new()
                },
                "--base-uri",
            ),
            (
                NewCapability {
                    method: "TRACE".into(),
                    ..new()
                },
                "--method",
            ),
            (
                NewCapability {
                    path: "items".into(),
                    ..new()
                },
                "--path",
            ),
            (
                NewCapability {
                    path: "/a/{}".into(),
                    ..new()
                },
                "--path",
            ),
            (
                NewCapability {
                    operation: "get item".into(),
                    ..new()
                },
                "--name",
            ),
        ] {
            let e = capability(&change).unwrap_err();
            assert!(e.to_string().starts_with(flag), "{e}");
        }
    }
}
