//! Byte sizes written in capability files (`maxBinarySize: 5MiB`): one parser, used by the
//! reader to check the value and by the build to size limits.

/// The bytes a size such as `512KiB`, `5MiB`, `1.5GiB` or `100B` stands for (the unit is
/// required, as in the beta5 schema's `^\d+(\.\d+)?(B|KiB|MiB|GiB)$`); `None` when the text
/// is not such a size. Fractions round down to whole bytes; a size beyond `u64` is
/// `u64::MAX`.
pub fn binary_size(text: &str) -> Option<u64> {
    let (number, unit) = [
        ("GiB", 1u64 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("B", 1),
    ]
    .iter()
    .find_map(|(suffix, unit)| text.strip_suffix(suffix).map(|n| (n, *unit)))?;
    let (int, frac) = number.split_once('.').unwrap_or((number, "0"));
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    // Digits only, so a parse failure is an overflow: such a size means "no limit".
    let whole = int.parse::<u64>().unwrap_or(u64::MAX).saturating_mul(unit);
    // The fraction, scaled by the unit, using at most 9 digits (finer than a byte for GiB).
    let frac = &frac[..frac.len().min(9)];
    let scale = 10u64.pow(u32::try_from(frac.len()).ok()?);
    let part = frac.parse::<u64>().ok()?.saturating_mul(unit) / scale;
    Some(whole.saturating_add(part))
}

#[cfg(test)]
mod tests {
    use super::binary_size;

    #[test]
    fn sizes_with_units() {
        assert_eq!(binary_size("100B"), Some(100));
        assert_eq!(binary_size("512KiB"), Some(512 * 1024));
        assert_eq!(binary_size("5MiB"), Some(5 * 1024 * 1024));
        assert_eq!(binary_size("1GiB"), Some(1 << 30));
        assert_eq!(binary_size("1.5KiB"), Some(1536));
        assert_eq!(binary_size("0.5B"), Some(0));
        assert_eq!(binary_size("99999999999999999999GiB"), Some(u64::MAX));
    }

    #[test]
    fn not_sizes() {
        for t in [
            "", "5", "MiB", "5 MiB", "5mib", "5MB", "-1KiB", "1.KiB", ".5KiB",
        ] {
            assert_eq!(binary_size(t), None, "{t}");
        }
    }
}
