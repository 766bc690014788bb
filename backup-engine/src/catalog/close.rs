//! Crash safety of a set's life in the catalog: each step is one transaction, so a process
//! killed at any point leaves the catalog describing a state that really was.
//!
//! * A set is `running` from its first block; its media are recorded as each is mounted (the
//!   set's `last_sequence` follows), so even a set whose writer dies says where it lies.
//! * Entries arrive in batches, each batch one transaction.
//! * The set's end and, for a normal or incremental backup that completed, the new archive state
//!   are one transaction ([`Catalog::close_set`]): never a complete set without the archive state
//!   it made, nor an archive state naming a set still running.
//! * A set left `running` by a dead process is shown and treated as `interrupted`
//!   ([`Catalog::mark_interrupted`], [`process_alive`]); what it staged is dropped.

use rusqlite::params;

use super::archive::{ArchiveState, archive_staged};
use super::{Catalog, CatalogError, MediumRecord, SetStatus};

/// How a set ended, for [`Catalog::close_set`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetEnd {
    /// Complete or incomplete.
    pub status: SetStatus,
    /// Last medium of the set.
    pub last_sequence: u16,
    /// Files written.
    pub files: u64,
    /// Bytes of file data written.
    pub bytes: u64,
    /// When it ended (seconds since the epoch).
    pub at: i64,
}

impl SetEnd {
    /// A set's end.
    pub fn new(status: SetStatus, last_sequence: u16, files: u64, bytes: u64, at: i64) -> Self {
        Self {
            status,
            last_sequence,
            files,
            bytes,
            at,
        }
    }
}

/// Whether process `pid` still runs on this machine (the catalog's writer of a running set).
pub fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl Catalog {
    /// Records how set `set` ended and — given the job's roots (a normal or incremental backup
    /// that completed) — makes what the job staged the archive state under them; otherwise
    /// forgets what it staged. One transaction.
    pub fn close_set(
        &self,
        set: i64,
        end: &SetEnd,
        archive_roots: Option<&[Vec<u8>]>,
    ) -> Result<(), CatalogError> {
        self.close_set_with(set, end, archive_roots, &[]).map(drop)
    }

    /// [`close_set`](Self::close_set), with rows of the set's archive state the job held in
    /// memory instead of staging them (see [`stage`](Self::stage)). If those rows cannot be
    /// stored (a device or inode number SQLite cannot keep), the set is closed without any of
    /// them, as a failed [`stage`](Self::stage) would have left it, and the error is returned
    /// as `Ok(Some(…))`; if writing them fails midway, the set is closed with those written
    /// before the failure, the same way (unless SQLite rolled the whole transaction back: then
    /// the close fails, as any of its steps may).
    pub(crate) fn close_set_with(
        &self,
        set: i64,
        end: &SetEnd,
        archive_roots: Option<&[Vec<u8>]>,
        held: &[(Vec<u8>, ArchiveState)],
    ) -> Result<Option<CatalogError>, CatalogError> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "UPDATE sets SET status = ?2, last_sequence = ?3, files = ?4, bytes = ?5, finished_at = ?6 WHERE id = ?1",
            params![set, end.status.name(), end.last_sequence, end.files, end.bytes, end.at],
        )?;
        let held_error = match archive_roots {
            Some(roots) => archive_staged(&tx, set, roots, set, held)?,
            None => {
                tx.execute("DELETE FROM archive_stage WHERE run = ?1", [set])?;
                None
            }
        };
        tape_core::crashpoint::hit("catalog.close.uncommitted");
        tx.commit()?;
        Ok(held_error)
    }

    /// A running set reached another medium: records the medium and extends the set to it.
    /// One transaction.
    pub fn extend_set(&self, set: i64, medium: &MediumRecord) -> Result<(), CatalogError> {
        let tx = self.conn.unchecked_transaction()?;
        super::upsert_medium(&tx, medium)?;
        tx.execute(
            "UPDATE sets SET last_sequence = max(last_sequence, ?2) WHERE id = ?1",
            params![set, medium.sequence],
        )?;
        tx.commit()?;
        Ok(())
    }
}
