//! Conflicts between files served together: exposes namespaces, routes on one address and
//! port, and exposes blocks of different types sharing a port. Blocks are checked where
//! they will listen: `naftiko run --listen NS=HOST:PORT` moves a block before its port and
//! routes are compared ([`Listens`]).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use naftiko_spec::diag::{Diagnostic, Severity, rule};
use naftiko_spec::model::{Consumes, ExposedOperation, ExposedResource, Exposes, Method, Text};
use naftiko_spec::{LoadedDocument, Loc};

/// Normalises a REST path for collision checks: `{x}` and `{{x}}` become `{}`, and a
/// trailing `/` is dropped.
pub fn route_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let inner = rest[start..].trim_start_matches('{');
        match inner.find('}') {
            Some(end) => {
                out.push_str("{}");
                rest = inner[end..].trim_start_matches('}');
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// `--listen` overrides: exposes namespace, host, port.
pub type Listens = [(String, String, u16)];

/// An exposes block where it will listen: its own `address`/`port`, or where `--listen`
/// moves it.
struct Placed<'a> {
    block: &'a Exposes,
    address: Option<String>,
    port: Option<u16>,
    /// Where to point a diagnostic about its port: the port, or the import entry of a
    /// block imported from another file.
    loc: Loc,
    /// Moved by `--listen`.
    moved: bool,
}

impl<'a> Placed<'a> {
    fn new(block: &'a Exposes, listens: &Listens) -> Self {
        let moved = block
            .namespace()
            .and_then(|ns| listens.iter().find(|(n, _, _)| *n == ns.value));
        // A block imported from another file is pointed at where it is imported (its
        // namespace is the import entry's `as` or `import`).
        let loc = match block.namespace() {
            Some(ns) if ns.loc.file != block.loc().file => ns.loc.clone(),
            _ => block
                .port()
                .map_or_else(|| block.loc().clone(), |p| p.loc.clone()),
        };
        match moved {
            Some((_, host, port)) => Placed {
                block,
                address: Some(host.clone()),
                port: Some(*port),
                loc,
                moved: true,
            },
            None => Placed {
                block,
                address: block.address().map(|a| a.value.clone()),
                port: block.port().map(|p| p.value),
                loc,
                moved: false,
            },
        }
    }

    /// Where it is, for a message: `FILE:LINE`, and `(moved by --listen)` when it was.
    fn at(&self) -> String {
        format!(
            "{}:{}{}",
            self.loc.file.display(),
            self.loc.span.start.line,
            if self.moved {
                " (moved by --listen)"
            } else {
                ""
            }
        )
    }

    /// True for two blocks with one namespace: `namespace-duplicate` reports them, and
    /// nothing else should (one mistake, one diagnostic).
    fn same_namespace(&self, other: &Placed<'_>) -> bool {
        !std::ptr::eq(self.block, other.block)
            && matches!((self.block.namespace(), other.block.namespace()), (Some(a), Some(b)) if a.value == b.value)
    }

    /// True when the two listen on the same port of addresses that can collide (port 0
    /// picks a free port, so it collides with nothing).
    fn shares_port(&self, other: &Placed<'_>) -> bool {
        matches!((self.port, other.port), (Some(a), Some(b)) if a == b && a != 0)
            && same_address(self.address.as_deref(), other.address.as_deref())
    }
}

/// True when two listening addresses can collide (the same, or one is a wildcard). A block
/// without `address` listens on `127.0.0.1`.
fn same_address(a: Option<&str>, b: Option<&str>) -> bool {
    let norm = |t: Option<&str>| match t {
        Some("0.0.0.0") | Some("::") => None,
        None | Some("localhost") => Some("127.0.0.1".to_string()),
        Some(other) => Some(other.to_ascii_lowercase()),
    };
    match (norm(a), norm(b)) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// True when two exposes blocks cannot both listen where they ask to.
fn clashes(a: &Placed<'_>, b: &Placed<'_>) -> bool {
    let (ka, kb) = (a.block.kind(), b.block.kind());
    a.shares_port(b) && (ka != kb || ka != "rest") && !a.same_namespace(b)
}

/// Runs the cross-file rules, with blocks placed where `listens` moves them.
pub fn check(files: &[LoadedDocument], listens: &Listens, diags: &mut Vec<Diagnostic>) {
    let blocks: Vec<Placed<'_>> = files
        .iter()
        .filter_map(|f| f.document.as_ref())
        .flat_map(|d| d.capability.iter())
        .flat_map(|c| c.exposes.iter())
        .map(|b| Placed::new(b, listens))
        .collect();
    check_namespaces(files, diags);
    check_ports(&blocks, diags);
    check_routes(&blocks, diags);
}

/// Namespaces of exposes blocks and inline consumes must be unique across files.
fn check_namespaces(files: &[LoadedDocument], diags: &mut Vec<Diagnostic>) {
    let mut seen: Vec<(&Text, &Loc)> = Vec::new();
    for f in files {
        let Some(doc) = &f.document else { continue };
        let Some(cap) = &doc.capability else { continue };
        let own: Vec<&Text> = cap
            .exposes
            .iter()
            .filter_map(Exposes::namespace)
            .chain(cap.consumes.iter().filter_map(|c| {
                if let Consumes::Http(h) = c {
                    h.namespace.as_ref()
                } else {
                    None
                }
            }))
            .collect();
        for ns in own {
            if let Some((first, _)) = seen
                .iter()
                .find(|(s, l)| s.value == ns.value && l.file != ns.loc.file)
            {
                diags.push(
                    Diagnostic::error(
                        rule::NAMESPACE_DUPLICATE,
                        ns.loc.clone(),
                        format!(
                            "namespace `{}` is also declared in {}:{}",
                            ns.value,
                            first.loc.file.display(),
                            first.loc.span.start.line
                        ),
                    )
                    .with_hint("files run together need distinct namespaces: rename one (`--listen` and `--base-uri` name blocks by namespace)"),
                );
            } else {
                seen.push((ns, &ns.loc));
            }
        }
    }
}

/// Ports: blocks of different types on one address and port cannot share a server.
fn check_ports(blocks: &[Placed<'_>], diags: &mut Vec<Diagnostic>) {
    for (i, a) in blocks.iter().enumerate() {
        // One diagnostic per block: the first earlier block it clashes with.
        let Some(b) = blocks[..i].iter().find(|b| clashes(a, b)) else {
            continue;
        };
        let port = a.port.unwrap_or_default();
        let (ka, kb) = (a.block.kind(), b.block.kind());
        if ka != kb {
            diags.push(
                Diagnostic::error(rule::PORT_CONFLICT, a.loc.clone(), format!("port {port} is also used by a {kb} exposes block at {}; a {ka} block cannot share it", b.at()))
                    .with_hint("give each adapter type its own port (or move one with `naftiko run --listen NAMESPACE=HOST:PORT`)"),
            );
        } else {
            diags.push(Diagnostic::error(rule::ROUTE_CONFLICT, a.loc.clone(), format!("port {port} already serves the {kb} adapter at {}; two {ka} adapters cannot share one port", b.at()))
                .with_hint("move one with `naftiko run --listen NAMESPACE=HOST:PORT`"));
        }
    }
}

/// A route taken: the block that serves it, its key ([`route_key`]), its method, the path
/// as written and the operation that takes it (none for a `forward`).
struct Route<'a> {
    block: &'a Placed<'a>,
    key: String,
    method: Method,
    path: &'a Text,
    op: Option<&'a ExposedOperation>,
}

impl Route<'_> {
    /// True when `other` takes the same method and path on the same listener.
    fn collides(&self, other: &Route<'_>) -> bool {
        self.key == other.key
            && self.method == other.method
            && self.block.port == other.block.port
            && same_address(
                self.block.address.as_deref(),
                other.block.address.as_deref(),
            )
            && !self.block.same_namespace(other.block)
    }
}

/// Routes: REST blocks on one address and port share a router. Two operations of one file
/// on one method and path are a warning (REST serves the first); across files, an error.
/// An operation whose `method` is already an error takes no route (one mistake, one
/// diagnostic).
fn check_routes<'a>(blocks: &'a [Placed<'a>], diags: &mut Vec<Diagnostic>) {
    let bad_methods: HashSet<(Arc<Path>, String)> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error && d.loc.pointer.to_string().ends_with("/method"))
        .map(|d| (d.loc.file.clone(), d.loc.pointer.to_string()))
        .collect();
    let mut routes: Vec<Route<'a>> = Vec::new();
    for b in blocks {
        let Exposes::Rest(r) = b.block else {
            continue;
        };
        for res in &r.resources {
            let Some(path) = &res.path else { continue };
            let key = route_key(&path.value);
            for (method, op) in resource_methods(res) {
                if op.is_some_and(|o| {
                    bad_methods.contains(&(o.loc.file.clone(), format!("{}/method", o.loc.pointer)))
                }) {
                    continue;
                }
                let route = Route {
                    block: b,
                    key: key.clone(),
                    method,
                    path,
                    op,
                };
                match routes.iter().find(|e| e.collides(&route)) {
                    Some(first) => diags.push(route_diagnostic(first, &route)),
                    None => routes.push(route),
                }
            }
        }
    }
}

