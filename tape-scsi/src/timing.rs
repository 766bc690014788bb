//! Command timeouts and bounded retries (scsi-tape.md §5.4 rule 7, §7).
//!
//! The library waits in exactly one function, [`pause`]; every wait is bounded by a
//! [`RetryPolicy`] the caller can change (set it to [`RetryPolicy::none`] in tests).

use std::time::{Duration, Instant};

/// Per-command timeouts. Defaults follow pbs-tape's experience (§7): 10 minutes per command,
/// 30 s for quick queries, hours for whole-tape operations, 30 minutes for robot moves and
/// inventory scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TEST UNIT READY, INQUIRY, READ POSITION, MODE SENSE, READ BLOCK LIMITS, LOG SENSE.
    pub query: Duration,
    /// READ, WRITE, WRITE FILEMARKS, LOCATE and SPACE over blocks or filemarks.
    pub io: Duration,
    /// REWIND, LOAD, UNLOAD, SPACE to end of data (whole-tape operations; LTO-9 media
    /// initialisation can take up to 2 hours).
    pub long: Duration,
    /// MOVE MEDIUM and READ ELEMENT STATUS.
    pub robot: Duration,
    /// INITIALIZE ELEMENT STATUS (a full inventory scan).
    pub initialize: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            query: Duration::from_secs(30),
            io: Duration::from_secs(600),
            long: Duration::from_secs(3 * 3600),
            robot: Duration::from_secs(30 * 60),
            initialize: Duration::from_secs(30 * 60),
        }
    }
}

/// How long to keep repeating a command the device says it cannot run *yet* (NOT READY 04/01
/// "becoming ready", BUSY status, a robot still moving), and how often to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total time to wait for a drive or robot that is becoming ready.
    pub not_ready: Duration,
    /// Total time to wait while the device answers BUSY or ABORTED COMMAND.
    pub busy: Duration,
    /// Pause between attempts.
    pub interval: Duration,
}

impl Default for RetryPolicy {
    /// Five minutes for "becoming ready" (pbs-tape), two minutes for busy, one poll a second.
    fn default() -> Self {
        Self {
            not_ready: Duration::from_secs(300),
            busy: Duration::from_secs(120),
            interval: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// Never repeat a command.
    pub fn none() -> Self {
        Self {
            not_ready: Duration::ZERO,
            busy: Duration::ZERO,
            interval: Duration::ZERO,
        }
    }
}

/// Tracks the time spent retrying one command.
#[derive(Debug)]
pub(crate) struct Attempts {
    policy: RetryPolicy,
    start: Instant,
}

impl Attempts {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            start: Instant::now(),
        }
    }

    /// Pauses and returns true if another attempt fits within `budget` (one of the policy's
    /// limits); returns false at once otherwise.
    pub(crate) fn again(&self, budget: Duration) -> bool {
        let next = self.start.elapsed() + self.policy.interval;
        if budget.is_zero() || next > budget {
            return false;
        }
        pause(self.policy.interval);
        true
    }

    #[cfg(test)]
    pub(crate) fn policy(&self) -> RetryPolicy {
        self.policy
    }
}

/// The one place the library sleeps: between bounded retries of a device that said it is not
/// ready yet, and while polling an external changer script (both bounded by a caller-set
/// [`RetryPolicy`] or timeout).
#[allow(clippy::disallowed_methods)]
pub(crate) fn pause(duration: Duration) {
    if !duration.is_zero() {
        // Waiting for hardware is the whole point here; the bound is the caller's policy.
        std::thread::sleep(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_never_retries() {
        let a = Attempts::new(RetryPolicy::none());
        assert!(!a.again(a.policy().not_ready));
    }

    #[test]
    fn retries_within_budget_only() {
        let policy = RetryPolicy {
            not_ready: Duration::from_millis(30),
            busy: Duration::from_millis(30),
            interval: Duration::from_millis(10),
        };
        let a = Attempts::new(policy);
        let mut n = 0;
        while a.again(policy.not_ready) {
            n += 1;
            assert!(n < 10, "unbounded");
        }
        assert!((1..=3).contains(&n), "{n}");
    }

    #[test]
    fn defaults_are_bounded() {
        let t = Timeouts::default();
        assert!(t.query < t.io && t.io < t.long);
        assert_eq!(RetryPolicy::default().not_ready, Duration::from_secs(300));
    }
}
