//! [`PromptPolicy`]: ask a person through an [`Operator`], wait with a bound, detect the new
//! medium, then a defined final action — the behaviour NTBackup's `/UP` switch brought back,
//! made safe for unattended jobs.

use std::time::{Duration, SystemTime};

use super::{MediaPolicy, MediaRequest, PolicyContext, Stop, Supply};
use crate::{JobEvent, Operator, OperatorReply, OperatorRequest, Resolution};

/// What the prompt policy does when nobody supplies a medium in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnTimeout {
    /// End the search: the job stops and closes its set cleanly.
    #[default]
    Stop,
    /// Pass to the next policy of the chain.
    Decline,
}

/// Knobs of the prompt policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromptOptions {
    /// How long to wait for a medium in all.
    pub timeout: Duration,
    /// How often to check the drive while waiting.
    pub poll: Duration,
    /// Delay before the first reminder; it doubles after each reminder.
    pub first_reminder: Duration,
    /// Longest delay between reminders.
    pub max_reminder: Duration,
    /// What to do after the timeout.
    pub on_timeout: OnTimeout,
}

impl Default for PromptOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(8 * 3600),
            poll: Duration::from_secs(5),
            first_reminder: Duration::from_secs(15 * 60),
            max_reminder: Duration::from_secs(4 * 3600),
            on_timeout: OnTimeout::Stop,
        }
    }
}

impl PromptOptions {
    /// Defaults with the given overall timeout (reminders scaled down for short timeouts).
    pub fn with_timeout(timeout: Duration) -> Self {
        let d = Self::default();
        Self {
            timeout,
            first_reminder: d
                .first_reminder
                .min(timeout / 4)
                .max(Duration::from_secs(1)),
            poll: d.poll.min(timeout / 10).max(Duration::from_millis(200)),
            ..d
        }
    }
}

/// Asks an operator for each medium.
#[derive(Debug)]
pub struct PromptPolicy<O> {
    operator: O,
    options: PromptOptions,
}

impl<O: Operator> PromptPolicy<O> {
    /// A prompt policy over `operator`.
    pub fn new(operator: O, options: PromptOptions) -> Self {
        Self { operator, options }
    }

    /// The operator (e.g. to inspect a scripted one in tests).
    pub fn operator(&self) -> &O {
        &self.operator
    }
}

fn later(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_add(d).unwrap_or(t)
}

impl<O: Operator> MediaPolicy for PromptPolicy<O> {
    fn name(&self) -> &str {
        "prompt"
    }

    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        if let Err(why) = cx.release_medium() {
            return Supply::Declined(format!(
                "the medium in the drive could not be closed: {why}"
            ));
        }
        make_way(cx);
        let since = cx.clock.now();
        let until = later(since, self.options.timeout);
        let mut ask = OperatorRequest {
            purpose: request.purpose,
            job: request.job.clone(),
            drive: cx.drive.name().to_owned(),
            family: request.family,
            sequence: request.sequence,
            barcode: request.barcode.clone(),
            refused: request.refusals.last().cloned(),
            since,
            until,
            notification: 1,
        };
        self.notify(&ask, cx);
        let mut backoff = self.options.first_reminder;
        let mut next_reminder = later(since, backoff);
        loop {
            if medium_ready(cx) {
                self.operator.resolved(&ask, &Resolution::Satisfied);
                return Supply::Loaded;
            }
            let now = cx.clock.now();
            if now >= until {
                self.operator.resolved(&ask, &Resolution::TimedOut);
                let waited = now.duration_since(since).unwrap_or_default();
                cx.events.event(&JobEvent::Warning(format!(
                    "nobody supplied {} within {}",
                    ask.describe(),
                    crate::time::format_duration(waited)
                )));
                return match self.options.on_timeout {
                    OnTimeout::Stop => Supply::Stop(Stop::TimedOut { waited }),
                    OnTimeout::Decline => Supply::Declined(format!(
                        "nobody answered within {}",
                        crate::time::format_duration(waited)
                    )),
                };
            }
            let wake = until.min(next_reminder).min(later(now, self.options.poll));
            if let OperatorReply::Cancel { reason } = self.operator.wait(&ask, wake) {
                self.operator.resolved(&ask, &Resolution::Cancelled);
                return Supply::Stop(Stop::Cancelled(reason));
            }
            if cx.clock.now() >= next_reminder && cx.clock.now() < until {
                ask.notification += 1;
                self.notify(&ask, cx);
                backoff = (backoff * 2).min(self.options.max_reminder);
                next_reminder = later(cx.clock.now(), backoff);
            }
        }
    }
}

impl<O: Operator> PromptPolicy<O> {
    fn notify(&mut self, ask: &OperatorRequest, cx: &mut PolicyContext<'_>) {
        let what = if ask.notification == 1 {
            ask.describe()
        } else {
            format!("{} (reminder {})", ask.describe(), ask.notification - 1)
        };
        cx.events.event(&JobEvent::Waiting {
            what,
            until: ask.until,
        });
        if let Err(e) = self.operator.notify(ask) {
            cx.events
                .event(&JobEvent::Warning(format!("{e}; still waiting")));
        }
    }
}

/// Ejects whatever is loaded, so the operator can take it out and insert another.
fn make_way(cx: &mut PolicyContext<'_>) {
    if !cx.drive.status().is_ok_and(|s| s.ready) {
        return;
    }
    if let Err(e) = cx.drive.unload() {
        cx.events.event(&JobEvent::Warning(format!(
            "could not eject the medium: {e}"
        )));
    }
}

/// A medium is loaded and ready (after [`make_way`], only a newly inserted one can be).
fn medium_ready(cx: &mut PolicyContext<'_>) -> bool {
    cx.drive
        .status()
        .is_ok_and(|s| s.ready && s.medium.is_some())
}
