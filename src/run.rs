//! `naftiko run`: validate, build and serve capability files until SIGINT/SIGTERM, reloading
//! them on SIGHUP and, with `--watch`, when they change (`reload.rs`).
//!
//! Exit codes: 0 clean stop, 1 invalid capability (validation or build errors, including
//! missing bound variables), 2 usage, 3 a port could not be bound or another runtime failure,
//! 4 stopped with requests still in flight when `--shutdown-grace` ran out (answered 503).

use std::io::IsTerminal;
use std::sync::Arc;

use naftiko_engine::Runtime;
use naftiko_server::access::AccessSink;
use naftiko_server::mcp::McpHttpOptions;
use naftiko_server::{Limits, ServeOptions};
use naftiko_spec::Severity;

use crate::announce;
use crate::args::{LogFormat, RunArgs};
use crate::exit::{EXIT_INVALID, EXIT_NOT_DRAINED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use crate::load::{self, Loaded};
use crate::reload;

/// Starts logging; returns the REST access-line writer to use instead of `tracing`'s
/// formatter (none for coloured terminal output, which stays with `tracing`).
fn init_logs(format: LogFormat) -> Option<Arc<dyn AccessSink>> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NAFTIKO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::logs::Stderr)
        .with_target(true);
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (result, access) = match format {
        LogFormat::Text => (
            builder.with_ansi(ansi).try_init(),
            (!ansi).then_some(crate::logs::AccessWriter { json: false }),
        ),
        LogFormat::Json => (
            builder.json().flatten_event(true).try_init(),
            Some(crate::logs::AccessWriter { json: true }),
        ),
    };
    if let Err(e) = result {
        eprintln!("naftiko: cannot start logging: {e}");
    }
    access.map(|a| Arc::new(a) as Arc<dyn AccessSink>)
}

/// Runs `naftiko run`; returns the exit status.
pub(crate) fn run(args: &RunArgs) -> u8 {
    let access = init_logs(args.log_format);
    let otlp = match crate::telemetry::endpoint(args.otlp_endpoint.as_deref()) {
        Ok(endpoint) => endpoint,
        Err(e) => {
            eprintln!("naftiko: {e}");
            return EXIT_USAGE;
        }
    };
    let (validation, options, tls) = match load::load(args) {
        Loaded::Usage(usage) => {
            for u in &usage {
                eprintln!("naftiko: {u}");
            }
            return EXIT_USAGE;
        }
        Loaded::Invalid(validation) => {
            load::report_errors(&validation);
            eprintln!("naftiko: not starting: the capabilities have errors");
            return EXIT_INVALID;
        }
        Loaded::Valid(validation, options, tls) => (validation, options, tls),
    };
    let warnings = validation.count(Severity::Warning);
    if warnings > 0 {
        tracing::info!(target: "naftiko", warnings, "validation warnings (see `naftiko validate` for details)");
    }
    let runtime = match Runtime::build(&validation, &options) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            for p in &e.problems {
                eprintln!("error: {p}");
            }
            eprintln!("naftiko: not starting: the capabilities cannot be built");
            return EXIT_INVALID;
        }
    };
    announce::build_findings(&runtime);
    if args.check {
        tracing::info!(target: "naftiko", "built: `naftiko run` would start (--check: not listening)");
        return EXIT_OK;
    }
    let tokio = match async_runtime() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("naftiko: cannot start the async runtime: {e}");
            return EXIT_RUNTIME;
        }
    };
    let files = reload::watched_files(&validation);
    tokio.block_on(serve(
        runtime,
        serve_options(args, access),
        Arc::new(args.clone()),
        files,
        tls,
        otlp.as_deref(),
    ))
}

/// The async runtime: a single-threaded scheduler. With more cores, each further one gets
/// a single-threaded runtime of its own ([`worker_runtimes`]) that connections are dealt
/// to: thread-per-core, without work stealing's cross-thread wake-ups.
fn async_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// One single-threaded runtime per core beyond the first (as many cores as the process
/// may run on: its CPU affinity and cgroup quota), each running on a thread of its own
/// until the process ends. A runtime that cannot be started is left out (its connections
/// are served by the others).
fn worker_runtimes() -> Vec<tokio::runtime::Handle> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    (1..cores)
        .filter_map(|i| {
            let (tx, rx) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name(format!("naftiko-core-{i}"))
                .spawn(move || {
                    let built = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    match built {
                        Ok(rt) => {
                            let _ = tx.send(Some(rt.handle().clone()));
                            rt.block_on(std::future::pending::<()>());
                        }
                        Err(e) => {
                            tracing::warn!(target: "naftiko", error = %e, "cannot start a runtime for core {i}");
                            let _ = tx.send(None);
                        }
                    }
                });
            spawned.ok()?;
            rx.recv().ok().flatten()
        })
        .collect()
}

