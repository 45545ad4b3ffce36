//! Bound variables the environment lacks: an error when a template reads one, a note
//! (info level: nothing served changes) when none does.

use super::state::{Builder, DocBuild};
use crate::bindings::BindTable;
use crate::error::BuildProblem;

/// Reports the document's unset bound variables (after every template was compiled, so
/// that `names.used` knows which ones are read).
pub(super) fn check_missing(b: &mut Builder<'_>, d: &DocBuild<'_>, binds: &BindTable) {
    let used = d.names.used.borrow();
    let mut missing = Vec::new();
    for (i, e) in binds.entries.iter().enumerate() {
        if let Err(why) = &e.value {
            if used.contains(&i) {
                missing.push((e, why));
            } else {
                b.notes.push(format!(
                    "{}: bound variable `{}` is not set ({why}) but no template uses it",
                    d.path.display(),
                    e.key
                ));
            }
        }
    }
    if missing.is_empty() {
        return;
    }
    let list: Vec<String> = missing
        .iter()
        .map(|(e, why)| format!("`{}` ({why})", e.key))
        .collect();
    b.problems.push(BuildProblem {
        loc: Some(missing[0].0.loc.clone()),
        message: format!(
            "missing bound variable{}: {}",
            if missing.len() > 1 { "s" } else { "" },
            list.join(", ")
        ),
    });
}
