//! `naftiko import openapi SPEC`: a capability written from an OpenAPI 3 document
//! (`naftiko_openapi::import`), alpha2 or beta5, on stdout or to `--output`; what could
//! not be carried over is listed on stderr, one `note:` line each.

use std::path::PathBuf;
use std::sync::Arc;

use crate::exit::{EXIT_INVALID, EXIT_USAGE};
use crate::version::VersionArg;

/// `naftiko import …`.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum ImportCommand {
    /// A capability from an OpenAPI 3.0/3.1 document (YAML or JSON).
    Openapi(OpenapiArgs),
}

/// `naftiko import openapi` flags.
#[derive(clap::Args, Debug)]
pub(crate) struct OpenapiArgs {
    /// The OpenAPI document.
    spec: PathBuf,
    /// The consumed API's namespace (default: from the document's title).
    #[arg(long)]
    namespace: Option<String>,
    #[command(flatten)]
    written: crate::written::Written,
}

/// Runs `naftiko import`; the exit status (1: not an OpenAPI 3 document, 2: an unreadable
/// file or output).
pub(crate) fn import(command: &ImportCommand) -> u8 {
    let ImportCommand::Openapi(args) = command;
    let shown = args.spec.display();
    let text = match std::fs::read_to_string(&args.spec) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("naftiko: cannot read {shown}: {e}");
            return EXIT_USAGE;
        }
    };
    let path: Arc<std::path::Path> = Arc::from(args.spec.as_path());
    let mut problems = Vec::new();
    let Some(tree) = naftiko_spec::yaml::parse(&text, &path, &mut problems) else {
        let why = problems
            .first()
            .map_or_else(|| "not YAML or JSON".to_owned(), |d| d.message.clone());
        eprintln!("{shown}: {why}");
        return EXIT_INVALID;
    };
    let imported = match naftiko_openapi::import(&tree.to_json(), args.namespace.as_deref()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{shown}: {e}");
            return EXIT_INVALID;
        }
    };
    for note in &imported.notes {
        eprintln!("note: {shown}: {note}");
    }
    let mut yaml = naftiko_migrate::write_yaml(&imported.document);
    if args.written.version == VersionArg::Beta5 {
        match naftiko_migrate::to_beta5(&yaml) {
            Ok(m) => yaml = m.yaml,
            Err(e) => {
                eprintln!("{shown}: {e}");
                return EXIT_INVALID;
            }
        }
    }
    args.written.write(&yaml)
}
