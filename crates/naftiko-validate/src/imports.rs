//! Imports: resolving the `{from, import, as}` entries of `consumes`, `binds`, `exposes`
//! and `aggregates` (alpha2: `{location, import, as}`, consumes only), as the reference
//! engine does (`io.ikanos.engine.imports`): the `from` file is read relative to the
//! importing file (once, however many entries import from it), the entry of the section
//! whose `namespace` is `import` is taken from its root section or its `capability`, and
//! `as` renames it. Only entries the source file declares inline can be imported (the
//! schema: "transitive imports are not supported").
//!
//! Imported consumed APIs join the importer's [`Scope`]; imported binds, exposes blocks and
//! aggregates are copied into the importer's document where the import entry stands
//! ([`materialize`]), so that every rule and the engine see them as if written inline.
//! Each import that cannot be resolved is one diagnostic at its entry, and its local name
//! is recorded as unresolved so that references to it are not reported again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{
    Aggregate, Binding, Consumes, ConsumesHttp, Document, Exposes, ImportRef, ImportSection, Spec,
    Text,
};
use naftiko_spec::{LoadedDocument, load_file};

use crate::scope::Scope;

/// Where an import's `from` (`location`) points, relative to the importing file.
pub fn import_path(importer: &Path, location: &str) -> PathBuf {
    let base = importer.parent().unwrap_or(Path::new("."));
    let stripped = location.strip_prefix("file://").unwrap_or(location);
    if location.starts_with("file:///") && !location.starts_with("file:///./") {
        PathBuf::from(stripped)
    } else {
        base.join(stripped.trim_start_matches("/./").trim_start_matches("./"))
    }
}

/// A path with links and `..` resolved, when it exists (so one file is loaded once).
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// The files an import may name: those being validated, and those loaded only because
/// something imports them (`extra`).
pub(crate) struct Imports {
    /// Canonical path → where the loaded file is kept.
    known: HashMap<PathBuf, Known>,
    /// Files loaded only because something imports them.
    pub(crate) extra: Vec<LoadedDocument>,
}

/// Where a file is kept.
#[derive(Clone, Copy)]
enum Known {
    File(usize),
    Extra(usize),
}

/// An entry taken from another file, renamed to its local name.
#[derive(Debug, Clone)]
enum Taken {
    Consumes(Arc<ConsumesHttp>),
    Bind(Binding),
    Exposes(Box<Exposes>),
    Aggregate(Aggregate),
}

