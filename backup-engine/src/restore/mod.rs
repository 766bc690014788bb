//! Restoring: reading a data set back from its media, in order, asking the media policy for each
//! medium, and recreating its files under a target directory.
//!
//! # Security
//!
//! Nothing is written outside the target: stored paths are mapped component by component and
//! hostile ones (`..`, `/` or NUL inside a name, absolute link targets used as paths) are
//! refused and reported; files are created through directory handles opened without following
//! symbolic links; a file is written unnamed (or under a temporary name) and linked or renamed
//! into place only when complete and its checksum matches (`target.rs`). The system calls are
//! made on file-system threads while this one decodes (`apply.rs`).

mod apply;
mod check;
mod extract;
pub(crate) mod names;
mod owners;
mod plan;
mod prune;
mod read;
pub(crate) mod target;
mod verify;

use std::path::PathBuf;

use tape_core::{DeviceError, TapeDrive, VolumeTag};
use tape_format::reader::ReadError;

use crate::catalog::{Catalog, CatalogError};
use crate::policy::{MediaPolicy, Stop};
use crate::{Clock, EventSink};
use extract::Extractor;
use target::RestoreRoot;
pub use verify::{VerifyJob, VerifyReport, run_verify};

/// Which sets to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SetSelection {
    /// The newest set of the family (from the catalog; without one, every set on the media).
    #[default]
    Latest,
    /// The set with this number.
    Number(u16),
    /// Every set, in order.
    All,
    /// The tree as it was at the set with this catalog id: for an incremental set, the last
    /// normal backup of the same job and every incremental up to it; for a differential, that
    /// normal backup and the differential — applied in order, leaving out what was deleted.
    AsOf(i64),
}

/// The sets the extractor restores, once resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetChoice {
    Number(u16),
    All,
}

/// What to restore, and where.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RestoreJob {
    /// The job's name (for operator requests and logs).
    pub name: String,
    /// The directory everything is restored under.
    pub target: PathBuf,
    /// Which sets.
    pub sets: SetSelection,
    /// The media family, if known (else the medium in the drive's, else the catalog's newest).
    pub family: Option<u32>,
    /// Only these paths (as backed up) and what is under them; everything when empty. With the
    /// catalog, only the media holding them are read, from the block where the first lies.
    pub paths: Vec<PathBuf>,
}

impl RestoreJob {
    /// Restore the latest set under `target`.
    pub fn new(name: impl Into<String>, target: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            target: target.into(),
            sets: SetSelection::Latest,
            family: None,
            paths: Vec::new(),
        }
    }
}

/// What a restore is given to work with.
pub struct RestoreContext<'a> {
    /// The drive.
    pub drive: &'a mut dyn TapeDrive,
    /// Supplies each medium.
    pub policy: &'a mut dyn MediaPolicy,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Where the job reports.
    pub events: &'a mut dyn EventSink,
    /// The on-disk catalog, if any (which set is newest, which barcode holds which medium).
    pub catalog: Option<&'a Catalog>,
}

/// The result of a restore.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RestoreReport {
    /// The family read.
    pub family: Option<u32>,
    /// Sets restored.
    pub sets: Vec<u16>,
    /// Media read, by sequence number.
    pub media: Vec<u16>,
    /// Directories created.
    pub directories: u64,
    /// Files and links restored.
    pub files: u64,
    /// Bytes of file data restored.
    pub bytes: u64,
    /// Objects not restored, with the reason.
    pub refused: Vec<(String, String)>,
    /// Files restored with a zero-filled range (they changed during the backup).
    pub corrupt: Vec<(String, String)>,
    /// Objects an earlier set of a chain restored and a later set's listing no longer names
    /// (deleted between the backups), removed again.
    pub removed: u64,
    /// Damaged structures met on the media.
    pub damaged: Vec<String>,
    /// Why the set is not whole, if it is not.
    pub incomplete: Option<String>,
}

impl RestoreReport {
    /// True if everything selected was restored exactly.
    pub fn is_clean(&self) -> bool {
        self.refused.is_empty()
            && self.damaged.is_empty()
            && self.incomplete.is_none()
            && !self.sets.is_empty()
    }
}

