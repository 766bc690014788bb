//! End-of-media behaviour as an explicit, pluggable policy.
//!
//! When the drive reports early warning (backup), when a job starts without a usable medium,
//! or when a restore needs the next medium of a family, the engine asks a [`MediaPolicy`] for
//! a medium. A policy either loads one into the drive ([`Supply::Loaded`]; the engine then checks
//! it and may refuse it, asking again), passes ([`Supply::Declined`]: the next policy of a
//! [`PolicyChain`] gets its turn), or ends the search ([`Supply::Stop`]). The three built-in
//! policies — [`AbortPolicy`], [`PromptPolicy`] and [`ChangerPolicy`] — are small and compose:
//! `changer, then prompt, then abort` is one chain.

mod abort;
mod chain;
mod changer;
mod prompt;

use std::time::Duration;

use tape_core::{DeviceError, TapeDrive, VolumeTag};
use tape_format::writer::WriteError;

pub use abort::AbortPolicy;
pub use chain::PolicyChain;
pub use changer::{ChangerPolicy, MediaDirectory, MediumUsage, NoDirectory};
pub use prompt::{OnTimeout, PromptOptions, PromptPolicy};

use crate::{Clock, EventSink, Purpose};

/// What the engine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaRequest {
    /// Backup or restore.
    pub purpose: Purpose,
    /// The job's name.
    pub job: String,
    /// The media family, once known.
    pub family: Option<u32>,
    /// Which medium of the family, from 1.
    pub sequence: u16,
    /// The barcode wanted, when known.
    pub barcode: Option<VolumeTag>,
    /// Media that must not be offered again: those already used by this job and those refused.
    pub exclude: Vec<VolumeTag>,
    /// Why media were refused during this request, latest last.
    pub refusals: Vec<String>,
}

impl MediaRequest {
    /// A request for the medium `sequence` of `family` (or of a new family).
    pub fn new(
        purpose: Purpose,
        job: impl Into<String>,
        family: Option<u32>,
        sequence: u16,
    ) -> Self {
        Self {
            purpose,
            job: job.into(),
            family,
            sequence,
            barcode: None,
            exclude: Vec::new(),
            refusals: Vec::new(),
        }
    }
}

/// What a policy did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Supply {
    /// A medium is loaded in the drive; the engine checks it next.
    Loaded,
    /// This policy cannot help; the reason is reported if no other policy can either.
    Declined(String),
    /// Stop looking: the job ends (a backup closes its set cleanly on the medium it has).
    Stop(Stop),
}

/// Why a search for media stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stop {
    /// The job's policy says abort at the end of a medium.
    Abort,
    /// Someone cancelled the request.
    Cancelled(String),
    /// Nobody supplied a medium in time.
    TimedOut {
        /// How long the job waited.
        waited: Duration,
    },
    /// Every policy declined; their reasons.
    NoMedium(String),
    /// Too many media were refused in a row.
    TooManyRefusals(usize),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Abort => {
                f.write_str("the media policy is to abort when a medium is full or missing")
            }
            Self::Cancelled(why) => write!(f, "the request for a medium was cancelled ({why})"),
            Self::TimedOut { waited } => {
                write!(
                    f,
                    "no medium was supplied within {}",
                    crate::time::format_duration(*waited)
                )
            }
            Self::NoMedium(why) => write!(f, "no usable medium: {why}"),
            Self::TooManyRefusals(n) => write!(f, "{n} media were offered and refused"),
        }
    }
}

