//! The Naftiko capability document, from bytes to typed model.
//!
//! This crate is the first stage of naftiko's one-way data flow
//! (load → validate → build → serve):
//!
//! - [`yaml`] parses a file into a [`yaml::Node`] tree that knows the line and column of
//!   every key and value, and reports YAML-level problems (syntax, duplicate keys, bombs);
//! - [`read`] turns that tree into the typed [`model`], collecting every shape problem
//!   (wrong types, missing fields, unknown keys, community-dialect constructs) as a
//!   [`diag::Diagnostic`] instead of stopping at the first;
//! - [`diag`] defines diagnostics and the catalog of stable rule ids.
//!
//! The model is inert data: no I/O beyond reading the file, no environment, no clients.
//! It must not depend on any HTTP or async crate.

pub mod diag;
pub mod model;
pub mod read;
pub mod size;
pub mod span;
pub mod suggest;
pub mod yaml;

pub use diag::{Diagnostic, Severity};
pub use read::{LoadedDocument, load_file, load_str};
pub use span::{Loc, Pos, Span, Spanned};
