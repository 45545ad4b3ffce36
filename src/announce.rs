//! What `naftiko run` logs about what it serves, at start and after each reload: where
//! each listener listens and its routes, and what the build warns about and notes.

use naftiko_engine::Runtime;

/// Logs what the build warns about and notes.
pub(crate) fn build_findings(runtime: &Runtime) {
    for w in runtime.warnings() {
        tracing::warn!(target: "naftiko", "{w}");
    }
    for n in runtime.notes() {
        tracing::info!(target: "naftiko", "{n}");
    }
}

/// Logs where a listener listens and its routes.
pub(crate) fn listener(l: &naftiko_server::ListenerInfo) {
    let (addr, routes) = (l.local_addr, &l.routes);
    let endpoint = if l.kind == "mcp" {
        " [mcp at /mcp]"
    } else {
        ""
    };
    let scheme = if l.tls { "https" } else { "http" };
    let namespaces = l.namespaces.join(", ");
    tracing::info!(target: "naftiko", "listening on {scheme}://{addr} ({namespaces}){endpoint}");
    for r in routes {
        tracing::info!(target: "naftiko", "  route {r}");
    }
}
