//! A JSON value written as serde_json writes what it reads, without a `Value` tree: the
//! objects and arrays an output takes whole (`$.`, `$.result`, the commonest outputs of
//! published capabilities), read and written in one pass over the answer's bytes.
//!
//! Reading JSON into a `serde_json::Value` and writing it back drops the whitespace,
//! decodes each string and escapes it again (only `"`, `\`, and control characters), and
//! writes each number as the `u64`, `i64` or `f64` it was read into; an object member
//! written twice keeps its first place and its last value (the `preserve_order` map).
//! [`minified`] does the same where it is sure to: whitespace goes, plain strings (no
//! escape, checked to be UTF-8) and integers of at most [`PLAIN_DIGITS`] digits stay as
//! they stand, and an escaped string or any other number is read and written by serde_json
//! itself. It checks what it reads by the skimming reader's rules (`skim.rs`), and
//! declines an object with a member written twice (rare; the caller then reads the
//! answer with serde_json). The engine's tests hold it to serde_json's reading and
//! writing, byte for byte.

use crate::skim::{Decline, MAX_DEPTH, Text, scalar_end, string, whitespace};

/// Integers up to this many digits are written as they stand: serde_json reads them into
/// a `u64` or an `i64` and writes the same digits (`-0` aside).
const PLAIN_DIGITS: usize = 18;

/// Decimals with up to this many significant digits read into the `f64` whose shortest
/// text has the same digits (an `f64` tells apart every decimal of 15 digits).
const PLAIN_SIGNIFICANT: usize = 15;

/// An object or an array open in [`minified`].
#[derive(Debug)]
struct Open {
    object: bool,
    /// One bit for each key read in this object (by a hash of it): a key whose bit is not
    /// set is not a repeat, without comparing it with the others.
    seen: u128,
    /// Where this object's keys start in the list of keys read.
    keys_from: usize,
}

/// The value at `at` of `doc` (not whitespace; `depth` objects and arrays deep) as
/// serde_json writes what it reads, appended to `out`; returns where the value ends.
/// (Never inlined: the capture's walk stays small where it is hot.)
#[inline(never)]
pub(crate) fn minified(
    doc: &[u8],
    mut at: usize,
    depth: u32,
    out: &mut Vec<u8>,
) -> Result<usize, Decline> {
    // Room for the whole rest of the document: the text only gets shorter.
    out.reserve(doc.len().saturating_sub(at));
    let mut open: Vec<Open> = Vec::with_capacity(8);
    let mut keys: Vec<Text<'_>> = Vec::with_capacity(32);
    'value: loop {
        match doc.get(at) {
            Some(&b @ (b'{' | b'[')) => {
                if depth + open.len() as u32 >= MAX_DEPTH {
                    return Err(Decline::Deep);
                }
                out.push(b);
                at = whitespace(doc, at + 1);
                // `}` and `]` are two after `{` and `[`.
                if doc.get(at) == Some(&(b + 2)) {
                    out.push(b + 2);
                    at += 1;
                } else {
                    open.push(Open {
                        object: b == b'{',
                        seen: 0,
                        keys_from: keys.len(),
                    });
                    if b == b'{' {
                        at = key(doc, at, &mut open, &mut keys, out)?;
                    }
                    continue 'value;
                }
            }
            Some(b'"') => {
                let (end, text) = string(doc, at)?;
                push_string(&text, out)?;
                at = end;
            }
            Some(b't' | b'f' | b'n') => {
                let end = scalar_end(doc, at)?;
                out.extend_from_slice(doc.get(at..end).ok_or(Decline::End)?);
                at = end;
            }
            Some(_) => at = number(doc, at, out)?,
            None => return Err(Decline::End),
        }
        // After a value: the next member or element, or the end of what holds it.
        loop {
            let Some(top) = open.last() else {
                return Ok(at);
            };
            at = whitespace(doc, at);
            match (doc.get(at), top.object) {
                (Some(b','), object) => {
                    out.push(b',');
                    at = whitespace(doc, at + 1);
                    if object {
                        at = key(doc, at, &mut open, &mut keys, out)?;
                    }
                    continue 'value;
                }
                (Some(&b @ (b'}' | b']')), object) if object == (b == b'}') => {
                    out.push(b);
                    at += 1;
                    keys.truncate(top.keys_from);
                    open.pop();
                }
                (Some(_), _) => return Err(Decline::Unexpected),
                (None, _) => return Err(Decline::End),
            }
        }
    }
}

/// The key at `at` of the innermost open object and its colon, written; declines a key
/// the object has had already. Returns where its value starts.
fn key<'a>(
    doc: &'a [u8],
    at: usize,
    open: &mut [Open],
    keys: &mut Vec<Text<'a>>,
    out: &mut Vec<u8>,
) -> Result<usize, Decline> {
    if doc.get(at) != Some(&b'"') {
        return Err(Decline::Unexpected);
    }
    let (end, text) = string(doc, at)?;
    let top = open.last_mut().ok_or(Decline::Unexpected)?;
    let bit = 1u128 << (hash(text.bytes()) % 128);
    if top.seen & bit != 0 {
        let ours = keys.get(top.keys_from..).unwrap_or_default();
        if ours.iter().any(|k| k.bytes() == text.bytes()) {
            return Err(Decline::Twice);
        }
    }
    top.seen |= bit;
    push_string(&text, out)?;
    keys.push(text);
    out.push(b':');
    let at = whitespace(doc, end);
    if doc.get(at) != Some(&b':') {
        return Err(Decline::Unexpected);
    }
    Ok(whitespace(doc, at + 1))
}

