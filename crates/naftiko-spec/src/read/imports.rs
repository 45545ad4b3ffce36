//! Import entries: a consumed API imported from another file (`{location, import, as}` in
//! alpha2, `{from, import, as}` in beta5), and beta5's imports of binds, exposes blocks
//! and aggregates (`{from, import, as}`).

use super::reader::{Cx, Need};
use crate::diag::{Diagnostic, rule};
use crate::model::{ImportEntry, ImportSection, ImportedConsumes};
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
    let location = o.req_text(cx, source, Need::Runtime);
    let import = o.req_text(cx, "import", Need::Runtime);
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

/// Reads a beta5 import of a bind, exposes block or aggregate.
pub(super) fn read_import_entry(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    section: ImportSection,
) -> Option<ImportEntry> {
    let what = match section {
        ImportSection::Binds => "an imported bind",
        ImportSection::Exposes => "an imported exposes block",
        ImportSection::Aggregates => "an imported aggregate",
    };
    let entry = read_import(cx, node, ptr, what)?;
    cx.push(
        Diagnostic::error(
            rule::UNSUPPORTED_FEATURE,
            entry.loc.clone(),
            format!(
                "importing {} from another file is not supported yet (only consumed APIs are imported)",
                section.key()
            ),
        )
        .with_hint(format!("copy the imported entry into this file's `{}`", section.key())),
    );
    Some(ImportEntry {
        section: Some(section),
        entry,
    })
}
