//! The chunked transfer coding (RFC 9112 §7.1): a decoder fed with whatever bytes have
//! arrived. Strict where hyper is: a size line or trailer line must end in CRLF (a bare LF
//! is an error at once, not a wait for more bytes), chunk data must be followed by CRLF, a
//! trailer line must be a `name: value` field; size lines and trailers are bounded.

use bytes::{Buf, BytesMut};

/// Decoder state of a chunked body.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum ChunkState {
    /// Expecting a chunk-size line.
    #[default]
    Size,
    /// Inside chunk data, this many bytes to go.
    Data(u64),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// Reading trailer lines, until an empty one; the bytes of trailers so far.
    Trailers(usize),
    /// The body is complete.
    Done,
}

/// A chunked-body decoder.
#[derive(Debug, Default)]
pub struct Chunked {
    state: ChunkState,
}

/// Longest chunk-size line (with extensions) accepted: hyper's limit on a body's
/// extensions, so that a line hyper takes is taken here too.
const MAX_SIZE_LINE: usize = 16 * 1024;
/// Most trailer bytes accepted.
const MAX_TRAILERS: usize = 64 * 1024;

/// Why a chunked body could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// Not valid chunked coding.
    #[error("malformed chunked body: {0}")]
    Malformed(&'static str),
    /// More data than the limit.
    #[error("the chunked body is larger than the limit")]
    TooLarge,
}

