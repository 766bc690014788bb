//! What a backup tells the catalog: the set, its media, every entry with the drive address of
//! its DBLK (for LOCATE), and — for normal and incremental backups that complete — the new
//! archive state of the files it saw.

use std::collections::VecDeque;
use std::os::unix::ffi::OsStrExt;

use tape_format::catalog::FddSpool;
use tape_format::ids::BlockType;

use super::session::Session;
use super::{BackupError, BackupJob, BackupType};
use crate::JobEvent;
use crate::catalog::{
    ArchiveState, Catalog, CatalogError, EntryRecord, MediumRecord, SetEnd, SetRecord, SetStatus,
    process_alive,
};
use crate::walk::Timestamp;

/// What a job says when the catalog could not record the archive state it saw: it costs only
/// precision.
pub(crate) fn stage_warning(e: &CatalogError) -> String {
    format!(
        "the catalog could not record what this backup saw ({e}); the next incremental backup \
         will include the files concerned again"
    )
}

/// Entries written to the catalog per transaction.
pub(crate) const CATALOG_BATCH: usize = 4096;

/// Archive-state rows are held in memory up to this many (16 MiB of rows, a power of two so
/// the vector holding them grows no further) and [`HELD_PATHS`] bytes of paths, then written
/// to the catalog's stage: staging every row, then moving it to the archive state and deleting
/// it at the end, cost the consumer thread an insert and a delete per file (issue 8), while the
/// bound keeps memory flat whatever the tree.
const HELD_ROWS: usize = 1 << 18;
const HELD_PATHS: usize = 16 << 20;

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
    /// Archive-state rows not staged (yet), and their size.
    held: Vec<(Vec<u8>, ArchiveState)>,
    held_paths: usize,
    /// [`HELD_ROWS`] and [`HELD_PATHS`] (smaller in tests).
    held_limit: (usize, usize),
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
            held: Vec::new(),
            held_paths: 0,
            held_limit: (HELD_ROWS, HELD_PATHS),
        }
    }

    /// Records what the walk saw for the archive state: held in memory, staged in the catalog
    /// once there is much of it. On an error the rows are lost (and the files concerned count
    /// as changed at the next incremental backup).
    pub(crate) fn stage(&mut self, rows: Vec<(Vec<u8>, ArchiveState)>) -> Result<(), CatalogError> {
        let (Some(c), Some(id)) = (self.catalog, self.set_id) else {
            return Ok(());
        };
        let paths = rows.iter().map(|(p, _)| p.len()).sum::<usize>();
        let (max_rows, max_paths) = self.held_limit;
        let mut staged = Ok(());
        if self.held.len() + rows.len() > max_rows || self.held_paths + paths > max_paths {
            staged = c.stage(id, &self.held);
            self.held.clear();
            self.held_paths = 0;
        }
        self.held_paths += paths;
        if self.held.capacity() == 0 {
            // At its full size at once: grown by doubling, it was copied and faulted in anew
            // each time (3-4 % of the consumer thread on 200,000 files, issue 8). Only the
            // pages written take memory.
            self.held.reserve_exact(max_rows);
        }
        self.held.extend(rows);
        staged
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
        if let Some(e) = c.close_set_with(id, &end, roots.as_deref(), &self.held)? {
            s.events.event(&JobEvent::Warning(stage_warning(&e)));
        }
        tape_core::crashpoint::hit("catalog.close.committed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::SetEnd;

    fn open_set(dir: &std::path::Path) -> (Catalog, i64) {
        let catalog = Catalog::open(&dir.join("catalog.sqlite")).unwrap();
        let set = SetRecord::new(1, 1, "job", "", "normal", 0, 1);
        let id = catalog.begin_set(&set).unwrap();
        (catalog, id)
    }

    fn row(i: u64) -> (Vec<u8>, ArchiveState) {
        (
            format!("/t/f{i:04}").into_bytes(),
            ArchiveState::new(1, i, i, 0, 0),
        )
    }

    #[test]
    fn archive_state_rows_held_and_staged_all_reach_the_archive_state() {
        // Batches of 100 rows of 8-byte paths, at most 150 rows or 1,000 bytes of paths held:
        // the first two batches staged (a statement of 64 rows, then one per row), the third
        // held and written at the end the same way.
        for limit in [(150, 1 << 20), (1000, 1000)] {
            let dir = tempfile::tempdir().unwrap();
            let (catalog, id) = open_set(dir.path());
            let mut r = Recorder::new(Some(&catalog));
            r.set_id = Some(id);
            r.held_limit = limit;
            for batch in 0..3u64 {
                r.stage((0..100).map(|i| row(batch * 100 + i)).collect())
                    .unwrap();
            }
            assert_eq!(r.held.len(), 100, "{limit:?}");
            let end = SetEnd::new(SetStatus::Complete, 1, 300, 0, 1);
            let roots = [b"/t".to_vec()];
            let failed = catalog
                .close_set_with(id, &end, Some(&roots), &r.held)
                .unwrap();
            assert!(failed.is_none());
            assert_eq!(catalog.archive_len().unwrap(), 300);
            for i in [0, 63, 64, 99, 100, 163, 164, 200, 263, 264, 299] {
                let (path, state) = row(i);
                assert_eq!(
                    catalog.archive_state(&path).unwrap(),
                    Some(state),
                    "row {i}"
                );
            }
        }
    }

    /// Closes `set` complete under `roots` with `held`, every row written.
    fn close(catalog: &Catalog, set: i64, roots: &[&[u8]], held: &[(Vec<u8>, ArchiveState)]) {
        let end = SetEnd::new(SetStatus::Complete, 1, 3, 0, 1);
        let roots: Vec<Vec<u8>> = roots.iter().map(|r| r.to_vec()).collect();
        let failed = catalog.close_set_with(set, &end, Some(&roots), held);
        assert!(failed.unwrap().is_none());
    }

    /// Starts set `number` of family 1.
    fn begin(catalog: &Catalog, number: u16) -> i64 {
        let set = SetRecord::new(1, number, "job", "", "incremental", 0, 1);
        catalog.begin_set(&set).unwrap()
    }

    #[test]
    fn a_later_set_replaces_the_rows_it_saw_and_forgets_those_it_did_not_under_its_roots() {
        let dir = tempfile::tempdir().unwrap();
        let (catalog, first) = open_set(dir.path());
        let elsewhere = (b"/u/f".to_vec(), ArchiveState::new(1, 9, 9, 0, 0));
        catalog
            .stage(first, std::slice::from_ref(&elsewhere))
            .unwrap();
        close(&catalog, first, &[b"/t"], &[row(0), row(1), row(2)]);
        let second = begin(&catalog, 2);
        // Seen again: one staged, one held and changed; row 0's file is gone.
        catalog.stage(second, &[row(1)]).unwrap();
        let changed = (row(2).0, ArchiveState::new(1, 2, 5, 0, 0));
        close(&catalog, second, &[b"/t"], std::slice::from_ref(&changed));
        assert_eq!(
            catalog.archive_rows().unwrap(),
            [
                (row(1).0, row(1).1, second),
                (changed.0, changed.1, second),
                (elsewhere.0, elsewhere.1, first),
            ]
        );
    }

    #[test]
    fn a_set_run_again_under_its_id_keeps_only_what_it_saw_the_second_time() {
        let dir = tempfile::tempdir().unwrap();
        let (catalog, first) = open_set(dir.path());
        close(&catalog, first, &[b"/t"], &[row(0), row(1), row(2)]);
        // The same family and number: the same id, as for a set rebuilt or run once more.
        let again = begin(&catalog, 1);
        assert_eq!(again, first);
        close(&catalog, again, &[b"/t"], &[row(1)]);
        let rows = catalog.archive_rows().unwrap();
        assert_eq!(rows, [(row(1).0, row(1).1, again)]);
    }

    #[test]
    fn a_set_of_the_file_systems_root_forgets_every_path_it_did_not_see() {
        let dir = tempfile::tempdir().unwrap();
        let (catalog, first) = open_set(dir.path());
        close(&catalog, first, &[b"/"], &[row(0), row(1)]);
        let second = begin(&catalog, 2);
        close(&catalog, second, &[b"/"], &[row(1)]);
        let rows = catalog.archive_rows().unwrap();
        assert_eq!(rows, [(row(1).0, row(1).1, second)]);
    }

    #[test]
    fn held_rows_that_cannot_be_written_leave_the_set_closed_without_them() {
        let dir = tempfile::tempdir().unwrap();
        let (catalog, id) = open_set(dir.path());
        catalog.stage(id, &[row(0)]).unwrap();
        // SQLite keeps signed 64-bit integers: this device number cannot be stored.
        let held = [
            row(1),
            (b"/t/odd".to_vec(), ArchiveState::new(u64::MAX, 1, 1, 0, 0)),
        ];
        let end = SetEnd::new(SetStatus::Complete, 1, 3, 0, 1);
        let roots = [b"/t".to_vec()];
        let failed = catalog
            .close_set_with(id, &end, Some(&roots), &held)
            .unwrap();
        assert!(failed.is_some());
        assert_eq!(
            catalog.set(id).unwrap().unwrap().status,
            SetStatus::Complete
        );
        // The staged row only: the held ones went together.
        assert_eq!(catalog.archive_len().unwrap(), 1);
        assert_eq!(catalog.archive_state(&row(0).0).unwrap(), Some(row(0).1));
    }
}
