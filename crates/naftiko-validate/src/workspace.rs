//! The set of files validated (or run) together: discovery, loading, imports, and the
//! order in which checks run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use naftiko_spec::diag::{Diagnostic, Severity, rule};
use naftiko_spec::{LoadedDocument, load_file};

pub use crate::imports::import_path;
use crate::imports::{self, Imports};
use crate::parallel::par_map;
use crate::rules;
use crate::rules::together::Listens;
use crate::scope::Scope;

/// How to validate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Report constructs outside the official schema as errors (`--strict`).
    pub strict: bool,
    /// Skip a named file that is YAML without a `naftiko` or `ikanos` key, as a directory
    /// scan does (`--capabilities-only`, for hooks given every changed YAML file).
    pub capabilities_only: bool,
}

/// The outcome of validating a set of paths.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Every capability file checked, in path order (imported files that were not among
    /// the given paths come after them). Each file's own diagnostics have moved into
    /// [`Validation::diagnostics`], so its `diagnostics` list is empty.
    pub files: Vec<LoadedDocument>,
    /// Every diagnostic, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// Paths that could not be used at all (missing, not a file or directory): a usage
    /// error, exit status 2.
    pub path_errors: Vec<String>,
    /// The consumed APIs each given file can call (its own and its imports), aligned with
    /// the first `scopes.len()` entries of [`Validation::files`].
    pub scopes: Vec<Scope>,
}

impl Validation {
    /// Number of diagnostics of the given severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
    /// True when there is at least one error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
    /// The text of every file, for renderers.
    pub fn sources(&self) -> HashMap<PathBuf, Arc<str>> {
        self.files
            .iter()
            .map(|f| (f.path.to_path_buf(), f.text.clone()))
            .collect()
    }
}

/// True for `*.yaml` and `*.yml` files.
fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Collects YAML files below `dir` (sorted, hidden directories skipped).
fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(format!("{}: cannot read directory: {e}", dir.display()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out, errors);
        } else if is_yaml(&p) {
            out.push(p);
        }
    }
}

/// Loads, checks and cross-checks every capability file under `paths`.
///
/// A path that is a file is always checked; a directory contributes the `*.yaml`/`*.yml`
/// files below it that have a top-level `naftiko` key. Files imported by those are loaded
/// too (their problems are reported once).
pub fn validate_paths(paths: &[PathBuf], options: &Options) -> Validation {
    validate_paths_at(paths, options, &[])
}

/// [`validate_paths`] for `naftiko run`: ports and routes are compared where `listens`
/// (`--listen NAMESPACE=HOST:PORT`) moves the exposes blocks.
pub fn validate_paths_at(paths: &[PathBuf], options: &Options, listens: &Listens) -> Validation {
    let mut v = Validation::default();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found, &mut v.path_errors);
            let before = files.len();
            for doc in load_all(&found) {
                // Unreadable files in a directory scan are reported only if they look like ours.
                if doc.has_naftiko_key()
                    || (!doc.parsed
                        && doc.diagnostics.iter().any(|d| d.rule == rule::YAML_SYNTAX)
                        && (doc.text.contains("naftiko:") || doc.text.contains("ikanos:")))
                {
                    files.push(doc);
                }
            }
            if files.len() == before {
                v.path_errors.push(format!(
                    "{}: no capability files found (*.yaml or *.yml with a top-level `naftiko` key)",
                    path.display()
                ));
            }
        } else if path.exists() {
            let doc = load_file(path);
            if options.capabilities_only && doc.parsed && !doc.has_naftiko_key() {
                continue;
            }
            files.push(doc);
        } else {
            v.path_errors
                .push(format!("{}: no such file or directory", path.display()));
        }
    }
    validate_loaded_at(files, options, listens, v)
}

/// Checks already-loaded files (used by tests).
pub fn validate_loaded(files: Vec<LoadedDocument>, options: &Options, v: Validation) -> Validation {
    validate_loaded_at(files, options, &[], v)
}

/// Checks already-loaded files, with exposes blocks placed where `listens` moves them.
fn validate_loaded_at(
    mut files: Vec<LoadedDocument>,
    options: &Options,
    listens: &Listens,
    mut v: Validation,
) -> Validation {
    let mut imports = Imports::new(&files);
    let mut diagnostics: Vec<Diagnostic> =
        Vec::with_capacity(files.iter().map(|f| f.diagnostics.len()).sum());
    let mut scopes = Vec::new();
    let mut placements = Vec::new();
    for f in &mut files {
        diagnostics.append(&mut f.diagnostics);
    }
    for f in &files {
        let (scope, placed) = match &f.document {
            Some(doc) => imports.resolve(&files, &f.path, doc, &mut diagnostics),
            None => Default::default(),
        };
        scopes.push(scope);
        placements.push(placed);
    }
    // Only once every import is resolved: an entry copied into one file is not one another
    // file could import from it (imports are not transitive).
    for (f, placed) in files.iter_mut().zip(placements) {
        if let Some(doc) = &mut f.document {
            imports::materialize(doc, placed);
        }
    }
    let mut extra = imports.extra;
    diagnostics.extend(check_documents(&files, &scopes));
    rules::check_together(&files, listens, &mut diagnostics);
    // A file imported but not a capability or shared file (no `ikanos`/`naftiko` key) is
    // reported once, at the import entry that names it.
    for e in extra.iter_mut().filter(|e| e.has_naftiko_key()) {
        diagnostics.append(&mut e.diagnostics);
    }
    drop_misspelling_cascades(&mut diagnostics);
    if options.strict {
        diagnostics.iter_mut().for_each(Diagnostic::apply_strict);
    }
    sort_diagnostics(&mut diagnostics);
    diagnostics.dedup();
    v.files = files;
    v.files.extend(extra);
    v.scopes = scopes;
    v.diagnostics = diagnostics;
    v
}

