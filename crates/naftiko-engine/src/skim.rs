//! A checking reader over the bytes of a JSON document: the fast path of `capture.rs`.
//!
//! [`Reader`] goes through a document once, builds nothing, and lets its caller say what
//! to do at each value: look at its [`Kind`], open an object or an array and go through
//! its members or elements, read a key or a scalar, or [`Reader::skip`] it. Everything it
//! passes over is checked as `serde_json::from_slice::<Value>` checks it, or the read
//! fails with a [`Decline`]: the caller then reads the document with serde_json, which
//! gives today's answer or today's error. So the reader has only to be sure of what it
//! accepts, never to explain what it refuses.
//!
//! The common shapes it checks itself: plain strings (no escape), numbers without an
//! exponent of at most [`SHORT_NUMBER`] bytes, `true`, `false`, `null`, and nesting up to
//! [`MAX_DEPTH`] (serde_json refuses 128 levels). A string with an escape and a longer
//! number or one with an exponent (which may be out of range) are handed, as a slice, to
//! serde_json, whose answer on that slice is its answer in place: a string or a number
//! is read the same wherever it stands.

/// Nesting deeper than this is declined; serde_json refuses 128 levels.
pub(crate) const MAX_DEPTH: u32 = 100;

/// Numbers without an exponent up to this length are checked here (they cannot be out
/// of range); longer ones, and any with an exponent, by serde_json.
pub(crate) const SHORT_NUMBER: usize = 64;

/// Why a document is left to serde_json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Decline {
    /// The document ends inside a value, or is empty.
    #[error("the document ends early")]
    End,
    /// A byte that cannot stand where it is (a missing comma or colon, a trailing comma,
    /// a key that is not a string, anything that starts no value).
    #[error("an unexpected byte")]
    Unexpected,
    /// Something other than whitespace after the document.
    #[error("something after the document")]
    Trailing,
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH}")]
    Deep,
    /// A control character (below U+0020) written as itself in a string.
    #[error("a control character in a string")]
    Control,
    /// A string that is not UTF-8.
    #[error("a string that is not UTF-8")]
    Utf8,
    /// A string with an escape that serde_json refuses.
    #[error("a string serde_json refuses")]
    Escape,
    /// A number serde_json refuses (grammar, leading zeros, out of range).
    #[error("a number serde_json refuses")]
    Number,
    /// A member written twice on the way to an output (the caller's rule: a full parse
    /// keeps the last value in the first one's place).
    #[error("a member written twice on the way to an output")]
    Twice,
    /// More members on the way to outputs in one object than the caller tracks.
    #[error("too many members on the way to outputs")]
    Wide,
}

/// What the next value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `{`.
    Object,
    /// `[`.
    Array,
    /// Anything else (checked when it is read).
    Scalar,
}

/// A string's text: its bytes between the quotes when it has no escape (then it has no
/// quote, backslash or control character either, and is checked to be UTF-8), else
/// serde_json's reading of it.
#[derive(Debug)]
pub(crate) enum Text<'a> {
    Plain(&'a [u8]),
    Unescaped(String),
}

impl Text<'_> {
    /// The text's UTF-8 bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Text::Plain(b) => b,
            Text::Unescaped(s) => s.as_bytes(),
        }
    }
}

/// A scalar value.
#[derive(Debug)]
pub(crate) enum Scalar<'a> {
    Text(Text<'a>),
    /// A number's bytes, checked.
    Number(&'a [u8]),
    Bool(bool),
    Null,
}

/// Bytes a string's plain run ends at: the closing quote, an escape, a control character,
/// and the start of anything not ASCII (checked as UTF-8 afterwards).
static STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize || b >= 0x80;
        b += 1;
    }
    table
};

