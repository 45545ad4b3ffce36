//! The `naftiko` command line.
fn main() {}
