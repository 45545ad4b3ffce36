//! The symbol ordering file that `build.rs` hands to the linker for release builds
//! (`link/symbol-order.txt`, written by `scripts/symbol-order.sh`) is well formed: one
//! linker symbol per line, no duplicates, and it lists the functions that start-up and the
//! request path are known to run.

use std::collections::HashSet;

#[test]
fn symbol_order_file_lists_start_up_and_request_path_functions() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/link/symbol-order.txt");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut seen = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        assert!(
            !line.is_empty() && !line.contains(char::is_whitespace),
            "{path}:{}: not a symbol name: {line:?}",
            i + 1
        );
        assert!(seen.insert(line), "{path}:{}: listed twice: {line}", i + 1);
    }
    assert!(seen.len() > 500, "only {} functions listed", seen.len());
    // Mangled names of functions every run executes: start-up, loading, serving.
    for needle in [
        "7naftiko4main",
        "13saphyr_parser",
        "14naftiko_server",
        "14naftiko_engine",
    ] {
        assert!(
            seen.iter().any(|s| s.contains(needle)),
            "no function containing {needle} is listed"
        );
    }
}
