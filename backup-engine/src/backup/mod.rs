//! Backing up: walk the selection, frame it as one MTF data set, write it across as many media
//! as it needs, asking the media policy for each next medium.

mod check;
mod convert;
mod session;

/// Returns `Ok(Flow::Stopped)` from the enclosing function when the session stopped.
macro_rules! try_flow {
    ($e:expr) => {
        if $e == Flow::Stopped {
            return Ok(Flow::Stopped);
        }
    };
}

use std::path::PathBuf;
use std::time::SystemTime;

use tape_core::{DeviceError, TapeDrive};
use tape_format::attrs::{CorruptAttributes, SetAttributes};
use tape_format::catalog::FddSpool;
use tape_format::writer::{
    CorruptInfo, MediaWriter, MediumInfo, SetInfo, StreamInfo, VolumeInfo, WriteError,
    WriterOptions,
};

pub use check::Overwrite;
pub(crate) use check::{Contents, identify};
pub(crate) use convert::local_offset;
pub use session::UsedMedium;

use crate::catalog::{Catalog, CatalogError, EntryRecord, MediumRecord, SetRecord, SetStatus};
use crate::media::acquire;
use crate::pipeline::{FileEnd, Item, Pipeline};
use crate::policy::{MediaPolicy, MediaRequest, NothingToRelease, Stop};
use crate::walk::{Entry, EntryKind, Timestamp, Walk, WalkOptions};
use crate::{Clock, Detail, EventSink, JobEvent, Purpose, Selection};
use check::BackupCheck;
use convert::{bare_directory, device_of, directory_info, file_info, parent};
use session::{Flow, Session};

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
    /// The backup type.
    pub backup_type: BackupType,
    /// Media name written on new media; NTBackup's generic "Media created …" if empty.
    pub media_name: String,
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
            backup_type: BackupType::Normal,
            media_name: String::new(),
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

fn timestamp(t: SystemTime) -> Timestamp {
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
fn ntbackup_time(t: Timestamp) -> String {
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
    let family = new_family_id();
    let directory = catalog.map(|c| c as &dyn crate::policy::MediaDirectory);
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
    let medium_name = if opts.media_name.is_empty() {
        format!("Media created {}", ntbackup_time(now))
    } else {
        opts.media_name.clone()
    };
    // Tapes get large physical blocks and hardware filemarks; files (`.bkf`) the layout NTBackup
    // uses: 1 KiB blocks with soft filemarks (mtf.md §11.1, §12), written 1 MiB at a time.
    let caps = drive.capabilities();
    let wopts = if caps.hardware_filemarks {
        caps.check_block_size(opts.block_size)
            .map_err(|e| BackupError::device(drive, e))?;
        WriterOptions::default().sizes(1024, opts.block_size, opts.block_size)
    } else {
        WriterOptions::bkf()
    };
    let wopts = wopts.family(family).with_catalog(opts.catalog_on_tape);
    let mut writer = MediaWriter::new(wopts, spool)?;
    writer.start_medium(
        MediumInfo {
            name: medium_name.clone(),
            date: convert::mtf_date(now),
            ..MediumInfo::default()
        },
        1,
    )?;
    let mut session = Session {
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
        media: vec![UsedMedium {
            sequence: 1,
            barcode,
        }],
        stopped: None,
        medium_name,
        closed_early: false,
    };
    let mut run = Run::new(job, now, family, catalog);
    run.start_catalog(&session)?;
    let result = run.go(&mut session);
    run.finish_catalog(&mut session, result.is_ok(), timestamp(clock.now()))?;
    result?;
    Ok(run.report(session))
}

/// The state of one backup run between items.
struct Run<'j> {
    job: &'j BackupJob,
    now: Timestamp,
    report: BackupReport,
    device: Option<&'static str>,
    dir: Option<PathBuf>,
    open: Option<OpenFile>,
    catalog: Option<&'j Catalog>,
    set_id: Option<i64>,
    /// DIRB/FILE records waiting for the writer to say where they landed, in order.
    unplaced: std::collections::VecDeque<EntryRecord>,
    /// Placed records waiting to be written to the catalog.
    placed: Vec<EntryRecord>,
    media_recorded: usize,
}

/// Entries written to the catalog per transaction.
const CATALOG_BATCH: usize = 4096;

struct OpenFile {
    path: PathBuf,
    size: u64,
}

impl<'j> Run<'j> {
    fn new(job: &'j BackupJob, now: Timestamp, family: u32, catalog: Option<&'j Catalog>) -> Self {
        Self {
            catalog,
            set_id: None,
            unplaced: Default::default(),
            placed: Vec::new(),
            media_recorded: 0,
            job,
            now,
            report: BackupReport {
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
            },
            device: None,
            dir: None,
            open: None,
        }
    }