/// A cheap hash of a key: its length and three of its bytes.
#[inline(always)]
fn hash(key: &[u8]) -> u32 {
    let byte = |i: usize| u32::from(key.get(i).copied().unwrap_or(0));
    let len = key.len();
    (len as u32)
        .wrapping_mul(31)
        .wrapping_add(byte(0).wrapping_mul(7))
        .wrapping_add(byte(len / 2).wrapping_mul(13))
        .wrapping_add(byte(len.wrapping_sub(1)))
}

/// A string's text written as serde_json writes it: a plain one as it stands, between
/// quotes (serde_json escapes nothing in it), an unescaped one by serde_json.
fn push_string(text: &Text<'_>, out: &mut Vec<u8>) -> Result<(), Decline> {
    match text {
        Text::Plain(bytes) => {
            out.push(b'"');
            out.extend_from_slice(bytes);
            out.push(b'"');
            Ok(())
        }
        Text::Unescaped(text) => {
            serde_json::to_writer(&mut *out, text.as_str()).map_err(|_| Decline::Escape)
        }
    }
}

/// The number at `at`, checked and written; returns where it ends. A short integer or a
/// [plain decimal](is_plain_decimal) stands as it is; any other number is read and
/// written by serde_json.
fn number(doc: &[u8], at: usize, out: &mut Vec<u8>) -> Result<usize, Decline> {
    let end = scalar_end(doc, at)?;
    let bytes = doc.get(at..end).ok_or(Decline::End)?;
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let integer = digits.len() <= PLAIN_DIGITS && digits.iter().all(u8::is_ascii_digit);
    if (integer && bytes != b"-0") || is_plain_decimal(digits) {
        out.extend_from_slice(bytes);
        return Ok(end);
    }
    let value = serde_json::from_slice::<serde_json::Value>(bytes).map_err(|_| Decline::Number)?;
    serde_json::to_writer(&mut *out, &value).map_err(|_| Decline::Number)?;
    Ok(end)
}

/// True when serde_json writes the decimal `digits` (a checked number without its sign)
/// as it stands: an integer part and a fraction not ending in `0`, at most
/// [`PLAIN_SIGNIFICANT`] significant digits, and a size the `f64` writer (ryu) writes
/// without an exponent (from 0.0001, with at most four zeros after the point, up to
/// 16 integer digits).
fn is_plain_decimal(digits: &[u8]) -> bool {
    let Some(point) = digits.iter().position(|&b| b == b'.') else {
        return false;
    };
    let (whole, fraction) = (&digits[..point], &digits[point + 1..]);
    if fraction.is_empty()
        || fraction.last() == Some(&b'0')
        || !fraction.iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let significant = if whole == b"0" {
        let zeros = fraction.iter().take_while(|&&b| b == b'0').count();
        if zeros > 4 {
            return false;
        }
        fraction.len() - zeros
    } else {
        whole.len() + fraction.len()
    };
    significant <= PLAIN_SIGNIFICANT
}

#[cfg(test)]
mod tests {
    //! The minified text of documents against serde_json's reading and writing of them.

    use super::*;
    use crate::json_samples::{refused, tricky};
    use proptest::prelude::*;
    use serde_json::Value;

    /// `doc` minified, or `None` when declined or refused.
    fn minify(doc: &[u8]) -> Option<Vec<u8>> {
        let at = whitespace(doc, 0);
        let mut out = Vec::new();
        let end = minified(doc, at, 0, &mut out).ok()?;
        (whitespace(doc, end) == doc.len()).then_some(out)
    }

    /// serde_json's reading and writing of `doc`, or `None` when it refuses it.
    fn by_serde(doc: &[u8]) -> Option<Vec<u8>> {
        let value: Value = serde_json::from_slice(doc).ok()?;
        serde_json::to_vec(&value).ok()
    }

    /// Minified text is serde_json's text; a document serde_json refuses is refused.
    fn agrees(doc: &[u8]) -> Result<bool, String> {
        match (minify(doc), by_serde(doc)) {
            (Some(a), Some(b)) if a == b => Ok(true),
            (None, _) => Ok(false),
            (a, b) => Err(format!(
                "{:?}: minified {:?}, serde_json {:?}",
                String::from_utf8_lossy(doc),
                a.map(|a| String::from_utf8_lossy(&a).into_owned()),
                b.map(|b| String::from_utf8_lossy(&b).into_owned())
            )),
        }
    }

