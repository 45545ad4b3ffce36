//! End-to-end checks that hostile or broken input gives a clear diagnostic and exit 1 —
//! never a panic or a hang (every run is under a watchdog): YAML bombs (alias expansion,
//! deep nesting), binary data, an empty file, an oversized file, invalid UTF-8, YAML
//! syntax errors, duplicate keys, multiple documents. Also the usage errors that exit 2:
//! a missing path and an unknown flag. The inputs are generated at test time into a
//! scratch directory.

use crate::common;

use std::path::Path;

use common::{Run, Scratch, naftiko_in};

/// Validates `file` (a name inside `dir`) with plain human output.
fn validate(dir: &Path, file: &str) -> Run {
    naftiko_in(dir, &["validate", "--color", "never", file])
}

/// The `FILE:LINE:COL: error[RULE]: message` line for `rule`, which must exist.
fn error_line<'a>(run: &'a Run, file: &str, rule: &str) -> &'a str {
    let head = format!("{file}:");
    let tag = format!(": error[{rule}]: ");
    run.stdout
        .lines()
        .find(|l| l.starts_with(&head) && l.contains(&tag))
        .unwrap_or_else(|| panic!("no error[{rule}] for {file}\n{run}"))
}

/// Checks the common contract: exit 1, no panic, an error diagnostic and the summary.
fn assert_rejected(run: &Run) {
    run.assert_no_panic();
    assert_eq!(run.code(), 1, "expected exit 1 (errors found)\n{run}");
    assert!(
        run.stdout
            .lines()
            .any(|l| common::is_diagnostic_line(l) && l.contains(": error[")),
        "no error diagnostic\n{run}"
    );
    assert!(
        run.stdout.contains("checked 1 file: "),
        "no summary line\n{run}"
    );
}

/// `LINE:COL` of a diagnostic line `FILE:LINE:COL: …`.
fn position(line: &str) -> (u32, u32) {
    let mut parts = line.splitn(4, ':');
    let _file = parts.next();
    let l = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("line number");
    let c = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("column number");
    (l, c)
}

/// A small deterministic generator (xorshift), so "random" files are reproducible.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

#[test]
fn billion_laughs_alias_bomb_is_a_yaml_limit_error() {
    let dir = Scratch::new("bomb");
    // 9 levels of 10 aliases each: 10^9 strings if expanded.
    let mut text = String::from(
        "naftiko: 1.0.0-alpha2\nl0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for level in 1..=8 {
        let refs = vec![format!("*l{}", level - 1); 10].join(",");
        text.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
    }
    text.push_str("capability: {exposes: [*l8]}\n");
    dir.write("bomb.yaml", &text);
    let run = validate(dir.path(), "bomb.yaml");
    assert_rejected(&run);
    let line = error_line(&run, "bomb.yaml", "yaml-limit");
    assert!(
        line.contains("alias"),
        "the message should say what the limit is about: {line}"
    );
}

#[test]
fn deep_nesting_bomb_is_rejected() {
    let dir = Scratch::new("deep");
    dir.write(
        "deep.yaml",
        format!(
            "naftiko: 1.0.0-alpha2\ncapability: {}\n",
            "[".repeat(10_000)
        ),
    );
    let run = validate(dir.path(), "deep.yaml");
    assert_rejected(&run);
    // Either naftiko's own depth limit or the parser's recursion limit may fire first.
    let limit = run.stdout.contains(": error[yaml-limit]: ");
    let syntax = run.stdout.contains(": error[yaml-syntax]: ");
    assert!(limit || syntax, "expected yaml-limit or yaml-syntax\n{run}");
    let line = if limit {
        error_line(&run, "deep.yaml", "yaml-limit")
    } else {
        error_line(&run, "deep.yaml", "yaml-syntax")
    };
    assert_eq!(position(line).0, 2, "the problem is on line 2: {line}");
}

