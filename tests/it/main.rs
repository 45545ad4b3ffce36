//! The end-to-end tests of the `naftiko` binary, as ONE test binary with a module per area
//! (the layout of cargo's own test suite). Each former `tests/*.rs` binary linked reqwest,
//! axum, tokio, insta and the workspace crates on its own; one binary links them once.
//!
//! Run one area with a filter on its module: `cargo test --test it run_seed::`.
//!
//! Nothing here relies on a process of its own: no test sets environment variables or the
//! working directory, scratch directories are unique per call ([`common::Scratch`]), every
//! server (upstreams, `naftiko run`, the OAuth 2.0 server, the MCP tooling) is started by
//! the test that uses it on a free loopback port and stopped when it is dropped, and the
//! only statics are counters and constant data.

// clippy.toml's allow-unwrap-in-tests / allow-expect-in-tests cover `#[test]` functions only;
// the helpers beside them (common/, each module's fixtures and assertions) are plain
// functions of this test crate, so the workspace lint is relaxed here, once, for all of it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod build_layout;
mod corpus;
mod create_capability;
mod deploy_kubernetes;
mod differential;
mod export_openapi;
mod import_openapi;
mod migrate_corpus;
mod module_imports;
mod precommit_hook;
mod run_agree;
mod run_binary;
mod run_control;
mod run_corpus;
mod run_direct;
mod run_faults;
mod run_first_minutes;
mod run_formats;
mod run_forward;
mod run_http1;
mod run_imports;
mod run_inbound_auth;
mod run_inbound_oauth2;
mod run_limits;
mod run_listen;
mod run_mcp;
mod run_mcp_2026;
mod run_mcp_conformance;
mod run_mcp_direct;
mod run_mcp_orchestration;
mod run_mcp_replicas;
mod run_oauth2;
#[cfg(feature = "otlp")]
mod run_otlp;
mod run_published;
mod run_reload;
mod run_requests;
mod run_scripts;
mod run_security;
mod run_seed;
mod run_skill;
mod run_status_page;
mod run_steps;
mod run_tls;
mod run_trace;
mod run_tutorial;
mod run_upstream_tls;
mod run_vectara;
mod run_wire;
mod run_xml;
mod snapshots_fixtures;
mod validate_auth;
mod validate_bad_input;
mod validate_beta5;
mod validate_beta5_rules;
mod validate_directory;
mod validate_formats;
mod validate_imports;
mod validate_oauth2;
mod validate_official;
mod validate_seed;