    #[test]
    fn numbers_strings_and_whitespace_are_written_as_serde_json_writes_them() {
        let docs: &[&[u8]] = &[
            b" { \"a\" : [ 1 , -2 , 3.50 , -0 , 0 , 1e2 , 1E-2 , -0.0 ] } ",
            b"[18446744073709551615, 18446744073709551616, -9223372036854775809]",
            b"[123456789012345678, 1234567890123456789, 12345678901234567890123]",
            b"{\"\\u0069d\":\"caf\\u00e9\",\"x\":\"\\/\\b\\f\\n\\r\\t\\u0001\\\"\\\\\"}",
            "{\"\u{e9}\":\"\u{1f600} \u{2028}\"}".as_bytes(),
            b"[[], {}, [[]], {\"a\":{}}, true, false, null, \"\"]",
            b"\"\\ud83d\\ude00\"",
            b"0.1",
            b"{\"a\":1,\"b\":{\"a\":2,\"c\":[{\"a\":3}]}}",
        ];
        for doc in docs {
            assert_eq!(agrees(doc), Ok(true), "{}", String::from_utf8_lossy(doc));
        }
    }

    #[test]
    fn a_member_written_twice_is_declined_and_broken_documents_are_refused() {
        // serde_json keeps the first place and the last value: declined here.
        for doc in [
            &b"{\"a\":1,\"a\":2}"[..],
            b"{\"a\":1,\"b\":{},\"\\u0061\":3}",
        ] {
            assert!(by_serde(doc).is_some());
            assert_eq!(minify(doc), None);
        }
        // The same key in different objects is no repeat.
        assert_eq!(agrees(b"[{\"a\":1},{\"a\":2}]"), Ok(true));
        for doc in refused() {
            assert_eq!(minify(&doc), None, "{}", String::from_utf8_lossy(&doc));
        }
        let deep = format!("{}1{}", "[".repeat(130), "]".repeat(130));
        assert_eq!(minify(deep.as_bytes()), None);
        let fine = format!("{}1{}", "[".repeat(99), "]".repeat(99));
        assert_eq!(agrees(fine.as_bytes()), Ok(true));
    }

    #[test]
    fn tricky_values_are_written_as_serde_json_writes_them_or_declined_as_repeats() {
        for doc in tricky() {
            let text = String::from_utf8_lossy(&doc).into_owned();
            match agrees(&doc) {
                Ok(true) => {}
                // Declined: only a member written twice, as `{"id":1,"id":2}`.
                Ok(false) => {
                    let mut out = Vec::new();
                    let at = whitespace(&doc, 0);
                    assert_eq!(
                        minified(&doc, at, 0, &mut out),
                        Err(Decline::Twice),
                        "{text}"
                    );
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn many_keys_in_one_object_are_told_apart() {
        // More keys than the hash has bits: repeats are still found, and only they.
        let keys: Vec<String> = (0..400).map(|i| format!("\"k{i}\":{i}")).collect();
        let doc = format!("{{{}}}", keys.join(","));
        assert_eq!(agrees(doc.as_bytes()), Ok(true));
        let twice = format!("{{{},\"k123\":0}}", keys.join(","));
        assert_eq!(minify(twice.as_bytes()), None);
    }

    /// A JSON document written with odd whitespace, escapes and numbers.
    fn document() -> impl Strategy<Value = String> {
        let space = prop::sample::select(vec!["", " ", "\n", "\t ", "\r\n"]);
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| format!("{f:e}")),
            "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
            "\"([a-z \\u{e9}\\u{1f600}]|\\\\[nt\\\\/\"]|\\\\u00[0-7][0-9a-f]){0,8}\"",
        ];
        leaf.prop_recursive(4, 40, 5, move |inner| {
            let space = space.clone();
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..5), space.clone())
                    .prop_map(|(items, s)| format!("[{s}{}{s}]", items.join(&format!("{s},{s}")))),
                (
                    prop::collection::vec(("[a-c]{1,2}|\\\\u0061", inner), 0..5),
                    space
                )
                    .prop_map(|(members, s)| {
                        let members: Vec<String> = members
                            .into_iter()
                            .map(|(k, v)| format!("\"{k}\"{s}:{s}{v}"))
                            .collect();
                        format!("{{{s}{}{s}}}", members.join(&format!("{s},{s}")))
                    }),
            ]
        })
    }

    proptest! {
        #[test]
        fn decimals_written_as_they_stand_are_what_serde_json_writes(
            sign in proptest::bool::ANY,
            whole in "0|[1-9][0-9]{0,17}",
            zeros in 0usize..8,
            fraction in "[0-9]{0,17}[1-9]",
        ) {
            let text = format!("{}{whole}.{}{fraction}", if sign { "-" } else { "" }, "0".repeat(zeros));
            prop_assert_eq!(agrees(text.as_bytes()), Ok(true));
        }

        #[test]
        fn minified_documents_are_what_serde_json_writes(doc in document()) {
            prop_assert_eq!(agrees(doc.as_bytes()), Ok(minify(doc.as_bytes()).is_some()));
        }

        #[test]
        fn documents_without_repeated_keys_are_never_declined(value in any_value()) {
            let text = serde_json::to_string_pretty(&value).unwrap();
            prop_assert_eq!(agrees(text.as_bytes()), Ok(true));
        }
    }

    /// Any `Value` (its objects cannot repeat a key).
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
