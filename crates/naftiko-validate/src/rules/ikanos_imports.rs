//! The beta5 ruleset's import rules (`ikanos-rules.yml`, "6. Imports"), on beta5
//! documents, with the ruleset's ids:
//!
//! - `ikanos-standalone-no-imports`: a shared file (no `capability`) holds no import entry
//!   (one error at each entry's `from`);
//! - `ikanos-import-from-not-self`: `from: .` names the importing file's directory. An
//!   error here, a warning in the reference ruleset: naftiko cannot resolve it, and the
//!   resolver does not report it again;
//! - `ikanos-import-unique-alias`: the imports of one section (at the root, or under
//!   `capability`) take distinct local names (`as`, else `import`). The second one is
//!   reported at its `as` (or `import`), and `ikanos-namespaces-unique` is not reported
//!   there as well.
//!
//! `ikanos-import-from-required` and `ikanos-import-import-required` (an import entry
//! without `import` or `from`) are reported while reading (`naftiko-spec`'s
//! `read/imports.rs`), in place of `required-field`.

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Document, ImportRef, ImportSection, Spec, Text};

/// Runs the import rules on a beta5 document.
pub fn check(doc: &Document, diags: &mut Vec<Diagnostic>) {
    if doc.spec != Spec::Beta5 {
        return;
    }
    let entries = doc.import_entries();
    if doc.capability.is_none() {
        standalone_no_imports(&entries, diags);
        return;
    }
    from_not_self(&entries, diags);
    unique_alias(&entries, diags);
}

/// `ikanos-standalone-no-imports`: one error at the `from` of each import entry of a
/// shared file.
fn standalone_no_imports(entries: &[ImportRef<'_>], diags: &mut Vec<Diagnostic>) {
    for i in entries {
        let Some(from) = &i.entry.location else {
            continue;
        };
        diags.push(
            Diagnostic::error(
                rule::IKANOS_STANDALONE_NO_IMPORTS,
                from.loc.clone(),
                format!(
                    "a shared file (no `capability`) cannot import: this `{}` entry imports from `{}`",
                    i.section.key(),
                    from.value
                ),
            )
            .with_hint(format!(
                "shared files are leaves: declare the {} here, or import it in the capability that uses it",
                i.section.entry_name()
            )),
        );
    }
}

/// `ikanos-import-from-not-self`: `from: .`.
fn from_not_self(entries: &[ImportRef<'_>], diags: &mut Vec<Diagnostic>) {
    for from in entries.iter().filter_map(|i| i.entry.location.as_ref()) {
        if from.value.trim() == "." {
            diags.push(
                Diagnostic::error(
                    rule::IKANOS_IMPORT_FROM_NOT_SELF,
                    from.loc.clone(),
                    "`from: .` names this file's own directory, not a file to import from",
                )
                .with_hint(
                    "write the path of the file that declares the entry (`./shared/x.yaml`)",
                ),
            );
        }
    }
}

/// `ikanos-import-unique-alias`: within one section, two imports with one local name.
fn unique_alias(entries: &[ImportRef<'_>], diags: &mut Vec<Diagnostic>) {
    let mut seen: Vec<(ImportSection, bool, &Text)> = Vec::new();
    let mut reported = Vec::new();
    for i in entries {
        let Some(name) = i.entry.local_name() else {
            continue;
        };
        let first = seen
            .iter()
            .find(|(s, c, n)| *s == i.section && *c == i.in_capability && n.value == name.value);
        match first {
            Some((_, _, first)) => {
                diags.push(
                    Diagnostic::error(
                        rule::IKANOS_IMPORT_UNIQUE_ALIAS,
                        name.loc.clone(),
                        format!(
                            "`{}` is already the local name of the `{}` import at line {}",
                            name.value,
                            i.section.key(),
                            first.loc.span.start.line
                        ),
                    )
                    .with_hint("give one of the two a distinct `as`"),
                );
                reported.push(name.loc.clone());
            }
            None => seen.push((i.section, i.in_capability, name)),
        }
    }
    diags.retain(|d| d.rule != rule::IKANOS_NAMESPACES_UNIQUE || !reported.contains(&d.loc));
}
