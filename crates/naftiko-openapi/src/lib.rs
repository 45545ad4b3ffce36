//! OpenAPI and capabilities.
//!
//! [`import`]: an OpenAPI document as a capability (one consumed operation per OpenAPI
//! operation, served over REST and MCP).
//!
//! [`export`]: the REST API a capability exposes, as an OpenAPI 3.1 document. The document
//! describes what `naftiko run` serves, so it is made from the built runtime (routes, the
//! arguments of each operation and where each goes, the schema of its answer), built with
//! made-up secrets and loopback base URIs: nothing is read from the environment and nothing
//! is called. What the runtime does not keep (titles, the inbound authentication, binary
//! response contracts) comes from the model.

pub mod export;
pub mod import;

pub use export::{ExportError, export};
pub use import::{ImportError, Imported, import};
