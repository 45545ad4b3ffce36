//! Build script of the `naftiko` binary: lays out the code a running naftiko uses at the
//! front of the release binary.
//!
//! `link/symbol-order.txt` (written by `scripts/symbol-order.sh`) lists the functions that
//! start-up and the request path execute. Passed to the linker as a symbol ordering file,
//! it packs them together, so the kernel keeps 1.6 MB of code resident instead of 5.5 MB
//! (docs/performance.md, "Idle RSS"). Only release builds for x86-64 Linux use it, where
//! Rust links with rust-lld by default; `NAFTIKO_SYMBOL_ORDER=off` turns it off, for a
//! linker that lacks `--symbol-ordering-file` (GNU ld).
//!
//! The linker skips listed names the binary no longer has without a word (see below), so
//! CI watches the list instead: `.ci/run` builds the release binary and runs
//! `scripts/symbol-order-check.sh`, which fails when fewer than 90 % of the listed names are
//! still in it. Then regenerate the list with `scripts/symbol-order.sh` and commit it. The
//! list is not generated here, during the release build: recording it runs a built binary
//! under valgrind's callgrind against a loopback upstream, which takes minutes and needs
//! tools a build must not assume; a build script runs before its package's binary exists,
//! so it would have to link the binary a second time; and what callgrind records varies
//! with the run, so the layout would no longer follow from the sources.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/symbol-order.txt");
    println!("cargo:rerun-if-env-changed=NAFTIKO_SYMBOL_ORDER");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux_x86_64 = std::env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu");
    let off = std::env::var("NAFTIKO_SYMBOL_ORDER").is_ok_and(|v| v == "off" || v == "0");
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let order = PathBuf::from(dir).join("link").join("symbol-order.txt");
    if release && linux_x86_64 && !off && order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Names the binary no longer has (the file is older than the code) are skipped;
        // scripts/symbol-order-check.sh, in CI, fails when too many are.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
