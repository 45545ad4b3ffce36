//! The headers that tie a request to a trace and to a request id, as they are read and
//! written on the wire: W3C Trace Context level 1 (`traceparent`, `tracestate`) and
//! `X-Request-Id`. One implementation for the server (reading what a caller sent) and the
//! client (writing what goes upstream); the engine's `trace` module decides what to send.
//!
//! `traceparent` is `VERSION-TRACEID-PARENTID-FLAGS` in lowercase hex. Version `00` is read
//! strictly (exactly 55 characters); a later version (`01` to `fe`) is read as `00` when
//! its first 55 characters have that shape and whatever follows starts with `-` (the
//! specification's rule for versions it does not know). An all-zero trace id or parent id,
//! version `ff`, upper-case hex or any other deviation makes the header invalid.

/// Length of a version-00 `traceparent` value.
pub const TRACEPARENT_LEN: usize = 55;

/// Longest `tracestate` passed on: the 512 characters the specification asks every vendor
/// to propagate (a longer one is dropped rather than cut, which could break a member).
pub const MAX_TRACESTATE: usize = 512;

/// Longest `X-Request-Id` accepted from a caller.
pub const MAX_REQUEST_ID: usize = 128;

/// The `sampled` trace flag.
pub const SAMPLED: u8 = 0x01;

/// A valid `traceparent`, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// The trace id (never all zero).
    pub trace_id: [u8; 16],
    /// The caller's span id (never all zero).
    pub parent_id: [u8; 8],
    /// The trace flags, as sent.
    pub flags: u8,
}

/// The `traceparent` in `value`, when it is valid (see the module's rules).
pub fn parse_traceparent(value: &[u8]) -> Option<TraceParent> {
    let version = hex_byte(value.get(0..2)?)?;
    let fits = match version {
        0 => value.len() == TRACEPARENT_LEN,
        0xff => false,
        _ => value.len() == TRACEPARENT_LEN || value.get(TRACEPARENT_LEN) == Some(&b'-'),
    };
    if !fits || value[2] != b'-' || value[35] != b'-' || value[52] != b'-' {
        return None;
    }
    let mut trace_id = [0u8; 16];
    let mut parent_id = [0u8; 8];
    decode_hex(&value[3..35], &mut trace_id)?;
    decode_hex(&value[36..52], &mut parent_id)?;
    let flags = hex_byte(&value[53..55])?;
    if trace_id == [0; 16] || parent_id == [0; 8] {
        return None;
    }
    Some(TraceParent {
        trace_id,
        parent_id,
        flags,
    })
}

/// The version-00 `traceparent` value for a trace id (already in hex: a request writes one
/// per upstream call, and its trace id's digits are made once), a span id and flags.
pub fn traceparent(trace_id_hex: &[u8; 32], span_id: &[u8; 8], flags: u8) -> [u8; TRACEPARENT_LEN] {
    let mut out = [b'-'; TRACEPARENT_LEN];
    out[0] = b'0';
    out[1] = b'0';
    out[3..35].copy_from_slice(trace_id_hex);
    encode_hex(span_id, &mut out[36..52]);
    encode_hex(&[flags], &mut out[53..55]);
    out
}

/// True when `value` may be passed on as a `tracestate`: visible text (as
/// [`crate::fields::is_visible_text`] has it) of at most [`MAX_TRACESTATE`] bytes.
pub fn is_tracestate(value: &[u8]) -> bool {
    value.len() <= MAX_TRACESTATE && crate::fields::is_visible_text(value)
}

/// True when `value` is accepted as a caller's `X-Request-Id`: 1 to [`MAX_REQUEST_ID`]
/// visible ASCII characters (`!` to `~`: no spaces, no controls).
pub fn is_request_id(value: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&value.len()) && value.iter().all(|b| (0x21..0x7f).contains(b))
}

/// Writes `bytes` as lowercase hex into `out` (twice their length): eight bytes at a time
/// in one 128-bit word ([`hex8`]), the rest one by one. Every request writes 25 bytes of ids
/// this way (the trace id once, a span id and the flags per upstream call).
pub fn encode_hex(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut chunks = bytes.chunks_exact(8);
    let mut outs = out.chunks_exact_mut(16);
    for (chunk, dst) in (&mut chunks).zip(&mut outs) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        dst.copy_from_slice(&hex8(u64::from_be_bytes(word)).to_be_bytes());
    }
    let rest = outs.into_remainder();
    for (b, pair) in chunks.remainder().iter().zip(rest.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
}