/// The methods an exposed resource answers, each with its operation: its operations' (GET
/// when one names none), or every method when it only forwards.
fn resource_methods(res: &ExposedResource) -> Vec<(Method, Option<&ExposedOperation>)> {
    if res.operations.is_empty() && res.forward.is_some() {
        [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Patch,
            Method::Delete,
        ]
        .into_iter()
        .map(|m| (m, None))
        .collect()
    } else {
        res.operations
            .iter()
            .map(|o| (o.method.as_ref().map_or(Method::Get, |m| m.value), Some(o)))
            .collect()
    }
}

/// The diagnostic for `route`, whose method and path `first` took already: two operations
/// of one file are a `route-duplicate` warning naming both, anything else a
/// `route-conflict` error.
fn route_diagnostic(first: &Route<'_>, route: &Route<'_>) -> Diagnostic {
    match (first.op, route.op) {
        (Some(a), Some(b))
            if a.loc.file == b.loc.file && as_written(first.path) == as_written(route.path) =>
        {
            route_duplicate(route, a, b)
        }
        _ => route_conflict(
            route.method,
            route.path,
            first.path,
            !std::ptr::eq(first.block, route.block),
        ),
    }
}

/// A path as written, up to brace style and a trailing `/` (`/a/{{x}}/` is `/a/{x}`): two
/// resources of one file with the same variable names are one path; with different names,
/// one of them would read the other's variables (`route-conflict`).
fn as_written(path: &Text) -> String {
    let p = path.value.replace("{{", "{").replace("}}", "}");
    match p.strip_suffix('/') {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => p,
    }
}

