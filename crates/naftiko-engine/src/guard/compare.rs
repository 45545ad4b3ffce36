//! Constant-time comparison of presented credentials with expected ones.
//!
//! An expected value is kept only as its SHA-256 digest. A presented value is hashed the
//! same way and the two 32-byte digests are compared with `subtle`'s constant-time
//! equality, so the time a comparison takes depends neither on where the first differing
//! byte is nor on the expected value's length: both are hidden behind the hash, and the
//! fixed-size comparison reads every byte with no early exit. (The time to hash the
//! presented value depends only on its own length, which the caller already knows.)

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// An expected credential, as its digest.
#[derive(Clone)]
pub(crate) struct Secret {
    digest: [u8; 32],
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// The expected value `value`.
    pub(crate) fn new(value: &str) -> Secret {
        Secret {
            digest: Sha256::digest(value.as_bytes()).into(),
        }
    }

    /// Whether `presented` equals the expected value, in constant time.
    pub(crate) fn matches(&self, presented: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented).into();
        digest.ct_eq(&self.digest).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_same_bytes() {
        let s = Secret::new("s3cret-token");
        assert!(s.matches(b"s3cret-token"));
        assert!(!s.matches(b"s3cret-tokeN"));
        assert!(!s.matches(b"s3cret-token "));
        assert!(!s.matches(b""));
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}
