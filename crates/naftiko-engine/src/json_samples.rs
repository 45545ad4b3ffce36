//! JSON test material shared by the readers' tests (`skim.rs` through `capture.rs`,
//! `minify.rs`, `select.rs`): one value for each of serde_json's refusals, and values
//! it reads that a hand-written reader could easily read differently.

/// Values serde_json refuses wherever they stand, one for each of its refusals.
pub(crate) fn refused() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [
        // Leading zeros; numbers cut short; not numbers.
        &b"01"[..],
        b"-01",
        b"00",
        b"-",
        b"1.",
        b"1e",
        b"1E+",
        b".5",
        b"+1",
        b"-.5",
        b"NaN",
        // Out of range.
        b"1e309",
        b"-1.5e999",
        // Control characters, bad escapes, lone surrogates, not UTF-8.
        b"\"a\x01b\"",
        b"\"\x1f\"",
        b"\"tab\there\"",
        b"\"\\x\"",
        b"\"\\u12\"",
        b"\"\\ud800\"",
        b"\"\\udc00\"",
        b"\"\\ud800\\u0041\"",
        b"\"\xff\"",
        b"\"\xc3\"",
        b"\"\xed\xa0\x80\"",
        b"\"\\n\xff\"",
        // Missing commas and colons, trailing commas, keys that are not strings.
        b"[1 2]",
        b"{\"a\" 1}",
        b"{\"a\":1 \"b\":2}",
        b"{\"a\"}",
        b"{1:2}",
        b"[1,]",
        b"{\"a\":1,}",
        b"[,]",
        // Closed by the other kind of bracket.
        b"[}",
        b"{]",
        b"[1}",
        b"{\"a\":[]]",
        // Misspelled, cut short, or followed by more.
        b"tru",
        b"nulll",
        b"True",
        b"\"abc",
        b"[1",
        b"1 2",
        b"]",
    ]
    .iter()
    .map(|f| f.to_vec())
    .collect();
    out.push(format!("1{}", "0".repeat(400)).into_bytes());
    out.push(format!("{}1{}", "[".repeat(130), "]".repeat(130)).into_bytes());
    out.push(format!("{}1{}", "{\"a\":".repeat(130), "}".repeat(130)).into_bytes());
    out
}

/// Values serde_json reads that the reader hands to serde_json, declines, or must read
/// exactly as serde_json does.
pub(crate) fn tricky() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [
        &b"-0"[..],
        b"0",
        b"-0.0",
        b"1.5e3",
        b"1E-2",
        b"1e308",
        b"1e-400",
        b"12345678901234567890123",
        b"18446744073709551615",
        b"18446744073709551616",
        b"-9223372036854775808",
        b"-9223372036854775809",
        b"9007199254740993",
        b"0.1",
        b"3.0",
        b"\"\\u00e9\"",
        b"\"\\ud83d\\ude00\"",
        "\"caf\u{e9} \u{1f600}\"".as_bytes(),
        b"\"a\\\"b\\\\c\"",
        b"\"\\/\"",
        b"\"42\"",
        b"\" 7 \"",
        b"\"true\"",
        b"[]",
        b"{}",
        b"[1,[2,{\"x\":null}]]",
        b"{\"\\u0069d\":\"x\",\"id\":\"y\"}",
        b"{\"id\":1,\"id\":2}",
        b" \t\n1\r\n ",
        b"true",
        b"false",
        b"null",
    ]
    .iter()
    .map(|f| f.to_vec())
    .collect();
    out.push(format!("0.{}1", "0".repeat(70)).into_bytes());
    out.push(format!("{}1{}", "[".repeat(99), "]".repeat(99)).into_bytes());
    out
}
