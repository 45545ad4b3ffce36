//! `naftiko run`: validate, build and serve capability files until SIGINT/SIGTERM.
//!
//! Exit codes: 0 clean stop, 1 invalid capability (validation or build errors, including
//! missing bound variables), 2 usage, 3 a port could not be bound or another runtime failure,
//! 4 stopped with requests still in flight when `--shutdown-grace` ran out (answered 503).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use naftiko_engine::{BuildOptions, ClientOptions, McpListen, ProcessEnv, Runtime};
use naftiko_server::access::AccessSink;
use naftiko_server::mcp::McpHttpOptions;
use naftiko_server::{Limits, ServeOptions};
use naftiko_spec::Severity;
use naftiko_validate::report::{self, Format, RenderOptions};
use naftiko_validate::{Options, validate_paths_at};

use crate::exit::{EXIT_INVALID, EXIT_NOT_DRAINED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};

/// What `naftiko run --help` adds after the flags.
pub(crate) const RUN_AFTER_HELP: &str = "\
Environment:
  NAFTIKO_LOG          log verbosity, a `tracing` filter (default `info`; e.g. `debug`,
                       `naftiko=debug,info`); every flag above also reads the variable shown
  NAFTIKO_GENERAL_PATH serve every operation on the general path (1/0, true/false, yes/no, on/off)

Exit codes:
  0  stopped cleanly (SIGINT/SIGTERM, every in-flight request finished); `--check`: would start
  1  invalid capability: validation or build errors (missing variables, unusable base URIs, ...)
  2  usage: a malformed flag, a flag naming no namespace, a missing path, no capability files
  3  a port could not be bound, or another runtime failure
  4  stopped, but `--shutdown-grace` ran out: in-flight requests were answered 503 and cut off";