    fn start_catalog<S: FddSpool>(&mut self, s: &Session<'_, S>) -> Result<(), BackupError> {
        if let Some(c) = self.catalog {
            let set = SetRecord::new(
                s.family,
                1,
                &self.job.name,
                &self.job.description,
                self.job.options.backup_type.name(),
                self.now.secs,
                1,
            );
            self.set_id = Some(c.begin_set(&set)?);
        }
        Ok(())
    }

    /// Matches the writer's placements to the records waiting for them; writes full batches.
    fn place<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        flush: bool,
    ) -> Result<(), BackupError> {
        for p in s.writer.take_placements() {
            if p.block_type == tape_format::ids::BlockType::SSET {
                if let (Some(c), Some(id)) = (self.catalog, self.set_id) {
                    c.set_first_sequence(id, p.media_sequence)?;
                }
                continue;
            }
            if p.block_type == tape_format::ids::BlockType::VOLB {
                continue;
            }
            if let Some(mut e) = self.unplaced.pop_front() {
                e.sequence = p.media_sequence;
                e.fla = p.fla;
                self.placed.push(e);
            }
        }
        if let (Some(c), Some(id)) = (self.catalog, self.set_id) {
            while self.media_recorded < s.media.len() {
                let m = &s.media[self.media_recorded];
                c.record_medium(&MediumRecord::new(
                    s.family,
                    m.sequence,
                    m.barcode.clone(),
                    &s.medium_name,
                    self.now.secs,
                ))?;
                self.media_recorded += 1;
            }
            if flush || self.placed.len() >= CATALOG_BATCH {
                c.add_entries(id, &self.placed)?;
                self.placed.clear();
            }
        } else {
            self.placed.clear();
        }
        Ok(())
    }

    fn finish_catalog<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        ok: bool,
        at: Timestamp,
    ) -> Result<(), BackupError> {
        self.place(s, true)?;
        if let (Some(c), Some(id)) = (self.catalog, self.set_id) {
            let status = match (&s.stopped, ok) {
                (None, true) => SetStatus::Complete,
                _ => SetStatus::Incomplete,
            };
            let last = s.media.last().map_or(1, |m| m.sequence);
            c.finish_set(
                id,
                status,
                last,
                self.report.files,
                self.report.bytes,
                at.secs,
            )?;
        }
        Ok(())
    }

    fn expect_placement(&mut self, path: &std::path::Path, kind: u8, size: u64, mtime: i64) {
        if self.catalog.is_some() {
            self.unplaced.push_back(EntryRecord::new(
                convert::raw_path_with_root(path),
                kind,
                size,
                mtime,
                0,
                0,
            ));
        }
    }

    fn go<S: FddSpool>(&mut self, s: &mut Session<'_, S>) -> Result<(), BackupError> {
        if s.drain()? == Flow::Stopped {
            return Ok(());
        }
        s.writer.begin_set(SetInfo {
            backup_type: self.job.options.backup_type.set_attribute(),
            set_number: 1,
            name: format!("Set created {}", ntbackup_time(self.now)),
            description: self.job.description.clone(),
            user_name: user_name(),
            date: convert::mtf_date(self.now),
            time_zone: i8::try_from(convert::local_offset(self.now.secs) / 900)
                .unwrap_or(tape_format::block::LOCAL_TZ),
        })?;
        s.events.event(&JobEvent::Message {
            detail: Detail::Summary,
            text: format!(
                "Backup set #1 of family {:08X} started: {}",
                s.family, self.job.name
            ),
        });
        let walk = Walk::new(&self.job.selection, self.job.options.walk);
        let mut pipeline =
            Pipeline::start(walk, self.job.options.buffers, self.job.options.buffer_size)
                .map_err(BackupError::Reader)?;
        while let Some(item) = pipeline.next() {
            let flow = match item {
                Item::Skipped { path, reason } => {
                    s.events.event(&JobEvent::Warning(format!(
                        "{} skipped: {reason}",
                        path.display()
                    )));
                    self.report.skipped.push((path, reason));
                    Flow::Continue
                }
                Item::Entry(entry) => self.entry(s, &entry)?,
                Item::Data(chunk) => {
                    let flow = self.data(s, chunk.data())?;
                    pipeline.recycle(chunk);
                    flow
                }
                Item::End(end) => self.end_file(s, end)?,
            };
            if flow == Flow::Stopped {
                break;
            }
            if self.placed.len() + self.unplaced.len() >= CATALOG_BATCH {
                self.place(s, false)?;
            }
        }
        drop(pipeline);
        if s.stopped.is_none() && s.drain()? == Flow::Continue {
            s.writer.end_set()?;
            if s.drain()? == Flow::Continue {
                s.writer.finish()?;
                s.drain()?;
            }
        }
        Ok(())
    }

    fn entry<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        e: &Entry,
    ) -> Result<Flow, BackupError> {
        let device = device_of(&e.path);
        if self.device != Some(device) {
            try_flow!(s.drain()?);
            s.writer.volume(VolumeInfo {
                device: device.to_owned(),
                machine: machine_name(),
                date: convert::mtf_date(self.now),
                ..VolumeInfo::default()
            })?;
            self.device = Some(device);
            self.dir = None;
        }
        if e.kind == EntryKind::Directory {
            try_flow!(s.drain()?);
            s.writer.directory(directory_info(e, self.now))?;
            self.expect_placement(&e.path, 0, 0, e.info.mtime.secs);
            self.dir = Some(e.path.clone());
            self.report.directories += 1;
            s.events.event(&JobEvent::Message {
                detail: Detail::Full,
                text: format!("{}/", e.path.display()),
            });
            return Ok(Flow::Continue);
        }
        let parent = parent(&e.path);
        if self.dir.as_deref() != Some(parent) {
            try_flow!(s.drain()?);
            s.writer.directory(bare_directory(parent))?;
            self.expect_placement(parent, 0, 0, 0);
            self.dir = Some(parent.to_owned());
        }
        try_flow!(s.drain()?);
        s.writer.begin_file(file_info(e, self.now))?;
        let kind = match e.kind {
            EntryKind::Symlink(_) => 2,
            EntryKind::HardLink(_) => 3,
            _ => 1,
        };
        self.expect_placement(&e.path, kind, e.info.size, e.info.mtime.secs);
        self.report.files += 1;
        s.events.event(&JobEvent::Message {
            detail: Detail::Full,
            text: e.path.display().to_string(),
        });
        if e.kind == EntryKind::File {
            try_flow!(s.drain()?);
            s.writer.begin_stream(StreamInfo::stan(e.info.size))?;
            self.open = Some(OpenFile {
                path: e.path.clone(),
                size: e.info.size,
            });
        }
        Ok(Flow::Continue)
    }

    fn data<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        mut data: &[u8],
    ) -> Result<Flow, BackupError> {
        while !data.is_empty() {
            try_flow!(s.drain()?);
            let n = s.writer.write_data(data)?;
            if n == 0 {
                return Err(BackupError::Policy(
                    "the MTF writer accepted no data after draining".into(),
                ));
            }
            self.report.bytes += n as u64;
            data = &data[n..];
        }
        Ok(Flow::Continue)
    }

    fn end_file<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        end: FileEnd,
    ) -> Result<Flow, BackupError> {
        let Some(open) = self.open.take() else {
            return Ok(Flow::Continue);
        };
        let (read, why, attributes) = match end {
            FileEnd::Complete => (open.size, None, CorruptAttributes::empty()),
            FileEnd::Grew => {
                let why =
                    "it grew while being read; the size it had when the backup reached it was kept";
                s.events.event(&JobEvent::Warning(format!(
                    "{}: {why}",
                    open.path.display()
                )));
                (open.size, None, CorruptAttributes::empty())
            }
            FileEnd::Shrunk { read } => (
                read,
                Some(format!("it shrank to {read} bytes while being read")),
                CorruptAttributes::LENGTH_CHANGE,
            ),
            FileEnd::Failed { read, error } => (
                read,
                Some(format!("reading failed after {read} bytes: {error}")),
                CorruptAttributes::UNREADABLE_BLK,
            ),
        };
        let mut missing = open.size.saturating_sub(read);
        while missing > 0 {
            try_flow!(s.drain()?);
            missing -= s.writer.fill_zeros(missing)?;
        }
        try_flow!(s.drain()?);
        s.writer.end_stream()?;
        if let Some(why) = why {
            try_flow!(s.drain()?);
            s.writer.mark_corrupt(CorruptInfo {
                attributes,
                stream_offset: read,
                stream_number: 2,
            })?;
            s.events.event(&JobEvent::Warning(format!(
                "{}: {why}; the rest is zero-filled and marked corrupt",
                open.path.display()
            )));
            self.report.corrupt.push((open.path, why));
        }
        Ok(Flow::Continue)
    }

    fn report<S: FddSpool>(mut self, s: Session<'_, S>) -> BackupReport {
        self.report.media = s.media;
        self.report.closed_early = s.closed_early;
        if let Some(stop) = s.stopped {
            self.report.outcome = BackupOutcome::Stopped(stop);
        }
        self.report
    }
}
