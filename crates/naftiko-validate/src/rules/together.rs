//! Conflicts between files served together: exposes namespaces, routes on one address and
//! port, and exposes blocks of different types sharing a port.

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Consumes, Exposes, Method, Text};
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

/// True when two listening addresses can collide (the same, or one is a wildcard).
fn same_address(a: Option<&Text>, b: Option<&Text>) -> bool {
    let norm = |t: Option<&Text>| match t.map(|t| t.value.as_str()) {
        None | Some("0.0.0.0") | Some("::") => None,
        Some("localhost") => Some("127.0.0.1".to_string()),
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
    struct Block<'a> {
        exposes: &'a Exposes,
    }
    let blocks: Vec<Block<'_>> = files
        .iter()
        .filter_map(|f| f.document.as_ref())
        .flat_map(|d| d.capability.iter())
        .flat_map(|c| c.exposes.iter())
        .map(|exposes| Block { exposes })
        .collect();

    // Namespaces of exposes blocks and inline consumes must be unique across files.
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

    // Ports: blocks of different types on one address and port cannot share a server.
    for (i, a) in blocks.iter().enumerate() {
        // One diagnostic per block: the first earlier block it clashes with.
        for b in blocks[..i]
            .iter()
            .filter(|b| clashes(a.exposes, b.exposes))
            .take(1)
        {
            let (Some(pa), Some(pb)) = (a.exposes.port(), b.exposes.port()) else {
                continue;
            };
            let (ka, kb) = (a.exposes.kind(), b.exposes.kind());
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

    // Routes: REST blocks on one address and port share a router.
    let mut routes: Vec<(&Exposes, String, Method, &Text)> = Vec::new();
    for b in &blocks {
        let Exposes::Rest(r) = b.exposes else {
            continue;
        };
        for res in &r.resources {
            let Some(path) = &res.path else { continue };
            let key = route_key(&path.value);
            let methods: Vec<Method> = if res.operations.is_empty() && res.forward.is_some() {
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
            };
            for m in methods {
                let clash = routes.iter().find(|(e, k, mm, _)| {
                    *k == key
                        && *mm == m
                        && e.port().map(|p| p.value) == b.exposes.port().map(|p| p.value)
                        && same_address(e.address(), b.exposes.address())
                });
                if let Some((_, _, _, first)) = clash {
                    diags.push(
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
                        .with_hint(
                            "two routes that differ only in path-variable names are the same route",
                        ),
                    );
                } else {
                    routes.push((b.exposes, key.clone(), m, path));
                }
            }
        }
    }
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
