//! The ids a trace is made of (trace ids, span ids, request ids) and the generator that
//! makes new ones.
//!
//! Ids are made for every request, on the direct path too, so the generator must cost a
//! few instructions: each thread keeps a wyrand state (one multiply per 64 bits) seeded
//! once from the operating system (`getrandom`, already linked through `uuid` and `rand`).
//! A system call per id (`getrandom` itself) or a cryptographic generator would cost more
//! than the rest of the id handling together. Ids only need to be unique, not secret: they
//! are sent upstream and logged, and nothing is authorised by them.

use std::cell::Cell;

use naftiko_http1::trace_context::{encode_hex, is_request_id};

/// A trace id: 16 bytes, never all zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

/// A span id: 8 bytes; all zero means "no span" (a root span's parent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SpanId(pub [u8; 8]);

impl SpanId {
    /// The "no span" id.
    pub const NONE: SpanId = SpanId([0; 8]);

    /// True for [`SpanId::NONE`].
    pub fn is_none(&self) -> bool {
        *self == SpanId::NONE
    }

    /// A new random span id (never all zero).
    pub fn random() -> SpanId {
        SpanId(non_zero().to_le_bytes())
    }
}

impl TraceId {
    /// A new random trace id (never all zero).
    pub fn random() -> TraceId {
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&non_zero().to_le_bytes());
        id[8..].copy_from_slice(&next().to_le_bytes());
        TraceId(id)
    }

    /// The id as 32 lowercase hex digits.
    pub fn hex(&self) -> Hex32 {
        let mut out = [0u8; 32];
        encode_hex(&self.0, &mut out);
        Hex32(out)
    }
}

/// 32 lowercase hex digits, on the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hex32([u8; 32]);

impl Hex32 {
    /// The digits as text.
    pub fn as_str(&self) -> &str {
        // Hex digits are ASCII: the conversion cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The digits (what headers are written from, without a UTF-8 check).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A request's id: the caller's `X-Request-Id` when it was acceptable, else one naftiko
/// made: 32 lowercase hex digits, the request's trace id when the trace starts with it (one
/// id to search logs and traces by), else 16 new random bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestId {
    /// Made by naftiko.
    Generated(Hex32),
    /// The caller's (checked by `naftiko_http1::trace_context::is_request_id`).
    Given(Box<str>),
}

impl RequestId {
    /// A new random request id.
    pub fn random() -> RequestId {
        RequestId::Generated(TraceId::random().hex())
    }

    /// The id of a request whose first `X-Request-Id` is `value`: that value when it is
    /// acceptable ([`is_request_id`]), else a new one.
    pub fn from_header(value: Option<&[u8]>) -> RequestId {
        RequestId::given(value).unwrap_or_else(RequestId::random)
    }

    /// The caller's id, when `value` is acceptable.
    pub(crate) fn given(value: Option<&[u8]>) -> Option<RequestId> {
        value
            .filter(|v| is_request_id(v))
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(|given| RequestId::Given(given.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        match self {
            RequestId::Generated(hex) => hex.as_str(),
            RequestId::Given(text) => text,
        }
    }

    /// The id's bytes (visible ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            RequestId::Generated(hex) => hex.as_bytes(),
            RequestId::Given(text) => text.as_bytes(),
        }
    }
}

thread_local! {
    /// This thread's generator state.
    static STATE: Cell<u64> = Cell::new(seed());
}

/// A seed from the operating system; should it fail, from the standard library's
/// per-process hash keys (themselves taken from the operating system) and the clock.
fn seed() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(now.as_nanos());
        }
        h.finish()
    })
}

/// The next 64 random bits (wyrand).
fn next() -> u64 {
    STATE.with(|state| {
        let s = state.get().wrapping_add(0xa076_1d64_78bd_642f);
        state.set(s);
        let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
        // The high and low halves folded together, as wyrand does.
        #[allow(clippy::cast_possible_truncation)]
        let folded = (t >> 64) as u64 ^ t as u64;
        folded
    })
}

/// The next random 64 bits that are not all zero.
fn non_zero() -> u64 {
    loop {
        let n = next();
        if n != 0 {
            return n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_and_are_never_zero() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let t = TraceId::random();
            assert_ne!(t.0, [0; 16]);
            assert!(seen.insert(t));
            assert!(!SpanId::random().is_none());
        }
        let r = RequestId::random();
        assert_eq!(r.as_str().len(), 32);
        assert!(
            r.as_str()
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}
