//! Wall-clock time: read from the monotonic clock a request reads anyway ([`wall`]), and
//! written as text, RFC 3339 in UTC with microseconds, as access lines and the control
//! port write it, without a date-time dependency.

use std::cell::Cell;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a thread's pair of clock readings is used before both clocks are read again.
const REBASE: Duration = Duration::from_secs(1);

/// The wall-clock time at `at`, a reading of the monotonic clock: from a pair of readings
/// of both clocks this thread took less than [`REBASE`] before or after `at` (else it
/// takes a new pair). A request then reads one clock instead of two for its `Date` header
/// and access line (as nginx reads the time once per loop); a step of the wall clock
/// shows within a second, and its slewing in between is below a microsecond.
pub fn wall(at: Instant) -> SystemTime {
    thread_local! {
        /// This thread's last pair of readings: the monotonic clock and the wall clock.
        static BASE: Cell<Option<(Instant, SystemTime)>> = const { Cell::new(None) };
    }
    BASE.with(|base| {
        if let Some(time) = base.get().and_then(|pair| from(pair, at, REBASE)) {
            return time;
        }
        let pair = (Instant::now(), SystemTime::now());
        base.set(Some(pair));
        from(pair, at, Duration::MAX).unwrap_or(pair.1)
    })
}

/// The wall-clock time at `at` by the pair `(instant, time)` read together, when `at` is
/// less than `within` away from it (and the time is one `SystemTime` holds).
fn from(
    (instant, time): (Instant, SystemTime),
    at: Instant,
    within: Duration,
) -> Option<SystemTime> {
    if at >= instant {
        let after = at - instant;
        (after < within).then(|| time.checked_add(after)).flatten()
    } else {
        let before = instant - at;
        (before < within)
            .then(|| time.checked_sub(before))
            .flatten()
    }
}

/// Appends `2026-11-29T05:16:40.618896Z`: UTC, microseconds, as `tracing-subscriber`
/// writes it.
pub fn push_rfc3339_micros(out: &mut String, time: SystemTime) {
    thread_local! {
        /// The second last written and its text up to the fraction (`…T05:16:40.`).
        static SECOND: std::cell::RefCell<(u64, String)> =
            const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let mut n = itoa::Buffer::new();
    let mut padded = |out: &mut String, value: u64, width: usize| {
        let digits = n.format(value);
        for _ in digits.len()..width {
            out.push('0');
        }
        out.push_str(digits);
    };
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != secs {
            text.clear();
            let (year, month, day) = civil_from_days((secs / 86_400) as i64);
            let rest = secs % 86_400;
            padded(text, year.max(0) as u64, 4);
            text.push('-');
            padded(text, u64::from(month), 2);
            text.push('-');
            padded(text, u64::from(day), 2);
            text.push('T');
            padded(text, rest / 3600, 2);
            text.push(':');
            padded(text, rest / 60 % 60, 2);
            text.push(':');
            padded(text, rest % 60, 2);
            text.push('.');
            *second = secs;
        }
        out.push_str(text);
    });
    padded(out, u64::from(since.subsec_micros()), 6);
    out.push('Z');
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_time_follows_the_monotonic_clock_and_the_wall_clock() {
        let before = SystemTime::now();
        let now = Instant::now();
        let at = wall(now);
        let after = SystemTime::now();
        assert!(before <= at && at <= after, "{before:?} {at:?} {after:?}");
        // Readings a little apart are as far apart in wall time, whichever comes first.
        let later = now + Duration::from_millis(300);
        assert_eq!(
            wall(later).duration_since(at).ok(),
            Some(Duration::from_millis(300))
        );
        let earlier = now - Duration::from_millis(200);
        assert_eq!(
            at.duration_since(wall(earlier)).ok(),
            Some(Duration::from_millis(200))
        );
        // One far from the pair is read from a new pair, still on the wall clock's scale.
        let far = now + Duration::from_secs(5);
        let seconds = wall(far).duration_since(before).map(|d| d.as_secs());
        assert!(matches!(seconds, Ok(4..=6)), "{seconds:?}");
    }

    #[test]
    fn timestamps_are_rfc3339_with_microseconds_in_utc() {
        let at = |secs: u64, micros: u64| {
            let mut out = String::new();
            push_rfc3339_micros(
                &mut out,
                UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros),
            );
            out
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(1_795_929_400, 618_896), "2026-11-29T05:16:40.618896Z");
        assert_eq!(at(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
        assert_eq!(at(4_107_542_399, 999_999), "2100-02-28T23:59:59.999999Z");
    }
}
