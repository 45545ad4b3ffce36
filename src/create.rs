//! `naftiko create capability`: writes a minimal capability (one consumed operation, served
//! as a REST operation and an MCP tool) from flags, to stdout or `--output`
//! (`naftiko_migrate::create`).

use naftiko_migrate::create::{NewCapability, capability, default_name};

use crate::exit::EXIT_USAGE;
use crate::version::VersionArg;

/// `naftiko create …`.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum CreateCommand {
    /// A minimal, valid capability: one consumed operation, served over REST and MCP.
    Capability(CapabilityArgs),
}

/// `naftiko create capability` flags.
#[derive(clap::Args, Debug)]
pub(crate) struct CapabilityArgs {
    /// The consumed API's namespace (lowercase letters, digits, `-`); the exposes blocks
    /// are NAMESPACE-rest (port 8080) and NAMESPACE-mcp (port 3000).
    #[arg(long)]
    namespace: String,
    /// The upstream's base URI, e.g. `https://api.example.com/v1`.
    #[arg(long, value_name = "URL")]
    base_uri: String,
    /// The operation's HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// The operation's path below the base URI; `{name}` marks a path variable.
    #[arg(long, default_value = "/")]
    path: String,
    /// The operation's name (default: from the method and path, e.g. `get-items`).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    written: crate::written::Written,
}

/// Runs `naftiko create`; the exit status (2 for a bad flag or an unwritable output).
pub(crate) fn create(command: &CreateCommand) -> u8 {
    let CreateCommand::Capability(args) = command;
    let method = args.method.to_ascii_uppercase();
    let new = NewCapability {
        namespace: args.namespace.clone(),
        base_uri: args.base_uri.clone(),
        operation: args
            .name
            .clone()
            .unwrap_or_else(|| default_name(&method, &args.path)),
        method,
        path: args.path.clone(),
        beta5: args.written.version == VersionArg::Beta5,
    };
    let yaml = match capability(&new) {
        Ok(y) => y,
        Err(e) => {
            eprintln!("naftiko: {e}");
            return EXIT_USAGE;
        }
    };
    args.written.write(&yaml)
}
