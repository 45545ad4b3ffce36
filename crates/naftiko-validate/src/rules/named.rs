//! The beta5 ruleset's rules on names that have no alpha2 twin (`ikanos-rules.yml` §11.4):
//! every exposes block and aggregate declared in a file has a `namespace`, so that other
//! files can import it and `ref` can name it, and the flows of an aggregate have distinct
//! names.
//!
//! Where the ruleset's JSONPaths and naftiko's model differ, the rule keeps its meaning:
//! - control blocks are not asked for a namespace: the schema gives them none (the
//!   ruleset's `$.capability.exposes[?(@.type)]` would make every control block an error);
//! - import entries are not checked here (they go to `Document::imports`; an import at the
//!   root of a shared file is `ikanos-standalone-no-imports`);
//! - aggregates are checked whatever key holds their flows (the ruleset's filter still names
//!   `functions`, alpha2's key, so it would skip beta5 aggregates, whose key is `flows`);
//! - flow names can repeat only when the flows are written as a list: a repeated key of a
//!   `flows` mapping is `yaml-duplicate-key`, reported once by the YAML reader.
//!
//! An empty `namespace: ""` is missing too (the ruleset's `truthy`); the reader leaves it to
//! these rules rather than also reporting the schema's pattern.

use naftiko_spec::Loc;
use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Aggregate, Document, Exposes, Text};

/// Runs the rules on one beta5 document.
pub fn check(doc: &Document, diags: &mut Vec<Diagnostic>) {
    for e in doc.all_exposes() {
        if !matches!(e, Exposes::Control(_)) {
            let what = format!("this {} exposes block", e.kind());
            namespace_required(
                rule::IKANOS_EXPOSES_NAMESPACE_REQUIRED,
                &what,
                e.namespace(),
                e.loc(),
                diags,
            );
        }
    }
    for a in doc.all_aggregates() {
        let ns = a.namespace.as_ref();
        namespace_required(
            rule::IKANOS_AGGREGATES_NAMESPACE_REQUIRED,
            "this aggregate",
            ns,
            &a.loc,
            diags,
        );
        unique_flow_names(a, diags);
    }
}

/// Reports `what` (at `loc`) when its `namespace` is missing or empty.
fn namespace_required(
    id: &'static str,
    what: &str,
    namespace: Option<&Text>,
    loc: &Loc,
    diags: &mut Vec<Diagnostic>,
) {
    let (loc, message) = match namespace {
        Some(n) if !n.value.is_empty() => return,
        Some(n) => (&n.loc, format!("{what} has an empty `namespace`")),
        None => (loc, format!("{what} has no `namespace`")),
    };
    diags.push(
        Diagnostic::error(id, loc.clone(), message)
            .with_hint("other files import it, and `ref` names it, by its namespace"),
    );
}

/// Reports every flow whose name an earlier flow of the aggregate has.
fn unique_flow_names(a: &Aggregate, diags: &mut Vec<Diagnostic>) {
    let names: Vec<&Text> = a
        .functions
        .iter()
        .filter_map(|f| f.name.as_ref())
        .filter(|n| !n.value.is_empty())
        .collect();
    for (i, name) in names.iter().enumerate() {
        let Some(first) = names[..i].iter().find(|n| n.value == name.value) else {
            continue;
        };
        diags.push(
            Diagnostic::error(
                rule::IKANOS_AGGREGATES_UNIQUE_FUNCTION_NAME,
                name.loc.clone(),
                format!(
                    "flow `{}` is already declared at line {} of this aggregate",
                    name.value, first.loc.span.start.line
                ),
            )
            .with_hint("`ref` and `call` could not tell them apart; rename one"),
        );
    }
}