/// A position in a document and the nesting there.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            at: 0,
            depth: 0,
        }
    }

    /// Checks that only whitespace follows the value read.
    pub(crate) fn finish(self) -> Result<(), Decline> {
        if whitespace(self.bytes, self.at) < self.bytes.len() {
            return Err(Decline::Trailing);
        }
        Ok(())
    }

    /// What the next value is.
    #[inline]
    pub(crate) fn kind(&mut self) -> Result<Kind, Decline> {
        Ok(match self.peek()? {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            _ => Kind::Scalar,
        })
    }

    /// Opens the object or array here; false when it is empty (and closed already).
    #[inline]
    pub(crate) fn open(&mut self) -> Result<bool, Decline> {
        let close = match self.peek()? {
            b'{' => b'}',
            b'[' => b']',
            _ => return Err(Decline::Unexpected),
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Decline::Deep);
        }
        self.at += 1;
        if self.peek()? == close {
            self.at += 1;
            self.depth -= 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// After a member: true when another follows (its comma read), false when the object
    /// ends here (and is closed).
    #[inline]
    pub(crate) fn more_members(&mut self) -> Result<bool, Decline> {
        self.more(b'}')
    }

    /// After an element: true when another follows, false when the array ends here.
    #[inline]
    pub(crate) fn more_elements(&mut self) -> Result<bool, Decline> {
        self.more(b']')
    }

    #[inline]
    fn more(&mut self, close: u8) -> Result<bool, Decline> {
        let next = self.peek()?;
        self.at += 1;
        if next == b',' {
            Ok(true)
        } else if next == close {
            self.depth -= 1;
            Ok(false)
        } else {
            Err(Decline::Unexpected)
        }
    }

    /// A member's key and its colon.
    #[inline(always)]
    pub(crate) fn key(&mut self) -> Result<Text<'a>, Decline> {
        if self.peek()? != b'"' {
            return Err(Decline::Unexpected);
        }
        let key = self.string()?;
        if self.peek()? != b':' {
            return Err(Decline::Unexpected);
        }
        self.at += 1;
        Ok(key)
    }

    /// The scalar here.
    #[inline]
    pub(crate) fn scalar(&mut self) -> Result<Scalar<'a>, Decline> {
        let start = self.at;
        let scalar = match self.peek()? {
            b'"' => return self.string().map(Scalar::Text),
            b't' => Scalar::Bool(true),
            b'f' => Scalar::Bool(false),
            b'n' => Scalar::Null,
            _ => Scalar::Number(&[]),
        };
        let end = scalar_end(self.bytes, self.at)?;
        self.at = end;
        Ok(match scalar {
            Scalar::Number(_) => Scalar::Number(self.bytes.get(start..end).ok_or(Decline::End)?),
            other => other,
        })
    }

    /// Passes over the value here, checking it: a string or a scalar in place, an object
    /// or an array in [`skip`].
    #[inline(always)]
    pub(crate) fn skip(&mut self) -> Result<(), Decline> {
        self.at = match self.peek()? {
            b'"' => string_end(self.bytes, self.at)?,
            b'{' | b'[' => skip(self.bytes, self.at, self.depth)?,
            _ => scalar_end(self.bytes, self.at)?,
        };
        Ok(())
    }

    /// The whole document.
    pub(crate) fn document(&self) -> &'a [u8] {
        self.bytes
    }

    /// Where the next value starts (after whitespace) and how deep it is nested: for a
    /// caller that reads it with the module's functions and goes on with [`Reader::jump`].
    pub(crate) fn value_at(&mut self) -> Result<(usize, u32), Decline> {
        self.peek()?;
        Ok((self.at, self.depth))
    }

    /// Goes on at `at`, the end of the value that started at [`Reader::value_at`].
    pub(crate) fn jump(&mut self, at: usize) {
        self.at = at;
    }

    /// Passes over the value here, checking it: its bytes.
    pub(crate) fn skip_slice(&mut self) -> Result<&'a [u8], Decline> {
        self.peek()?;
        let start = self.at;
        self.skip()?;
        self.bytes.get(start..self.at).ok_or(Decline::End)
    }

    /// The next byte after whitespace (not consumed).
    #[inline(always)]
    fn peek(&mut self) -> Result<u8, Decline> {
        match self.bytes.get(self.at) {
            // Whitespace is all at or below a space: most bytes are past at once.
            Some(&b) if b > b' ' => Ok(b),
            _ => self.peek_past_whitespace(),
        }
    }

    /// [`Reader::peek`] at whitespace or at the end.
    #[inline(never)]
    fn peek_past_whitespace(&mut self) -> Result<u8, Decline> {
        self.at = more_whitespace(self.bytes, self.at);
        self.bytes.get(self.at).copied().ok_or(Decline::End)
    }

    /// The string whose opening quote is here.
    #[inline(always)]
    fn string(&mut self) -> Result<Text<'a>, Decline> {
        let (end, text) = string(self.bytes, self.at)?;
        self.at = end;
        Ok(text)
    }
}

/// The string whose opening quote is at `at`: where it ends (after its closing quote) and
/// its text.
#[inline(always)]
pub(crate) fn string(bytes: &[u8], at: usize) -> Result<(usize, Text<'_>), Decline> {
    let start = at + 1;
    let end = plain_run_end(bytes, start);
    if bytes.get(end) == Some(&b'"') {
        let text = bytes.get(start..end).ok_or(Decline::End)?;
        return Ok((end + 1, Text::Plain(text)));
    }
    string_with(bytes, start, end)
}

