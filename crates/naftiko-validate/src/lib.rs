//! Validation of Naftiko capability files.
