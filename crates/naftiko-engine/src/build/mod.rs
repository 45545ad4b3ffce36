//! `Runtime::build`: the only step that touches the environment. It turns validated
//! capability files into an immutable, ready-to-serve [`Runtime`]: resolved bindings,
//! compiled templates and JSONPaths, one client per consumed API, and what each adapter
//! serves.
//!
//! One file per concern, each a step of [`Runtime::build`]:
//! - [`consumed`]: consumed APIs, their clients and authentication;
//! - [`operations`]: invocables (inputs, `with`, call/steps/ref/mock, outputs) and
//!   aggregate functions; [`script`]: script steps;
//! - [`rest`], [`mcp`], [`skill`], [`control`]: one per exposes kind ([`forward`]: the
//!   `forward` resources of REST blocks);
//! - [`overrides`]: command-line flags that name nothing served;
//! - [`binds`]: bound variables a template needs but the environment lacks.
//!
//! Their shared state is in [`state`]. A new exposes kind is a new file here and one arm
//! in `Builder::document`.

mod binds;
mod consumed;
mod control;
mod forward;
mod guard;
mod mcp;
mod operations;
mod options;
mod overrides;
mod rest;
mod script;
mod skill;
mod state;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use naftiko_spec::LoadedDocument;
use naftiko_spec::model::Exposes;
use naftiko_validate::{Scope, Validation};

use crate::bindings::BindTable;
use crate::error::{BuildError, BuildProblem};
use crate::runtime::Runtime;
use crate::scope::Names;
use crate::secrets::Secrets;
use crate::services::CapabilityInfo;
use state::{Builder, DocBuild, DocOps};

pub use options::BuildOptions;

impl Runtime {
    /// Builds every capability file of `validation` (which must have no errors).
    ///
    /// # Errors
    /// Every problem at once: missing bound variables a template needs, base URIs that are
    /// not URLs, `--base-uri`/`--listen` for unknown namespaces, unsupported formats, …
    pub fn build(validation: &Validation, options: &BuildOptions) -> Result<Runtime, BuildError> {
        Self::build_after(validation, options, None)
    }

    /// Builds the runtime that follows `previous` (a reload): as [`Runtime::build`], and it
    /// keeps `previous`'s metrics (counts go on) and, for each consumed API whose block,
    /// base URI, bound values and client settings did not change, its connection pool and
    /// OAuth 2.0 token cache.
    ///
    /// # Errors
    /// As [`Runtime::build`].
    pub fn build_next(
        validation: &Validation,
        options: &BuildOptions,
        previous: &Runtime,
    ) -> Result<Runtime, BuildError> {
        Self::build_after(validation, options, Some(previous))
    }

    fn build_after(
        validation: &Validation,
        options: &BuildOptions,
        previous: Option<&Runtime>,
    ) -> Result<Runtime, BuildError> {
        let mut b = Builder::new(options);
        if let Some(p) = previous {
            b.metrics = p.metrics.clone();
            b.previous = Some(&p.kept);
        }
        for (file, scope) in validation.files.iter().zip(&validation.scopes) {
            b.document(file, scope, &imported_texts(validation, scope));
        }
        overrides::check(&mut b);
        mcp::expose_rest_operations(&mut b);
        skill::expose_derived(&mut b);
        b.finish()
    }
}

impl<'o> Builder<'o> {
    fn new(options: &'o BuildOptions) -> Self {
        let mut b = Builder {
            options,
            secrets: Secrets::default(),
            metrics: Arc::new(crate::metrics::Metrics::default()),
            problems: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
            ops: Vec::new(),
            forwards: Vec::new(),
            services: Vec::new(),
            mcp: Vec::new(),
            rest_tools: Vec::new(),
            guarded_rest_tools: HashSet::new(),
            skills: Vec::new(),
            derived_skills: Vec::new(),
            control: control::from_options(options),
            capabilities: Vec::new(),
            known_consumed: HashSet::new(),
            known_exposed: HashSet::new(),
            previous: None,
            kept: HashMap::new(),
        };
        if let Some((address, port)) = &options.control {
            b.warn_if_open("control", "control", address, *port, false);
        }
        b
    }