/// An entry declared inline in a source file.
#[derive(Clone, Copy)]
enum Entry<'d> {
    Consumes(&'d Arc<ConsumesHttp>),
    Bind(&'d Binding),
    Exposes(&'d Exposes),
    Aggregate(&'d Aggregate),
}

impl Entry<'_> {
    /// A copy of the entry named `name` (how `as` renames it; without `as`, `name` is the
    /// `import` field, so the namespace points at the import entry of the importer).
    fn taken(self, name: &Text) -> Taken {
        match self {
            Entry::Consumes(api) => Taken::Consumes(Arc::clone(api)),
            Entry::Bind(b) => Taken::Bind(Binding {
                namespace: Some(name.clone()),
                ..b.clone()
            }),
            Entry::Exposes(e) => {
                let mut e = Box::new(e.clone());
                e.rename(name.clone());
                Taken::Exposes(e)
            }
            Entry::Aggregate(a) => Taken::Aggregate(Aggregate {
                namespace: Some(name.clone()),
                ..a.clone()
            }),
        }
    }
}

/// An imported bind, exposes block or aggregate, and where it goes in the importer.
#[derive(Debug)]
pub(crate) struct Placement {
    in_capability: bool,
    position: usize,
    taken: Taken,
}

/// The entries `doc` declares inline in `section`, at its root then under `capability`,
/// with their namespaces.
fn declared(doc: &Document, section: ImportSection) -> Vec<(&Text, Entry<'_>)> {
    let cap = doc.capability.as_ref();
    match section {
        ImportSection::Consumes => doc
            .consumes
            .iter()
            .chain(cap.into_iter().flat_map(|c| c.consumes.iter()))
            .filter_map(|c| match c {
                Consumes::Http(h) => h.namespace.as_ref().map(|n| (n, Entry::Consumes(h))),
                Consumes::Import(_) => None,
            })
            .collect(),
        ImportSection::Binds => doc
            .binds
            .iter()
            .chain(cap.into_iter().flat_map(|c| c.binds.iter()))
            .filter_map(|b| b.namespace.as_ref().map(|n| (n, Entry::Bind(b))))
            .collect(),
        ImportSection::Exposes => doc
            .exposes
            .iter()
            .chain(cap.into_iter().flat_map(|c| c.exposes.iter()))
            .filter_map(|e| e.namespace().map(|n| (n, Entry::Exposes(e))))
            .collect(),
        ImportSection::Aggregates => doc
            .aggregates
            .iter()
            .chain(cap.into_iter().flat_map(|c| c.aggregates.iter()))
            .filter_map(|a| a.namespace.as_ref().map(|n| (n, Entry::Aggregate(a))))
            .collect(),
    }
}

const SECTIONS: [ImportSection; 4] = [
    ImportSection::Consumes,
    ImportSection::Binds,
    ImportSection::Exposes,
    ImportSection::Aggregates,
];

impl Imports {
    /// Imports among `files` (the files being validated).
    pub(crate) fn new(files: &[LoadedDocument]) -> Self {
        let known = files
            .iter()
            .enumerate()
            .map(|(i, f)| (canonical(&f.path), Known::File(i)))
            .collect();
        Imports {
            known,
            extra: Vec::new(),
        }
    }

    /// Resolves every import of `doc` (read from `path`): the consumed APIs it can call
    /// (its scope), and the imported binds, exposes blocks and aggregates to put in it.
    /// A beta5 shared file (no `capability`) may not import (`ikanos-standalone-no-imports`
    /// says so), so its imports are not resolved.
    pub(crate) fn resolve(
        &mut self,
        files: &[LoadedDocument],
        path: &Path,
        doc: &Document,
        diags: &mut Vec<Diagnostic>,
    ) -> (Scope, Vec<Placement>) {
        let mut scope = Scope::default();
        for (ns, entry) in declared(doc, ImportSection::Consumes) {
            if let Entry::Consumes(api) = entry {
                scope.consumes.push((ns.value.clone(), Arc::clone(api)));
            }
        }
        let mut placements = Vec::new();
        let standalone = doc.spec == Spec::Beta5 && doc.capability.is_none();
        for i in doc.import_entries() {
            let Some(name) = i.entry.local_name() else {
                continue;
            };
            let target = named(doc.spec, &i).filter(|_| !standalone);
            let taken = target.and_then(|(from, wanted)| {
                let found = self.take(files, path, &i, (from, wanted, name));
                found.map_err(|d| diags.push(*d)).ok()
            });
            let Some((taken, source)) = taken else {
                scope.unresolved.push((i.section, name.value.clone()));
                continue;
            };
            if !scope.sources.contains(&source) {
                scope.sources.push(source);
            }
            match taken {
                Taken::Consumes(api) => scope.consumes.push((name.value.clone(), api)),
                taken => placements.push(Placement {
                    in_capability: i.in_capability,
                    position: i.position,
                    taken,
                }),
            }
        }
        (scope, placements)
    }

    /// The entry an import names (`from`, `wanted`), renamed `name`, and the file it comes
    /// from; or the one diagnostic that says why it cannot be imported.
    fn take(
        &mut self,
        files: &[LoadedDocument],
        importer: &Path,
        i: &ImportRef<'_>,
        (from, wanted, name): (&Text, &Text, &Text),
    ) -> Result<(Taken, Arc<Path>), Box<Diagnostic>> {
        let source_path = import_path(importer, &from.value);
        let key = canonical(&source_path);
        if key == canonical(importer) {
            return Err(Box::new(
                Diagnostic::error(
                    rule::IMPORT_CYCLE,
                    from.loc.clone(),
                    format!(
                        "`{}` is this file itself: a file cannot import from itself",
                        from.value
                    ),
                )
                .with_hint(format!(
                    "write the {} inline, or import it from the file that declares it",
                    i.section.entry_name()
                )),
            ));
        }
        let source = self.load(files, &source_path, key, from)?;
        let doc = source_document(source, from)?;
        let found = declared(doc, i.section)
            .into_iter()
            .find(|(n, _)| n.value == wanted.value);
        match found {
            Some((_, entry)) => Ok((entry.taken(name), source.path.clone())),
            None => Err(Box::new(missing_entry(
                source, doc, importer, i, from, wanted,
            ))),
        }
    }

    /// The file `path` (canonical `key`), loaded once; an error at `from` when there is no
    /// such file.
    fn load<'s>(
        &'s mut self,
        files: &'s [LoadedDocument],
        path: &Path,
        key: PathBuf,
        from: &Text,
    ) -> Result<&'s LoadedDocument, Box<Diagnostic>> {
        if !self.known.contains_key(&key) {
            if !path.is_file() {
                return Err(Box::new(
                    Diagnostic::error(
                        rule::IMPORT_NOT_FOUND,
                        from.loc.clone(),
                        format!(
                            "imported file `{}` not found (looked for {})",
                            from.value,
                            path.display()
                        ),
                    )
                    .with_hint("the path is resolved relative to the importing file"),
                ));
            }
            self.known
                .insert(key.clone(), Known::Extra(self.extra.len()));
            self.extra.push(load_file(path));
        }
        let found = match self.known.get(&key) {
            Some(Known::File(i)) => files.get(*i),
            Some(Known::Extra(i)) => self.extra.get(*i),
            None => None,
        };
        found.ok_or_else(|| {
            Box::new(not_found(
                from.loc.clone(),
                format!("imported file `{}` could not be loaded", from.value),
            ))
        })
    }
}

/// The file and entry an import names, when it can be looked for: both are given, and
/// (beta5) `from` is not `.` (`ikanos-import-from-not-self` reports that).
fn named<'i>(spec: Spec, i: &ImportRef<'i>) -> Option<(&'i Text, &'i Text)> {
    let from = i.entry.location.as_ref()?;
    let wanted = i.entry.import.as_ref()?;
    (spec == Spec::Alpha2 || from.value.trim() != ".").then_some((from, wanted))
}

