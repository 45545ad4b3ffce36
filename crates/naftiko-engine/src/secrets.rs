//! The values that must never reach a log line or an error body, and the redactor that
//! enforces it.
//!
//! Every bound value, every credential rendered for upstream authentication and every token
//! the engine fetched is registered here. Messages the engine produces (error details, log
//! fields) pass through [`Secrets::redact`] as a second line of defence behind the rule that
//! they never include request values in the first place.

use std::sync::{Arc, RwLock};

/// What replaces a secret in redacted text.
pub const REDACTED: &str = "[redacted]";

/// Shortest value treated as a secret (shorter ones would redact ordinary words).
const MIN_SECRET_LEN: usize = 4;

/// A shared, growable set of secret values.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Arc<RwLock<Vec<String>>>,
}

impl Secrets {
    /// Registers a value (ignored when too short to be a credential, or already known).
    pub fn add(&self, value: &str) {
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        if let Ok(mut v) = self.values.write()
            && !v.iter().any(|s| s == value)
        {
            v.push(value.to_owned());
            // Longest first, so a secret containing another is replaced whole.
            v.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// `text` with every registered value replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let Ok(values) = self.values.read() else {
            return REDACTED.to_owned();
        };
        let mut out = text.to_owned();
        for v in values.iter() {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_registered_value_and_ignores_short_ones() {
        let s = Secrets::default();
        s.add("s3cr3t-value");
        s.add("abc");
        assert_eq!(s.redact("token s3cr3t-value, abc"), "token [redacted], abc");
    }

    #[test]
    fn a_longer_secret_containing_a_shorter_one_is_redacted_whole() {
        let s = Secrets::default();
        s.add("key1");
        s.add("key1-extended");
        assert_eq!(s.redact("key1-extended"), "[redacted]");
    }
}
