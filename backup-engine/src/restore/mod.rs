//! Restoring: reading a data set back from its media, in order, asking the media policy for each
//! medium, and recreating its files under a target directory.
//!
//! # Security
//!
//! Nothing is written outside the target: stored paths are mapped component by component and
//! hostile ones (`..`, `/` or NUL inside a name, absolute link targets used as paths) are
//! refused and reported; files are created through directory handles opened without following
//! symbolic links; a file is written under a temporary name and renamed into place only when
//! complete and its checksum matches.

mod check;
mod extract;
pub(crate) mod names;
pub(crate) mod target;

use std::path::PathBuf;

use tape_core::{DeviceError, ReadStatus, TapeDrive, VolumeTag};
use tape_format::reader::{MediaReader, ReadError, ReaderOptions};

use crate::catalog::{Catalog, CatalogError, SetStatus};
use crate::media::acquire;
use crate::policy::{MediaPolicy, MediaRequest, NothingToRelease, Stop};
use crate::{Clock, EventSink, JobEvent, Purpose};
use check::RestoreCheck;
use extract::{Control, Extractor};
use target::RestoreRoot;

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
}

impl RestoreJob {
    /// Restore the latest set under `target`.
    pub fn new(name: impl Into<String>, target: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            target: target.into(),
            sets: SetSelection::Latest,
            family: None,
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
}

/// Where to start: which family, which set, which medium and its barcode.
struct Plan {
    family: Option<u32>,
    choice: SetChoice,
    first_sequence: u16,
    /// The last medium of the chosen set, when the catalog knows it.
    last_sequence: Option<u16>,
}

fn plan(
    job: &RestoreJob,
    drive: &mut dyn TapeDrive,
    catalog: Option<&Catalog>,
) -> Result<Plan, RestoreError> {
    let loaded = if drive.status().is_ok_and(|s| s.ready) {
        match crate::backup::identify(drive, &mut vec![0; 1 << 20]) {
            Ok(crate::backup::Contents::Mtf { family, .. }) => Some(family),
            _ => None,
        }
    } else {
        None
    };
    let newest = catalog.map(Catalog::sets).transpose()?.and_then(|sets| {
        sets.into_iter()
            .rev()
            .find(|s| s.status != SetStatus::Running)
    });
    let family = job.family.or(loaded).or(newest.as_ref().map(|s| s.family));
    let sets = match (catalog, family) {
        (Some(c), Some(f)) => c.sets_of_family(f)?,
        _ => Vec::new(),
    };
    let chosen = match job.sets {
        SetSelection::Number(n) => sets.iter().find(|s| s.number == n),
        SetSelection::Latest => sets.last(),
        SetSelection::All => sets.first(),
    };
    let choice = match (job.sets, chosen) {
        (SetSelection::Number(n), _) => SetChoice::Number(n),
        (SetSelection::Latest, Some(s)) => SetChoice::Number(s.number),
        _ => SetChoice::All,
    };
    let last_sequence = match job.sets {
        SetSelection::All => sets.iter().map(|s| s.last_sequence).max(),
        _ => chosen.map(|s| s.last_sequence),
    };
    Ok(Plan {
        family,
        choice,
        first_sequence: chosen.map_or(1, |s| s.first_sequence),
        last_sequence,
    })
}

fn barcode_of(catalog: Option<&Catalog>, family: Option<u32>, sequence: u16) -> Option<VolumeTag> {
    let media = catalog?.media(family?).ok()?;
    media.into_iter().find(|m| m.sequence == sequence)?.barcode
}

/// Says up front which media the restore will ask for, from the catalog.
fn announce(plan: &Plan, catalog: Option<&Catalog>, events: &mut dyn EventSink) {
    let (Some(family), Some(last)) = (plan.family, plan.last_sequence) else {
        return;
    };
    let media: Vec<String> = (plan.first_sequence..=last)
        .map(|seq| match barcode_of(catalog, Some(family), seq) {
            Some(b) => format!("#{seq} {b}"),
            None => format!("#{seq}"),
        })
        .collect();
    events.event(&JobEvent::Message {
        detail: crate::Detail::Summary,
        text: format!(
            "This restore needs media {} of family {family:08X}, in that order",
            media.join(", ")
        ),
    });
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
    let plan = plan(job, drive, catalog)?;
    announce(&plan, catalog, events);
    let root = RestoreRoot::open(&job.target).map_err(|source| RestoreError::Target {
        path: job.target.clone(),
        source,
    })?;
    let mut request = MediaRequest::new(
        Purpose::Restore,
        job.name.clone(),
        plan.family,
        plan.first_sequence,
    );
    request.barcode = barcode_of(catalog, plan.family, plan.first_sequence);
    let mut check = RestoreCheck {
        buf: vec![0; 1 << 20],
    };
    let (mounted, _) = acquire(
        &mut request,
        policy,
        &mut check,
        drive,
        clock,
        events,
        &mut NothingToRelease,
        true,
    )
    .map_err(RestoreError::NoMedium)?;
    let mut reader = MediaReader::new(ReaderOptions::default());
    let mut x = Extractor::new(root, plan.choice, events);
    x.report.family = Some(mounted.family);
    x.report.media.push(mounted.sequence);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match feed(drive, &mut reader, &mut x, &mut buf)? {
            Control::Done | Control::Continue => break,
            Control::NextMedium { family, sequence } => {
                let mut request =
                    MediaRequest::new(Purpose::Restore, job.name.clone(), Some(family), sequence);
                request.barcode = barcode_of(catalog, Some(family), sequence);
                match acquire(
                    &mut request,
                    policy,
                    &mut check,
                    drive,
                    clock,
                    x.events_mut(),
                    &mut NothingToRelease,
                    false,
                ) {
                    Ok(_) => {
                        reader.next_medium();
                        x.report.media.push(sequence);
                    }
                    Err(stop) => {
                        x.finish_pending();
                        x.report.incomplete = Some(format!(
                            "media #{sequence} of family {family:08X} is needed but {stop}"
                        ));
                        break;
                    }
                }
            }
        }
    }
    x.finish_pending();
    let Extractor {
        root, mut report, ..
    } = x;
    for problem in root.finish() {
        report
            .refused
            .push((problem.0, "metadata not applied".into()));
    }
    Ok(report)
}