fn not_found(loc: naftiko_spec::Loc, message: String) -> Diagnostic {
    Diagnostic::error(rule::IMPORT_NOT_FOUND, loc, message)
}

/// The document of an imported file; an error at `from` when the file is not a capability
/// or shared file naftiko reads (its own diagnostics are then not reported: this one
/// says it).
fn source_document<'s>(
    source: &'s LoadedDocument,
    from: &Text,
) -> Result<&'s Document, Box<Diagnostic>> {
    if let Some(doc) = source
        .document
        .as_ref()
        .filter(|_| source.has_naftiko_key())
    {
        return Ok(doc);
    }
    let why = if source.has_naftiko_key() {
        "its version is not one naftiko reads".to_string()
    } else if let Some(d) = source.diagnostics.iter().find(|_| !source.parsed) {
        format!("line {}: {}", d.loc.span.start.line, d.message)
    } else {
        "it has no `ikanos` (or `naftiko`) key: it is not a capability or shared file".to_string()
    };
    Err(Box::new(not_found(
        from.loc.clone(),
        format!("imported file `{}` cannot be read ({why})", from.value),
    )))
}

/// Why `source` has no inline entry `wanted` in the import's section: it only imports it
/// itself (a cycle when from the importer, else a transitive import), it declares it in
/// another section, or not at all.
fn missing_entry(
    source: &LoadedDocument,
    doc: &Document,
    importer: &Path,
    i: &ImportRef<'_>,
    from: &Text,
    wanted: &Text,
) -> Diagnostic {
    let what = i.section.entry_name();
    let reimported = doc.import_entries().into_iter().find(|e| {
        e.section == i.section
            && e.entry
                .local_name()
                .is_some_and(|n| n.value == wanted.value)
    });
    if let Some(further) = reimported.and_then(|e| e.entry.location.as_ref()) {
        let next = canonical(&import_path(&source.path, &further.value));
        if next == canonical(importer) {
            return Diagnostic::error(
                rule::IMPORT_CYCLE,
                wanted.loc.clone(),
                format!(
                    "import cycle: `{}` imports the {what} `{}` from this file, which imports it from there",
                    from.value, wanted.value
                ),
            )
            .with_hint(format!("declare the {what} inline in one of the two files"));
        }
        return not_found(
            wanted.loc.clone(),
            format!(
                "`{}` only imports the {what} `{}` (from `{}`); transitive imports are not supported",
                from.value, wanted.value, further.value
            ),
        )
        .with_hint("import it from the file that declares it");
    }
    if let Some(other) = SECTIONS.iter().find(|s| {
        **s != i.section
            && declared(doc, **s)
                .iter()
                .any(|(n, _)| n.value == wanted.value)
    }) {
        return not_found(
            wanted.loc.clone(),
            format!(
                "`{}` declares `{}` under `{}`, not under `{}`",
                from.value,
                wanted.value,
                other.key(),
                i.section.key()
            ),
        )
        .with_hint(format!("import it under `{}`", other.key()));
    }
    let available: Vec<String> = declared(doc, i.section)
        .iter()
        .map(|(n, _)| format!("`{}`", n.value))
        .collect();
    let hint = if available.is_empty() {
        format!("the file declares no {what} with a namespace")
    } else {
        format!("it declares {}", available.join(", "))
    };
    not_found(
        wanted.loc.clone(),
        format!("`{}` declares no {what} `{}`", from.value, wanted.value),
    )
    .with_hint(hint)
}

/// Puts the imported binds, exposes blocks and aggregates into `doc`, each where its import
/// entry stands among the inline entries of its section.
pub(crate) fn materialize(doc: &mut Document, placements: Vec<Placement>) {
    let mut inserted: HashMap<(bool, &'static str), usize> = HashMap::new();
    for p in placements {
        let section = match &p.taken {
            Taken::Bind(_) => "binds",
            Taken::Exposes(_) => "exposes",
            Taken::Aggregate(_) => "aggregates",
            Taken::Consumes(_) => continue,
        };
        let before = inserted.entry((p.in_capability, section)).or_insert(0);
        let at = p.position + *before;
        *before += 1;
        let cap = doc.capability.as_mut().filter(|_| p.in_capability);
        match (p.taken, cap) {
            (Taken::Bind(b), Some(c)) => insert(&mut c.binds, at, b),
            (Taken::Bind(b), None) => insert(&mut doc.binds, at, b),
            (Taken::Exposes(e), Some(c)) => insert(&mut c.exposes, at, *e),
            (Taken::Exposes(e), None) => insert(&mut doc.exposes, at, *e),
            (Taken::Aggregate(a), Some(c)) => insert(&mut c.aggregates, at, a),
            (Taken::Aggregate(a), None) => insert(&mut doc.aggregates, at, a),
            (Taken::Consumes(_), _) => {}
        }
    }
}

fn insert<T>(list: &mut Vec<T>, at: usize, item: T) {
    list.insert(at.min(list.len()), item);
}
