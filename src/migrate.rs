//! `naftiko migrate FILE`: an alpha2 capability file rewritten as Ikanos 1.0.0-beta5
//! (`naftiko-migrate`), printed on stdout or written to `--output`; what could not be
//! carried over is listed on stderr, one `note:` line each.

use std::path::PathBuf;

use crate::exit::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};

/// `naftiko migrate` arguments.
#[derive(clap::Args, Debug)]
pub(crate) struct MigrateArgs {
    /// The `naftiko: 1.0.0-alpha2` file to rewrite.
    file: PathBuf,
    /// Write the beta5 document here instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Runs `naftiko migrate`; the exit status (2: unreadable file or output, 1: not an alpha
/// document).
pub(crate) fn migrate(args: &MigrateArgs) -> u8 {
    let shown = args.file.display();
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("naftiko: cannot read {shown}: {e}");
            return EXIT_USAGE;
        }
    };
    let migrated = match naftiko_migrate::to_beta5(&text) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{shown}: {e}");
            return EXIT_INVALID;
        }
    };
    for note in &migrated.notes {
        eprintln!("note: {shown}: {note}");
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &migrated.yaml) {
                eprintln!("naftiko: cannot write {}: {e}", path.display());
                return EXIT_USAGE;
            }
            EXIT_OK
        }
        None => {
            print!("{}", migrated.yaml);
            EXIT_OK
        }
    }
}
