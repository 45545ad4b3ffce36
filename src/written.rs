//! A capability document a command writes (`create capability`, `import openapi`): which
//! version, and where it goes (stdout, or `--output`, kept when it exists unless `--force`).

use std::path::PathBuf;

use crate::exit::{EXIT_OK, EXIT_USAGE};
use crate::version::VersionArg;

/// The flags of a command that writes a capability.
#[derive(clap::Args, Debug)]
pub(crate) struct Written {
    /// Which specification to write.
    #[arg(long, value_enum, default_value_t = VersionArg::Alpha2)]
    pub(crate) version: VersionArg,
    /// Write the capability here instead of stdout (an existing file is kept unless
    /// --force).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Overwrite --output when it exists.
    #[arg(long)]
    force: bool,
}

impl Written {
    /// Prints `text`, or writes it to `--output`; the exit status.
    pub(crate) fn write(&self, text: &str) -> u8 {
        let Some(path) = &self.output else {
            print!("{text}");
            return EXIT_OK;
        };
        if path.exists() && !self.force {
            eprintln!(
                "naftiko: --output {} exists; pass --force to overwrite it",
                path.display()
            );
            return EXIT_USAGE;
        }
        match std::fs::write(path, text) {
            Ok(()) => {
                eprintln!(
                    "wrote {}; check it with `naftiko validate {0}` and serve it with `naftiko run {0}`",
                    path.display()
                );
                EXIT_OK
            }
            Err(e) => {
                eprintln!("naftiko: cannot write {}: {e}", path.display());
                EXIT_USAGE
            }
        }
    }
}
