//! Script steps (`type: script`) as `validate` and `run` both see them: the effective
//! language and scripts directory (the step's own, else the control adapter's
//! `management.scripting` defaults), and the files the step names, read only from inside
//! that directory ([`crate::files`]). `rules/scripts.rs` reports [`check`]'s diagnostics;
//! the engine's build runs the same [`check`] and keeps its sources, so `validate` and
//! `run` agree on every script step.

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Document, Exposes, ScriptingDefaults, Step, Text};

use crate::files::{FileError, read_under};

/// The script languages naftiko runs (in its embedded JavaScript sandbox).
pub const LANGUAGES_RUN: &[&str] = &["javascript"];

/// The largest script file naftiko reads: 4 MiB.
pub const MAX_SCRIPT_BYTES: u64 = 4 << 20;

/// No `management.scripting` settings.
static NO_SETTINGS: ScriptingDefaults = ScriptingDefaults {
    enabled: None,
    location: None,
    language: None,
    timeout: None,
    statement_limit: None,
    allowed_languages: Vec::new(),
};

/// The `management.scripting` settings of `doc`'s script steps: its first control
/// adapter's (none when it has no control adapter).
pub fn settings(doc: &Document) -> &ScriptingDefaults {
    doc.capability
        .iter()
        .flat_map(|c| &c.exposes)
        .find_map(|e| match e {
            Exposes::Control(c) => Some(&c.scripting_defaults),
            _ => None,
        })
        .unwrap_or(&NO_SETTINGS)
}

/// True for a `type: script` step.
pub fn is_script(step: &Step) -> bool {
    step.kind.as_ref().is_some_and(|k| k.value == "script")
}

/// One script source: its path under the scripts directory and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The path as written (`lib/array-utils.js`), for error messages and stack traces.
    pub name: String,
    /// The script.
    pub text: String,
}

/// A script step checked: what it runs, and what is wrong with it.
#[derive(Debug, Default)]
pub struct Checked {
    /// Its `dependencies` in order, then its `file` (complete only without errors).
    pub sources: Vec<Source>,
    /// Errors (it cannot run) and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when the step can be built.
    pub fn runnable(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == naftiko_spec::diag::Severity::Error)
    }
}

/// Checks a script step under `settings` and reads its files. A missing language or
/// location is left to `naftiko-script-defaults-required`.
pub fn check(step: &Step, settings: &ScriptingDefaults) -> Checked {
    let mut out = Checked::default();
    let name = step.name.as_ref().map_or("", |n| n.value.as_str());
    if settings.enabled.as_ref().is_some_and(|e| !e.value) {
        out.diagnostics.push(
            Diagnostic::warning(
                rule::SCRIPT_DISABLED,
                step.loc.clone(),
                format!(
                    "script step `{name}` answers 501: the control adapter sets `management.scripting.enabled: false`"
                ),
            )
            .with_hint("remove `enabled: false` to run script steps"),
        );
    }
    if let Some(language) = step.language.as_ref().or(settings.language.as_ref()) {
        check_language(language, settings, &mut out.diagnostics);
    }
    if let Some(location) = step.location.as_ref().or(settings.location.as_ref()) {
        read_sources(step, name, location, &mut out);
    }
    out
}

/// A language naftiko does not run, or one `allowedLanguages` leaves out.
fn check_language(language: &Text, settings: &ScriptingDefaults, diags: &mut Vec<Diagnostic>) {
    if !LANGUAGES_RUN.contains(&language.value.as_str()) {
        diags.push(
            Diagnostic::error(
                rule::SCRIPT_LANGUAGE_UNSUPPORTED,
                language.loc.clone(),
                format!(
                    "`{}` scripts cannot run: naftiko runs JavaScript only, in a sandbox embedded in the binary",
                    language.value
                ),
            )
            .with_hint("write the script in JavaScript (`language: javascript`)"),
        );
        return;
    }
    let allowed = &settings.allowed_languages;
    if !allowed.is_empty() && !allowed.iter().any(|a| a.value == language.value) {
        let list: Vec<&str> = allowed.iter().map(|a| a.value.as_str()).collect();
        diags.push(Diagnostic::error(
            rule::SCRIPT_LANGUAGE_NOT_ALLOWED,
            language.loc.clone(),
            format!(
                "`{}` is not one of the control adapter's `management.scripting.allowedLanguages` ({})",
                language.value,
                list.join(", ")
            ),
        ));
    }
}

/// Reads the step's dependencies, then its file, from inside `location`.
fn read_sources(step: &Step, name: &str, location: &Text, out: &mut Checked) {
    let dir = crate::workspace::import_path(&location.loc.file, &location.value);
    for file in step.dependencies.iter().chain(&step.file) {
        match read_text(&dir, &file.value) {
            Ok(text) => out.sources.push(Source {
                name: file.value.clone(),
                text,
            }),
            Err(e) => out.diagnostics.push(
                Diagnostic::error(
                    rule::SCRIPT_FILE,
                    file.loc.clone(),
                    format!(
                        "script step `{name}`: {e} in the scripts directory `{}`",
                        location.value
                    ),
                )
                .with_hint(
                    "name a file inside `location` by a relative path; links and `..` that lead outside are refused",
                ),
            ),
        }
    }
}

/// A script file's text: UTF-8 without NUL bytes.
fn read_text(dir: &std::path::Path, rel: &str) -> Result<String, String> {
    let bytes = read_under(dir, rel, MAX_SCRIPT_BYTES).map_err(|e: FileError| e.to_string())?;
    match String::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => Ok(text),
        _ => Err(format!("`{rel}` is not UTF-8 text")),
    }
}
