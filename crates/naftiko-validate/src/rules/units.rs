//! One walk over every invocable unit of a document (REST operations, MCP tools and
//! resources, aggregate functions), so rules do not each re-implement the traversal.

use naftiko_spec::Loc;
use naftiko_spec::model::{Document, Exposes, InputParameter, Invocation, Method, Text};

/// What kind of unit it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// An exposed REST operation.
    RestOperation,
    /// An MCP tool.
    McpTool,
    /// An MCP resource.
    McpResource,
    /// An aggregate function.
    Function,
}

/// An invocable unit and its context.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'a> {
    /// Its kind.
    pub kind: UnitKind,
    /// Namespace of the exposes block (or aggregate) it belongs to.
    pub namespace: Option<&'a Text>,
    /// Its name.
    pub name: Option<&'a Text>,
    /// What it runs.
    pub invocation: &'a Invocation,
    /// Its declared inputs (plus the resource's, for REST).
    pub inputs: &'a [InputParameter],
    /// Inputs of the enclosing REST resource.
    pub resource_inputs: &'a [InputParameter],
    /// REST: the resource path.
    pub path: Option<&'a Text>,
    /// REST: the method.
    pub method: Option<Method>,
    /// Where it declares that it answers bytes (beta5: a REST response contract with binary
    /// content, an MCP resource with `binary: true`).
    pub binary: Option<&'a Loc>,
    /// Where it is.
    pub loc: &'a Loc,
}

/// Every unit of the document, in document order.
pub fn units(doc: &Document) -> Vec<Unit<'_>> {
    let mut out = Vec::new();
    let Some(cap) = &doc.capability else {
        return out;
    };
    for e in &cap.exposes {
        match e {
            Exposes::Rest(r) => {
                for res in &r.resources {
                    for op in &res.operations {
                        out.push(Unit {
                            kind: UnitKind::RestOperation,
                            namespace: r.namespace.as_ref(),
                            name: op.name.as_ref(),
                            invocation: &op.invocation,
                            inputs: &op.input_parameters,
                            resource_inputs: &res.input_parameters,
                            path: res.path.as_ref(),
                            method: Some(op.method.as_ref().map_or(Method::Get, |m| m.value)),
                            binary: op.binary_media_type().and_then(|_| {
                                op.response_binary
                                    .as_ref()
                                    .or(op.responses.as_ref())
                                    .map(|r| &r.loc)
                            }),
                            loc: &op.loc,
                        });
                    }
                }
            }
            Exposes::Mcp(m) => {
                for t in &m.tools {
                    out.push(Unit {
                        kind: UnitKind::McpTool,
                        namespace: m.namespace.as_ref(),
                        name: t.name.as_ref(),
                        invocation: &t.invocation,
                        inputs: &t.input_parameters,
                        resource_inputs: &[],
                        path: None,
                        method: None,
                        binary: None,
                        loc: &t.loc,
                    });
                }
                for r in &m.resources {
                    out.push(Unit {
                        kind: UnitKind::McpResource,
                        namespace: m.namespace.as_ref(),
                        name: r.name.as_ref(),
                        invocation: &r.invocation,
                        inputs: &[],
                        resource_inputs: &[],
                        path: r.uri.as_ref(),
                        method: None,
                        binary: r.binary.as_ref().filter(|b| b.value).map(|b| &b.loc),
                        loc: &r.loc,
                    });
                }
            }
            Exposes::Skill(_) | Exposes::Control(_) => {}
        }
    }
    for a in &cap.aggregates {
        for f in &a.functions {
            out.push(Unit {
                kind: UnitKind::Function,
                namespace: a.namespace.as_ref(),
                name: f.name.as_ref(),
                invocation: &f.invocation,
                inputs: &f.input_parameters,
                resource_inputs: &[],
                path: None,
                method: None,
                binary: None,
                loc: &f.loc,
            });
        }
    }
    out
}

/// Names of the path variables in a path: `{x}` and `{{x}}` both count.
pub fn path_variables(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        let inner = after.trim_start_matches('{');
        let Some(end) = inner.find('}') else { break };
        let name = inner[..end].trim();
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        rest = &inner[end..];
        rest = rest.trim_start_matches('}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::path_variables;

    #[test]
    fn both_brace_styles() {
        assert_eq!(path_variables("/a/{x}/b/{{y}}/{ z }"), vec!["x", "y", "z"]);
        assert!(path_variables("/plain").is_empty());
    }
}