/// Where the value at `at` ends, checked; `depth` is the nesting around it. One loop
/// rather than a call per value: this is where most of a document goes.
#[inline(never)]
fn skip(bytes: &[u8], mut at: usize, depth: u32) -> Result<usize, Decline> {
    // The objects and arrays open here, and one bit for each, the innermost lowest: 1
    // for an object.
    let mut open = 0;
    let mut objects: u128 = 0;
    loop {
        at = whitespace(bytes, at);
        match bytes.get(at) {
            Some(&b @ (b'{' | b'[')) => {
                open += 1;
                if depth + open > MAX_DEPTH {
                    return Err(Decline::Deep);
                }
                at = whitespace(bytes, at + 1);
                if bytes.get(at) != Some(&(b + 2)) {
                    // Not empty (`}` and `]` are two after `{` and `[`).
                    objects = objects << 1 | u128::from(b == b'{');
                    if b == b'{' {
                        at = key_end(bytes, at)?;
                    }
                    continue;
                }
                at += 1;
                open -= 1;
            }
            Some(b'"') => at = string_end(bytes, at)?,
            Some(_) => at = scalar_end(bytes, at)?,
            None => return Err(Decline::End),
        }
        // After a value: close what ends here, up to the next value.
        loop {
            if open == 0 {
                return Ok(at);
            }
            at = whitespace(bytes, at);
            let in_object = objects & 1 == 1;
            match bytes.get(at) {
                Some(b',') => {
                    at += 1;
                    if in_object {
                        at = key_end(bytes, at)?;
                    }
                    break;
                }
                Some(b'}') if in_object => {}
                Some(b']') if !in_object => {}
                Some(_) => return Err(Decline::Unexpected),
                None => return Err(Decline::End),
            }
            at += 1;
            open -= 1;
            objects >>= 1;
        }
    }
}

/// The index of the first byte from `at` that is not whitespace (space, tab, line
/// feed, carriage return), or `bytes.len()`.
#[inline(always)]
pub(crate) fn whitespace(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at) {
        // Whitespace is all at or below a space: most bytes are past at once.
        Some(&b) if b > b' ' => at,
        _ => more_whitespace(bytes, at),
    }
}

fn more_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// Where the key at `at` (after whitespace) and its colon end.
#[inline(always)]
fn key_end(bytes: &[u8], at: usize) -> Result<usize, Decline> {
    let at = whitespace(bytes, at);
    if bytes.get(at) != Some(&b'"') {
        return Err(Decline::Unexpected);
    }
    let at = string_end(bytes, at)?;
    if bytes.get(at) == Some(&b':') {
        return Ok(at + 1);
    }
    let at = whitespace(bytes, at);
    if bytes.get(at) != Some(&b':') {
        return Err(Decline::Unexpected);
    }
    Ok(at + 1)
}

/// Where the string whose opening quote is at `at` ends (after its closing quote).
#[inline(always)]
fn string_end(bytes: &[u8], at: usize) -> Result<usize, Decline> {
    let end = plain_run_end(bytes, at + 1);
    if bytes.get(end) == Some(&b'"') {
        return Ok(end + 1);
    }
    string_with(bytes, at + 1, end).map(|(end, _)| end)
}

/// The string whose text starts at `start` and whose plain run ends at `end` on an
/// escape, a byte above ASCII, a control character or the end of the document: where
/// it ends (after its closing quote) and its text.
#[inline(never)]
fn string_with(bytes: &[u8], start: usize, mut end: usize) -> Result<(usize, Text<'_>), Decline> {
    let mut ascii = true;
    loop {
        match bytes.get(end) {
            Some(b'"') => break,
            Some(b'\\') => return escaped(bytes, start),
            Some(0x80..) => {
                ascii = false;
                end = plain_run_end(bytes, end + 1);
            }
            Some(_) => return Err(Decline::Control),
            None => return Err(Decline::End),
        }
    }
    let text = bytes.get(start..end).ok_or(Decline::End)?;
    if !ascii && std::str::from_utf8(text).is_err() {
        return Err(Decline::Utf8);
    }
    Ok((end + 1, Text::Plain(text)))
}

