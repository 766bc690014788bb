//! Getting a usable medium into the drive: ask the policy, check what it loaded, refuse with a
//! reason and ask again.

use tape_core::{TapeDrive, VolumeTag};

use crate::policy::{MediaPolicy, MediaRequest, MediumRelease, PolicyContext, Stop, Supply};
use crate::{Clock, EventSink, JobEvent};

/// The engine's verdict on a loaded medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<T> {
    /// Use it; `T` is what the check learned (its label, its position).
    Accept(T),
    /// Do not use it, for this reason (write-protected, foreign data, wrong family…).
    Refuse(String),
}

/// Decides whether the medium in the drive suits a request.
pub trait MediumCheck {
    /// What an accepted medium yields.
    type Accepted;
    /// Checks the loaded medium.
    fn check(
        &mut self,
        drive: &mut dyn TapeDrive,
        request: &MediaRequest,
    ) -> Verdict<Self::Accepted>;
}

/// How many refusals in a row end the search (a library full of foreign tapes must not spin).
const MAX_REFUSALS: usize = 32;

/// Gets a medium that passes `check` into the drive, through `policy`.
///
/// If `try_loaded` is set, a medium already loaded is checked first (the start of a job).
/// `release` finishes the medium in the drive before a policy takes it away.
/// Every refusal is reported and added to the request (its barcode to `exclude`, its reason to
/// `refusals`) before the policy is asked again.
#[allow(clippy::too_many_arguments)] // each is a distinct collaborator; grouping them would only hide that
pub fn acquire<C: MediumCheck>(
    request: &mut MediaRequest,
    policy: &mut dyn MediaPolicy,
    check: &mut C,
    drive: &mut dyn TapeDrive,
    clock: &dyn Clock,
    events: &mut dyn EventSink,
    release: &mut dyn MediumRelease,
    try_loaded: bool,
) -> Result<(C::Accepted, Option<VolumeTag>), Stop> {
    let mut offered = try_loaded && drive.status().is_ok_and(|s| s.ready);
    loop {
        if offered {
            let barcode = drive
                .status()
                .ok()
                .and_then(|s| s.medium)
                .and_then(|m| m.barcode);
            let medium = barcode
                .as_ref()
                .map_or_else(|| "in the drive".to_owned(), ToString::to_string);
            match check.check(drive, request) {
                Verdict::Accept(value) => {
                    events.event(&JobEvent::MediumMounted {
                        medium,
                        sequence: request.sequence,
                    });
                    return Ok((value, barcode));
                }
                Verdict::Refuse(reason) => {
                    events.event(&JobEvent::MediumRefused {
                        medium,
                        reason: reason.clone(),
                    });
                    request.refusals.push(reason);
                    if let Some(b) = barcode {
                        request.exclude.push(b);
                    }
                    if request.refusals.len() >= MAX_REFUSALS {
                        return Err(Stop::TooManyRefusals(request.refusals.len()));
                    }
                }
            }
        }
        let mut cx = PolicyContext {
            drive: &mut *drive,
            clock,
            events: &mut *events,
            release: &mut *release,
        };
        match policy.supply(request, &mut cx) {
            Supply::Loaded => offered = true,
            other => return Err(stopped(other, request, drive, try_loaded)),
        }
    }
}

/// Why the search ended, with what the job would otherwise not learn: the media refused, or
/// (at the start of a job) a drive that holds a medium but is not ready.
fn stopped(supply: Supply, request: &MediaRequest, drive: &mut dyn TapeDrive, start: bool) -> Stop {
    let stop = match supply {
        Supply::Declined(why) => Stop::NoMedium(why),
        // Say why the media offered were not used: "abort" alone hides it.
        Supply::Stop(Stop::Abort) if !request.refusals.is_empty() => {
            let last = request.refusals.last().cloned().unwrap_or_default();
            Stop::NoMedium(format!(
                "{}; the last medium offered was refused: {last}",
                Stop::Abort
            ))
        }
        Supply::Stop(stop) => stop,
        Supply::Loaded => Stop::NoMedium("a medium was loaded".into()),
    };
    let not_ready = drive
        .status()
        .ok()
        .filter(|s| s.medium.is_some() && !s.ready)
        .and_then(|s| s.not_ready_reason);
    match not_ready {
        Some(why) if start => Stop::NoMedium(format!(
            "{stop}; drive {} holds a medium but is not ready: {why}",
            drive.name()
        )),
        _ => stop,
    }
}
