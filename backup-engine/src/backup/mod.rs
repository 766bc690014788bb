//! Backing up: walk the selection, frame it as one MTF data set, write it across as many media
//! as it needs, asking the media policy for each next medium.

/// Returns `Ok(Flow::Stopped)` from the enclosing function when the session stopped.
macro_rules! try_flow {
    ($e:expr) => {
        if $e == Flow::Stopped {
            return Ok(Flow::Stopped);
        }
    };
}

mod append;
mod check;
mod convert;
mod record;
mod run;
mod select;
mod session;

use std::path::PathBuf;
use std::time::SystemTime;

use tape_core::{DeviceError, TapeDrive};
use tape_format::attrs::SetAttributes;
use tape_format::catalog::FddSpool;
use tape_format::writer::{MediaWriter, MediumInfo, WriteError, WriterOptions};

pub use append::AppendTo;
pub use check::Overwrite;
pub(crate) use check::{Contents, Layout, identify};
pub(crate) use convert::{device_of, local_offset, raw_path_with_root, text_components};
pub use session::UsedMedium;

use crate::catalog::{Catalog, CatalogError};
use crate::media::acquire;
use crate::policy::{MediaPolicy, MediaRequest, NothingToRelease, Stop};
use crate::walk::{Timestamp, WalkOptions};
use crate::{Clock, EventSink, Purpose, Selection};
use check::BackupCheck;
use session::Session;

/// NTBackup's five backup types (`/M`). How each selects files and what it records is the
/// catalog's business; on tape they differ by the SSET attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BackupType {
    /// Everything selected; resets the "archive bit".
    #[default]
    Normal,
    /// Everything selected; the archive bit is left alone.
    Copy,
    /// Changed since the last normal or incremental; resets it.
    Incremental,
    /// Changed since the last normal or incremental; does not reset it.
    Differential,
    /// Changed today.
    Daily,
}

impl BackupType {
    /// The SSET attribute of this type (mtf.md §4.2, Table 9).
    pub fn set_attribute(self) -> SetAttributes {
        match self {
            Self::Normal => SetAttributes::NORMAL,
            Self::Copy => SetAttributes::COPY,
            Self::Incremental => SetAttributes::INCREMENTAL,
            Self::Differential => SetAttributes::DIFFERENTIAL,
            Self::Daily => SetAttributes::DAILY,
        }
    }

    /// Lower-case name, as NTBackup's `/M` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Copy => "copy",
            Self::Incremental => "incremental",
            Self::Differential => "differential",
            Self::Daily => "daily",
        }
    }
}

/// Knobs of a backup.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BackupOptions {
    /// Tape block size (one MTF physical block); 256 KiB by default.
    pub block_size: usize,
    /// Write the MTF media-based catalog (set map and file/directory detail) after the set.
    pub catalog_on_tape: bool,
    /// Which media holding data may be overwritten.
    pub overwrite: Overwrite,
    /// Read-ahead buffers between the file reader and the tape writer.
    pub buffers: usize,
    /// Size of each read-ahead buffer.
    pub buffer_size: usize,
    /// How the tree is walked.
    pub walk: WalkOptions,
    /// Keep a CRC-32C of every file's data as read (for a verify pass after the backup).
    pub keep_checksums: bool,
    /// The backup type.
    pub backup_type: BackupType,
    /// Media name written on new media; NTBackup's generic "Media created …" if empty.
    pub media_name: String,
    /// Append the set after the last set of a medium instead of starting a new family on a
    /// blank one (NTBackup `/A`). Nothing on the medium is overwritten.
    pub append: Option<AppendTo>,
}

impl Default for BackupOptions {
    fn default() -> Self {
        Self {
            block_size: 256 << 10,
            catalog_on_tape: true,
            overwrite: Overwrite::Never,
            buffers: 16,
            buffer_size: 1 << 20,
            walk: WalkOptions::default(),
            keep_checksums: false,
            backup_type: BackupType::Normal,
            media_name: String::new(),
            append: None,
        }
    }
}

/// What to back up, and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BackupJob {
    /// The job's name (NTBackup `/J`): logs, operator requests, the catalog.
    pub name: String,
    /// The set description (NTBackup `/D`).
    pub description: String,
    /// The paths.
    pub selection: Selection,
    /// Options.
    pub options: BackupOptions,
}

impl BackupJob {
    /// A job with default options.
    pub fn new(name: impl Into<String>, selection: Selection) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            selection,
            options: BackupOptions::default(),
        }
    }
}

/// What a backup is given to work with.
pub struct BackupContext<'a> {
    /// The drive.
    pub drive: &'a mut dyn TapeDrive,
    /// Supplies media when the drive has none usable or the medium fills.
    pub policy: &'a mut dyn MediaPolicy,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Where the job reports.
    pub events: &'a mut dyn EventSink,
    /// The on-disk catalog, if any.
    pub catalog: Option<&'a Catalog>,
}

/// How a backup ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupOutcome {
    /// Every selected object that could be read is in the set.
    Complete,
    /// No further medium was available: the set was closed early on the last medium written.
    /// Every file written completely before that point restores.
    Stopped(Stop),
}