/// The string whose text starts at `start`, which has an escape: its end found by
/// stepping over each escaped byte, its text read (and checked) by serde_json.
fn escaped(bytes: &[u8], start: usize) -> Result<(usize, Text<'_>), Decline> {
    let mut end = start;
    loop {
        match bytes.get(end) {
            None => return Err(Decline::End),
            Some(b'"') => break,
            Some(b'\\') => end += 2,
            Some(_) => end += 1,
        }
    }
    let quoted = bytes.get(start - 1..=end).ok_or(Decline::End)?;
    let text = serde_json::from_slice::<String>(quoted).map_err(|_| Decline::Escape)?;
    Ok((end + 1, Text::Unescaped(text)))
}

/// The index of the first byte from `at` that ends a plain run of a string (see
/// [`STOP`]), or `bytes.len()`. Eight bytes at a time: in a word, a byte that is a quote
/// or a backslash is zero after the xor with that byte, and zero, below 0x20 or from 0x80
/// up, has its top bit set after subtracting 1 or 0x20 (or before); a borrow only
/// carries upwards from such a byte, so the lowest flagged byte is the first to stop at.
#[inline(always)]
fn plain_run_end(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let mut rest = bytes.get(at..).unwrap_or_default();
    while let Some((chunk, more)) = rest.split_first_chunk::<8>() {
        let word = u64::from_le_bytes(*chunk);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let flagged = (quote.wrapping_sub(ONES)
            | backslash.wrapping_sub(ONES)
            | word.wrapping_sub(ONES * 0x20)
            | word)
            & TOPS;
        if flagged != 0 {
            // At most 7: the lowest flagged byte's place in the word.
            return at + (flagged.trailing_zeros() / 8) as usize;
        }
        at += 8;
        rest = more;
    }
    at + rest
        .iter()
        .position(|&b| STOP[usize::from(b)])
        .unwrap_or(rest.len())
}

/// Where the literal or number at `at` (not a string) ends, checked.
#[inline(always)]
pub(crate) fn scalar_end(bytes: &[u8], at: usize) -> Result<usize, Decline> {
    let word: &[u8] = match bytes.get(at) {
        Some(b't') => b"true",
        Some(b'f') => b"false",
        Some(b'n') => b"null",
        Some(b'-' | b'0'..=b'9') => return number_end(bytes, at),
        Some(_) => return Err(Decline::Unexpected),
        None => return Err(Decline::End),
    };
    if bytes.get(at..at + word.len()) != Some(word) {
        return Err(Decline::Unexpected);
    }
    Ok(at + word.len())
}

/// Where the number at `start` ends, checked:
/// `-`? (`0` | [1-9][0-9]*) (`.` [0-9]+)? ([eE] [+-]? [0-9]+)?. Short numbers without an
/// exponent (most of them) end here; the rest in [`long_number_end`].
#[inline(always)]
fn number_end(bytes: &[u8], start: usize) -> Result<usize, Decline> {
    let first = start + usize::from(bytes.get(start) == Some(&b'-'));
    let mut end = digits_end(bytes, first);
    // One digit at least, and one leading zero only.
    if end == first || (end > first + 1 && bytes.get(first) == Some(&b'0')) {
        return Err(Decline::Number);
    }
    if bytes.get(end) == Some(&b'.') {
        let from = end + 1;
        end = digits_end(bytes, from);
        if end == from {
            return Err(Decline::Number);
        }
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) || end - start > SHORT_NUMBER {
        return long_number_end(bytes, start, end);
    }
    Ok(end)
}

/// [`number_end`] for a number whose integer and fraction end at `end` and which has an
/// exponent or is longer than [`SHORT_NUMBER`]: perhaps out of range, which serde_json
/// refuses.
#[cold]
#[inline(never)]
fn long_number_end(bytes: &[u8], start: usize, mut end: usize) -> Result<usize, Decline> {
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        end += 1 + usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let from = end;
        end = digits_end(bytes, from);
        if end == from {
            return Err(Decline::Number);
        }
    }
    let number = bytes.get(start..end).ok_or(Decline::End)?;
    serde_json::from_slice::<serde_json::Number>(number).map_err(|_| Decline::Number)?;
    Ok(end)
}

