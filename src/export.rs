//! `naftiko export openapi FILE`: the REST API a capability exposes, as an OpenAPI 3.1
//! document (`naftiko-openapi`), in YAML (default) or JSON, on stdout or to `--output`.

use std::path::PathBuf;

use naftiko_validate::{Options, validate_paths};

use crate::exit::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};

/// `naftiko export …`.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum ExportCommand {
    /// The exposed REST API of a capability as an OpenAPI 3.1 document.
    Openapi(OpenapiArgs),
}

/// `naftiko export openapi` flags.
#[derive(clap::Args, Debug)]
pub(crate) struct OpenapiArgs {
    /// The capability file.
    file: PathBuf,
    /// The REST block to describe (needed when the file exposes several).
    #[arg(long)]
    namespace: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    format: Format,
    /// Write the document here instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Yaml,
    Json,
}

/// Runs `naftiko export`; the exit status (1: the capability has errors or cannot be
/// described, 2: a bad path or flag).
pub(crate) fn export(command: &ExportCommand) -> u8 {
    let ExportCommand::Openapi(args) = command;
    let validation = validate_paths(std::slice::from_ref(&args.file), &Options::default());
    if let Some(e) = validation.path_errors.first() {
        eprintln!("naftiko: {e}");
        return EXIT_USAGE;
    }
    if validation.has_errors() {
        eprintln!(
            "{}: the capability has errors; `naftiko validate {0}` lists them",
            args.file.display()
        );
        return EXIT_INVALID;
    }
    let doc = match naftiko_openapi::export(&validation, args.namespace.as_deref()) {
        Ok(d) => d,
        Err(e @ naftiko_openapi::ExportError::Several(_)) => {
            eprintln!("naftiko: {e}");
            return EXIT_USAGE;
        }
        Err(e) => {
            eprintln!("{}: {e}", args.file.display());
            return EXIT_INVALID;
        }
    };
    let text = match args.format {
        Format::Yaml => naftiko_migrate::write_yaml(&doc),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ),
    };
    match &args.output {
        None => {
            print!("{text}");
            EXIT_OK
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => EXIT_OK,
            Err(e) => {
                eprintln!("naftiko: cannot write {}: {e}", path.display());
                EXIT_USAGE
            }
        },
    }
}
