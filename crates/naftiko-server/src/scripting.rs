//! The control port's `/scripting`: each capability file's `management.scripting` settings
//! as naftiko applies them, and the counts of its script executions. Read only: the settings
//! come from the files (edit them and restart or reload), never from the network.
//!
//! The top-level fields are those of the reference engine's `GET /scripting` (its CLI's
//! `scripting` command reads them), for the first file that has scripting; `capabilities`
//! lists every such file.

use std::time::{Duration, UNIX_EPOCH};

use naftiko_engine::{Runtime, ScriptingReport};
use serde_json::{Value, json};

/// The `/scripting` body; `None` when no capability file has a script step or a
/// `management.scripting`.
pub fn report(runtime: &Runtime) -> Option<Value> {
    let files: Vec<Value> = runtime
        .capabilities()
        .iter()
        .filter_map(|c| {
            let mut one = fields(&c.scripting()?);
            one["file"] = json!(c.file.display().to_string());
            Some(one)
        })
        .collect();
    let mut out = files.first()?.clone();
    if let Some(o) = out.as_object_mut() {
        o.remove("file");
    }
    out["capabilities"] = Value::Array(files);
    Some(out)
}

/// One file's report, named as the reference engine names them.
fn fields(r: &ScriptingReport) -> Value {
    let mut stats = json!({
        "totalExecutions": r.executions,
        "totalErrors": r.errors,
        "averageDurationMs": (r.average_ms * 100.0).round() / 100.0,
    });
    if let Some(ms) = r.last_unix_ms {
        let mut at = String::new();
        crate::clock::push_rfc3339_micros(&mut at, UNIX_EPOCH + Duration::from_millis(ms));
        stats["lastExecutionAt"] = json!(at);
    }
    let mut out = json!({
        "enabled": r.enabled,
        "timeout": r.timeout_ms,
        "statementLimit": r.statement_limit,
        "memoryLimit": r.memory_limit,
        "stackLimit": r.stack_limit,
        "scriptSteps": r.steps,
        "stats": stats,
    });
    if let Some(l) = &r.default_location {
        out["defaultLocation"] = json!(l);
    }
    if let Some(l) = &r.default_language {
        out["defaultLanguage"] = json!(l);
    }
    if !r.allowed_languages.is_empty() {
        out["allowedLanguages"] = json!(r.allowed_languages);
    }
    out
}
