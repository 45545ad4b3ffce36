//! The MCP tooling as tests drive it: `.ci/mcp-tools/mcp_client.py` run as a real client (the
//! official MCP Python SDK `mcp`, with the `initialize` handshake or its auto-negotiating
//! `Client`, or FastMCP's `Client`), its JSON report, and naftiko's MCP access lines.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::serve::Naftiko;

/// A hang guard for one client run, not a timing assertion.
const CLIENT_WATCHDOG: Duration = Duration::from_secs(120);

/// Which client `mcp_client.py` runs (`--client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `mcp`'s `ClientSession` and `initialize` (a 2025 revision).
    Legacy,
    /// `mcp`'s `Client`, mode "auto" (`server/discover` at 2026-07-28 first).
    Sdk,
    /// `fastmcp.Client`, mode "auto".
    FastMcp,
}

impl Kind {
    /// The `--client` value.
    pub(crate) fn arg(self) -> &'static str {
        match self {
            Kind::Legacy => "legacy",
            Kind::Sdk => "sdk",
            Kind::FastMcp => "fastmcp",
        }
    }
}

/// What one run of the Python client printed.
pub(crate) struct ClientRun {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl ClientRun {
    /// The client's JSON document (the run must have succeeded).
    pub(crate) fn doc(&self) -> Value {
        assert_eq!(self.code, Some(0), "the MCP client failed\n{self}");
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!("the client's output is not one JSON document ({e})\n{self}")
        })
    }

    /// One result per command.
    pub(crate) fn results(&self) -> Vec<Value> {
        let doc = self.doc();
        doc["results"]
            .as_array()
            .unwrap_or_else(|| panic!("no results\n{self}"))
            .clone()
    }

    /// The JSON-RPC methods the client POSTed, in order (http runs only).
    pub(crate) fn sent_methods(&self) -> Vec<String> {
        self.doc()["sent"]
            .as_array()
            .unwrap_or_else(|| panic!("no `sent` list\n{self}"))
            .iter()
            .map(|s| s["method"].as_str().unwrap_or("-").to_owned())
            .collect()
    }
}

impl std::fmt::Display for ClientRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `mcp_client.py ARGS COMMANDS` in the workspace root, killing it if it hangs.
pub(crate) fn mcp_client(args: &[&str], commands: &Value) -> ClientRun {
    mcp_client_with(args, commands, &[])
}

/// [`mcp_client`] with `env` added to the client's environment (e.g. `SSL_CERT_FILE`).
pub(crate) fn mcp_client_with(args: &[&str], commands: &Value, env: &[(&str, &str)]) -> ClientRun {
    let root = super::root();
    let mut cmd = Command::new(root.join(".ci/mcp-tools/venv/bin/python"));
    cmd.arg(root.join(".ci/mcp-tools/mcp_client.py"))
        .args(args)
        .arg(commands.to_string())
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env_remove("NAFTIKO_BASE_URI")
        .env_remove("NAFTIKO_LISTEN")
        .env_remove("NAFTIKO_EXPOSE")
        .env_remove("NAFTIKO_MCP_ALLOWED_HOSTS")
        .env_remove("NAFTIKO_MCP_ALLOWED_ORIGINS")
        .env_remove("NAFTIKO_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = super::run_command(&mut cmd, CLIENT_WATCHDOG, "the MCP Python client");
    ClientRun {
        code: run.status.code(),
        stdout: run.stdout,
        stderr: run.stderr,
    }
}

/// Runs COMMANDS with client `kind` against the Streamable HTTP endpoint `url`.
pub(crate) fn over_http(kind: Kind, url: &str, commands: &Value) -> ClientRun {
    mcp_client(
        &["http", "--client", kind.arg(), "--timeout", "60", url],
        commands,
    )
}

/// Runs COMMANDS with client `kind` against `naftiko run ARGS`, started by the client over
/// stdio.
pub(crate) fn over_stdio(kind: Kind, naftiko_args: &[&str], commands: &Value) -> ClientRun {
    let bin = env!("CARGO_BIN_EXE_naftiko");
    let mut args = vec!["stdio", "--client", kind.arg(), "--timeout", "60", "--"];
    args.extend_from_slice(&[bin, "run"]);
    args.extend_from_slice(naftiko_args);
    mcp_client(&args, commands)
}

/// `http://ADDR/mcp` of the (only) MCP listener of `naftiko`.
pub(crate) fn mcp_url(naftiko: &Naftiko) -> String {
    let (_, addr) = naftiko
        .listeners
        .iter()
        .find(|(ns, _)| ns.contains("[mcp at /mcp]"))
        .unwrap_or_else(|| panic!("no MCP listener logged\n{}", naftiko.logs()));
    format!("http://{addr}/mcp")
}

/// One `mcp request` access line of naftiko's text log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccessLine {
    pub(crate) rpc_method: String,
    pub(crate) protocol_version: String,
    pub(crate) session: bool,
    pub(crate) status: u16,
}

/// Every `mcp request` access line in `logs` (text format), in order.
pub(crate) fn access_lines(logs: &str) -> Vec<AccessLine> {
    logs.lines()
        .filter(|l| l.contains("naftiko::access: mcp request"))
        .map(|l| AccessLine {
            rpc_method: field(l, "rpc_method").trim_matches('"').to_owned(),
            protocol_version: field(l, "protocol_version").trim_matches('"').to_owned(),
            session: field(l, "session") == "true",
            status: field(l, "status").parse().unwrap_or(0),
        })
        .collect()
}

/// The value of ` name=value` in a text log line (empty when absent).
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=");
    line.split_once(&key)
        .map(|(_, rest)| rest.split(' ').next().unwrap_or(""))
        .unwrap_or("")
}
