//! One backup run: the walk's items become MTF blocks, media change as they fill.

use std::path::PathBuf;

use std::os::unix::ffi::OsStrExt;
use tape_format::attrs::CorruptAttributes;
use tape_format::catalog::FddSpool;
use tape_format::ids::StreamId;
use tape_format::stream::dumpdir::{DumpDir, DumpEntry};
use tape_format::stream::job::JobInfo;
use tape_format::writer::{CorruptInfo, SetInfo, StreamInfo, VolumeInfo};

use super::convert::{self, bare_directory, device_of, directory_info, file_info, parent};
use super::record::{CATALOG_BATCH, Recorder, stage_warning};
use super::select::ChangeFilter;
use super::session::{Flow, Session};
use super::{
    BackupError, BackupJob, BackupOutcome, BackupReport, BackupType, machine_name, ntbackup_time,
    user_name,
};
use crate::catalog::{ArchiveState, EntryRecord};
use crate::pipeline::{EntryFilter, FileEnd, Item, KeepAll, Pipeline, Prepare, Prepared};
use crate::walk::{Entry, EntryKind, Timestamp, Walk};
use crate::{Detail, JobEvent};

struct OpenFile {
    path: PathBuf,
    size: u64,
    /// The file's CRC-32C so far (hardware-accelerated: this is on the hot path), kept for
    /// verify.
    crc: Option<u32>,
}

/// The state of one backup run between items.
pub(crate) struct Run<'j> {
    job: &'j BackupJob,
    now: Timestamp,
    pub(crate) report: BackupReport,
    pub(crate) record: Recorder<'j>,
    device: Option<&'static str>,
    dir: Option<PathBuf>,
    open: Option<OpenFile>,
    /// Checksums of the files written, in order (for verify without a catalog).
    pub(crate) checksums: Vec<(PathBuf, u32)>,
    /// Recording the archive state failed (said once).
    stage_failed: bool,
}

impl<'j> Run<'j> {
    pub(crate) fn new(
        job: &'j BackupJob,
        now: Timestamp,
        report: BackupReport,
        record: Recorder<'j>,
    ) -> Self {
        Self {
            job,
            now,
            report,
            record,
            device: None,
            dir: None,
            open: None,
            checksums: Vec::new(),
            stage_failed: false,
        }
    }

    /// The backup type's selection, on the reader thread with its own catalog connection.
    fn filter(&self) -> Result<Box<dyn EntryFilter>, BackupError> {
        let kind = self.job.options.backup_type;
        if matches!(kind, BackupType::Copy)
            || (kind == BackupType::Normal && self.record.catalog.is_none())
        {
            return Ok(Box::new(KeepAll));
        }
        // Its own connection, for reading the archive state on the reader thread; what the walk
        // saw comes back as items and is written here, on the one connection that writes.
        let catalog = match kind {
            BackupType::Incremental | BackupType::Differential => self
                .record
                .catalog
                .map(crate::catalog::Catalog::reopen)
                .transpose()?,
            _ => None,
        };
        let staging = self.record.catalog.is_some()
            && matches!(kind, BackupType::Normal | BackupType::Incremental);
        let today = jiff::Timestamp::from_second(self.now.secs)
            .ok()
            .and_then(|t| t.to_zoned(jiff::tz::TimeZone::system()).start_of_day().ok())
            .map_or(self.now.secs - self.now.secs.rem_euclid(86_400), |z| {
                z.timestamp().as_second()
            });
        Ok(Box::new(ChangeFilter {
            kind,
            catalog,
            staging,
            today,
            stage: Vec::new(),
            carried: Default::default(),
            errors: 0,
            first_error: None,
            entries: 0,
            dir: None,
        }))
    }

