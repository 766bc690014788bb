//! The backup types' selection on Linux, which has no archive bit (ntbackup-and-peers.md §3):
//! the catalog keeps each file's identity and change state as of the last normal or incremental
//! backup, and a file counts as changed when it is new there or any of device, inode, size,
//! modification time or change time differs — so a rename, a replacement and a content change
//! with the modification time put back are all caught. A state rebuilt from the tapes has no
//! identity (inode 0) and is compared on size and times ([`ArchiveState::unchanged`]).

use std::collections::{HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;

use super::BackupType;
use crate::catalog::{ArchiveState, Catalog, CatalogError};
use crate::pipeline::EntryFilter;
use crate::walk::{Entry, EntryKind, Timestamp};

/// States staged per catalog transaction.
const STAGE_BATCH: usize = 4096;

/// A directory's archive states are read at once up to this many; above, one by one.
const DIR_STATES: usize = 1 << 16;

/// A directory's files' archive states, by name.
pub(crate) type DirStates = HashMap<Vec<u8>, ArchiveState>;

/// Entries looked at in one read transaction of the archive-state lookups
/// ([`Catalog::hold_reads`]): bounded in entries, not lookups, so that a long run of
/// directories or unlooked-at entries does not keep an old snapshot.
const ENTRIES_PER_READ: usize = 4096;

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
    /// Catalog failures, reported at the end (a failing lookup counts as changed), and the
    /// first one's message.
    pub(crate) errors: usize,
    pub(crate) first_error: Option<String>,
    /// Entries looked at so far.
    pub(crate) entries: usize,
    /// The directory whose files were looked at last (its path and a `/`), and its files'
    /// archive states read at once (`None`: too many, looked up one by one).
    pub(crate) dir: Option<(Vec<u8>, Option<DirStates>)>,
}

impl ChangeFilter {
    fn changed(&mut self, e: &Entry) -> bool {
        let looked = match self.kind {
            BackupType::Incremental | BackupType::Differential if self.catalog.is_some() => self
                .recorded(e)
                .map(|was| was.is_none_or(|was| !was.unchanged(&state_of(e)))),
            _ => self.change(e),
        };
        looked.unwrap_or_else(|e| {
            self.errors += 1;
            self.first_error.get_or_insert_with(|| e.to_string());
            true
        })
    }

    /// The recorded state of `e`, from its directory's states read at once (files come
    /// directory by directory).
    fn recorded(&mut self, e: &Entry) -> Result<Option<ArchiveState>, CatalogError> {
        let Some(c) = &self.catalog else {
            return Ok(None);
        };
        c.hold_reads()?;
        let key = key_of(e);
        let Some(slash) = key.iter().rposition(|&b| b == b'/') else {
            return c.archive_state(&key);
        };
        let (dir, name) = key.split_at(slash + 1);
        if name.is_empty() {
            // Not a file's path (the scan names only files): as it is.
            return c.archive_state(&key);
        }
        if self.dir.as_ref().is_none_or(|(d, _)| d != dir) {
            self.dir = Some((dir.to_vec(), c.archive_children(dir, DIR_STATES)?));
        }
        match &self.dir {
            Some((_, Some(states))) => Ok(states.get(name).copied()),
            _ => c.archive_state(&key),
        }
    }

    /// Whether `e` changed since the archive state, each file looked up by itself (for
    /// [`reads`](EntryFilter::reads), which asks ahead across directories); a failing lookup
    /// is the caller's to count.
    fn change(&self, e: &Entry) -> Result<bool, CatalogError> {
        Ok(match self.kind {
            BackupType::Normal | BackupType::Copy => true,
            BackupType::Daily => e.info.mtime.secs >= self.today || e.info.ctime.secs >= self.today,
            BackupType::Incremental | BackupType::Differential => {
                let Some(c) = &self.catalog else {
                    return Ok(true);
                };
                c.hold_reads()?;
                c.archive_state(&key_of(e))?
                    .is_none_or(|was| !was.unchanged(&state_of(e)))
            }
        })
    }
}

impl EntryFilter for ChangeFilter {
    fn keep(&mut self, e: &mut Entry) -> bool {
        self.entries = self.entries.wrapping_add(1);
        if let Some(c) = &self.catalog
            && self.entries.is_multiple_of(ENTRIES_PER_READ)
        {
            // The next lookup starts another (a failure here only delays that).
            let _ = c.release_reads();
        }
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

    fn keeps_every_file(&self) -> bool {
        matches!(self.kind, BackupType::Normal | BackupType::Copy)
    }

    /// Asked ahead of `keep`, of files coming slowly: a lookup more for those (counted by
    /// `keep` if it fails), against a disk read saved.
    fn reads(&self, e: &Entry) -> bool {
        self.change(e).unwrap_or(true)
    }

    fn take_stage(&mut self, all: bool) -> Vec<(Vec<u8>, ArchiveState)> {
        if all || self.stage.len() >= STAGE_BATCH {
            std::mem::take(&mut self.stage)
        } else {
            Vec::new()
        }
    }

    fn finish(&mut self) {
        if let Some(c) = &self.catalog {
            // A transaction that only read: if it cannot end here, closing the connection
            // (next) ends it, and nothing is lost either way.
            let _ = c.release_reads();
        }
    }

    fn warnings(&mut self) -> Vec<String> {
        match self.first_error.take() {
            Some(first) => vec![format!(
                "{} file(s) could not be looked up in the catalog's archive state, so they were \
                 backed up as changed (the first lookup failed with: {first})",
                self.errors
            )],
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Selection;
    use crate::walk::{Walk, WalkEvent, WalkOptions};

    #[test]
    fn a_failing_archive_state_lookup_backs_the_file_up_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"data").unwrap();
        // A database that claims the current schema but has none of its tables: every
        // archive-state lookup fails.
        let current = dir.path().join("current.sqlite");
        drop(Catalog::open(&current).unwrap());
        let version: i64 = rusqlite::Connection::open(&current)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let db = dir.path().join("catalog.sqlite");
        rusqlite::Connection::open(&db)
            .unwrap()
            .pragma_update(None, "user_version", version)
            .unwrap();
        let catalog = Catalog::open(&db).unwrap();
        let mut filter = ChangeFilter {
            kind: BackupType::Incremental,
            catalog: Some(catalog),
            staging: false,
            today: 0,
            stage: Vec::new(),
            carried: HashSet::new(),
            errors: 0,
            first_error: None,
            entries: 0,
            dir: None,
        };
        let selection = Selection::new([&file], [] as [&str; 0]).unwrap();
        let mut walk = Walk::new(&selection, WalkOptions::default());
        let Some(WalkEvent::Entry(mut entry)) = walk.next() else {
            panic!("the file is walked");
        };
        assert!(filter.keep(&mut entry), "kept: counted as changed");
        let warnings = filter.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("1 file(s) could not be looked up"),
            "{warnings:?}"
        );
        assert!(filter.warnings().is_empty(), "said once");
    }
}