/// Reads the mounted medium until the extractor wants another or is done.
fn feed(
    drive: &mut dyn TapeDrive,
    reader: &mut MediaReader,
    x: &mut Extractor<'_>,
    buf: &mut Vec<u8>,
) -> Result<Control, RestoreError> {
    loop {
        let status = match drive.read_block(buf) {
            Ok(s) => s,
            Err(DeviceError::BlockTooLarge { block_len, .. }) if buf.len() < 64 << 20 => {
                let want = block_len
                    .unwrap_or(buf.len() * 2)
                    .max(buf.len() * 2)
                    .min(64 << 20);
                buf.resize(want, 0);
                let _ = drive
                    .space_blocks(-1)
                    .map_err(|source| RestoreError::Device {
                        drive: drive.name().into(),
                        source,
                    })?;
                continue;
            }
            Err(DeviceError::MediumError { block, detail }) => {
                let at = block.map_or_else(|| "?".into(), |b| b.to_string());
                x.events_mut().event(&JobEvent::Warning(format!(
                    "unreadable block {at}: {detail}; skipping it"
                )));
                x.report.damaged.push(format!("block {at}: {detail}"));
                continue;
            }
            Err(source) => {
                return Err(RestoreError::Device {
                    drive: drive.name().into(),
                    source,
                });
            }
        };
        let control = match status {
            ReadStatus::Data(n) => {
                let mut input = &buf[..n];
                let mut control = Control::Continue;
                while !input.is_empty() {
                    let step = reader.step(input)?;
                    input = &input[step.consumed..];
                    if let Some(event) = step.event {
                        control = x.handle(event);
                        if control != Control::Continue {
                            break;
                        }
                    } else if step.consumed == 0 {
                        break;
                    }
                }
                control
            }
            ReadStatus::Filemark => x.handle(reader.filemark()),
            ReadStatus::EndOfData => {
                let mut control = Control::Done;
                for event in reader.end_of_data() {
                    control = x.handle(event);
                    if control != Control::Continue {
                        break;
                    }
                }
                if control == Control::Continue {
                    Control::Done
                } else {
                    control
                }
            }
        };
        if control != Control::Continue {
            return Ok(control);
        }
    }
}
