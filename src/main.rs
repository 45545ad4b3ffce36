//! The `naftiko` command line: validates and serves Naftiko capability files.
//!
//! Exit codes: 0 success (warnings allowed), 1 errors found (or warnings under
//! `--deny-warnings`), 2 usage error or unusable path, 3 (`run`) a port could not be
//! bound or another runtime failure, 4 (`run`) stopped with requests cut off when
//! `--shutdown-grace` ran out. `health`, `status` and `metrics` (src/probe.rs) exit 1 when
//! the control port answers anything but 200 and 3 when it cannot be reached.

/// mimalloc instead of the system allocator: allocation was a quarter of the instructions
/// of a proxied request with glibc's malloc (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod announce;
mod args;
mod certs;
mod create;
mod exit;
mod export;
mod import;
mod load;
mod logs;
mod migrate;
#[cfg(feature = "otlp")]
mod otlp;
mod overrides;
mod probe;
mod reload;
mod run;
mod telemetry;
mod version;
mod watch;
mod written;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use naftiko_spec::Severity;
use naftiko_validate::report::{self, Format, RenderOptions};
use naftiko_validate::{Options, validate_paths};

use crate::exit::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};
use crate::version::VersionArg;

#[derive(Parser, Debug)]
#[command(
    name = "naftiko",
    version,
    about = "A fast runtime and validator for Naftiko capability files",
    after_help = "\
Environment: NAFTIKO_LOG sets log verbosity (a `tracing` filter, default `info`); `naftiko run
--help` lists every variable.
Exit codes: 0 success (warnings allowed), 1 errors found (or warnings under --deny-warnings),
2 usage error or unusable path, 3 (run) a port could not be bound or another runtime failure,
(health, status, metrics) the control port could not be reached, 4 (run) stopped with
in-flight requests cut off when --shutdown-grace ran out; health, status and metrics exit 1
when the control port answers anything but 200."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check capability files and report every problem with its file, line and column.
    Validate(ValidateArgs),
    /// Validate, build and serve capability files (REST, MCP, skills, control) until
    /// SIGINT/SIGTERM.
    Run(Box<args::RunArgs>),
    /// Print a JSON Schema of the capability document, generated from naftiko's model.
    Schema(SchemaArgs),
    /// List every rule id with its default severity and the versions it applies to.
    Rules,
    /// Rewrite a 1.0.0-alpha2 capability file as Ikanos 1.0.0-beta5 (stdout, or --output).
    Migrate(migrate::MigrateArgs),
    /// Ask a running naftiko's control port whether it is alive (or, with --ready, ready):
    /// exit 0 when UP, 1 when not, 3 when unreachable. For container health checks.
    Health(probe::HealthArgs),
    /// Print a running naftiko's `/status` (capabilities, listeners, uptime) as JSON.
    Status(probe::ControlArgs),
    /// Print a running naftiko's `/metrics` (Prometheus text).
    Metrics(probe::ControlArgs),
    /// Print a running naftiko's `/scripting` (script settings and execution counts) as
    /// JSON.
    Scripting(probe::ControlArgs),
    /// Write a new capability file from flags (`naftiko create capability --help`).
    #[command(subcommand)]
    Create(create::CreateCommand),
    /// Describe a capability in another format (`naftiko export openapi --help`).
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Write a capability from another format (`naftiko import openapi --help`).
    #[command(subcommand)]
    Import(import::ImportCommand),
}

#[derive(clap::Args, Debug)]
struct SchemaArgs {
    /// Which specification: `alpha2` (`naftiko: 1.0.0-alpha2`) or `beta5` (`ikanos: 1.0.0-beta5`).
    #[arg(long, value_enum, default_value_t = VersionArg::Alpha2)]
    version: VersionArg,
}

#[derive(clap::Args, Debug)]
struct ValidateArgs {
    /// Files or directories (directories: every *.yaml/*.yml below with a `naftiko` key).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Report constructs outside the official schema of each file's version
    /// (1.0.0-alpha2 or Ikanos 1.0.0-beta5) as errors.
    #[arg(long)]
    strict: bool,
    /// Exit 1 when there are warnings, too.
    #[arg(long)]
    deny_warnings: bool,
    /// Skip named files that have no `naftiko` or `ikanos` key (as a directory scan does),
    /// for hooks and scripts that pass every changed YAML file.
    #[arg(long)]
    capabilities_only: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FormatArg {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => ExitCode::from(validate(&args)),
        Command::Migrate(args) => ExitCode::from(migrate::migrate(&args)),
        Command::Health(args) => ExitCode::from(probe::health(&args)),
        Command::Create(command) => ExitCode::from(create::create(&command)),
        Command::Export(command) => ExitCode::from(export::export(&command)),
        Command::Import(command) => ExitCode::from(import::import(&command)),
        Command::Status(args) => ExitCode::from(probe::show(&args, "/status")),
        Command::Metrics(args) => ExitCode::from(probe::show(&args, "/metrics")),
        Command::Scripting(args) => ExitCode::from(probe::show(&args, "/scripting")),
        Command::Run(args) => {
            let code = run::run(&args);
            logs::flush();
            ExitCode::from(code)
        }
        Command::Schema(args) => {
            let schema = naftiko_spec::model::json_schema_for(args.version.spec());
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            print_out(&format!("{text}\n"))
        }
        Command::Rules => {
            let mut out = String::new();
            for r in naftiko_spec::diag::RULES {
                out.push_str(&format!(
                    "{:<48} {:<8} {:<13} {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.versions(),
                    r.summary
                ));
            }
            print_out(&out)
        }
    }
}

/// Writes to stdout; a closed pipe is not an error worth a panic.
fn print_out(text: &str) -> ExitCode {
    write_out(|out| out.write_all(text.as_bytes()))
}

/// Lets `write` produce stdout's text through a buffer; a closed pipe is not an error
/// worth a panic, any other failure to write is a usage error (exit status 2).
fn write_out(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> ExitCode {
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(_) => ExitCode::from(EXIT_USAGE),
    }
}

fn validate(args: &ValidateArgs) -> u8 {
    let validation = validate_paths(
        &args.paths,
        &Options {
            strict: args.strict,
            capabilities_only: args.capabilities_only,
        },
    );
    for e in &validation.path_errors {
        eprintln!("naftiko: {e}");
    }
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
    };
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let options = RenderOptions {
        color,
        files_checked: validation.files.len(),
        tool_version: env!("CARGO_PKG_VERSION"),
        path_errors: validation.path_errors.clone(),
    };
    let sources = validation.sources();
    let written =
        write_out(|out| report::write(format, &validation.diagnostics, &sources, &options, out));
    if written != ExitCode::from(EXIT_OK) {
        return EXIT_USAGE;
    }
    if !validation.path_errors.is_empty() {
        return EXIT_USAGE;
    }
    let warnings = validation.count(Severity::Warning) > 0;
    let code = if validation.has_errors() || (args.deny_warnings && warnings) {
        EXIT_INVALID
    } else {
        EXIT_OK
    };
    // The process ends right after this: freeing every file's text, YAML tree and model
    // one allocation at a time would cost about a tenth of a corpus-sized run.
    std::mem::forget(validation);
    code
}