/// `naftiko run` arguments.
#[derive(clap::Args, Debug)]
#[command(after_help = RUN_AFTER_HELP)]
pub(crate) struct RunArgs {
    /// Files or directories (directories: every *.yaml/*.yml below with a `naftiko` key).
    /// All are served together; exposes blocks on the same address and port share a server.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Replace a consumed namespace's `baseUri` (repeatable; comma-separated in the
    /// environment variable).
    #[arg(
        long = "base-uri",
        value_name = "NAMESPACE=URL",
        env = "NAFTIKO_BASE_URI",
        value_delimiter = ','
    )]
    base_uri: Vec<String>,
    /// Serve an exposes block on another address and port (repeatable; comma-separated in
    /// the environment variable). `HOST:PORT` alone moves the only block that can listen.
    #[arg(
        long,
        value_name = "[NAMESPACE=]HOST:PORT",
        env = "NAFTIKO_LISTEN",
        value_delimiter = ','
    )]
    listen: Vec<String>,
    /// Also serve every exposed REST operation as MCP tools (`mcp=HOST:PORT`, Streamable
    /// HTTP at `/mcp`, or `mcp=stdio`) and/or as Agent Skills (`skill[=HOST:PORT]`, default
    /// 127.0.0.1:8090). Repeatable; comma-separated in the environment variable.
    #[arg(
        long,
        value_name = "mcp=HOST:PORT|mcp=stdio|skill[=HOST:PORT]",
        env = "NAFTIKO_EXPOSE",
        value_delimiter = ','
    )]
    expose: Vec<String>,
    /// `Host` values MCP endpoints accept (default: loopback names only). Widen it for
    /// containers, e.g. `--mcp-allowed-hosts localhost,127.0.0.1,my-service`; `*` accepts any.
    #[arg(
        long,
        value_name = "HOST,...",
        env = "NAFTIKO_MCP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    mcp_allowed_hosts: Vec<String>,
    /// `Origin` values MCP endpoints accept (default: `http://localhost`, `127.0.0.1` and `[::1]`,
    /// any port); requests without `Origin` are accepted.
    #[arg(
        long,
        value_name = "ORIGIN,...",
        env = "NAFTIKO_MCP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    mcp_allowed_origins: Vec<String>,
    /// Put TAG before every MCP session id this process issues (`[A-Za-z0-9._-]`, at most 32),
    /// so that a proxy in front of replicas can route a session to its replica (docs/run.md).
    #[arg(long, value_name = "TAG", env = "NAFTIKO_MCP_SESSION_PREFIX", value_parser = session_prefix)]
    mcp_session_prefix: Option<String>,
    /// Serve the control port (`/health/live`, `/health/ready`, `/status`, `/metrics`) on
    /// HOST:PORT (overrides an `exposes: type: control` block's address).
    #[arg(long, value_name = "HOST:PORT", env = "NAFTIKO_CONTROL")]
    control: Option<String>,
    /// Export traces as OTLP/HTTP protobuf to this collector (`URL/v1/traces`): a SERVER
    /// span per request, a CLIENT span per upstream call, one per step. Needs a binary built
    /// with `--features otlp`; refused (usage error) without it.
    #[arg(long, value_name = "URL", env = "NAFTIKO_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
    /// Log format (logs go to stderr).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "NAFTIKO_LOG_FORMAT", value_name = "FORMAT")]
    log_format: LogFormat,
    /// Time allowed to connect to an upstream (e.g. `5s`, `500ms`).
    #[arg(long, default_value = "5s", env = "NAFTIKO_CONNECT_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    connect_timeout: Duration,
    /// Time allowed for a whole upstream call, body included.
    #[arg(long, default_value = "30s", env = "NAFTIKO_UPSTREAM_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    upstream_timeout: Duration,
    /// Largest request body accepted (413 above it), e.g. `1MiB`, `64KiB`, `1000`.
    #[arg(long, default_value = "1MiB", env = "NAFTIKO_MAX_BODY", value_parser = parse_size, value_name = "SIZE")]
    max_body: usize,
    /// Largest upstream answer read (502 above it).
    #[arg(long, default_value = "16MiB", env = "NAFTIKO_MAX_UPSTREAM_BODY", value_parser = parse_size, value_name = "SIZE")]
    max_upstream_body: usize,
    /// Time allowed to receive a request's headers; slower connections are closed
    /// (slow-loris defence).
    #[arg(long, default_value = "10s", env = "NAFTIKO_HEADER_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    header_timeout: Duration,
    /// Time allowed to receive a request's body (408 after it).
    #[arg(long, default_value = "30s", env = "NAFTIKO_BODY_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    body_timeout: Duration,
    /// Most headers a request may carry (431 above it).
    #[arg(
        long,
        default_value_t = 100,
        env = "NAFTIKO_MAX_HEADERS",
        value_name = "N"
    )]
    max_headers: usize,
    /// Largest request head, request line and headers together (431 above it; at least 8KiB).
    #[arg(long, default_value = "64KiB", env = "NAFTIKO_MAX_HEADER_SIZE", value_parser = parse_size, value_name = "SIZE")]
    max_header_size: usize,
    /// Requests answered at once across all listeners; more get 503 with `Retry-After`.
    #[arg(
        long,
        default_value_t = 1024,
        env = "NAFTIKO_MAX_CONCURRENCY",
        value_name = "N"
    )]
    max_concurrency: usize,
    /// How long in-flight requests may take to finish after SIGINT/SIGTERM.
    #[arg(long, default_value = "10s", env = "NAFTIKO_SHUTDOWN_GRACE", value_parser = parse_duration, value_name = "DURATION")]
    shutdown_grace: Duration,
    /// Validate and build as `run` does (bindings, templates, base URIs, overrides), then
    /// exit without listening: 0 when `run` would start, 1 when it would refuse.
    #[arg(long)]
    check: bool,
    /// Serve every operation on the general path (no direct plans). The answers are the
    /// same; this is for comparing the two paths.
    #[arg(
        long,
        hide = true,
        env = "NAFTIKO_GENERAL_PATH",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    general_path: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

