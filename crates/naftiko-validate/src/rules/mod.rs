//! The checks that run on the typed model, after reading.
//!
//! - [`spectral`]: the reference ruleset's 23 rules, same ids, and on beta5 documents
//!   [`ikanos_imports`], the beta5 ruleset's import rules;
//! - [`references`]: `call`, `ref`, `forward` and step targets exist, `with` keys and path
//!   variables match the called operation;
//! - [`templates`]: every Mustache template parses and every variable resolves; unused binds;
//! - [`jsonpaths`]: every JSONPath compiles;
//! - [`together`]: conflicts between files served together (namespaces, routes, ports);
//! - [`auth`]: authentication naftiko can enforce, and credentials written in the file;
//! - [`runnable`]: what `naftiko run` needs beyond the schema (usable base URIs, output
//!   formats it converts);
//! - [`scripts`]: script steps naftiko can run (JavaScript, files inside their directory);
//! - [`named`] and [`tunnel`] (beta5 documents only): the beta5 ruleset's rules with no
//!   alpha2 twin on namespaces, flow names and OpenZiti tunnels.

pub mod auth;
pub mod ikanos_imports;
pub mod jsonpaths;
pub mod named;
pub mod references;
pub mod runnable;
pub mod scripts;
pub mod spectral;
pub mod templates;
pub mod together;
pub mod tunnel;
mod units;

use naftiko_spec::Diagnostic;
use naftiko_spec::LoadedDocument;
use naftiko_spec::model::{Document, Spec};

use crate::scope::Scope;
pub use units::{Unit, UnitKind, path_variables, units};

/// Runs every single-document rule.
pub fn check_document(doc: &Document, scope: &Scope, diags: &mut Vec<Diagnostic>) {
    spectral::check(doc, diags);
    references::check(doc, scope, diags);
    templates::check(doc, scope, diags);
    jsonpaths::check(doc, diags);
    auth::check(doc, diags);
    runnable::check(doc, scope, diags);
    scripts::check(doc, diags);
    if doc.spec == Spec::Beta5 {
        named::check(doc, diags);
        tunnel::check(doc, diags);
    }
}

/// Runs the rules that compare files served together, with exposes blocks placed where
/// `listens` (`naftiko run --listen`) moves them.
pub fn check_together(
    files: &[LoadedDocument],
    listens: &together::Listens,
    diags: &mut Vec<Diagnostic>,
) {
    together::check(files, listens, diags);
}
