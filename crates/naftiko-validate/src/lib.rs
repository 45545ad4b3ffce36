//! Validation of Naftiko capability files: the second stage of the data flow
//! (load → **validate** → build → serve).
//!
//! [`validate_paths`] loads every capability file under the given paths (and the files
//! they import), reads each into the typed model (shape diagnostics come from
//! `naftiko-spec`), then runs the rules: the reference ruleset's 23 rules, references
//! between operations, templates and JSONPaths, and conflicts between files that would be
//! served together (namespaces, routes, ports). Every diagnostic of every file is
//! collected; nothing stops at the first. [`report`] renders them for people and machines.
//!
//! This crate reads files but never touches the environment or the network.

pub mod body_schema;
pub mod files;
mod imports;
mod parallel;
pub mod report;
pub mod rules;
pub mod scope;
pub mod scripts;
pub mod workspace;

pub use scope::Scope;
pub use workspace::{Options, Validation, validate_paths, validate_paths_at};
