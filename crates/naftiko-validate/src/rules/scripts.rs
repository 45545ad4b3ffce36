//! Script steps (`type: script`): what [`crate::scripts::check`] finds for each one of every
//! unit (a language naftiko does not run or `allowedLanguages` leaves out, files that cannot
//! be read inside the scripts directory, scripting disabled). The engine's build runs the
//! same check, so `validate` reports whatever `run` would refuse.

use naftiko_spec::diag::Diagnostic;
use naftiko_spec::model::Document;

use super::units::{UnitKind, units};

/// Checks every script step of `doc`.
pub fn check(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let settings = crate::scripts::settings(doc);
    for unit in units(doc) {
        if unit.kind == UnitKind::McpResource {
            continue;
        }
        let scripts = unit
            .invocation
            .steps
            .iter()
            .filter(|s| s.kind.as_ref().is_some_and(|k| k.value == "script"));
        for step in scripts {
            diags.extend(crate::scripts::check(step, settings).diagnostics);
        }
    }
}
