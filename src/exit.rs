//! The exit statuses of `naftiko`, shared by `validate` (main.rs) and `run` (run.rs).

/// Exit status: everything fine.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit status: the files have errors.
pub(crate) const EXIT_INVALID: u8 = 1;
/// Exit status: the command line or a path was unusable.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit status: a port could not be bound, or the runtime failed.
pub(crate) const EXIT_RUNTIME: u8 = 3;
/// Exit status (`run`): stopped, but `--shutdown-grace` ran out with requests in flight
/// (they were answered 503).
pub(crate) const EXIT_NOT_DRAINED: u8 = 4;
