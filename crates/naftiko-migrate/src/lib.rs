//! Capability documents written rather than read: `naftiko migrate` (a
//! `naftiko: 1.0.0-alpha2` document rewritten as `ikanos: 1.0.0-beta5`, this module) and
//! `naftiko create capability` ([`create`]).
//!
//! A tree rewrite of the YAML, not of naftiko's model, so that what the model does not keep
//! (unknown keys, key order) survives. The rules follow the two official schemas:
//!
//! - the root key `naftiko` becomes `ikanos: 1.0.0-beta5`; every `label` becomes `display`;
//! - lists of named things become maps keyed by their `name` ([`keyed`]): consumed
//!   resources, operations, input parameters and (named) output parameters; exposed REST
//!   resources and operations, MCP tools, resources, prompts and their arguments, skills and
//!   skill tools, steps; exposed output parameters when every one is named (mocks and
//!   orchestrated outputs; mapped ones stay a list);
//! - aggregate `functions` become `flows`; step mappings' `targetName` becomes `target`;
//! - imported consumes (`location`, `import`, `as`) become `{from, import, as}`;
//! - community constructs beta5 has no place for (`authentication: {type: none}`) are
//!   dropped.
//!
//! What cannot be carried over (comments, an unnamed or twice-named item of a list that
//! becomes a map) is listed in [`Migrated::notes`], with the item's place.

pub mod create;
mod emit;
mod rules;

use yaml_serde::Value;

/// A JSON document (key order kept) as YAML, written as the migration writes it: block
/// style, every ambiguous string quoted (`create`, and `naftiko import openapi`).
pub fn write_yaml(v: &serde_json::Value) -> String {
    emit::document(&emit::from_json(v))
}

/// The result of a migration.
#[derive(Debug)]
pub struct Migrated {
    /// The beta5 document.
    pub yaml: String,
    /// What could not be carried over, one sentence each, naming the place.
    pub notes: Vec<String>,
}

/// Why a document cannot be migrated.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The text is not YAML.
    #[error("not YAML: {0}")]
    Yaml(String),
    /// The document is not an alpha document (no `naftiko` key, or already `ikanos`).
    #[error("{0}")]
    NotAlpha(String),
}

/// `text`, an alpha2 document, as beta5.
///
/// # Errors
/// [`MigrateError`] when the text is not YAML or not an alpha document.
pub fn to_beta5(text: &str) -> Result<Migrated, MigrateError> {
    let doc: Value = yaml_serde::from_str(text).map_err(|e| MigrateError::Yaml(e.to_string()))?;
    let Value::Mapping(root) = doc else {
        return Err(MigrateError::NotAlpha(
            "the document is not a mapping".to_owned(),
        ));
    };
    if root.contains_key("ikanos") {
        return Err(MigrateError::NotAlpha(
            "the document is already an `ikanos` document".to_owned(),
        ));
    }
    if !root.contains_key("naftiko") {
        return Err(MigrateError::NotAlpha(
            "the document has no `naftiko` key: it is not a Naftiko capability".to_owned(),
        ));
    }
    let mut notes = Vec::new();
    if text.lines().any(|l| l.trim_start().starts_with('#')) {
        notes.push("comments are not carried over".to_owned());
    }
    let root = rules::document(root, &mut notes);
    // One line per note, however many places share it.
    let mut seen = std::collections::HashSet::new();
    notes.retain(|n| seen.insert(n.clone()));
    let yaml = emit::document(&Value::Mapping(root));
    Ok(Migrated { yaml, notes })
}