/// `500ms`, `5s`, `2m`, or plain seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or((t, "s"), |i| (&t[..i], t[i..].trim()));
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try `500ms`, `5s`, `2m`)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` is not a valid duration"))
}

/// `1048576`, `64KiB`, `1MiB`, `1KB`, `1MB`.
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: usize = t[..split]
        .parse()
        .map_err(|_| format!("`{text}` is not a size (try `1MiB`, `64KiB`, `1000`)"))?;
    let factor = match t[split..].trim() {
        "" | "B" => 1,
        "KiB" => 1024,
        "MiB" => 1024 * 1024,
        "KB" | "kB" => 1000,
        "MB" => 1_000_000,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use B, KiB, MiB, KB, MB)"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

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

/// What `--expose` asks for.
#[derive(Debug, PartialEq)]
enum Expose {
    Mcp(McpListen),
    Skill(String, u16),
}

fn parse_expose(text: &str) -> Result<Expose, String> {
    if text == "skill" {
        return Ok(Expose::Skill("127.0.0.1".to_owned(), 8090));
    }
    let (kind, target) = split_pair("--expose", text, "HOST:PORT")?;
    let (_, host, port) = match (kind, target) {
        ("mcp", "stdio") => return Ok(Expose::Mcp(McpListen::Stdio)),
        ("mcp" | "skill", t) => parse_listen(&format!("x={t}"))
            .map_err(|_| format!("--expose `{text}`: expected {kind}=HOST:PORT"))?,
        _ => {
            return Err(format!(
                "--expose `{text}`: expected mcp=HOST:PORT, mcp=stdio, skill or skill=HOST:PORT"
            ));
        }
    };
    Ok(if kind == "mcp" {
        Expose::Mcp(McpListen::Http(host, port))
    } else {
        Expose::Skill(host, port)
    })
}

fn split_pair<'a>(flag: &str, text: &'a str, what: &str) -> Result<(&'a str, &'a str), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => Ok((k.trim(), v.trim())),
        _ => Err(format!("{flag} `{text}`: expected NAMESPACE={what}")),
    }
}

/// `NAMESPACE=HOST:PORT`, or `HOST:PORT` alone (an empty namespace: the one block that can
/// listen, resolved once the files are read).
fn parse_listen(text: &str) -> Result<(String, String, u16), String> {
    let (ns, addr) = if text.contains('=') {
        split_pair("--listen", text, "HOST:PORT")?
    } else {
        ("", text.trim())
    };
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| format!("--listen `{text}`: expected HOST:PORT after `=`"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("--listen `{text}`: `{port}` is not a port number"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("--listen `{text}`: the host is empty"));
    }
    Ok((ns.to_owned(), host.to_owned(), port))
}

/// Runs `naftiko run`; returns the exit status.
pub(crate) fn run(args: &RunArgs) -> u8 {
    let access = init_logs(args.log_format);
    let mut usage = Vec::new();
    let otlp = match crate::telemetry::endpoint(args.otlp_endpoint.as_deref()) {
        Ok(endpoint) => endpoint,
        Err(e) => {
            usage.push(e);
            None
        }
    };
    let mut overrides = Overrides::parse(args, &mut usage);
    let validation = validate_placed(args, &mut overrides, &mut usage);
    if !usage.is_empty() {
        for u in &usage {
            eprintln!("naftiko: {u}");
        }
        return EXIT_USAGE;
    }
    if validation.has_errors() {
        report_errors(&validation);
        eprintln!("naftiko: not starting: the capabilities have errors");
        return EXIT_INVALID;
    }
    let warnings = validation.count(Severity::Warning);
    if warnings > 0 {
        tracing::info!(target: "naftiko", warnings, "validation warnings (see `naftiko validate` for details)");
    }
    let runtime = match Runtime::build(&validation, &overrides.build_options(args)) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            for p in &e.problems {
                eprintln!("error: {p}");
            }
            eprintln!("naftiko: not starting: the capabilities cannot be built");
            return EXIT_INVALID;
        }
    };
    for w in runtime.warnings() {
        tracing::warn!(target: "naftiko", "{w}");
    }
    for n in runtime.notes() {
        tracing::info!(target: "naftiko", "{n}");
    }
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
    tokio.block_on(serve(runtime, serve_options(args, access), otlp.as_deref()))
}

/// Validates the files, with ports and routes checked where `--listen` puts the blocks (not
/// where the files do); adds to `usage` the paths that cannot be read and the flags that
/// name no block, and gives `--listen HOST:PORT` its block.
fn validate_placed(
    args: &RunArgs,
    overrides: &mut Overrides,
    usage: &mut Vec<String>,
) -> naftiko_validate::Validation {
    let options = Options {
        strict: false,
        ..Options::default()
    };
    let named: Vec<_> = overrides
        .listens
        .iter()
        .filter(|(ns, _, _)| !ns.is_empty())
        .cloned()
        .collect();
    let validation = validate_paths_at(&args.paths, &options, &named);
    usage.extend(validation.path_errors.iter().cloned());
    if !usage.is_empty() {
        return validation;
    }
    let known = crate::overrides::Known::of(&validation);
    usage.extend(known.resolve(&mut overrides.listens, &overrides.base_uris));
    if named.len() == overrides.listens.len() || !usage.is_empty() {
        return validation;
    }
    validate_paths_at(&args.paths, &options, &overrides.listens)
}

/// What the command line says over the capability files (`--base-uri`, `--listen`,
/// `--expose`, `--control`).
struct Overrides {
    base_uris: Vec<(String, String)>,
    listens: Vec<(String, String, u16)>,
    expose_mcp: Option<naftiko_engine::McpListen>,
    expose_skill: Option<(String, u16)>,
    control: Option<(String, u16)>,
}

impl Overrides {
    /// Reads the flags; each one that cannot be read adds a line to `usage`.
    fn parse(args: &RunArgs, usage: &mut Vec<String>) -> Self {
        let mut base_uris = Vec::new();
        for b in &args.base_uri {
            match split_pair("--base-uri", b, "URL") {
                Ok((ns, url)) => match naftiko_engine::base_uri_problem(url) {
                    None => base_uris.push((ns.to_owned(), url.to_owned())),
                    Some(why) => usage.push(format!(
                        "--base-uri `{b}`: {why}; expected NAMESPACE=http(s)://HOST[:PORT][/PATH]"
                    )),
                },
                Err(e) => usage.push(e),
            }
        }
        let mut listens = Vec::new();
        for l in &args.listen {
            match parse_listen(l) {
                Ok(v) => listens.push(v),
                Err(e) => usage.push(e),
            }
        }
        let (mut expose_mcp, mut expose_skill) = (None, None);
        for e in &args.expose {
            match parse_expose(e) {
                Ok(Expose::Mcp(l)) => expose_mcp = Some(l),
                Ok(Expose::Skill(h, p)) => expose_skill = Some((h, p)),
                Err(e) => usage.push(e),
            }
        }
        let control = match args
            .control
            .as_deref()
            .map(|c| parse_listen(&format!("control={c}")))
        {
            Some(Ok((_, host, port))) => Some((host, port)),
            Some(Err(_)) => {
                usage.push(format!(
                    "--control `{}`: expected HOST:PORT",
                    args.control.as_deref().unwrap_or("")
                ));
                None
            }
            None => None,
        };
        Overrides {
            base_uris,
            listens,
            expose_mcp,
            expose_skill,
            control,
        }
    }

    /// How to build: these overrides, the client flags, the process environment.
    fn build_options(self, args: &RunArgs) -> BuildOptions {
        BuildOptions {
            base_uris: self.base_uris,
            listens: self.listens,
            client: ClientOptions {
                connect_timeout: args.connect_timeout,
                total_timeout: args.upstream_timeout,
                max_response_bytes: args.max_upstream_body,
            },
            env: Arc::new(ProcessEnv),
            expose_mcp: self.expose_mcp,
            expose_skill: self.expose_skill,
            control: self.control,
            general_only: args.general_path,
            transport: None,
        }
    }
}

/// Prints the validation errors (not the warnings) to standard error.
fn report_errors(validation: &naftiko_validate::Validation) {
    let errors: Vec<_> = validation
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    let options = RenderOptions {
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        files_checked: validation.files.len(),
        tool_version: env!("CARGO_PKG_VERSION"),
        path_errors: Vec::new(),
    };
    eprint!(
        "{}",
        report::render(Format::Human, &errors, &validation.sources(), &options)
    );
}

/// The async runtime: on one core, a single-threaded scheduler (the same work without
/// cross-thread wake-ups and work-stealing bookkeeping).
fn async_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let one_core = std::thread::available_parallelism().map_or(true, |n| n.get() == 1);
    let mut builder = if one_core {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all().build()
}

/// `--mcp-session-prefix`: 1 to 32 of `[A-Za-z0-9._-]` (safe in a header and a proxy's regex).
fn session_prefix(text: &str) -> Result<String, String> {
    let ok = (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(text.to_owned())
    } else {
        Err("expected 1 to 32 of A-Z a-z 0-9 . _ -".to_owned())
    }
}

/// How to serve: body and header limits, MCP host and origin checks, the access log.
fn serve_options(args: &RunArgs, access: Option<Arc<dyn AccessSink>>) -> ServeOptions {
    let mut mcp = McpHttpOptions {
        max_body_bytes: args.max_body,
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
    }
}

/// Starts the span exporter when `otlp` names a collector, binds every listener, logs where
/// each one is, serves until SIGINT or SIGTERM, then sends the last spans.
async fn serve(runtime: Arc<Runtime>, mut serve: ServeOptions, otlp: Option<&str>) -> u8 {
    let telemetry = match crate::telemetry::Telemetry::start(otlp) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("naftiko: {e}");
            return EXIT_RUNTIME;
        }
    };
    serve.spans = telemetry.spans();
    let code = serve_listeners(runtime, &serve).await;
    telemetry.shutdown().await;
    code
}

/// Binds every listener, logs where each one is, and serves until SIGINT or SIGTERM.
async fn serve_listeners(runtime: Arc<Runtime>, serve: &ServeOptions) -> u8 {
    let listeners = match naftiko_server::bind(runtime, serve).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(target: "naftiko", "{e}");
            eprintln!("naftiko: {e}");
            return EXIT_RUNTIME;
        }
    };
    for l in &listeners.listeners {
        let endpoint = if l.kind == "mcp" {
            " [mcp at /mcp]"
        } else {
            ""
        };
        tracing::info!(target: "naftiko", "listening on http://{} ({}){endpoint}", l.local_addr, l.namespaces.join(", "));
        for r in &l.routes {
            tracing::info!(target: "naftiko", "  route {r}");
        }
    }
    if let Some(i) = listeners.stdio {
        let ns = runtime_namespace(&listeners, i);
        tracing::info!(target: "naftiko", "serving MCP on stdio ({ns})");
    }
    let drained = listeners.serve(shutdown_signal()).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse_with_units() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_size("64KiB").unwrap(), 65536);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("1GB").is_err());
    }

    #[test]
    fn listen_values_need_a_namespace_host_and_port() {
        assert_eq!(
            parse_listen("api=127.0.0.1:8081").unwrap(),
            ("api".into(), "127.0.0.1".into(), 8081)
        );
        assert_eq!(parse_listen("api=[::1]:80").unwrap().1, "::1");
        assert!(parse_listen("api=127.0.0.1").is_err());
        assert_eq!(parse_listen("127.0.0.1:80").unwrap().0, "");
        assert!(parse_listen("=127.0.0.1:80").is_err());
    }

    #[test]
    fn expose_values_name_mcp_or_skill() {
        assert_eq!(
            parse_expose("mcp=stdio").unwrap(),
            Expose::Mcp(McpListen::Stdio)
        );
        assert_eq!(
            parse_expose("mcp=127.0.0.1:9").unwrap(),
            Expose::Mcp(McpListen::Http("127.0.0.1".into(), 9))
        );
        assert_eq!(
            parse_expose("skill").unwrap(),
            Expose::Skill("127.0.0.1".into(), 8090)
        );
        assert!(parse_expose("rest=127.0.0.1:1").is_err());
    }
}
