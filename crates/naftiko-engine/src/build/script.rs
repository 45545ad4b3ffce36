//! Script steps: checked as `validate` checks them (`naftiko_validate::scripts::check`,
//! which also reads their files from inside their `location`) and compiled into a
//! [`Script`] with the document's `management.scripting` limits.

use std::sync::Arc;

use naftiko_spec::diag::Severity;
use naftiko_spec::model::Step as StepSpec;
use naftiko_validate::scripts;

use super::state::{DocBuild, problem};
use crate::error::BuildProblem;
use crate::invoke::{Step, With};
use crate::script::Script;

impl DocBuild<'_> {
    /// Compiles the script step `s` called `name`.
    ///
    /// # Errors
    /// Every problem `validate` reports as an error for it, and a missing language or
    /// location.
    pub(super) fn build_script_step(
        &self,
        s: &StepSpec,
        name: String,
    ) -> Result<Step, Vec<BuildProblem>> {
        let settings = scripts::settings(self.doc);
        let checked = scripts::check(s, settings);
        let mut problems: Vec<BuildProblem> = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| problem(&d.loc, d.message.clone()))
            .collect();
        let missing = [
            (
                "language",
                s.language.is_none() && settings.language.is_none(),
            ),
            (
                "location",
                s.location.is_none() && settings.location.is_none(),
            ),
        ];
        for (field, _) in missing.iter().filter(|(_, m)| *m) {
            problems.push(problem(
                &s.loc,
                format!(
                    "script step `{name}` has no `{field}` and the control adapter's `management.scripting` gives no default"
                ),
            ));
        }
        let with = With::compile(
            s.with.iter().map(|(k, v)| (k.value.as_str(), v)),
            &self.names,
        )
        .map_err(|e| problems.push(problem(&s.loc, e)));
        match with {
            Ok(with) if problems.is_empty() => Ok(Step::Script {
                name,
                script: Arc::new(Script::new(
                    checked.sources,
                    settings,
                    Arc::clone(&self.script_stats),
                )),
                with,
            }),
            _ => Err(problems),
        }
    }
}