/// The result of a backup.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BackupReport {
    /// Media family ID.
    pub family: u32,
    /// Data set number.
    pub set_number: u16,
    /// The media written, in order.
    pub media: Vec<UsedMedium>,
    /// Directories written.
    pub directories: u64,
    /// Files (and links) written.
    pub files: u64,
    /// Bytes of file data written.
    pub bytes: u64,
    /// Objects left out, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Files that changed or failed while being read (written zero-filled and marked corrupt).
    pub corrupt: Vec<(PathBuf, String)>,
    /// How it ended.
    pub outcome: BackupOutcome,
    /// After a stop: the set was closed on the last medium (its ESET says it was cut short).
    /// Otherwise that medium ends with an end-of-medium marker and the set is left continuing.
    pub closed_early: bool,
    /// With [`BackupOptions::keep_checksums`]: each regular file written and the CRC-32C of
    /// its data, in the order written.
    pub checksums: Vec<(PathBuf, u32)>,
    /// The catalog's id of the set, when there is a catalog.
    pub set_id: Option<i64>,
}

impl BackupReport {
    fn empty(family: u32) -> Self {
        Self {
            family,
            set_number: 1,
            media: Vec::new(),
            directories: 0,
            files: 0,
            bytes: 0,
            skipped: Vec::new(),
            corrupt: Vec::new(),
            outcome: BackupOutcome::Complete,
            closed_early: false,
            checksums: Vec::new(),
            set_id: None,
        }
    }
}

/// A backup that could not be done or went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// No usable first medium.
    #[error("no medium to write on: {0}")]
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
    /// The format encoder refused (a bug, or an impossible option).
    #[error("MTF writer: {0}")]
    Format(#[source] WriteError),
    /// A media policy broke its contract.
    #[error("{0}")]
    Policy(String),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The file reader could not start.
    #[error("starting the file reader: {0}")]
    Reader(#[source] std::io::Error),
}

impl BackupError {
    pub(crate) fn device(drive: &dyn TapeDrive, source: DeviceError) -> Self {
        Self::Device {
            drive: drive.name().to_owned(),
            source,
        }
    }
}

pub(crate) fn timestamp(t: SystemTime) -> Timestamp {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => Timestamp {
            secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            nanos: d.subsec_nanos(),
        },
        Err(_) => Timestamp::default(),
    }
}

/// A media family ID: random, never 0.
fn new_family_id() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    let [a, b, ..] = h
        .finish()
        .to_le_bytes()
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect::<Vec<_>>()[..]
    else {
        return 1;
    };
    (a ^ b).max(1)
}

/// "11/25/2026 at 4:44 PM", as NTBackup names media and sets.
pub(crate) fn ntbackup_time(t: Timestamp) -> String {
    jiff::Timestamp::from_second(t.secs)
        .map(|ts| {
            ts.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%m/%d/%Y at %-I:%M %p")
                .to_string()
        })
        .unwrap_or_default()
}

fn machine_name() -> String {
    String::from_utf8_lossy(rustix::system::uname().nodename().to_bytes()).into_owned()
}

fn user_name() -> String {
    std::env::var("USER").unwrap_or_else(|_| rustix::process::getuid().as_raw().to_string())
}

/// The first medium of a backup.
enum First {
    /// A new family starts on it.
    New {
        family: u32,
        barcode: Option<tape_core::VolumeTag>,
    },
    /// The set is appended to it.
    Append(Box<append::Appendable>),
}

/// Gets the medium to append to into the drive.
fn append_target(
    job: &BackupJob,
    target: AppendTo,
    drive: &mut dyn TapeDrive,
    policy: &mut dyn MediaPolicy,
    clock: &dyn Clock,
    events: &mut dyn EventSink,
    catalog: Option<&Catalog>,
) -> Result<append::Appendable, BackupError> {
    let (family, sequence) = match target {
        AppendTo::Loaded => (None, 1),
        AppendTo::Family { family, sequence } => {
            let known = catalog
                .and_then(|c| c.media(family).ok())
                .and_then(|m| m.iter().map(|m| m.sequence).max());
            (Some(family), sequence.or(known).unwrap_or(1))
        }
    };
    let mut request = MediaRequest::new(Purpose::Append, job.name.clone(), family, sequence);
    request.barcode = family.and_then(|f| {
        catalog?
            .media(f)
            .ok()?
            .into_iter()
            .find(|m| m.sequence == sequence)?
            .barcode
    });
    let mut check = append::AppendCheck {
        target,
        buf: vec![0; 1 << 20],
    };
    let (mut found, barcode) = acquire(
        &mut request,
        policy,
        &mut check,
        drive,
        clock,
        events,
        &mut NothingToRelease,
        true,
    )
    .map_err(BackupError::NoMedium)?;
    found.barcode = barcode.or(found.barcode);
    events.event(&crate::JobEvent::Message {
        detail: crate::Detail::Summary,
        text: format!(
            "Appending set #{} after set #{} on media #{} of family {:08X} (\"{}\")",
            found.last_set + 1,
            found.last_set,
            found.sequence,
            found.family,
            found.name
        ),
    });
    Ok(found)
}