    /// Builds one capability file: its bindings, consumed APIs, functions and every
    /// exposes block.
    fn document(&mut self, file: &LoadedDocument, scope: &Scope, imported: &[&str]) {
        let Some(doc) = &file.document else { return };
        // A shared file's root `consumes` are consumed namespaces too (`--base-uri` may name
        // them), even when the file exposes nothing.
        self.known_consumed
            .extend(scope.consumes.iter().map(|(ns, _)| ns.clone()));
        let Some(cap) = &doc.capability else { return };
        let script_stats = Arc::new(crate::script::ScriptStats::default());
        self.capabilities.push(CapabilityInfo {
            scripting: naftiko_validate::scripts::settings(doc).clone(),
            script_stats: Arc::clone(&script_stats),
            file: file.path.clone(),
            label: doc
                .info
                .as_ref()
                .and_then(|i| i.label.as_ref())
                .map(|l| l.value.clone()),
            naftiko: doc.naftiko.as_ref().map(|n| n.value.clone()),
            consumes: scope.consumes.iter().map(|(ns, _)| ns.clone()).collect(),
        });
        let mut binds =
            BindTable::resolve(doc, &file.path, self.options.env.as_ref(), &self.secrets);
        let texts: Vec<&str> = std::iter::once(&*file.text)
            .chain(imported.iter().copied())
            .collect();
        binds.add_environment_reads(&texts, self.options.env.as_ref(), &self.secrets, &doc.loc);
        let qualifiers = qualifiers(cap);
        let mut d = DocBuild {
            doc,
            path: &file.path,
            scope,
            names: Names {
                binds: &binds,
                qualifiers: &qualifiers,
                used: Default::default(),
            },
            binds_values: binds
                .entries
                .iter()
                .map(|e| e.value.as_ref().ok().cloned())
                .collect(),
            consumed: HashMap::new(),
            upstreams: HashMap::new(),
            streaming: crate::reqwest_client::LazyClient::streaming(&self.options.client),
            script_stats,
            unusable: Default::default(),
            functions: HashMap::new(),
        };
        consumed::build(self, &mut d);
        d.build_functions(&mut self.problems);
        let mut doc_ops = DocOps::default();
        for e in &cap.exposes {
            match e {
                Exposes::Rest(rest) => rest::build(self, &d, rest, &mut doc_ops),
                Exposes::Mcp(m) => mcp::build(self, &d, m, &mut doc_ops),
                Exposes::Skill(_) => {}
                Exposes::Control(c) => control::build(self, &d, c),
            }
        }
        for e in &cap.exposes {
            if let Exposes::Skill(sk) = e {
                skill::build(self, &d, sk, &doc_ops);
            }
        }
        skill::derive(self, &d, &doc_ops);
        binds::check_missing(self, &d, &binds);
    }

    /// The runtime, or every problem found.
    fn finish(mut self) -> Result<Runtime, BuildError> {
        if self.services.is_empty() && self.mcp.is_empty() && self.skills.is_empty() {
            self.problems.push(BuildProblem {
                loc: None,
                message: "nothing to serve: no capability exposes a REST or MCP API".to_owned(),
            });
        }
        if !self.problems.is_empty() {
            return Err(BuildError {
                problems: self.problems,
            });
        }
        let direct = self
            .ops
            .iter()
            .map(|(_, inv)| {
                (!self.options.general_only)
                    .then(|| crate::direct::DirectPlan::compile(inv))
                    .flatten()
            })
            .collect();
        Ok(Runtime {
            ops: self.ops,
            direct,
            services: self.services,
            forwards: self.forwards,
            mcp: self.mcp,
            skills: self.skills,
            control: self.control,
            capabilities: self.capabilities,
            rest_tools: self.rest_tools,
            warnings: self.warnings,
            notes: self.notes,
            secrets: self.secrets,
            metrics: self.metrics,
            kept: self.kept,
        })
    }
}

/// The text of every other file `file` imports from (consumed APIs, binds, exposes
/// blocks, aggregates: their templates are compiled with `file`'s binds).
fn imported_texts<'v>(validation: &'v Validation, scope: &Scope) -> Vec<&'v str> {
    scope
        .sources
        .iter()
        .filter_map(|source| validation.files.iter().find(|f| f.path == *source))
        .map(|f| &*f.text)
        .collect()
}

/// The names a template may use as qualifiers: the adapter names and the document's
/// exposes and aggregate namespaces.
fn qualifiers(cap: &naftiko_spec::model::Capability) -> HashSet<String> {
    let mut qualifiers: HashSet<String> = ["rest", "tools", "mcp", "skill"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    qualifiers.extend(
        cap.exposes
            .iter()
            .filter_map(|e| e.namespace().map(|n| n.value.clone())),
    );
    qualifiers.extend(
        cap.aggregates
            .iter()
            .filter_map(|a| a.namespace.as_ref().map(|n| n.value.clone())),
    );
    qualifiers
}