impl Chunked {
    /// Consumes what it can of `input`, appending chunk data to `out` (at most `max`
    /// bytes in all). `Ok(true)` once the body, trailers included, is complete; the bytes
    /// after it stay in `input`.
    ///
    /// # Errors
    /// A malformed size line, chunk end or trailer, or more than `max` bytes of data.
    pub fn feed(
        &mut self,
        input: &mut BytesMut,
        out: &mut BytesMut,
        max: usize,
    ) -> Result<bool, ChunkError> {
        loop {
            match self.state {
                ChunkState::Done => return Ok(true),
                ChunkState::Size => {
                    let Some(end) = line_end(input, MAX_SIZE_LINE, "a chunk-size line")? else {
                        return Ok(false);
                    };
                    let size = chunk_size(&input[..end])?;
                    input.advance(end + 2);
                    // `out` never holds more than `max`: compare with the room left, so
                    // that no sum can overflow (a size of 2^64 - 1 is valid hex).
                    if size > max.saturating_sub(out.len()) as u64 {
                        return Err(ChunkError::TooLarge);
                    }
                    self.state = if size == 0 {
                        ChunkState::Trailers(0)
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(rest) => {
                    if input.is_empty() {
                        return Ok(false);
                    }
                    let take = usize::try_from(rest).unwrap_or(usize::MAX).min(input.len());
                    out.extend_from_slice(&input[..take]);
                    input.advance(take);
                    let rest = rest - take as u64;
                    self.state = if rest == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(rest)
                    };
                }
                ChunkState::DataEnd => {
                    if input.len() < 2 {
                        if input.first().is_some_and(|b| *b != b'\r') {
                            return Err(ChunkError::Malformed(
                                "chunk data is not followed by CRLF",
                            ));
                        }
                        return Ok(false);
                    }
                    if &input[..2] != b"\r\n" {
                        return Err(ChunkError::Malformed("chunk data is not followed by CRLF"));
                    }
                    input.advance(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers(seen) => {
                    let room = MAX_TRAILERS.saturating_sub(seen);
                    let Some(end) = line_end(input, room, "the trailers")? else {
                        return Ok(false);
                    };
                    if end > 0 && !is_field_line(&input[..end]) {
                        return Err(ChunkError::Malformed(
                            "a trailer is not a `name: value` field",
                        ));
                    }
                    input.advance(end + 2);
                    self.state = if end == 0 {
                        ChunkState::Done
                    } else {
                        ChunkState::Trailers(seen + end + 2)
                    };
                }
            }
        }
    }
}

/// Where the line at the start of `input` ends (the index of its CR): `Ok(None)` when no
/// LF has arrived yet and the line is still within `max` bytes.
fn line_end(input: &[u8], max: usize, what: &'static str) -> Result<Option<usize>, ChunkError> {
    match input.iter().position(|b| *b == b'\n') {
        Some(lf) if lf > 0 && input[lf - 1] == b'\r' => {
            if lf - 1 > max {
                return Err(too_long(what));
            }
            Ok(Some(lf - 1))
        }
        Some(_) => Err(ChunkError::Malformed(match what {
            "the trailers" => "a trailer line ends in a bare LF",
            _ => "a chunk-size line ends in a bare LF",
        })),
        None if input.len() > max => Err(too_long(what)),
        None => Ok(None),
    }
}

fn too_long(what: &'static str) -> ChunkError {
    ChunkError::Malformed(match what {
        "the trailers" => "the trailers are too large",
        _ => "a chunk-size line is too long",
    })
}

/// True for a `name: value` line: a non-empty token, a colon, then no bare CR.
fn is_field_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return false;
    };
    colon > 0
        && http::HeaderName::from_bytes(&line[..colon]).is_ok()
        && !line[colon..].contains(&b'\r')
}

/// The size of a chunk-size line: 1 to 16 hex digits, then optional blanks and `;`
/// extensions (ignored); no bare CR or LF.
fn chunk_size(line: &[u8]) -> Result<u64, ChunkError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 {
        return Err(ChunkError::Malformed("a chunk size is not a hex number"));
    }
    let rest = &line[digits..];
    let rest_ok = rest.iter().all(|b| *b != b'\r' && *b != b'\n')
        && (rest.trim_ascii_start().is_empty() || rest.trim_ascii_start().starts_with(b";"));
    if !rest_ok {
        return Err(ChunkError::Malformed(
            "a chunk-size line has trailing garbage",
        ));
    }
    let text = std::str::from_utf8(&line[..digits])
        .map_err(|_| ChunkError::Malformed("a chunk size is not a hex number"))?;
    u64::from_str_radix(text, 16).map_err(|_| ChunkError::Malformed("a chunk size is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(
        wire: &[u8],
        splits: &[usize],
        max: usize,
    ) -> Result<(Vec<u8>, Vec<u8>), ChunkError> {
        let mut decoder = Chunked::default();
        let mut input = BytesMut::new();
        let mut out = BytesMut::new();
        let mut at = 0;
        let mut cuts: Vec<usize> = splits.iter().map(|s| s % (wire.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(wire.len());
        for cut in cuts {
            if cut < at {
                continue;
            }
            input.extend_from_slice(&wire[at..cut]);
            at = cut;
            if decoder.feed(&mut input, &mut out, max)? {
                // What follows the body: what the decoder left, then what was not fed yet.
                let mut after = input.to_vec();
                after.extend_from_slice(&wire[at..]);
                return Ok((out.to_vec(), after));
            }
        }
        Err(ChunkError::Malformed("incomplete"))
    }

    fn encode(data: &[u8], sizes: &[usize]) -> Vec<u8> {
        let mut wire = Vec::new();
        let mut rest = data;
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes.get(i).copied().unwrap_or(7).clamp(1, rest.len());
            wire.extend_from_slice(format!("{n:X};ext=1\r\n").as_bytes());
            wire.extend_from_slice(&rest[..n]);
            wire.extend_from_slice(b"\r\n");
            rest = &rest[n..];
            i += 1;
        }
        wire.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
        wire
    }

    proptest! {
        /// Any data, in any chunk sizes, arriving in any pieces, decodes to itself, and
        /// the bytes after the body are left alone.
        #[test]
        fn chunked_round_trips(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            sizes in proptest::collection::vec(1usize..50, 0..40),
            splits in proptest::collection::vec(any::<usize>(), 0..10),
        ) {
            let mut wire = encode(&data, &sizes);
            wire.extend_from_slice(b"NEXT");
            let (out, after) = decode_all(&wire, &splits, 1 << 20).unwrap();
            prop_assert_eq!(out, data);
            prop_assert_eq!(after, b"NEXT".to_vec());
        }
    }

    #[test]
    fn malformed_chunked_bodies_are_errors() {
        let long_extension = format!("3;{}\r\nabc\r\n0\r\n\r\n", "e".repeat(20_000));
        for wire in [
            &b"zz\r\nabc\r\n0\r\n\r\n"[..],
            b"0x3a\r\n",
            b"3\r\nabcX\r\n0\r\n\r\n",
            b"3 x\r\nabc\r\n0\r\n\r\n",
            b"-3\r\nabc\r\n0\r\n\r\n",
            b"11111111111111111\r\n",
            b"3\nabc\r\n0\r\n\r\n",
            b"0\r\nno-colon\r\n\r\n",
            b"0\r\n: empty name\r\n\r\n",
            long_extension.as_bytes(),
        ] {
            assert!(
                matches!(
                    decode_all(wire, &[], 1 << 20),
                    Err(ChunkError::Malformed(_))
                ),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
        assert_eq!(
            decode_all(b"10\r\n0123456789abcdef\r\n0\r\n\r\n", &[], 8),
            Err(ChunkError::TooLarge)
        );
        // A size that would overflow a sum with the data so far is too large, not a wrap.
        assert_eq!(
            decode_all(b"1\r\na\r\nffffffffffffffff\r\nbbbb", &[], 1 << 20),
            Err(ChunkError::TooLarge)
        );
    }

    /// A bare LF ends nothing: the decoder says so at once rather than waiting for a CRLF
    /// that will never come (an upstream that frames with bare LFs would otherwise hold the
    /// call until its timeout).
    #[test]
    fn bare_lf_framing_fails_without_more_bytes() {
        for wire in [&b"31\n{"[..], b"3\r\nabc\r\n0\n\n", b"0\r\nx: y\n"] {
            let mut decoder = Chunked::default();
            let mut input = BytesMut::from(wire);
            let mut out = BytesMut::new();
            assert!(
                matches!(
                    decoder.feed(&mut input, &mut out, 1 << 20),
                    Err(ChunkError::Malformed(_))
                ),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }
}
