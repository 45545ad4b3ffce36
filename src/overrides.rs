//! Namespaces named on the command line, checked against the capability files: a
//! `--listen` or `--base-uri` that names no block is a usage error (exit 2) listing the
//! namespaces that exist, and `--listen HOST:PORT` without a namespace moves the one block
//! that can listen when there is exactly one.

use naftiko_spec::model::{Consumes, Exposes};
use naftiko_validate::Validation;

/// The namespaces the files declare: exposes blocks that can be moved with `--listen`
/// (REST, MCP, skill), and consumed APIs.
pub(crate) struct Known {
    pub(crate) exposed: Vec<String>,
    pub(crate) consumed: Vec<String>,
}

impl Known {
    /// Collects them from every file of `v` (imports included).
    pub(crate) fn of(v: &Validation) -> Self {
        let mut known = Known {
            exposed: Vec::new(),
            consumed: Vec::new(),
        };
        for doc in v.files.iter().filter_map(|f| f.document.as_ref()) {
            let cap = doc.capability.as_ref();
            for e in cap.iter().flat_map(|c| c.exposes.iter()) {
                if let (false, Some(ns)) = (matches!(e, Exposes::Control(_)), e.namespace()) {
                    push_new(&mut known.exposed, &ns.value);
                }
            }
            let consumes = doc
                .consumes
                .iter()
                .chain(cap.iter().flat_map(|c| c.consumes.iter()));
            for c in consumes.filter(|c| matches!(c, Consumes::Http(_))) {
                if let Some(ns) = c.namespace() {
                    push_new(&mut known.consumed, &ns.value);
                }
            }
        }
        for (ns, _) in v.scopes.iter().flat_map(|s| s.consumes.iter()) {
            push_new(&mut known.consumed, ns);
        }
        known
    }

    /// The usage errors of `--listen` and `--base-uri` values naming no block; fills in
    /// the namespace of `--listen HOST:PORT` when one block can listen.
    pub(crate) fn resolve(
        &self,
        listens: &mut [(String, String, u16)],
        base_uris: &[(String, String)],
    ) -> Vec<String> {
        let mut usage = Vec::new();
        for (ns, host, port) in listens.iter_mut() {
            if ns.is_empty() {
                match self.exposed.as_slice() {
                    [only] => ns.clone_from(only),
                    _ => usage.push(format!(
                        "--listen `{host}:{port}`: {} exposes blocks can listen; name one: NAMESPACE=HOST:PORT ({})",
                        self.exposed.len(),
                        listing(&self.exposed)
                    )),
                }
            } else if !self.exposed.contains(ns) {
                usage.push(format!(
                    "--listen `{ns}={host}:{port}`: no exposes block `{ns}` ({})",
                    listing(&self.exposed)
                ));
            }
        }
        for (ns, url) in base_uris {
            if !self.consumed.contains(ns) {
                usage.push(format!(
                    "--base-uri `{ns}={url}`: no consumed API `{ns}` ({})",
                    listing(&self.consumed)
                ));
            }
        }
        usage
    }
}

fn push_new(list: &mut Vec<String>, ns: &str) {
    if !list.iter().any(|n| n == ns) {
        list.push(ns.to_owned());
    }
}

/// `known: `a`, `b`` (or `none are declared`).
fn listing(names: &[String]) -> String {
    if names.is_empty() {
        return "none are declared".to_owned();
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    format!("known: {}", quoted.join(", "))
}
