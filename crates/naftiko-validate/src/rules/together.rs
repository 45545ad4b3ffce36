//! Conflicts between files served together: exposes namespaces, routes on one address and
//! port, and exposes blocks of different types sharing a port.

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Consumes, ExposedResource, Exposes, Method, Text};
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

/// True when two listening addresses can collide (the same, or one is a wildcard). A block
/// without `address` listens on `127.0.0.1`.
fn same_address(a: Option<&Text>, b: Option<&Text>) -> bool {
    let norm = |t: Option<&Text>| match t.map(|t| t.value.as_str()) {
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
fn clashes(a: &Exposes, b: &Exposes) -> bool {
    let (Some(pa), Some(pb)) = (a.port(), b.port()) else {
        return false;
    };
    pa.value == pb.value
        && same_address(a.address(), b.address())
        && (a.kind() != b.kind() || a.kind() != "rest")
}

/// Runs the cross-file rules.
pub fn check(files: &[LoadedDocument], diags: &mut Vec<Diagnostic>) {
    let blocks: Vec<&Exposes> = files
        .iter()
        .filter_map(|f| f.document.as_ref())
        .flat_map(|d| d.capability.iter())
        .flat_map(|c| c.exposes.iter())
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
                    .with_hint("files run together need distinct namespaces"),
                );
            } else {
                seen.push((ns, &ns.loc));
            }
        }
    }
}

/// Ports: blocks of different types on one address and port cannot share a server.
fn check_ports(blocks: &[&Exposes], diags: &mut Vec<Diagnostic>) {
    for (i, a) in blocks.iter().enumerate() {
        // One diagnostic per block: the first earlier block it clashes with.
        for b in blocks[..i].iter().filter(|b| clashes(a, b)).take(1) {
            let (Some(pa), Some(pb)) = (a.port(), b.port()) else {
                continue;
            };
            let (ka, kb) = (a.kind(), b.kind());
            if ka != kb {
                diags.push(
                    Diagnostic::error(rule::PORT_CONFLICT, pa.loc.clone(), format!("port {} is also used by a {kb} exposes block at {}:{}; a {ka} block cannot share it", pa.value, pb.loc.file.display(), pb.loc.span.start.line))
                        .with_hint("give each adapter type its own port (or move one with `naftiko run --listen`)"),
                );
            } else if ka == "mcp" || ka == "skill" || ka == "control" {
                diags.push(Diagnostic::error(rule::ROUTE_CONFLICT, pa.loc.clone(), format!("port {} already serves the {kb} adapter at {}:{}; two {ka} adapters cannot share one port", pa.value, pb.loc.file.display(), pb.loc.span.start.line)));
            }
        }
    }
}

/// A route taken: the block that serves it, its key ([`route_key`]), its method and the
/// path as written.
type Route<'a> = (&'a Exposes, String, Method, &'a Text);

/// Routes: REST blocks on one address and port share a router.
fn check_routes(blocks: &[&Exposes], diags: &mut Vec<Diagnostic>) {
    let mut routes: Vec<Route<'_>> = Vec::new();
    for &b in blocks {
        let Exposes::Rest(r) = b else {
            continue;
        };
        for res in &r.resources {
            let Some(path) = &res.path else { continue };
            let key = route_key(&path.value);
            for m in resource_methods(res) {
                let clash = routes.iter().find(|(e, k, mm, _)| {
                    *k == key
                        && *mm == m
                        && e.port().map(|p| p.value) == b.port().map(|p| p.value)
                        && same_address(e.address(), b.address())
                });
                if let Some((_, _, _, first)) = clash {
                    diags.push(route_conflict(m, path, first));
                } else {
                    routes.push((b, key.clone(), m, path));
                }
            }
        }
    }
}

/// The methods an exposed resource answers: its operations' (GET when one names none),
/// or every method when it only forwards.
fn resource_methods(res: &ExposedResource) -> Vec<Method> {
    if res.operations.is_empty() && res.forward.is_some() {
        vec![
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Patch,
            Method::Delete,
        ]
    } else {
        res.operations
            .iter()
            .map(|o| o.method.as_ref().map_or(Method::Get, |m| m.value))
            .collect()
    }
}

/// The error for route `m path` taken already by the route written as `first`.
fn route_conflict(m: Method, path: &Text, first: &Text) -> Diagnostic {
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
    .with_hint("two routes that differ only in path-variable names are the same route")
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
