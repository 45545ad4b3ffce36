//! Agent Skills: the skill catalog's data, built from `exposes: type: skill` blocks or
//! derived from a capability's REST operations (`naftiko run --expose skill`). Adapters
//! render it (catalog JSON, generated `SKILL.md`, zip download); nothing here does I/O.

use std::path::PathBuf;

use crate::tools::ToolSpec;

/// One skill service (an `exposes: type: skill` block, or the `--expose skill` one).
#[derive(Debug, Clone)]
pub struct SkillService {
    /// The exposes namespace.
    pub namespace: String,
    /// The block's description.
    pub description: Option<String>,
    /// Address to listen on.
    pub address: String,
    /// Port.
    pub port: u16,
    /// The skills.
    pub skills: Vec<SkillSpec>,
    /// The inbound authentication it enforces.
    pub guard: Option<std::sync::Arc<crate::guard::Guard>>,
}

/// A skill.
#[derive(Debug, Clone, Default)]
pub struct SkillSpec {
    /// Name (kebab-case; also the folder name of the download).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// License.
    pub license: Option<String>,
    /// Compatibility notes.
    pub compatibility: Option<String>,
    /// Free metadata.
    pub metadata: Vec<(String, String)>,
    /// `allowed-tools`.
    pub allowed_tools: Option<String>,
    /// `argument-hint`.
    pub argument_hint: Option<String>,
    /// `user-invocable`.
    pub user_invocable: Option<bool>,
    /// `disable-model-invocation`.
    pub disable_model_invocation: Option<bool>,
    /// A directory of supporting files (and possibly its own `SKILL.md`).
    pub location: Option<PathBuf>,
    /// The tools.
    pub tools: Vec<SkillTool>,
}

/// A skill's tool.
#[derive(Debug, Clone)]
pub struct SkillTool {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Where it comes from.
    pub kind: SkillToolKind,
}

/// How a skill tool is used.
#[derive(Debug, Clone)]
// Built once at start-up and never moved on a hot path: the size difference is harmless.
#[allow(clippy::large_enum_variant)]
pub enum SkillToolKind {
    /// An operation of a sibling REST or MCP block.
    Derived {
        /// The sibling namespace.
        namespace: String,
        /// The operation or tool name.
        action: String,
        /// `rest`, `mcp`, or `unknown` when the action was not found.
        mode: &'static str,
        /// The operation described as a tool (inputs and outputs), when found.
        tool: Option<ToolSpec>,
        /// For `rest`: how to call it over HTTP.
        rest: Option<RestCall>,
    },
    /// Instructions in a file relative to the skill's `location`.
    Instruction {
        /// The relative path.
        path: String,
    },
}

/// How to call a REST operation.
#[derive(Debug, Clone)]
pub struct RestCall {
    /// The HTTP method.
    pub method: String,
    /// The path as written (with `{variables}`).
    pub path: String,
    /// Address and port of the REST service (`0.0.0.0` means any interface).
    pub address: String,
    /// Port.
    pub port: u16,
}

/// Kebab-case of a label (`Vectara OAuth 2.0 Token API` → `vectara-oauth-2-0-token-api`).
pub fn kebab(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(64)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::kebab;

    #[test]
    fn labels_become_kebab_names() {
        assert_eq!(
            kebab("Vectara OAuth 2.0 Token API — Tokens"),
            "vectara-oauth-2-0-token-api-tokens"
        );
        assert_eq!(kebab("  x  "), "x");
    }
}
