//! Time as the service sees it: the wall clock in production, a clock the tests drive.
//!
//! Everything that decides by time — the store's timestamps, form-token ages, rate limits,
//! sessions, retention cut-offs, webhook backoff — asks a [`Clock`] handed down from
//! [`crate::startup::Application`], never `SystemTime::now()` itself. Tests build the
//! application with [`Clock::manual`] and [`Clock::advance`] it instead of sleeping, so a
//! test of "too fast", "expired" or "retried later" takes no wall time and cannot be flaky.
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time, in milliseconds since the Unix epoch. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Clock(Source);

#[derive(Clone, Debug, Default)]
enum Source {
    /// The operating system's wall clock.
    #[default]
    System,
    /// A clock that moves only when told to (tests).
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// The operating system's wall clock.
    pub fn system() -> Clock {
        Clock(Source::System)
    }

    /// A clock that stands at `start` (Unix milliseconds) until [`Clock::advance`]d.
    pub fn manual(start: i64) -> Clock {
        Clock(Source::Manual(Arc::new(AtomicI64::new(start))))
    }

    /// A manual clock standing at the current wall-clock time.
    pub fn manual_at_now() -> Clock {
        Clock::manual(Clock::system().now_millis())
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        match &self.0 {
            Source::System => system_millis(),
            Source::Manual(at) => at.load(Ordering::SeqCst),
        }
    }

    /// Whole seconds since the Unix epoch.
    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Moves a manual clock forward by `by`; returns `false` (and does nothing) on the
    /// system clock, which cannot be moved.
    pub fn advance(&self, by: Duration) -> bool {
        match &self.0 {
            Source::System => false,
            Source::Manual(at) => {
                let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
                at.fetch_add(by, Ordering::SeqCst);
                true
            }
        }
    }

    /// Whether this clock is driven by hand (a test's).
    pub fn is_manual(&self) -> bool {
        matches!(self.0, Source::Manual(_))
    }
}

/// The wall clock in Unix milliseconds (0 before 1970, saturating far in the future).
fn system_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How long a client is told to wait before trying again (`Retry-After`): `wait` in whole
/// seconds, rounded up, at least 1 — the one rounding every 429 and 503 uses.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Unix milliseconds as an RFC 3339 UTC time (`2026-11-30T09:00:00.123Z`; no fraction
/// when it is zero); `None` outside the years the format can write.
pub fn rfc3339(millis: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = Clock::manual(1_000);
        let other = clock.clone();
        assert_eq!(clock.now_millis(), 1_000);
        assert!(other.advance(Duration::from_millis(1_500)));
        assert_eq!(clock.now_millis(), 2_500);
        assert_eq!(clock.now_secs(), 2);
        assert!(clock.is_manual());
    }

    #[test]
    fn the_system_clock_cannot_be_advanced_and_reads_the_wall_clock() {
        let clock = Clock::system();
        let before = system_millis();
        assert!(!clock.advance(Duration::from_secs(60)));
        let now = clock.now_millis();
        assert!(now >= before && now - before < 60_000);
        assert!(!clock.is_manual());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_at_least_one() {
        assert_eq!(retry_after_secs(Duration::from_millis(5_100)), 6);
        assert_eq!(retry_after_secs(Duration::from_secs(5)), 5);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
