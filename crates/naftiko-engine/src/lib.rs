//! The naftiko engine: the *build* and *invoke* stages of the data flow
//! (load → validate → **build** → serve).
//!
//! [`Runtime::build`] (module `build`, one file per concern) takes validated capability files and is the only place that touches
//! the environment: it resolves `binds` (through an [`EnvSource`]), compiles every template
//! and JSONPath once, and creates one pooled HTTP client per consumed API with its
//! authentication (including an OAuth 2.0 client-credentials token cache).
//! [`Runtime::invoke`] runs one exposed operation for an adapter-neutral [`Inbound`]
//! request: it validates declared inputs, evaluates `with`, renders and sends the upstream
//! request, and shapes the answer with the output parameters.
//!
//! The engine knows HTTP *client* types but no server framework: adapters (REST, MCP) live
//! in `naftiko-server` and map [`InvokeError`]s by their [`Fault`]. Nothing here logs a
//! bound value, credential or token; [`Secrets`] redacts them from every message.

mod answer;
mod auth;
mod binary;
pub mod bindings;
mod build;
mod ca_bundle;
mod capture;
pub mod catalog;
mod coerce;
mod digest;
mod direct;
mod dns;
pub mod env;
pub mod error;
mod form;
pub mod formats;
mod forward;
pub mod guard;
mod h1_client;
mod h1_stream;
mod ids;
pub mod inbound;
mod input;
mod invoke;
#[cfg(test)]
mod json_samples;
mod json_text;
mod kept;
mod markup;
pub mod metrics;
mod minify;
mod outputs;
#[cfg(test)]
mod outputs_corpus;
mod prepared;
mod request;
mod reqwest_client;
mod runtime;
mod scope;
mod script;
pub mod secrets;
mod select;
mod services;
pub mod skills;
mod skim;
pub mod tcp_or_tls;
mod tools;
pub mod trace;
pub mod transport;
mod upstream;
mod upstream_tls;
mod url;

pub use build::BuildOptions;
pub use ca_bundle::CaBundle;
pub use env::{EnvSource, FakeEnv, MapEnv, ProcessEnv};
pub use error::{BuildError, BuildProblem, Fault, InvokeError, ScriptFailure};
pub use forward::{
    AnswerBody, AnswerFailure, BodyFailure, ForwardAnswer, ForwardError, ForwardRequest,
    InboundLimits,
};
pub use ids::{ForwardId, OpId};
pub use inbound::{HeaderLookup, Inbound, InboundBody, RequestView};
pub use invoke::{Outcome, OutcomeBody};
pub use json_text::{json_bytes, push_json_str};
pub use markup::escape_markup;
pub use runtime::Runtime;
pub use script::ScriptingReport;
pub use secrets::Secrets;
pub use services::{
    CacheHints, CapabilityInfo, ControlService, EXPOSED_MCP_NAMESPACE, EXPOSED_SKILL_NAMESPACE,
    ForwardRoute, McpListen, McpService, OperationInfo, RestService, Route, Segment, segments,
};
pub use tools::{Blob, Structured, ToolResult, ToolSpec};
pub use transport::ClientOptions;
pub use url::base_uri_problem;
