//! What a backup tells the catalog: the set, its media, every entry with the drive address of
//! its DBLK (for LOCATE), and — for normal and incremental backups that complete — the new
//! archive state of the files it saw.

use std::collections::VecDeque;
use std::os::unix::ffi::OsStrExt;

use tape_format::catalog::FddSpool;
use tape_format::ids::BlockType;

use super::session::Session;
use super::{BackupError, BackupJob, BackupType};
use crate::catalog::{
    Catalog, EntryRecord, MediumRecord, SetEnd, SetRecord, SetStatus, process_alive,
};
use crate::walk::Timestamp;

/// Entries written to the catalog per transaction.
pub(crate) const CATALOG_BATCH: usize = 4096;

pub(crate) struct Recorder<'c> {
    pub(crate) catalog: Option<&'c Catalog>,
    pub(crate) set_id: Option<i64>,
    /// DIRB/FILE records waiting for the writer to say where they landed, in order.
    unplaced: VecDeque<EntryRecord>,
    /// Placed records waiting to be written.
    placed: Vec<EntryRecord>,
    media_recorded: usize,
    /// When the job started: the date its media are recorded with (the TAPE block's date).
    started: i64,
}

impl<'c> Recorder<'c> {
    pub(crate) fn new(catalog: Option<&'c Catalog>) -> Self {
        Self {
            catalog,
            set_id: None,
            unplaced: VecDeque::new(),
            placed: Vec::new(),
            media_recorded: 0,
            started: 0,
        }
    }

    pub(crate) fn start(
        &mut self,
        job: &BackupJob,
        (family, number, first): (u32, u16, u16),
        now: Timestamp,
    ) -> Result<(), BackupError> {
        self.started = now.secs;
        if let Some(c) = self.catalog {
            let mut set = SetRecord::new(
                family,
                number,
                &job.name,
                &job.description,
                job.options.backup_type.name(),
                now.secs,
                first,
            );
            set.roots = job
                .selection
                .roots()
                .iter()
                .map(|r| r.as_os_str().as_bytes().to_vec())
                .collect();
            self.set_id = Some(c.begin_set(&set)?);
            // Interrupted runs of other processes are marked as such.
            c.mark_interrupted(process_alive)?;
        }
        Ok(())
    }

    /// A DIRB or FILE was given to the writer; its position comes later.
    pub(crate) fn expect(&mut self, record: EntryRecord) {
        if self.catalog.is_some() {
            self.unplaced.push_back(record);
        }
    }

    /// The most recent FILE record, to attach its checksum once its data are written.
    pub(crate) fn last_mut(&mut self) -> Option<&mut EntryRecord> {
        if self.unplaced.is_empty() {
            self.placed.last_mut()
        } else {
            self.unplaced.back_mut()
        }
    }

    pub(crate) fn pending(&self) -> usize {
        self.unplaced.len() + self.placed.len()
    }

    /// Matches the writer's placements to the records waiting for them; writes full batches.
    pub(crate) fn place<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        flush: bool,
    ) -> Result<(), BackupError> {
        for (p, block, skip) in s.tracker.placed.drain(..) {
            if p.block_type == BlockType::SSET {
                if let (Some(c), Some(id)) = (self.catalog, self.set_id) {
                    c.set_first_sequence(id, p.media_sequence)?;
                }
                continue;
            }
            if p.block_type == BlockType::VOLB {
                continue;
            }
            if let Some(mut e) = self.unplaced.pop_front() {
                e.sequence = p.media_sequence;
                e.fla = p.fla;
                e.block = block;
                e.skip = skip;
                e.offset = p.offset;
                self.placed.push(e);
            }
        }
        let (Some(c), Some(id)) = (self.catalog, self.set_id) else {
            return Ok(());
        };
        while self.media_recorded < s.media.len() {
            let m = &s.media[self.media_recorded];
            c.record_medium(&MediumRecord::new(
                s.family,
                m.sequence,
                m.barcode.clone(),
                &s.medium_name,
                self.started,
            ))?;
            self.media_recorded += 1;
        }
        // A record's checksum is known only after its data: keep the last one back until then.
        let keep = usize::from(!flush && self.unplaced.is_empty() && !self.placed.is_empty());
        if flush || self.placed.len() >= CATALOG_BATCH {
            let n = self.placed.len() - keep;
            c.add_entries(id, &self.placed[..n])?;
            self.placed.drain(..n);
        }
        Ok(())
    }

    /// Records how the set ended; a normal or incremental backup that completed makes what it
    /// saw the new archive state.
    #[allow(clippy::too_many_arguments)] // the counts of the report, kept apart on purpose
    pub(crate) fn finish<S: FddSpool>(
        &mut self,
        s: &mut Session<'_, S>,
        job: &BackupJob,
        complete: bool,
        files: u64,
        bytes: u64,
        at: Timestamp,
    ) -> Result<(), BackupError> {
        self.place(s, true)?;
        let (Some(c), Some(id)) = (self.catalog, self.set_id) else {
            return Ok(());
        };
        let status = if complete {
            SetStatus::Complete
        } else {
            SetStatus::Incomplete
        };
        let last = s.media.last().map_or(1, |m| m.sequence);
        let resets = matches!(
            job.options.backup_type,
            BackupType::Normal | BackupType::Incremental
        );
        let roots: Option<Vec<Vec<u8>>> = (complete && resets).then(|| {
            job.selection
                .roots()
                .iter()
                .map(|r| r.as_os_str().as_bytes().to_vec())
                .collect()
        });
        let end = SetEnd::new(status, last, files, bytes, at.secs);
        c.close_set(id, &end, roots.as_deref())?;
        tape_core::crashpoint::hit("catalog.close.committed");
        Ok(())
    }
}
