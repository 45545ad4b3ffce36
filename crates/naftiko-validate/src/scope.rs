//! What a document can call: the consumed APIs in its scope. Built by [`crate::workspace`]
//! while it resolves imports ([`crate::imports`]), read by the rules ([`crate::rules`])
//! and by the engine.

use std::path::Path;
use std::sync::Arc;

use naftiko_spec::model::{ConsumesHttp, ImportSection};

/// The consumed APIs a document can call: its own and the ones it imports, by namespace.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Namespace → API, for every `ConsumesHttp` the document declares or imports.
    pub consumes: Vec<(String, Arc<ConsumesHttp>)>,
    /// The other files the document's resolved imports come from (each once).
    pub sources: Vec<Arc<Path>>,
    /// The local names of imports that could not be resolved (already reported), by
    /// section: references to them are not reported again (one mistake, one diagnostic).
    pub unresolved: Vec<(ImportSection, String)>,
}

impl Scope {
    /// The consumed API with this namespace.
    pub fn api(&self, namespace: &str) -> Option<&ConsumesHttp> {
        self.consumes
            .iter()
            .find(|(n, _)| n == namespace)
            .map(|(_, c)| c.as_ref())
    }

    /// True when `name` is the local name of an import of `section` that could not be
    /// resolved.
    pub fn unresolved(&self, section: ImportSection, name: &str) -> bool {
        self.unresolved
            .iter()
            .any(|(s, n)| *s == section && n == name)
    }

    /// True when some import of `section` could not be resolved (so what it would have
    /// declared is unknown).
    pub fn any_unresolved(&self, section: ImportSection) -> bool {
        self.unresolved.iter().any(|(s, _)| *s == section)
    }
}
