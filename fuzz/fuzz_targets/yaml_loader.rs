//! Reading a capability file never panics, whatever the bytes: `load_bytes` (size, NUL,
//! UTF-8 and BOM checks) and, for UTF-8 input, `load_str` (YAML parse + typed model).
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path: Arc<Path> = Arc::from(Path::new("fuzz.yaml"));
    let loaded = naftiko_spec::read::load_bytes(path.clone(), data);
    let _ = loaded.has_naftiko_key();
    if let Ok(text) = std::str::from_utf8(data) {
        let loaded = naftiko_spec::load_str(path, text);
        let _ = loaded.has_naftiko_key();
        for d in &loaded.diagnostics {
            // Formatting the diagnostics walks their spans and messages too.
            let _ = format!("{d:?}");
        }
    }
});
