//! What the control port's `/scripting` reports of one capability file: its
//! `management.scripting` settings as naftiko applies them, and counts of its script
//! executions, kept by every script step of the file ([`ScriptStats`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use naftiko_spec::model::ScriptingDefaults;

use super::limits::Limits;

/// Counts of a capability file's script executions, shared by its script steps.
#[derive(Debug, Default)]
pub(crate) struct ScriptStats {
    steps: AtomicUsize,
    executions: AtomicU64,
    errors: AtomicU64,
    micros: AtomicU64,
    last_unix_ms: AtomicU64,
}

impl ScriptStats {
    /// Counts one more script step built.
    pub(crate) fn add_step(&self) {
        self.steps.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one execution (`ok`: it left a result) that took `elapsed`.
    pub(crate) fn record(&self, ok: bool, elapsed: Duration) {
        self.executions.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(micros, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.last_unix_ms.store(now, Ordering::Relaxed);
    }
}

/// A capability file's scripting, as `/scripting` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptingReport {
    /// `enabled` (`false`: script steps answer 501).
    pub enabled: bool,
    /// `timeout`, in milliseconds.
    pub timeout_ms: u64,
    /// `statementLimit`.
    pub statement_limit: u64,
    /// The heap one execution may use, in bytes.
    pub memory_limit: usize,
    /// The stack one execution may use, in bytes.
    pub stack_limit: usize,
    /// `defaultLocation`, as written.
    pub default_location: Option<String>,
    /// `defaultLanguage`, as written.
    pub default_language: Option<String>,
    /// `allowedLanguages`, as written (empty: every language naftiko runs).
    pub allowed_languages: Vec<String>,
    /// Script steps the file has.
    pub steps: usize,
    /// Executions so far.
    pub executions: u64,
    /// Executions that ended without a result (a throw, a limit, no free slot, disabled).
    pub errors: u64,
    /// Mean duration of an execution, in milliseconds (0 before the first).
    pub average_ms: f64,
    /// When the last execution ended, in milliseconds since the Unix epoch.
    pub last_unix_ms: Option<u64>,
}

impl ScriptingReport {
    /// The report of a file whose settings are `settings` and whose steps counted `stats`.
    pub(crate) fn new(settings: &ScriptingDefaults, stats: &ScriptStats) -> Self {
        let limits = Limits::from_settings(settings);
        let executions = stats.executions.load(Ordering::Relaxed);
        let micros = stats.micros.load(Ordering::Relaxed);
        let text = |t: &Option<naftiko_spec::model::Text>| t.as_ref().map(|t| t.value.clone());
        #[allow(clippy::cast_precision_loss)] // a mean in milliseconds: precision to spare
        let average_ms = if executions == 0 {
            0.0
        } else {
            micros as f64 / executions as f64 / 1000.0
        };
        ScriptingReport {
            enabled: settings.enabled.as_ref().is_none_or(|e| e.value),
            timeout_ms: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
            statement_limit: limits.statements,
            memory_limit: limits.memory,
            stack_limit: limits.stack,
            default_location: text(&settings.location),
            default_language: text(&settings.language),
            allowed_languages: settings
                .allowed_languages
                .iter()
                .map(|l| l.value.clone())
                .collect(),
            steps: stats.steps.load(Ordering::Relaxed),
            executions,
            errors: stats.errors.load(Ordering::Relaxed),
            average_ms,
            last_unix_ms: Some(stats.last_unix_ms.load(Ordering::Relaxed)).filter(|&t| t > 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executions_errors_and_the_mean_are_counted() {
        let stats = ScriptStats::default();
        stats.add_step();
        let empty = ScriptingReport::new(&ScriptingDefaults::default(), &stats);
        assert_eq!(
            (empty.steps, empty.executions, empty.average_ms),
            (1, 0, 0.0)
        );
        assert_eq!(empty.last_unix_ms, None);
        assert_eq!(empty.timeout_ms, 60_000);
        assert!(empty.enabled);
        stats.record(true, Duration::from_millis(2));
        stats.record(false, Duration::from_millis(4));
        let r = ScriptingReport::new(&ScriptingDefaults::default(), &stats);
        assert_eq!((r.executions, r.errors), (2, 1));
        assert!((r.average_ms - 3.0).abs() < 1e-9, "{}", r.average_ms);
        assert!(r.last_unix_ms.is_some_and(|t| t > 1_700_000_000_000));
    }
}