/// The rules that report a key missing from a mapping (at the mapping, naming the key).
const MISSING_KEY_RULES: &[&str] = &[
    rule::REQUIRED_FIELD,
    rule::IKANOS_EXPOSES_NAMESPACE_REQUIRED,
    rule::IKANOS_AGGREGATES_NAMESPACE_REQUIRED,
    rule::IKANOS_IMPORT_FROM_REQUIRED,
    rule::IKANOS_IMPORT_IMPORT_REQUIRED,
];

/// One mistake, one diagnostic: a key misspelt where a required one was expected
/// (`capabilty`) is an `unknown-key` error saying "did you mean `capability`?", so the
/// error of the same mapping about that missing key (`required-field`, or a beta5 rule
/// that requires it) goes.
fn drop_misspelling_cascades(diagnostics: &mut Vec<Diagnostic>) {
    let meant: Vec<(Arc<Path>, String, String)> = diagnostics
        .iter()
        .filter(|d| d.rule == rule::UNKNOWN_KEY && d.severity == Severity::Error)
        .filter_map(|d| {
            let key = d
                .message
                .split("did you mean `")
                .nth(1)?
                .split('`')
                .next()?;
            let pointer = d.loc.pointer.to_string();
            let parent = pointer.rsplit_once('/').map_or("", |(p, _)| p).to_owned();
            Some((d.loc.file.clone(), parent, format!("`{key}`")))
        })
        .collect();
    if meant.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        !MISSING_KEY_RULES.contains(&d.rule)
            || !meant.iter().any(|(file, parent, key)| {
                *file == d.loc.file
                    && d.loc.pointer.to_string() == *parent
                    && d.message.contains(key.as_str())
            })
    });
}

/// Runs the per-document rules on every file, spread over the available cores (each
/// document is checked on its own; cross-file rules run elsewhere).
fn check_documents(files: &[LoadedDocument], scopes: &[Scope]) -> Vec<Diagnostic> {
    let pairs: Vec<(&LoadedDocument, &Scope)> = files.iter().zip(scopes).collect();
    par_map(&pairs, 8, |(f, scope)| {
        let mut diags = Vec::new();
        if let Some(doc) = &f.document {
            rules::check_document(doc, scope, &mut diags);
        }
        diags
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Sorts diagnostics by file, then position, then rule, keeping the order of equal ones.
///
/// Files are ranked once up front: comparing `Path`s component by component in every
/// comparison of a large report costs more than the rest of the sort.
fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    let mut names: Vec<Arc<Path>> = Vec::new();
    for d in diagnostics.iter() {
        if names
            .last()
            .is_none_or(|last| !Arc::ptr_eq(last, &d.loc.file))
        {
            names.push(d.loc.file.clone());
        }
    }
    names.sort();
    names.dedup();
    let rank = |file: &Path| {
        names
            .binary_search_by(|n| n.as_ref().cmp(file))
            .unwrap_or(0)
    };
    let mut last: Option<(Arc<Path>, usize)> = None;
    let mut keyed: Vec<(usize, Diagnostic)> = Vec::with_capacity(diagnostics.len());
    for d in diagnostics.drain(..) {
        let r = match &last {
            Some((file, r)) if Arc::ptr_eq(file, &d.loc.file) => *r,
            _ => {
                let r = rank(&d.loc.file);
                last = Some((d.loc.file.clone(), r));
                r
            }
        };
        keyed.push((r, d));
    }
    keyed.sort_by(|(ra, a), (rb, b)| {
        (ra, a.loc.span.start, a.rule).cmp(&(rb, b.loc.span.start, b.rule))
    });
    diagnostics.extend(keyed.into_iter().map(|(_, d)| d));
}

/// Loads every file, in order, spreading the work over the available cores (reading and
/// parsing YAML is most of `naftiko validate`'s time on a directory).
fn load_all(paths: &[PathBuf]) -> Vec<LoadedDocument> {
    par_map(paths, 8, |p| load_file(p))
}