/// `name` (line N) of an operation.
fn describe(op: &ExposedOperation) -> String {
    let line = op.loc.span.start.line;
    match &op.name {
        Some(n) => format!("operation `{}` (line {line})", n.value),
        None => format!("the operation at line {line}"),
    }
}

/// The warning for operation `second` taking the method and path of `first`, in one file.
fn route_duplicate(
    route: &Route<'_>,
    first: &ExposedOperation,
    second: &ExposedOperation,
) -> Diagnostic {
    let loc = second
        .method
        .as_ref()
        .map_or_else(|| second.loc.clone(), |m| m.loc.clone());
    let name = |o: &ExposedOperation| {
        o.name
            .as_ref()
            .map_or_else(|| "the first".to_owned(), |n| format!("`{}`", n.value))
    };
    Diagnostic::deviation(
        rule::ROUTE_DUPLICATE,
        loc,
        format!(
            "`{} {}`: {} has the method and path of {}; REST serves {}, both stay MCP tools",
            route.method.as_str(),
            route.path.value,
            describe(second),
            describe(first),
            name(first),
        ),
    )
    .with_hint(
        "give one its own path or method (e.g. a path variable, or a query input on the first)",
    )
}

/// The error for route `m path` taken already by the route written as `first` (in another
/// exposes block when `other_block`).
fn route_conflict(m: Method, path: &Text, first: &Text, other_block: bool) -> Diagnostic {
    let hint = if other_block {
        "two routes that differ only in path-variable names are the same route; serve the blocks on different ports (`naftiko run --listen NAMESPACE=HOST:PORT`)"
    } else {
        "two routes that differ only in path-variable names are the same route"
    };
    Diagnostic::error(
        rule::ROUTE_CONFLICT,
        path.loc.clone(),
        format!(
            "`{} {}` collides with `{}` at {}:{} on the same address and port",
            m.as_str(),
            path.value,
            first.value,
            first.loc.file.display(),
            first.loc.span.start.line
        ),
    )
    .with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::route_key;

    #[test]
    fn route_keys_ignore_variable_names_and_brace_style() {
        assert_eq!(route_key("/a/{x}/b"), route_key("/a/{{y}}/b"));
        assert_eq!(route_key("/a/"), "/a");
        assert_ne!(route_key("/a/{x}"), route_key("/a/b"));
    }
}
