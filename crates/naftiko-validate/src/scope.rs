//! What a document can call: the consumed APIs in its scope. Built by [`crate::workspace`]
//! while it resolves imports, read by the rules ([`crate::rules`]) and by the engine.

use std::sync::Arc;

use naftiko_spec::model::ConsumesHttp;

/// The consumed APIs a document can call: its own and the ones it imports, by namespace.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Namespace → API, for every `ConsumesHttp` the document declares or imports.
    pub consumes: Vec<(String, Arc<ConsumesHttp>)>,
}

impl Scope {
    /// The consumed API with this namespace.
    pub fn api(&self, namespace: &str) -> Option<&ConsumesHttp> {
        self.consumes
            .iter()
            .find(|(n, _)| n == namespace)
            .map(|(_, c)| c.as_ref())
    }
}