/// How to serve: body and header limits, MCP host and origin checks, the access log.
fn serve_options(args: &RunArgs, access: Option<Arc<dyn AccessSink>>) -> ServeOptions {
    let mut mcp = McpHttpOptions {
        max_body_bytes: args.max_body,
        direct_calls: !args.general_path,
        ..McpHttpOptions::default()
    };
    if !args.mcp_allowed_hosts.is_empty() {
        mcp.allowed_hosts = if args.mcp_allowed_hosts.iter().any(|h| h == "*") {
            Vec::new()
        } else {
            args.mcp_allowed_hosts.clone()
        };
    }
    if !args.mcp_allowed_origins.is_empty() {
        mcp.allowed_origins = args.mcp_allowed_origins.clone();
    }
    if let Some(prefix) = &args.mcp_session_prefix {
        mcp.session_prefix = prefix.clone();
    }
    ServeOptions {
        max_body_bytes: args.max_body,
        shutdown_grace: args.shutdown_grace,
        mcp,
        limits: Limits {
            header_read_timeout: args.header_timeout,
            max_headers: args.max_headers,
            max_header_bytes: args.max_header_size,
            body_read_timeout: args.body_timeout,
            max_concurrency: args.max_concurrency,
        },
        access,
        spans: None,
        workers: worker_runtimes(),
    }
}

/// Starts the span exporter when `otlp` names a collector, serves (`serve_listeners`),
/// then sends the last spans.
async fn serve(
    runtime: Arc<Runtime>,
    mut serve: ServeOptions,
    args: Arc<RunArgs>,
    files: Vec<std::path::PathBuf>,
    tls: naftiko_server::tls::Tls,
    otlp: Option<&str>,
) -> u8 {
    let telemetry = match crate::telemetry::Telemetry::start(otlp) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("naftiko: {e}");
            return EXIT_RUNTIME;
        }
    };
    serve.spans = telemetry.spans();
    let code = serve_listeners(runtime, serve, args, files, tls).await;
    telemetry.shutdown().await;
    code
}

/// Binds every listener, logs where each one is, and serves until SIGINT or SIGTERM,
/// reloading on SIGHUP (and, with `--watch`, when the files change).
async fn serve_listeners(
    runtime: Arc<Runtime>,
    serve: ServeOptions,
    args: Arc<RunArgs>,
    files: Vec<std::path::PathBuf>,
    tls: naftiko_server::tls::Tls,
) -> u8 {
    let listeners = match naftiko_server::bind(runtime.clone(), &serve, &tls).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(target: "naftiko", "{e}");
            eprintln!("naftiko: {e}");
            return EXIT_RUNTIME;
        }
    };
    for l in &listeners.listeners {
        announce::listener(&naftiko_server::ListenerInfo {
            kind: l.kind,
            local_addr: l.local_addr,
            namespaces: l.namespaces.clone(),
            routes: l.routes.clone(),
            tls: l.tls,
        });
    }
    if let Some(i) = listeners.stdio {
        let ns = runtime_namespace(&listeners, i);
        tracing::info!(target: "naftiko", "serving MCP on stdio ({ns})");
    }
    let (reloads, requests) = tokio::sync::mpsc::channel(1);
    let reloader = tokio::spawn(reload::reloader(
        args,
        runtime,
        listeners.generations(),
        reloads,
        files,
    ));
    let drained = listeners.serve_reloading(shutdown_signal(), requests).await;
    reloader.abort();
    tracing::info!(target: "naftiko", drained, "stopped");
    if drained { EXIT_OK } else { EXIT_NOT_DRAINED }
}

fn runtime_namespace(listeners: &naftiko_server::Listeners, i: usize) -> String {
    listeners
        .runtime()
        .mcp_services()
        .get(i)
        .map(|s| s.namespace.clone())
        .unwrap_or_default()
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