#[test]
fn deep_block_nesting_is_rejected() {
    let dir = Scratch::new("deep-block");
    let mut text = String::from("naftiko: 1.0.0-alpha2\ncapability:\n");
    for depth in 1..=600 {
        text.push_str(&" ".repeat(depth));
        text.push_str("a:\n");
    }
    dir.write("deep-block.yaml", &text);
    let run = validate(dir.path(), "deep-block.yaml");
    assert_rejected(&run);
    assert!(
        run.stdout.contains(": error[yaml-limit]: ")
            || run.stdout.contains(": error[yaml-syntax]: "),
        "{run}"
    );
}

#[test]
fn binary_file_is_unreadable() {
    let dir = Scratch::new("binary");
    let mut bytes = noise(4096, 0x9e37_79b9_7f4a_7c15);
    bytes[10] = 0;
    dir.write("binary.yaml", &bytes);
    let run = validate(dir.path(), "binary.yaml");
    assert_rejected(&run);
    let line = error_line(&run, "binary.yaml", "file-unreadable");
    assert!(line.contains("binary"), "{line}");
}

#[test]
fn empty_file_is_reported() {
    let dir = Scratch::new("empty");
    dir.write("empty.yaml", "");
    let run = validate(dir.path(), "empty.yaml");
    assert_rejected(&run);
    let line = error_line(&run, "empty.yaml", "file-empty");
    assert_eq!(position(line), (1, 1), "{line}");
}

#[test]
fn whitespace_and_comments_only_file_is_empty() {
    let dir = Scratch::new("blank");
    dir.write("blank.yaml", "# nothing here\n\n   \n");
    let run = validate(dir.path(), "blank.yaml");
    assert_rejected(&run);
    error_line(&run, "blank.yaml", "file-empty");
}

#[test]
fn ten_megabyte_file_is_refused_naming_the_limit() {
    let dir = Scratch::new("huge");
    let mut text = String::from("naftiko: 1.0.0-alpha2\n");
    let filler = "# padding to make the file too large for a capability file ........\n";
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(filler);
    }
    dir.write("huge.yaml", &text);
    let run = validate(dir.path(), "huge.yaml");
    assert_rejected(&run);
    let line = error_line(&run, "huge.yaml", "file-unreadable");
    assert!(
        line.contains("MiB") && line.contains("at most"),
        "the message should name the size limit: {line}"
    );
    assert!(
        line.contains("10.0 MiB"),
        "the message should give the file's size: {line}"
    );
}

#[test]
fn invalid_utf8_is_unreadable_with_its_position() {
    let dir = Scratch::new("utf8");
    let mut bytes = b"naftiko: 1.0.0-alpha2\ninfo:\n  label: caf".to_vec();
    bytes.extend_from_slice(&[0xe9, b' ', 0xff, b'\n']);
    dir.write("latin1.yaml", &bytes);
    let run = validate(dir.path(), "latin1.yaml");
    assert_rejected(&run);
    let line = error_line(&run, "latin1.yaml", "file-unreadable");
    assert!(line.contains("UTF-8"), "{line}");
    assert_eq!(
        position(line),
        (3, 13),
        "the first bad byte is line 3, column 13: {line}"
    );
}

#[test]
fn yaml_syntax_error_has_line_and_column() {
    let dir = Scratch::new("syntax");
    dir.write(
        "syntax.yaml",
        "naftiko: 1.0.0-alpha2\ninfo:\n  label: [unclosed\n  description: x\n",
    );
    let run = validate(dir.path(), "syntax.yaml");
    assert_rejected(&run);
    let line = error_line(&run, "syntax.yaml", "yaml-syntax");
    let (l, c) = position(line);
    assert!(
        (3..=5).contains(&l),
        "the error is around the unclosed flow sequence (lines 3-4): {line}"
    );
    assert!(c >= 1, "{line}");
    // The snippet shows the offending source line.
    assert!(
        run.stdout.contains(&format!("{l} | ")),
        "no source snippet\n{run}"
    );
}

#[test]
fn tab_indentation_is_a_syntax_error() {
    let dir = Scratch::new("tabs");
    dir.write("tabs.yaml", "naftiko: 1.0.0-alpha2\ninfo:\n\tlabel: x\n");
    let run = validate(dir.path(), "tabs.yaml");
    assert_rejected(&run);
    let line = error_line(&run, "tabs.yaml", "yaml-syntax");
    assert_eq!(position(line).0, 3, "{line}");
}

