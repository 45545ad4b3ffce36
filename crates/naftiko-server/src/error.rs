//! Why serving could not start, or a reload could not open what it needs.

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A listener could not be opened.
    #[error("cannot listen on {address} ({namespaces}): {source}")]
    Bind {
        /// The address.
        address: String,
        /// The exposes namespaces that wanted it.
        namespaces: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// More than one MCP service wants stdio.
    #[error("only one MCP service can use stdio ({0})")]
    TwoStdio(String),
}
