//! Import entries: a consumed API imported from another file (`{location, import, as}` in
//! alpha2, `{from, import, as}` in beta5), and beta5's imports of binds, exposes blocks
//! and aggregates (`{from, import, as}`). Reading only records them; validation resolves
//! them (`naftiko-validate`'s `imports` module).
//!
//! In beta5 documents a missing (or empty) `from` or `import` is reported under the beta5
//! ruleset's own ids, `ikanos-import-import-required` and `ikanos-import-from-required`,
//! instead of `required-field` (one mistake, one diagnostic).

use super::reader::{Cx, Need, Obj};
use crate::diag::{Diagnostic, rule};
use crate::model::{ImportEntry, ImportSection, ImportedConsumes, Text};
use crate::span::Pointer;
use crate::yaml::Node;

/// True when `node` is an import entry rather than an inline declaration.
pub(super) fn is_import(cx: &Cx<'_>, node: &Node) -> bool {
    let source = if cx.beta5() { "from" } else { "location" };
    node.get(source).is_some() || node.get("import").is_some()
}

/// Reads an import entry's fields: the source file (`location` in alpha2, `from` in
/// beta5), the imported namespace, its local alias and a description.
pub(super) fn read_import(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    what: &'static str,
) -> Option<ImportedConsumes> {
    let mut o = cx.obj(node, ptr, what)?;
    let source = if cx.beta5() { "from" } else { "location" };
    let location = required(cx, &mut o, source);
    let import = required(cx, &mut o, "import");
    let alias = o.text(cx, "as");
    for (field, v) in [("import", &import), ("as", &alias)] {
        if let Some(v) = v {
            cx.pattern(
                v,
                field,
                super::reader::formats::kebab(v),
                "letters, digits and `-`",
            );
        }
    }
    let description = o.text(cx, "description");
    let loc = o.loc(cx);
    o.finish(cx);
    Some(ImportedConsumes {
        location,
        import,
        alias,
        description,
        loc,
    })
}

/// A field an import entry needs (`from`/`location` or `import`). In beta5, missing or
/// empty, it is the ruleset's `ikanos-import-*-required` error (an empty value is left out,
/// so that nothing tries to resolve it); in alpha2 a missing one is `required-field`.
fn required(cx: &mut Cx<'_>, o: &mut Obj<'_>, key: &'static str) -> Option<Text> {
    if !cx.beta5() {
        return o.req_text(cx, key, Need::Runtime);
    }
    let present = o.has(key);
    let value = o.text(cx, key);
    let empty = value.as_ref().is_some_and(|v| v.value.trim().is_empty());
    if present && !empty {
        return value;
    }
    // The ruleset names each rule after the field that makes an entry an import: an entry
    // with `from` and no `import` breaks `ikanos-import-from-required`.
    let id = if key == "import" {
        rule::IKANOS_IMPORT_FROM_REQUIRED
    } else {
        rule::IKANOS_IMPORT_IMPORT_REQUIRED
    };
    let loc = value.map_or_else(|| o.loc(cx), |v| v.loc);
    let state = if empty { "an empty" } else { "no" };
    cx.push(
        Diagnostic::error(
            id,
            loc,
            format!("this import entry has {state} `{key}` (an import names a file, and the namespace to take from it)"),
        )
        .with_hint(if key == "import" {
            "`import` names the entry to take from the `from` file (its `namespace` there)"
        } else {
            "`from` is the file to import from, relative to this one (`./shared/x.yaml`)"
        }),
    );
    None
}

/// Reads a beta5 import of a bind, exposes block or aggregate: `section` says which, and
/// whether it is under `capability`; `position` is how many inline entries of the section
/// come before it.
pub(super) fn read_import_entry(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    section: ImportSection,
    in_capability: bool,
    position: usize,
) -> Option<ImportEntry> {
    let what = match section {
        ImportSection::Consumes => "an imported consumes entry",
        ImportSection::Binds => "an imported bind",
        ImportSection::Exposes => "an imported exposes block",
        ImportSection::Aggregates => "an imported aggregate",
    };
    let entry = read_import(cx, node, ptr, what)?;
    Some(ImportEntry {
        section,
        in_capability,
        position,
        entry,
    })
}
