//! Command-line overrides that name nothing served: `--base-uri` for a namespace no
//! capability consumes, `--listen` for one no capability exposes.

use super::state::Builder;
use crate::error::BuildProblem;

/// Reports each override whose namespace is unknown.
pub(super) fn check(b: &mut Builder<'_>) {
    for (ns, _) in &b.options.base_uris {
        if !b.known_consumed.contains(ns) {
            b.problems.push(BuildProblem {
                loc: None,
                message: format!("--base-uri names `{ns}`, which no capability consumes"),
            });
        }
    }
    for (ns, _, _) in &b.options.listens {
        if !b.known_exposed.contains(ns) {
            b.problems.push(BuildProblem {
                loc: None,
                message: format!("--listen names `{ns}`, which is not a served REST namespace"),
            });
        }
    }
}
