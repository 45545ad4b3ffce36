//! Script steps (`type: script`): what [`crate::scripts::check`] finds for each one of every
//! unit (a language naftiko does not run or `allowedLanguages` leaves out, files that cannot
//! be read inside the scripts directory, scripting disabled), and for MCP resources, which
//! the reference ruleset's `script-defaults-required` leaves out, a missing language or
//! location. The engine's build runs the same checks, so `validate` reports whatever `run`
//! would refuse.

use naftiko_spec::diag::Diagnostic;
use naftiko_spec::model::Document;

use super::units::{UnitKind, units};

/// Checks every script step of `doc`.
pub fn check(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let settings = crate::scripts::settings(doc);
    for unit in units(doc) {
        let scripts = unit.invocation.steps.iter();
        for step in scripts.filter(|s| crate::scripts::is_script(s)) {
            if unit.kind == UnitKind::McpResource {
                super::spectral::missing_defaults(step, settings, doc.spec, diags);
            }
            diags.extend(crate::scripts::check(step, settings).diagnostics);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use naftiko_spec::diag::Severity;

    /// The rules reported for `steps` (YAML of one REST operation's steps, then of one MCP
    /// resource's) in a beta5 document with `control` (YAML of its scripting settings),
    /// its scripts directory holding `ok.js`.
    fn findings(steps: &str, resource_steps: &str, control: &str) -> Vec<(&'static str, Severity)> {
        let dir =
            std::env::temp_dir().join(format!("naftiko-rules-scripts-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        std::fs::write(dir.join("scripts/ok.js"), "result = 1;").unwrap();
        let text = format!(
            r#"ikanos: "1.0.0-beta5"
info:
  display: "Scripts"
  description: "Script steps."
capability:
  exposes:
    - type: "rest"
      port: 8080
      namespace: "api"
      resources:
        things:
          description: "Things."
          path: "/things"
          operations:
            list:
              method: "GET"
              description: "Things."
              steps:
{steps}
    - type: "mcp"
      port: 9090
      namespace: "mcp"
      description: "Things."
      resources:
        things:
          uri: "data://things"
          description: "Things."
          steps:
{resource_steps}
    - type: "control"
      port: 9100
      management:
        scripting:
{control}
"#
        );
        let path: Arc<Path> = Arc::from(dir.join("cap.yaml").as_path());
        let loaded = naftiko_spec::load_str(path, &text);
        let doc = loaded.document.unwrap();
        let mut diags = Vec::new();
        super::check(&doc, &mut diags);
        diags.into_iter().map(|d| (d.rule, d.severity)).collect()
    }

    const OK: &str = "                run:\n                  type: \"script\"\n                  file: \"ok.js\"";
    const RESOURCE_OK: &str =
        "            run:\n              type: \"script\"\n              file: \"ok.js\"";
    const DEFAULTS: &str = "          defaultLocation: \"file:///./scripts\"\n          defaultLanguage: \"javascript\"";

    #[test]
    fn a_step_with_a_readable_file_and_javascript_is_fine() {
        assert_eq!(findings(OK, RESOURCE_OK, DEFAULTS), []);
    }

    #[test]
    fn python_groovy_escapes_and_disabled_scripting_are_reported() {
        let python = format!("{OK}\n                  language: \"python\"");
        assert_eq!(
            findings(&python, RESOURCE_OK, DEFAULTS),
            [("script-language-unsupported", Severity::Error)]
        );
        let groovy = DEFAULTS.replace("javascript", "groovy");
        assert_eq!(
            findings(OK, RESOURCE_OK, &groovy),
            [
                ("script-language-unsupported", Severity::Error),
                ("script-language-unsupported", Severity::Error)
            ]
        );
        let escape = OK.replace("ok.js", "../cap.yaml");
        assert_eq!(
            findings(&escape, RESOURCE_OK, DEFAULTS),
            [("script-file", Severity::Error)]
        );
        let disabled = format!("{DEFAULTS}\n          enabled: false");
        assert_eq!(
            findings(OK, RESOURCE_OK, &disabled),
            [
                ("script-disabled", Severity::Warning),
                ("script-disabled", Severity::Warning)
            ]
        );
    }

    #[test]
    fn a_resource_step_without_defaults_is_reported_as_run_would_refuse_it() {
        let location = "          defaultLocation: \"file:///./scripts\"";
        assert_eq!(
            findings(
                &format!("{OK}\n                  language: \"javascript\""),
                RESOURCE_OK,
                location
            ),
            [("ikanos-script-defaults-required", Severity::Error)]
        );
    }
}
