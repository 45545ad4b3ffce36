//! Expressions embedded in capability files: Mustache-subset templates and JSONPath.
//!
//! Both kinds of expression are compiled once, when a capability is loaded, so that a
//! validator can inspect them statically (which variables a template references, whether a
//! JSONPath is valid and how it would be written in canonical RFC 9535 form) and the runtime
//! can evaluate them without re-parsing.
//!
//! - [`template`]: Naftiko's Mustache subset (`{{name}}` variables only), see [`Template`].
//! - [`jsonpath`]: RFC 9535 JSONPath with Jayway-compatible spelling and result shaping, see
//!   [`JsonPathExpr`].

pub mod jsonpath;
pub mod path_steps;
pub mod template;

pub use jsonpath::{JsonPathError, JsonPathExpr};
pub use path_steps::PathStep;
pub use template::{Lookup, Template, TemplateError, TemplateErrorKind, VarRef};