#[test]
fn duplicate_key_is_reported_at_the_second_key() {
    let dir = Scratch::new("dup");
    let text = "naftiko: 1.0.0-alpha2\n\
                info:\n  label: First\n  description: Duplicate keys.\n\
                capability:\n  exposes:\n  - type: mcp\n    namespace: tools\n    port: 3000\n    namespace: again\n";
    dir.write("dup.yaml", text);
    let run = validate(dir.path(), "dup.yaml");
    assert_rejected(&run);
    let line = error_line(&run, "dup.yaml", "yaml-duplicate-key");
    assert_eq!(
        position(line),
        (10, 5),
        "the second `namespace` is at 10:5: {line}"
    );
    assert!(
        line.contains("namespace") && line.contains("line 8"),
        "the message names the key and the first occurrence: {line}"
    );
}

#[test]
fn multiple_documents_are_reported() {
    let dir = Scratch::new("multi");
    dir.write(
        "multi.yaml",
        "naftiko: 1.0.0-alpha2\ncapability:\n  exposes: []\n---\nnaftiko: 1.0.0-alpha2\n",
    );
    let run = validate(dir.path(), "multi.yaml");
    assert_rejected(&run);
    error_line(&run, "multi.yaml", "yaml-multi-document");
}

#[test]
fn top_level_list_is_a_type_error() {
    let dir = Scratch::new("list");
    dir.write("list.yaml", "- naftiko: 1.0.0-alpha2\n");
    let run = validate(dir.path(), "list.yaml");
    assert_rejected(&run);
    error_line(&run, "list.yaml", "type-mismatch");
}

#[test]
fn noise_files_never_crash() {
    let dir = Scratch::new("noise");
    // Printable noise with YAML indicators, so the parser sees many odd token sequences.
    let alphabet = b" \n\t-:?[]{}&*!|>'\"%@`#,abcxyz0129";
    for seed in 1..=8u64 {
        let bytes: Vec<u8> = noise(2048, seed.wrapping_mul(0x2545_f491_4f6c_dd1d))
            .iter()
            .map(|b| alphabet[*b as usize % alphabet.len()])
            .collect();
        let name = format!("noise-{seed}.yaml");
        dir.write(&name, &bytes);
        let run = validate(dir.path(), &name);
        run.assert_no_panic();
        assert!(
            matches!(run.code(), 0 | 1),
            "exit code must be 0 or 1 for {name}\n{run}"
        );
    }
}

#[test]
fn missing_path_exits_2() {
    let dir = Scratch::new("missing");
    let run = validate(dir.path(), "does-not-exist.yaml");
    run.assert_no_panic();
    assert_eq!(run.code(), 2, "a missing path is a usage error\n{run}");
    assert!(
        run.stderr.contains("does-not-exist.yaml"),
        "stderr names the path\n{run}"
    );
}

#[test]
fn missing_path_among_good_ones_still_exits_2() {
    let run = common::naftiko(&[
        "validate",
        "--color",
        "never",
        "tests/fixtures/valid/rest-weather.yaml",
        "tests/fixtures/valid/no-such-file.yaml",
    ]);
    run.assert_no_panic();
    assert_eq!(run.code(), 2, "{run}");
    assert!(run.stderr.contains("no-such-file.yaml"), "{run}");
}

#[test]
fn unknown_flag_exits_2() {
    let run = common::naftiko(&[
        "validate",
        "--no-such-flag",
        "capabilities/oauth2-tokens.yaml",
    ]);
    run.assert_no_panic();
    assert_eq!(run.code(), 2, "an unknown flag is a usage error\n{run}");
    assert!(
        run.stderr.contains("--no-such-flag"),
        "stderr names the flag\n{run}"
    );
}

#[test]
fn unknown_subcommand_exits_2() {
    let run = common::naftiko(&["frobnicate"]);
    run.assert_no_panic();
    assert_eq!(run.code(), 2, "{run}");
}