/// Why the medium in the drive could not be finished before a policy takes it out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// The drive failed while the end-of-medium trailer was written.
    #[error("drive {drive}: {source}")]
    Device {
        /// The drive.
        drive: String,
        /// What it reported.
        #[source]
        source: DeviceError,
    },
    /// The format writer could not end the medium.
    #[error("MTF writer: {0}")]
    Format(#[source] WriteError),
    /// Anything else a [`MediumRelease`] implementation reports.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// Finishes the medium in the drive before a policy takes it away (for a backup: writes the
/// end-of-medium trailer, MTF filemark + EOTM + filemark). Idempotent.
pub trait MediumRelease {
    /// Closes the medium in `drive`; after `Ok` the policy may unload it.
    fn release(
        &mut self,
        drive: &mut dyn TapeDrive,
        events: &mut dyn EventSink,
    ) -> Result<(), ReleaseError>;
}

/// Nothing to finish (restores, and backups before their first medium).
#[derive(Debug, Clone, Copy, Default)]
pub struct NothingToRelease;

impl MediumRelease for NothingToRelease {
    fn release(
        &mut self,
        _drive: &mut dyn TapeDrive,
        _events: &mut dyn EventSink,
    ) -> Result<(), ReleaseError> {
        Ok(())
    }
}

/// What a policy may use while it works.
///
/// A policy that takes the medium out of the drive (unload, eject, move) must first call
/// [`release_medium`](Self::release_medium): a backup then ends the full medium properly. A
/// policy that stops without touching the medium (abort) leaves it in place, and the engine
/// closes the data set on it instead.
pub struct PolicyContext<'a> {
    /// The drive the medium must go into.
    pub drive: &'a mut dyn TapeDrive,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Where to report what happens.
    pub events: &'a mut dyn EventSink,
    /// Finishes the medium in the drive.
    pub release: &'a mut dyn MediumRelease,
}

impl PolicyContext<'_> {
    /// Finishes the medium in the drive so that it may be taken out.
    pub fn release_medium(&mut self) -> Result<(), ReleaseError> {
        self.release.release(&mut *self.drive, &mut *self.events)
    }
}

/// Supplies media when the engine needs them.
///
/// # Call protocol
///
/// The engine calls [`supply`](Self::supply) when a job starts without a usable medium in the
/// drive, when a backup's medium is full (early warning or physical end), and when a restore
/// or verify needs the next medium of a family. The policy answers:
///
/// * [`Supply::Loaded`]: a medium is in the drive. The engine checks it; if it refuses it
///   (write-protected, foreign data, wrong family or sequence) it reports why, adds it to
///   [`MediaRequest::exclude`] and the reason to [`MediaRequest::refusals`], and calls `supply`
///   again. Before taking a medium *out* of the drive, call
///   [`PolicyContext::release_medium`] so a backup can finish it.
/// * [`Supply::Declined`]: this policy cannot help. Leave the drive as it was: in a
///   [`PolicyChain`] the next policy gets its turn, and if none helps the engine closes the set
///   on the medium it has.
/// * [`Supply::Stop`]: end the search (the job ends; a backup closes its set cleanly).
///
/// `supply` may block (an operator, a robot): waiting belongs to the policy, bounded by its
/// own deadline. Time comes from [`PolicyContext::clock`].
///
/// # Example
///
/// A policy of one's own, chained before a built-in one:
///
/// ```
/// use backup_engine::policy::{
///     AbortPolicy, MediaPolicy, MediaRequest, PolicyChain, PolicyContext, Supply,
/// };
///
/// /// Pages the on-call operator, then lets the next policy decide.
/// struct Pager {
///     pages: usize,
/// }
///
/// impl MediaPolicy for Pager {
///     fn name(&self) -> &str {
///         "pager"
///     }
///
///     fn supply(&mut self, request: &MediaRequest, _cx: &mut PolicyContext<'_>) -> Supply {
///         self.pages += 1; // a real one would send the page here
///         Supply::Declined(format!("paged about media #{}", request.sequence))
///     }
/// }
///
/// let chain = PolicyChain::new().then(Pager { pages: 0 }).then(AbortPolicy);
/// assert_eq!(chain.name(), "pager, then abort");
/// ```
///
/// `backup-engine/examples/custom_policy.rs` is a complete one that loads media.
pub trait MediaPolicy {
    /// A short name for logs ("changer", "prompt", "abort").
    fn name(&self) -> &str;

    /// Tries to load a medium satisfying `request` into the drive.
    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply;
}

impl<P: MediaPolicy + ?Sized> MediaPolicy for Box<P> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        (**self).supply(request, cx)
    }
}

impl<P: MediaPolicy + ?Sized> MediaPolicy for &mut P {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        (**self).supply(request, cx)
    }
}
