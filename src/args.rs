//! `naftiko run`'s flags, and how their values are read (durations, sizes, the MCP
//! session prefix).

use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;

/// What `naftiko run --help` adds after the flags.
pub(crate) const RUN_AFTER_HELP: &str = "\
Environment:
  NAFTIKO_LOG          log verbosity, a `tracing` filter (default `info`; e.g. `debug`,
                       `naftiko=debug,info`); every flag above also reads the variable shown
  NAFTIKO_GENERAL_PATH serve every operation on the general path (1/0, true/false, yes/no, on/off)

Exit codes:
  0  stopped cleanly (SIGINT/SIGTERM, every in-flight request finished); `--check`: would start
     (SIGHUP reloads the files: a set with errors is logged and the running one kept)
  1  invalid capability: validation or build errors (missing variables, unusable base URIs, ...)
  2  usage: a malformed flag, a flag naming no namespace, a missing path, no capability files
  3  a port could not be bound, or another runtime failure
  4  stopped, but `--shutdown-grace` ran out: in-flight requests were answered 503 and cut off";

/// `naftiko run` arguments.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = RUN_AFTER_HELP)]
pub(crate) struct RunArgs {
    /// Files or directories (directories: every *.yaml/*.yml below with a `naftiko` key).
    /// All are served together; exposes blocks on the same address and port share a server.
    #[arg(default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
    /// Replace a consumed namespace's `baseUri` (repeatable; comma-separated in the
    /// environment variable).
    #[arg(
        long = "base-uri",
        value_name = "NAMESPACE=URL",
        env = "NAFTIKO_BASE_URI",
        value_delimiter = ','
    )]
    pub(crate) base_uri: Vec<String>,
    /// Serve an exposes block on another address and port (repeatable; comma-separated in
    /// the environment variable). `HOST:PORT` alone moves the only block that can listen.
    #[arg(
        long,
        value_name = "[NAMESPACE=]HOST:PORT",
        env = "NAFTIKO_LISTEN",
        value_delimiter = ','
    )]
    pub(crate) listen: Vec<String>,
    /// Also serve every exposed REST operation as MCP tools (`mcp=HOST:PORT`, Streamable
    /// HTTP at `/mcp`, or `mcp=stdio`) and/or as Agent Skills (`skill[=HOST:PORT]`, default
    /// 127.0.0.1:8090). Repeatable; comma-separated in the environment variable.
    #[arg(
        long,
        value_name = "mcp=HOST:PORT|mcp=stdio|skill[=HOST:PORT]",
        env = "NAFTIKO_EXPOSE",
        value_delimiter = ','
    )]
    pub(crate) expose: Vec<String>,
    /// `Host` values MCP endpoints accept (default: loopback names only). Widen it for
    /// containers, e.g. `--mcp-allowed-hosts localhost,127.0.0.1,my-service`; `*` accepts any.
    #[arg(
        long,
        value_name = "HOST,...",
        env = "NAFTIKO_MCP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub(crate) mcp_allowed_hosts: Vec<String>,
    /// `Origin` values MCP endpoints accept (default: `http://localhost`, `127.0.0.1` and `[::1]`,
    /// any port); requests without `Origin` are accepted.
    #[arg(
        long,
        value_name = "ORIGIN,...",
        env = "NAFTIKO_MCP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub(crate) mcp_allowed_origins: Vec<String>,
    /// Put TAG before every MCP session id this process issues (`[A-Za-z0-9._-]`, at most 32),
    /// so that a proxy in front of replicas can route a session to its replica (docs/run.md).
    #[arg(long, value_name = "TAG", env = "NAFTIKO_MCP_SESSION_PREFIX", value_parser = session_prefix)]
    pub(crate) mcp_session_prefix: Option<String>,
    /// Serve the control port (`/health/live`, `/health/ready`, `/status`, `/metrics`) on
    /// HOST:PORT (overrides an `exposes: type: control` block's address).
    #[arg(long, value_name = "HOST:PORT", env = "NAFTIKO_CONTROL")]
    pub(crate) control: Option<String>,
    /// Log format (logs go to stderr).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "NAFTIKO_LOG_FORMAT", value_name = "FORMAT")]
    pub(crate) log_format: LogFormat,
    /// Time allowed to connect to an upstream (e.g. `5s`, `500ms`).
    #[arg(long, default_value = "5s", env = "NAFTIKO_CONNECT_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) connect_timeout: Duration,
    /// Time allowed for a whole upstream call, body included.
    #[arg(long, default_value = "30s", env = "NAFTIKO_UPSTREAM_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) upstream_timeout: Duration,
    /// Largest request body accepted (413 above it), e.g. `1MiB`, `64KiB`, `1000`.
    #[arg(long, default_value = "1MiB", env = "NAFTIKO_MAX_BODY", value_parser = parse_size, value_name = "SIZE")]
    pub(crate) max_body: usize,
    /// Largest upstream answer read (502 above it).
    #[arg(long, default_value = "16MiB", env = "NAFTIKO_MAX_UPSTREAM_BODY", value_parser = parse_size, value_name = "SIZE")]
    pub(crate) max_upstream_body: usize,
    /// Time allowed to receive a request's headers; slower connections are closed
    /// (slow-loris defence).
    #[arg(long, default_value = "10s", env = "NAFTIKO_HEADER_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) header_timeout: Duration,
    /// Time allowed to receive a request's body (408 after it).
    #[arg(long, default_value = "30s", env = "NAFTIKO_BODY_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) body_timeout: Duration,
    /// Most headers a request may carry (431 above it).
    #[arg(
        long,
        default_value_t = 100,
        env = "NAFTIKO_MAX_HEADERS",
        value_name = "N"
    )]
    pub(crate) max_headers: usize,
    /// Largest request head, request line and headers together (431 above it; at least 8KiB).
    #[arg(long, default_value = "64KiB", env = "NAFTIKO_MAX_HEADER_SIZE", value_parser = parse_size, value_name = "SIZE")]
    pub(crate) max_header_size: usize,
    /// Requests answered at once across all listeners; more get 503 with `Retry-After`.
    #[arg(
        long,
        default_value_t = 1024,
        env = "NAFTIKO_MAX_CONCURRENCY",
        value_name = "N"
    )]
    pub(crate) max_concurrency: usize,
    /// How long in-flight requests may take to finish after SIGINT/SIGTERM.
    #[arg(long, default_value = "10s", env = "NAFTIKO_SHUTDOWN_GRACE", value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) shutdown_grace: Duration,
    /// Serve TLS with this PEM certificate chain (repeatable; comma-separated in the
    /// environment variable): `PATH` for every listener, `NAMESPACE=PATH` for the listener
    /// of that exposes block (`control=PATH` for the control port). Each needs its
    /// `--tls-key`. Read again at each reload.
    #[arg(
        long,
        value_name = "[NAMESPACE=]PATH",
        env = "NAFTIKO_TLS_CERT",
        value_delimiter = ','
    )]
    pub(crate) tls_cert: Vec<String>,
    /// The PEM private key of the `--tls-cert` with the same namespace (or none).
    #[arg(
        long,
        value_name = "[NAMESPACE=]PATH",
        env = "NAFTIKO_TLS_KEY",
        value_delimiter = ','
    )]
    pub(crate) tls_key: Vec<String>,
    /// Trust the certificate authorities of this PEM bundle for upstream HTTPS, beside the
    /// system's roots (repeatable; comma-separated in the environment variable): `PATH` for
    /// every consumed API, `NAMESPACE=PATH` for one.
    #[arg(
        long,
        value_name = "[NAMESPACE=]PATH",
        env = "NAFTIKO_CA_BUNDLE",
        value_delimiter = ','
    )]
    pub(crate) ca_bundle: Vec<String>,
    /// Export traces as OTLP/HTTP protobuf to this collector (`URL/v1/traces`): a SERVER
    /// span per request, a CLIENT span per upstream call, one per step. Needs a binary built
    /// with `--features otlp`; refused (usage error) without it.
    #[arg(long, value_name = "URL", env = "NAFTIKO_OTLP_ENDPOINT")]
    pub(crate) otlp_endpoint: Option<String>,
    /// Reload when the capability files change (SIGHUP reloads with or without it): the
    /// files and directories named, and the files they import, are read every
    /// `--watch-interval`; a change is reloaded once it has stayed the same for one more.
    #[arg(long, env = "NAFTIKO_WATCH", value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) watch: bool,
    /// How often `--watch` reads the files.
    #[arg(long, default_value = "1s", env = "NAFTIKO_WATCH_INTERVAL", value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) watch_interval: Duration,
    /// Validate and build as `run` does (bindings, templates, base URIs, overrides), then
    /// exit without listening: 0 when `run` would start, 1 when it would refuse.
    #[arg(long)]
    pub(crate) check: bool,
    /// Serve every operation on the general path (no direct plans, every MCP request
    /// through rmcp). The answers are the same; this is for comparing the two paths.
    #[arg(
        long,
        hide = true,
        env = "NAFTIKO_GENERAL_PATH",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub(crate) general_path: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogFormat {
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
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
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

/// `--mcp-session-prefix`: 1 to 32 of `[A-Za-z0-9._-]` (safe in a header and a proxy's regex).
pub(crate) fn session_prefix(text: &str) -> Result<String, String> {
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
}
