//! The backup types' selection on Linux, which has no archive bit (ntbackup-and-peers.md §3):
//! the catalog keeps each file's identity and change state as of the last normal or incremental
//! backup, and a file counts as changed when it is new there or any of device, inode, size,
//! modification time or change time differs — so a rename, a replacement and a content change
//! with the modification time put back are all caught. A state rebuilt from the tapes has no
//! identity (inode 0) and is compared on size and times ([`ArchiveState::unchanged`]).

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;

use super::BackupType;
use crate::catalog::{ArchiveState, Catalog};
use crate::pipeline::EntryFilter;
use crate::walk::{Entry, EntryKind, Timestamp};

/// States staged per catalog transaction.
const STAGE_BATCH: usize = 4096;

fn ns(t: Timestamp) -> i64 {
    t.secs
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(t.nanos))
}

/// The catalog's view of an entry.
pub(crate) fn state_of(e: &Entry) -> ArchiveState {
    ArchiveState::new(
        e.info.dev,
        e.info.ino,
        e.info.size,
        ns(e.info.mtime),
        ns(e.info.ctime),
    )
}

/// The key the catalog files an entry under.
pub(crate) fn key_of(e: &Entry) -> Vec<u8> {
    e.path.as_os_str().as_bytes().to_vec()
}

/// Selects entries by backup type and stages what it saw for the archive state.
pub(crate) struct ChangeFilter {
    pub(crate) kind: BackupType,
    /// A connection of the reader thread's own.
    pub(crate) catalog: Option<Catalog>,
    /// Gather what the walk sees for the archive state (normal and incremental backups with
    /// a catalog).
    pub(crate) staging: bool,
    /// Start of today, local time (daily backups).
    pub(crate) today: i64,
    pub(crate) stage: Vec<(Vec<u8>, ArchiveState)>,
    /// Inodes whose data this set carries (hard links to them can stay links).
    pub(crate) carried: HashSet<(u64, u64)>,
    /// Catalog failures, reported at the end (a failing lookup counts as changed).
    pub(crate) errors: usize,
}

impl ChangeFilter {
    fn changed(&mut self, e: &Entry) -> bool {
        match self.kind {
            BackupType::Normal | BackupType::Copy => true,
            BackupType::Daily => e.info.mtime.secs >= self.today || e.info.ctime.secs >= self.today,
            BackupType::Incremental | BackupType::Differential => {
                let Some(c) = &self.catalog else { return true };
                match c.archive_state(&key_of(e)) {
                    Ok(Some(was)) => !was.unchanged(&state_of(e)),
                    Ok(None) => true,
                    Err(_) => {
                        self.errors += 1;
                        true
                    }
                }
            }
        }
    }
}

impl EntryFilter for ChangeFilter {
    fn keep(&mut self, e: &mut Entry) -> bool {
        if e.kind == EntryKind::Directory {
            return true;
        }
        if self.staging {
            self.stage.push((key_of(e), state_of(e)));
        }
        if !self.changed(e) {
            return false;
        }
        let inode = (e.info.dev, e.info.ino);
        match &e.kind {
            EntryKind::File if e.info.nlink > 1 => {
                self.carried.insert(inode);
            }
            // Its first name is not in this set: carry the data here.
            EntryKind::HardLink(_) if !self.carried.contains(&inode) => {
                e.kind = EntryKind::File;
                self.carried.insert(inode);
            }
            _ => {}
        }
        true
    }

    fn take_stage(&mut self, all: bool) -> Vec<(Vec<u8>, ArchiveState)> {
        if all || self.stage.len() >= STAGE_BATCH {
            std::mem::take(&mut self.stage)
        } else {
            Vec::new()
        }
    }
}