/// A restore that could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The first medium could not be had.
    #[error("no medium to restore from: {0}")]
    NoMedium(Stop),
    /// The drive failed.
    #[error("drive {drive}: {source}")]
    Device {
        /// The drive.
        drive: String,
        /// What it reported.
        #[source]
        source: DeviceError,
    },
    /// The medium could not be read as MTF at all.
    #[error("reading the medium: {0}")]
    Format(#[from] ReadError),
    /// The target directory could not be opened.
    #[error("restore target {path}: {source}")]
    Target {
        /// The target.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// What to restore cannot be worked out.
    #[error("{0}")]
    Plan(String),
}

/// The media a restore needs, in the order it asks for them: (family, sequence, barcode).
pub fn media_needed(
    job: &RestoreJob,
    drive: &mut dyn TapeDrive,
    catalog: Option<&Catalog>,
) -> Result<Vec<(u32, u16, Option<VolumeTag>)>, RestoreError> {
    let steps = plan::steps(job, drive, catalog)?;
    let mut out = Vec::new();
    for step in &steps {
        let (Some(family), Some(media)) = (step.family, plan::media_needed(step, catalog)) else {
            return Err(RestoreError::Plan("the catalog does not know which media hold this backup; `ntbackup catalog rebuild` reads them".into()));
        };
        out.extend(media.into_iter().map(|(seq, b)| (family, seq, b)));
    }
    Ok(out)
}

/// Runs a restore.
pub fn run_restore(
    job: &RestoreJob,
    cx: RestoreContext<'_>,
) -> Result<RestoreReport, RestoreError> {
    let RestoreContext {
        drive,
        policy,
        clock,
        events,
        catalog,
    } = cx;
    let steps = plan::steps(job, drive, catalog)?;
    plan::announce(&steps, catalog, events);
    // A chain of sets removes what later sets no longer list: one lane, so no thread keeps a
    // handle on a directory another removed.
    let one_lane = steps.len() > 1;
    let target_error = |source| RestoreError::Target {
        path: job.target.clone(),
        source,
    };
    let root = RestoreRoot::open(&job.target).map_err(target_error)?;
    let applier = apply::Applier::start(root, one_lane).map_err(target_error)?;
    let mut x = Extractor::new(
        applier,
        steps.first().map_or(SetChoice::All, |s| s.choice),
        events,
    );
    x.prune = steps.len() > 1;
    x.select(
        job.paths
            .iter()
            .map(|p| {
                (
                    crate::backup::device_of(p).to_owned(),
                    crate::backup::text_components(p),
                )
            })
            .collect(),
    );
    let mut reading = read::Reading {
        drive,
        policy,
        clock,
        catalog,
        job: &job.name,
    };
    for (i, step) in steps.iter().enumerate() {
        x.begin(step.choice);
        read::read_family(&mut reading, step, &mut x, i == 0)?;
        x.commit_pending();
        if x.report.incomplete.is_some() && steps.len() > 1 {
            break;
        }
    }
    let (mut roots, all_lanes) = x.root.finish();
    x.absorb();
    let Extractor {
        mut report, found, ..
    } = x;
    for (path, found) in job.paths.iter().zip(found) {
        if !found && report.incomplete.is_none() {
            report
                .refused
                .push((path.display().to_string(), "not in the backup".into()));
        }
    }
    // Every thread's directory metadata, applied from one root deepest first (a parent's
    // mode could otherwise shut a thread out of a child). The first lane's last: from a
    // second set on it had everything, and a later set's metadata win.
    if !roots.is_empty() {
        let mut first = roots.remove(0);
        let mut deferred: Vec<_> = roots
            .iter_mut()
            .flat_map(RestoreRoot::take_deferred)
            .collect();
        deferred.extend(first.take_deferred());
        first.add_deferred(deferred);
        for problem in first.finish() {
            report
                .refused
                .push((problem.0, "metadata not applied".into()));
        }
    }
    if !all_lanes {
        report.refused.push((
            job.target.display().to_string(),
            "the restore's file-system thread failed; some directories' metadata not applied"
                .into(),
        ));
    }
    Ok(report)
}