/// The index of the first byte from `at` that is not a digit, or `bytes.len()`.
#[inline(always)]
fn digits_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b'0'..=b'9') = bytes.get(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    //! What the reader accepts serde_json accepts; each of serde_json's refusals is a
    //! decline, for the reason it names.

    use super::*;

    /// The whole document passed over and finished.
    fn check(doc: &[u8]) -> Result<(), Decline> {
        let mut r = Reader::new(doc);
        r.skip()?;
        r.finish()
    }

    /// `doc` is refused by serde_json and declined by the reader for `why`.
    #[track_caller]
    fn refused(doc: &[u8], why: Decline) {
        let text = String::from_utf8_lossy(doc);
        assert!(
            serde_json::from_slice::<serde_json::Value>(doc).is_err(),
            "serde_json accepts {text}"
        );
        assert_eq!(check(doc), Err(why), "{text}");
    }

    #[test]
    fn what_serde_json_accepts_in_common_shapes_is_accepted() {
        for doc in [
            &br#"{"a":[1,-2,0,-0,1.5,-0.25,10.0e3,1E-2,1e+2],"b":{"c":null,"d":true,"e":false}}"#[..],
            b" \t\r\n[ \"x\" , {\"\":\"\"} , [ ] , { } ] \n",
            "\"caf\u{e9} \u{1f600}\"".as_bytes(),
            br#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#,
            br#"{"k\u0065y":1}"#,
            b"123456789012345678901234567890",
            b"1e308",
            b"1e-400",
            b"0.000000000000000000000000000000000000000000000000000000000000000000001",
        ] {
            assert!(
                serde_json::from_slice::<serde_json::Value>(doc).is_ok(),
                "{doc:?}"
            );
            assert_eq!(check(doc), Ok(()), "{}", String::from_utf8_lossy(doc));
        }
    }

    #[test]
    fn numbers_are_checked_in_place_up_to_the_short_limit_and_by_serde_json_beyond() {
        let digits = |n: usize| format!("[1{}]", "0".repeat(n - 1));
        for doc in [
            digits(SHORT_NUMBER),
            digits(SHORT_NUMBER + 1),
            format!("[-1{}]", "0".repeat(SHORT_NUMBER - 2)),
            format!("[0.{}]", "5".repeat(SHORT_NUMBER)),
            "[1e5,-0.5E-3,1E+2,0e0]".to_owned(),
            "7".to_owned(),
            "-0.25".to_owned(),
            "{\"a\":12,\"b\":[3.5],\"c\":-4}".to_owned(),
        ] {
            assert!(serde_json::from_str::<serde_json::Value>(&doc).is_ok());
            assert_eq!(check(doc.as_bytes()), Ok(()), "{doc}");
        }
        refused(
            format!("[1{}e999]", "0".repeat(SHORT_NUMBER)).as_bytes(),
            Decline::Number,
        );
        refused(b"[1e5.5]", Decline::Unexpected);
        refused(b"[1.5.5]", Decline::Unexpected);
        refused(b"-", Decline::Number);
        refused(b"1.", Decline::Number);
        refused(b"1e", Decline::Number);
    }

    #[test]
    fn something_after_the_document_is_refused() {
        refused(b"{} x", Decline::Trailing);
        refused(b"1 2", Decline::Trailing);
        refused(b"[]]", Decline::Trailing);
        refused(b"null,", Decline::Trailing);
    }

    #[test]
    fn leading_zeros_are_refused() {
        refused(b"[01]", Decline::Number);
        refused(b"[-01]", Decline::Number);
        refused(b"00", Decline::Number);
        refused(b"{\"a\":007}", Decline::Number);
    }

    #[test]
    fn numbers_cut_short_are_refused() {
        refused(b"[-]", Decline::Number);
        refused(b"[1.]", Decline::Number);
        refused(b"[1.e5]", Decline::Number);
        refused(b"[1e]", Decline::Number);
        refused(b"[1e+]", Decline::Number);
        refused(b"[-.5]", Decline::Number);
        refused(b"[.5]", Decline::Unexpected);
        refused(b"[+1]", Decline::Unexpected);
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        refused(b"[1e309]", Decline::Number);
        refused(b"[-1.5E400]", Decline::Number);
        refused(b"{\"a\":1e99999999999}", Decline::Number);
        let huge = format!("[1{}]", "0".repeat(400));
        refused(huge.as_bytes(), Decline::Number);
        let huge_fraction = format!("[1{}.5]", "0".repeat(400));
        refused(huge_fraction.as_bytes(), Decline::Number);
    }

    #[test]
    fn control_characters_in_strings_are_refused() {
        refused(b"[\"a\x01b\"]", Decline::Control);
        refused(b"{\"a\nb\":1}", Decline::Control);
        refused(b"\"\x1f\"", Decline::Control);
        // Even after an escape (serde_json then says).
        refused(b"\"\\n\x00\"", Decline::Escape);
    }

    #[test]
    fn bad_escapes_are_refused() {
        refused(br#"["\x"]"#, Decline::Escape);
        refused(br#"["\u12"]"#, Decline::Escape);
        refused(br#"["\u12g4"]"#, Decline::Escape);
        refused(br#"{"\a":1}"#, Decline::Escape);
        refused(b"[\"\\", Decline::End);
    }

    #[test]
    fn lone_surrogates_are_refused() {
        refused(br#"["\ud800"]"#, Decline::Escape);
        refused(br#"["\udc00"]"#, Decline::Escape);
        refused(br#"["\ud800\u0041"]"#, Decline::Escape);
        refused(br#"["\ud800x"]"#, Decline::Escape);
    }

    #[test]
    fn strings_that_are_not_utf8_are_refused() {
        refused(b"[\"\xff\"]", Decline::Utf8);
        refused(b"[\"\xc3\"]", Decline::Utf8);
        refused(b"{\"\xed\xa0\x80\":1}", Decline::Utf8);
        refused(b"[\"\\n\xff\"]", Decline::Escape);
        // Outside a string, no byte above ASCII starts anything.
        refused(b"[\xc3\xa9]", Decline::Unexpected);
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
        refused(deep(200).as_bytes(), Decline::Deep);
        // serde_json still accepts this depth; the reader declines it all the same.
        let near = deep(MAX_DEPTH as usize + 1);
        assert!(serde_json::from_str::<serde_json::Value>(&near).is_ok());
        assert_eq!(check(near.as_bytes()), Err(Decline::Deep));
        assert_eq!(check(deep(MAX_DEPTH as usize).as_bytes()), Ok(()));
        let objects = "{\"a\":".repeat(130) + "1" + &"}".repeat(130);
        refused(objects.as_bytes(), Decline::Deep);
    }

    #[test]
    fn missing_commas_and_colons_are_refused() {
        refused(b"[1 2]", Decline::Unexpected);
        refused(b"{\"a\":1 \"b\":2}", Decline::Unexpected);
        refused(b"{\"a\" 1}", Decline::Unexpected);
        refused(b"{\"a\"}", Decline::Unexpected);
        refused(b"{1:2}", Decline::Unexpected);
        refused(b"[1:2]", Decline::Unexpected);
    }

    #[test]
    fn brackets_closed_by_the_other_kind_are_refused() {
        refused(b"[}", Decline::Unexpected);
        refused(b"{]", Decline::Unexpected);
        refused(b"[1}", Decline::Unexpected);
        refused(b"{\"a\":1]", Decline::Unexpected);
        refused(b"[[]}", Decline::Unexpected);
        refused(b"{\"a\":{}]", Decline::Unexpected);
    }

    #[test]
    fn opening_deeper_than_the_limit_is_refused() {
        // Through `open` (the caller's walk down its paths) as through `skip`.
        let deep = "[".repeat(MAX_DEPTH as usize + 1) + &"]".repeat(MAX_DEPTH as usize + 1);
        let mut r = Reader::new(deep.as_bytes());
        for _ in 0..MAX_DEPTH {
            assert_eq!(r.open(), Ok(true));
        }
        assert_eq!(r.open(), Err(Decline::Deep));
        // Below the walk, what is skipped counts from where it starts.
        let mut r = Reader::new(deep.as_bytes());
        assert_eq!(r.open(), Ok(true));
        assert_eq!(r.skip(), Err(Decline::Deep));
    }

    #[test]
    fn trailing_commas_are_refused() {
        refused(b"[1,]", Decline::Unexpected);
        refused(b"{\"a\":1,}", Decline::Unexpected);
        refused(b"[,]", Decline::Unexpected);
        refused(b"{,}", Decline::Unexpected);
    }

    #[test]
    fn documents_cut_short_or_misspelled_are_refused() {
        refused(b"", Decline::End);
        refused(b"  ", Decline::End);
        refused(b"[1", Decline::End);
        refused(b"{\"a\":", Decline::End);
        refused(b"\"abc", Decline::End);
        refused(b"nul", Decline::Unexpected);
        refused(b"[tru]", Decline::Unexpected);
        refused(b"[nulll]", Decline::Unexpected);
        refused(b"\xef\xbb\xbf{}", Decline::Unexpected);
        // Whitespace is four bytes only.
        refused(b"[1,\x0c2]", Decline::Unexpected);
        refused("[1,\u{a0}2]".as_bytes(), Decline::Unexpected);
    }
}