/// The 16 lowercase hex digits of `v`'s 8 bytes (most significant first), as the bytes of
/// a big-endian `u128`: each byte is spread to a 16-bit lane, its two nibbles put in the
/// lane's two bytes, and each nibble `n` becomes `'0' + n`, plus `'a' - '0' - 10` when
/// `n > 9` (`(n + 6) >> 4` is 1 exactly then; no byte carries into the next).
fn hex8(v: u64) -> u128 {
    const BYTES_TO_32: u128 = 0x0000_0000_FFFF_FFFF_0000_0000_FFFF_FFFF;
    const BYTES_TO_16: u128 = 0x0000_FFFF_0000_FFFF_0000_FFFF_0000_FFFF;
    const BYTES_TO_8: u128 = 0x00FF_00FF_00FF_00FF_00FF_00FF_00FF_00FF;
    const HIGH: u128 = 0x0F00_0F00_0F00_0F00_0F00_0F00_0F00_0F00;
    const LOW: u128 = 0x000F_000F_000F_000F_000F_000F_000F_000F;
    const ONES: u128 = 0x0101_0101_0101_0101_0101_0101_0101_0101;
    let mut x = u128::from(v);
    x = (x | (x << 32)) & BYTES_TO_32;
    x = (x | (x << 16)) & BYTES_TO_16;
    x = (x | (x << 8)) & BYTES_TO_8;
    let nibbles = ((x << 4) & HIGH) | (x & LOW);
    let letters = ((nibbles + 6 * ONES) >> 4) & ONES;
    nibbles + 0x30 * ONES + letters * u128::from(b'a' - b'0' - 10)
}

/// Reads lowercase hex (`text`, twice `out`'s length) into `out`; `None` on anything else.
fn decode_hex(text: &[u8], out: &mut [u8]) -> Option<()> {
    for (pair, b) in text.chunks_exact(2).zip(out.iter_mut()) {
        *b = hex_byte(pair)?;
    }
    Some(())
}

/// Two lowercase hex digits as a byte.
fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    match pair {
        [hi, lo] => Some((digit(*hi)? << 4) | digit(*lo)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &[u8] = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn a_version_00_header_is_read_strictly() {
        let p = parse_traceparent(GOOD).unwrap();
        assert_eq!(p.trace_id[0], 0x0a);
        assert_eq!(p.parent_id[7], 0x31);
        assert_eq!(p.flags, 1);
        let mut hex = [0u8; 32];
        encode_hex(&p.trace_id, &mut hex);
        assert_eq!(&traceparent(&hex, &p.parent_id, p.flags)[..], GOOD);
        let bad: [&[u8]; 10] = [
            b"00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
            b"00-00000000000000000000000000000000-b7ad6b7169203331-01",
            b"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            b"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
            b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
            b"00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            b"00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
            b" 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            b"",
        ];
        for value in bad {
            assert_eq!(
                parse_traceparent(value),
                None,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn a_later_version_is_read_as_00_when_it_has_its_shape() {
        let mut later = GOOD.to_vec();
        later[1] = b'1';
        assert!(parse_traceparent(&later).is_some());
        later.extend_from_slice(b"-what-comes-next");
        assert!(parse_traceparent(&later).is_some());
        later[TRACEPARENT_LEN] = b'x';
        assert!(parse_traceparent(&later).is_none());
    }

    #[test]
    fn hex_is_the_formatters_lowercase_hex() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..=25 {
            for _ in 0..200 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        (state >> 56) as u8
                    })
                    .collect();
                let mut out = vec![0u8; 2 * len];
                encode_hex(&bytes, &mut out);
                let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(String::from_utf8(out).unwrap(), expected);
            }
        }
        let mut out = [0u8; 16];
        encode_hex(&[0x00, 0x09, 0x0a, 0x0f, 0x90, 0xa0, 0xf0, 0xff], &mut out);
        assert_eq!(&out, b"00090a0f90a0f0ff");
    }

    #[test]
    fn request_ids_are_short_visible_ascii() {
        assert!(is_request_id(b"abc-123"));
        assert!(is_request_id(&[b'x'; 128]));
        assert!(!is_request_id(&[b'x'; 129]));
        assert!(!is_request_id(b""));
        assert!(!is_request_id(b"a b"));
        assert!(!is_request_id(b"a\tb"));
        assert!(!is_request_id("é".as_bytes()));
    }

    #[test]
    fn tracestate_is_visible_text_within_its_length() {
        assert!(is_tracestate(b"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
        assert!(!is_tracestate(&[b'a'; 513]));
        assert!(!is_tracestate(b"a=\x01"));
    }
}