/// Runs a backup.
pub fn run_backup(job: &BackupJob, cx: BackupContext<'_>) -> Result<BackupReport, BackupError> {
    run_backup_with(job, cx, tape_format::catalog::MemorySpool::new())
}

/// Runs a backup with a caller-provided FDD spool (a file-backed one bounds memory for very
/// large sets).
pub fn run_backup_with<S: FddSpool>(
    job: &BackupJob,
    cx: BackupContext<'_>,
    spool: S,
) -> Result<BackupReport, BackupError> {
    let BackupContext {
        drive,
        policy,
        clock,
        events,
        catalog,
    } = cx;
    let now = timestamp(clock.now());
    let opts = &job.options;
    let directory = catalog.map(|c| c as &dyn crate::policy::MediaDirectory);
    let caps = drive.capabilities();
    let first = match opts.append {
        Some(target) => First::Append(Box::new(append_target(
            job, target, drive, policy, clock, events, catalog,
        )?)),
        None => {
            let family = new_family_id();
            let mut request = MediaRequest::new(Purpose::Backup, job.name.clone(), Some(family), 1);
            let mut check = BackupCheck {
                overwrite: opts.overwrite,
                directory,
                buf: vec![0; 1 << 20],
            };
            let (barcode, _) = acquire(
                &mut request,
                policy,
                &mut check,
                drive,
                clock,
                events,
                &mut NothingToRelease,
                true,
            )
            .map_err(BackupError::NoMedium)?;
            First::New { family, barcode }
        }
    };
    // Tapes get large physical blocks and hardware filemarks; files (`.bkf`) the layout NTBackup
    // uses: 1 KiB blocks with soft filemarks (mtf.md §11.1, §12), written 1 MiB at a time. An
    // appended set keeps the medium's own layout.
    let (block_size, flb) = match &first {
        First::Append(a) => (a.block_size, a.layout.flb_size),
        First::New { .. } => (opts.block_size, 1024),
    };
    let wopts = if caps.hardware_filemarks {
        caps.check_block_size(block_size)
            .map_err(|e| BackupError::device(drive, e))?;
        WriterOptions::default().sizes(flb, block_size, block_size)
    } else {
        WriterOptions::bkf()
    };
    let phys = if caps.hardware_filemarks {
        block_size as u64
    } else {
        tape_core::BKF_BLOCK as u64
    };
    let (family, barcode, sequence, set_number, medium_name, filemarks, at) = match first {
        First::New { family, barcode } => {
            let medium_name = if opts.media_name.is_empty() {
                format!("Media created {}", ntbackup_time(now))
            } else {
                opts.media_name.clone()
            };
            (family, barcode, 1, 1, medium_name, 0, None)
        }
        First::Append(a) => {
            let a = *a;
            (
                a.family,
                a.barcode,
                a.sequence,
                a.last_set + 1,
                a.name,
                a.filemarks,
                Some((a.set_map, a.point)),
            )
        }
    };
    let wopts = wopts.family(family).with_catalog(opts.catalog_on_tape);
    let mut writer = MediaWriter::new(wopts, spool)?;
    match at {
        None => writer.start_medium(
            MediumInfo {
                name: medium_name.clone(),
                date: convert::mtf_date(now),
                ..MediumInfo::default()
            },
            1,
        )?,
        Some((set_map, point)) => {
            writer.set_prior_set_map(set_map);
            writer.append_after(point)?;
        }
    }
    let mut session = Session {
        tracker: session::Tracker {
            phys,
            filemarks: vec![0; usize::try_from(filemarks).unwrap_or(0)],
            ..session::Tracker::default()
        },
        writer,
        drive,
        policy,
        clock,
        events,
        directory,
        overwrite: opts.overwrite,
        job: job.name.clone(),
        family,
        tried: barcode.iter().cloned().collect(),
        media: vec![UsedMedium { sequence, barcode }],
        stopped: None,
        medium_name,
        closed_early: false,
        media_log: None,
    };
    let mut record = record::Recorder::new(catalog);
    record.start(job, (family, set_number, sequence), now)?;
    session.media_log = catalog.zip(record.set_id).map(|(c, id)| session::MediaLog {
        catalog: c,
        set: id,
        written_at: now.secs,
        recorded: 0,
    });
    let mut report = BackupReport::empty(family);
    report.set_number = set_number;
    let mut run = run::Run::new(job, now, report, record);
    let result = run.go(&mut session);
    let complete = result.is_ok() && session.stopped.is_none();
    let (files, bytes) = (run.report.files, run.report.bytes);
    let ended = timestamp(session.clock.now());
    run.record
        .finish(&mut session, job, complete, files, bytes, ended)?;
    result?;
    let checksums = std::mem::take(&mut run.checksums);
    let set_id = run.record.set_id;
    let mut report = run.report(session);
    report.checksums = checksums;
    report.set_id = set_id;
    Ok(report)
}
