//! The Agent Skills catalog adapter (placeholder: being written).

use std::sync::Arc;

use naftiko_engine::Runtime;

/// The axum router of one skill catalog.
pub fn router(runtime: Arc<Runtime>, service: usize) -> axum::Router {
    let _ = (runtime, service);
    axum::Router::new()
}
