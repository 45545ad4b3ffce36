//! Protocol adapters over the naftiko engine: the *serve* stage of the data flow
//! (load → validate → build → **serve**).
//!
//! [`bind`] opens one listener per distinct address and port of the built runtime's REST
//! services (several capabilities on the same port share one server and one route table),
//! one per MCP service over HTTP, one per skill catalog and the control port (`plan.rs`,
//! `apps.rs`); [`Listeners::serve`] answers requests (and an MCP service on stdio) until
//! the shutdown future resolves, then stops accepting, lets in-flight requests finish
//! within a grace period, and returns. [`Listeners::serve_reloading`] also takes the next
//! generation of capabilities while serving (`server.rs`).
//!
//! Adapters are thin: they turn requests into [`naftiko_engine::Inbound`] values, call
//! [`naftiko_engine::Runtime::invoke`], and map outcomes and errors to the protocol. They
//! know nothing of YAML.

pub mod access;
mod apps;
pub mod clock;
mod conn;
pub mod control;
mod error;
mod forward;
pub mod generation;
mod guard;
pub mod h1;
mod html;
mod limits;
pub mod mcp;
mod mcp_direct;
mod mcp_tool;
mod offered;
mod options;
mod plan;
pub mod problem;
pub mod rest;
pub mod router;
pub mod scripting;
mod served;
mod server;
pub mod skill;
pub mod status;
pub mod status_page;
mod stream;
pub mod tls;
mod traced;

pub use crate::error::ServeError;
pub use crate::limits::Limits;
pub use crate::options::ServeOptions;
pub use crate::server::{Listener, ListenerInfo, Listeners, Reload, Reloaded, bind};