    pub(crate) fn go<S: FddSpool>(&mut self, s: &mut Session<'_, S>) -> Result<(), BackupError> {
        if s.drain()? == Flow::Stopped {
            return Ok(());
        }
        s.writer.begin_set(SetInfo {
            backup_type: self.job.options.backup_type.set_attribute(),
            set_number: self.report.set_number,
            name: format!("Set created {}", ntbackup_time(self.now)),
            description: self.job.description.clone(),
            user_name: user_name(),
            date: convert::mtf_date(self.now),
            time_zone: i8::try_from(convert::local_offset(self.now.secs) / 900)
                .unwrap_or(tape_format::block::LOCAL_TZ),
        })?;
        if self.job_stream(s)? == Flow::Stopped {
            return Ok(());
        }
        s.events.event(&JobEvent::Message {
            detail: Detail::Summary,
            text: format!(
                "Backup set #{} of family {:08X} started: {} ({} backup)",
                self.report.set_number,
                s.family,
                self.job.name,
                self.job.options.backup_type.name()
            ),
        });
        let walk = Walk::new(&self.job.selection, self.job.options.walk);
        let now = self.now;
        let prepare: Prepare = Box::new(move |e| prepared(e, now));
        let mut pipeline = Pipeline::start(
            walk,
            self.job.options.buffers,
            self.job.options.buffer_size,
            self.filter()?,
            Some(prepare),
        )
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
                Item::Entry(entry, prepared) => self.entry(s, &entry, prepared)?,
                Item::Data(range) => self.data(s, pipeline.data(range))?,
                Item::End(end) => self.end_file(s, end)?,
                Item::Stage(rows) => {
                    self.stage(s, rows);
                    Flow::Continue
                }
                Item::Warning(text) => {
                    s.events.event(&JobEvent::Warning(text));
                    Flow::Continue
                }
            };
            if flow == Flow::Stopped {
                break;
            }
            if self.record.pending() >= CATALOG_BATCH {
                self.record.place(s, false)?;
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

    /// Records what the walk saw for the archive state. A failure costs only precision: a file
    /// whose state is missing counts as changed at the next incremental backup.
    fn stage<S: FddSpool>(&mut self, s: &mut Session<'_, S>, rows: Vec<(Vec<u8>, ArchiveState)>) {
        if let Err(e) = self.record.stage(rows) {
            if !self.stage_failed {
                s.events.event(&JobEvent::Warning(stage_warning(&e)));
            }
            self.stage_failed = true;
        }
    }

    fn expect(&mut self, path: &std::path::Path, kind: u8, size: u64, mtime: i64) {
        self.expect_key(convert::raw_path_with_root(path), kind, size, mtime);
    }

    fn expect_key(&mut self, key: Vec<u8>, kind: u8, size: u64, mtime: i64) {
        let record = EntryRecord::new(key, kind, size, mtime, 0, 0);
        self.record.expect(record);
    }

    fn entry<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        e: &Entry,
        ready: Option<Box<Prepared>>,
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
            self.expect(&e.path, 0, 0, e.info.mtime.secs);
            if let Some(children) = &e.children {
                try_flow!(self.dumpdir(s, children)?);
            }
            self.dir = Some(e.path.clone());
            self.report.directories += 1;
            if s.events.wants(Detail::Full) {
                s.events.event(&JobEvent::Message {
                    detail: Detail::Full,
                    text: format!("{}/", e.path.display()),
                });
            }
            return Ok(Flow::Continue);
        }
        let parent = parent(&e.path);
        if self.dir.as_deref() != Some(parent) {
            try_flow!(s.drain()?);
            s.writer.directory(bare_directory(parent))?;
            self.expect(parent, 0, 0, 0);
            self.dir = Some(parent.to_owned());
        }
        try_flow!(s.drain()?);
        let Prepared { file, key } = match ready {
            Some(p) => *p,
            None => prepared(e, self.now),
        };
        s.writer.begin_file(file)?;
        let kind = match e.kind {
            EntryKind::Symlink(_) => 2,
            EntryKind::HardLink(_) => 3,
            _ => 1,
        };
        self.expect_key(key, kind, e.info.size, e.info.mtime.secs);
        self.report.files += 1;
        if s.events.wants(Detail::Full) {
            s.events.event(&JobEvent::Message {
                detail: Detail::Full,
                text: e.path.display().to_string(),
            });
        }
        if e.kind == EntryKind::File {
            try_flow!(s.drain()?);
            s.writer.begin_stream(StreamInfo::stan(e.info.size))?;
            let crc = self.job.options.keep_checksums.then_some(0);
            self.open = Some(OpenFile {
                path: e.path.clone(),
                size: e.info.size,
                crc,
            });
        }
        Ok(Flow::Continue)
    }

    /// The job's name and roots, as an `LXJB` stream of the SSET: MTF has no field for them,
    /// and a catalog rebuilt from the tapes needs both (incremental chains are per job).
    fn job_stream<S: FddSpool>(&mut self, s: &mut Session<'_, S>) -> Result<Flow, BackupError> {
        let body = JobInfo {
            name: self.job.name.clone(),
            roots: self
                .job
                .selection
                .roots()
                .iter()
                .map(|r| r.as_os_str().as_bytes().to_vec())
                .collect(),
        }
        .encode();
        self.vendor_stream(s, StreamId::LXJB, &body)
    }

    /// A whole vendor stream (no `CSUM`) of the open DBLK.
    fn vendor_stream<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        id: StreamId,
        body: &[u8],
    ) -> Result<Flow, BackupError> {
        try_flow!(s.drain()?);
        let mut info = StreamInfo::stan(body.len() as u64);
        info.id = id;
        info.checksum = false;
        s.writer.begin_stream(info)?;
        try_flow!(self.push(s, body)?);
        try_flow!(s.drain()?);
        s.writer.end_stream()?;
        Ok(Flow::Continue)
    }

    /// The directory's listing, as an `LXDD` stream of its DIRB.
    fn dumpdir<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        children: &[crate::walk::Child],
    ) -> Result<Flow, BackupError> {
        let listing = DumpDir {
            entries: children
                .iter()
                .map(|c| DumpEntry {
                    name: c.name.as_bytes().to_vec(),
                    directory: c.directory,
                })
                .collect(),
        };
        self.vendor_stream(s, StreamId::LXDD, &listing.encode())
    }

    /// Frames `data` into the open stream, draining as the output units fill.
    fn push<S: FddSpool>(
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
            data = &data[n..];
        }
        Ok(Flow::Continue)
    }

    fn data<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        data: &[u8],
    ) -> Result<Flow, BackupError> {
        if let Some(crc) = self.open.as_mut().and_then(|o| o.crc.as_mut()) {
            *crc = crc32c::crc32c_append(*crc, data);
        }
        try_flow!(self.push(s, data)?);
        self.report.bytes += data.len() as u64;
        Ok(Flow::Continue)
    }

    fn end_file<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        end: FileEnd,
    ) -> Result<Flow, BackupError> {
        let Some(mut open) = self.open.take() else {
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
        let zeros = [0u8; 4096];
        while missing > 0 {
            try_flow!(s.drain()?);
            let n = s.writer.fill_zeros(missing)?;
            if let Some(crc) = open.crc.as_mut() {
                let mut left = n;
                while left > 0 {
                    let k = usize::try_from(left).unwrap_or(usize::MAX).min(zeros.len());
                    *crc = crc32c::crc32c_append(*crc, &zeros[..k]);
                    left -= k as u64;
                }
            }
            missing -= n;
        }
        try_flow!(s.drain()?);
        s.writer.end_stream()?;
        if let Some(value) = open.crc.take() {
            if let Some(r) = self.record.last_mut() {
                r.checksum = Some(value);
            }
            self.checksums.push((open.path.clone(), value));
        }
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

    pub(crate) fn report<S: FddSpool>(mut self, s: Session<'_, S>) -> BackupReport {
        self.report.media = s.media;
        self.report.closed_early = s.closed_early;
        if let Some(stop) = s.stopped {
            self.report.outcome = BackupOutcome::Stopped(stop);
        }
        self.report
    }
}

/// A non-directory's MTF `FILE` description and catalog key, on whichever thread has time.
fn prepared(e: &Entry, now: Timestamp) -> Prepared {
    Prepared {
        file: file_info(e, now),
        key: convert::raw_path_with_root(&e.path),
    }
}
