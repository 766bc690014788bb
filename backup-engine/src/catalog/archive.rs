//! The "archive bit" Linux lacks: each file's identity and change state as of the last normal or
//! incremental backup (mtf.md Table 9, ntbackup-and-peers.md §3).

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::{Catalog, CatalogError};

/// What identifies a file's content: a rename, a replacement or a change with the modification
/// time put back (the change time moves) all show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveState {
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Size.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i64,
    /// Inode change time, ns since the epoch.
    pub ctime_ns: i64,
}

impl ArchiveState {
    /// A state record.
    pub fn new(dev: u64, ino: u64, size: u64, mtime_ns: i64, ctime_ns: i64) -> Self {
        Self {
            dev,
            ino,
            size,
            mtime_ns,
            ctime_ns,
        }
    }
}

impl ArchiveState {
    /// `true` if a file now in state `now` is unchanged since this state was recorded.
    ///
    /// A state rebuilt from the tapes (`catalog rebuild`) has no identity: MTF does not carry
    /// device and inode numbers, so they are stored as 0, and an inode of 0 (never a real one on
    /// Linux) means "identity unknown". Such a state is compared on size, modification time and
    /// change time only, to the second — the tape's own catalog keeps no finer times. Every
    /// error of that comparison errs towards "changed": a file is backed up once too often,
    /// never skipped.
    pub fn unchanged(&self, now: &ArchiveState) -> bool {
        if self.ino != 0 {
            return self == now;
        }
        let secs = |ns: i64| ns.div_euclid(1_000_000_000);
        self.size == now.size
            && secs(self.mtime_ns) == secs(now.mtime_ns)
            && secs(self.ctime_ns) == secs(now.ctime_ns)
    }
}

/// The path bounds of everything below `root` (not the root itself): `lo <= path < hi`. A
/// root that ends in `/` (the file system's root) is not given a second one: below `/` is
/// every absolute path, not those beginning `//` (which the rows of a backup of `/` missed).
pub(super) fn under(root: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut lo = root.to_vec();
    if !lo.ends_with(b"/") {
        lo.push(b'/');
    }
    let mut hi = lo.clone();
    if let Some(last) = hi.last_mut() {
        *last += 1;
    }
    (lo, hi)
}

impl Catalog {
    /// The recorded state of `path`, if any.
    pub fn archive_state(&self, path: &[u8]) -> Result<Option<ArchiveState>, CatalogError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT dev, ino, size, mtime_ns, ctime_ns FROM archive WHERE path = ?1",
        )?;
        Ok(stmt
            .query_row([path], |r| {
                Ok(ArchiveState::new(
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })
            .optional()?)
    }

    /// The recorded states of the paths directly in one directory, keyed by name: `dir` is the
    /// directory's path and a `/`, as the paths in it begin. One pass over the rows below it,
    /// seeking past each subdirectory's; `None` if it holds more than `max` (look those up one
    /// by one). A lookup per file cost an incremental backup 18 % of its reader thread.
    pub(crate) fn archive_children(
        &self,
        dir: &[u8],
        max: usize,
    ) -> Result<Option<HashMap<Vec<u8>, ArchiveState>>, CatalogError> {
        if dir.last() != Some(&b'/') {
            return Ok(None);
        }
        let (_, hi) = under(dir);
        let mut stmt = self.conn.prepare_cached(
            "SELECT path, dev, ino, size, mtime_ns, ctime_ns FROM archive
             WHERE path >= ?1 AND path < ?2",
        )?;
        let mut states = HashMap::new();
        let mut lo = dir.to_vec();
        'scan: loop {
            let mut rows = stmt.query(params![lo, hi])?;
            while let Some(r) = rows.next()? {
                // Every path in the range begins with `dir`.
                let path: Vec<u8> = r.get(0)?;
                let name = path.get(dir.len()..).unwrap_or_default();
                if let Some(i) = name.iter().position(|&b| b == b'/') {
                    // A subdirectory's: go on after all of them ('0' follows '/').
                    lo = [dir, &name[..i], b"0"].concat();
                    continue 'scan;
                }
                if name.is_empty() {
                    continue;
                }
                let state =
                    ArchiveState::new(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
                states.insert(name.to_vec(), state);
                if states.len() > max {
                    return Ok(None);
                }
            }
            return Ok(Some(states));
        }
    }

    /// Starts a read transaction on this connection if none is open, so that the lookups
    /// that follow share one snapshot and one hold of the WAL's read lock instead of taking
    /// and dropping it each time (the `fcntl` calls were half of a lookup's time, issue 8).
    /// [`release_reads`](Self::release_reads) ends it. Hold it for a bounded number of
    /// lookups: a checkpoint cannot pass a reader's snapshot, so the WAL grows meanwhile. Only
    /// in WAL mode (otherwise a reader's lock would hold the other connections' writes off):
    /// elsewhere each lookup stays a transaction of its own.
    pub(crate) fn hold_reads(&self) -> Result<(), CatalogError> {
        if self.wal && self.conn.is_autocommit() {
            self.conn.execute_batch("BEGIN")?;
        }
        Ok(())
    }

    /// Ends the read transaction of [`hold_reads`](Self::hold_reads), if one is open.
    pub(crate) fn release_reads(&self) -> Result<(), CatalogError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("COMMIT")?;
        }
        Ok(())
    }

    /// Records what a running job saw (one transaction). Only the engine writes this state;
    /// public (hidden) for the engine's crash tests.
    #[doc(hidden)]
    pub fn stage(&self, run: i64, rows: &[(Vec<u8>, ArchiveState)]) -> Result<(), CatalogError> {
        let tx = self.conn.unchecked_transaction()?;
        {
            super::insert_rows(
                &tx,
                "INSERT INTO archive_stage (run, path, dev, ino, size, mtime_ns, ctime_ns)",
                7,
                rows,
                |st, i, (path, s)| {
                    st.raw_bind_parameter(i, run)?;
                    st.raw_bind_parameter(i + 1, path)?;
                    st.raw_bind_parameter(i + 2, s.dev)?;
                    st.raw_bind_parameter(i + 3, s.ino)?;
                    st.raw_bind_parameter(i + 4, s.size)?;
                    st.raw_bind_parameter(i + 5, s.mtime_ns)?;
                    st.raw_bind_parameter(i + 6, s.ctime_ns)
                },
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// After a normal or incremental backup: the state under `roots` becomes what the job saw
    /// (files gone since are forgotten).
    pub(crate) fn commit_archive(
        &self,
        run: i64,
        roots: &[Vec<u8>],
        set: i64,
    ) -> Result<(), CatalogError> {
        let tx = self.conn.unchecked_transaction()?;
        // Nothing held: nothing to fail.
        archive_staged(&tx, run, roots, set, &[])?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets what a job staged (copy, differential and daily backups, or a failed job).
    pub(crate) fn drop_stage(&self, run: i64) -> Result<(), CatalogError> {
        self.conn
            .execute("DELETE FROM archive_stage WHERE run = ?1", [run])?;
        Ok(())
    }

    /// Number of files with a recorded state.
    pub fn archive_len(&self) -> Result<u64, CatalogError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM archive", [], |r| r.get(0))?)
    }
}

/// Inside the caller's transaction, the state under `roots` becomes what run `run` staged and
/// the rows `held` in memory, as of set `set` (files gone since are forgotten): the body of
/// [`Catalog::commit_archive`] and of a set's close. If the held rows cannot be stored, or
/// writing them fails midway, the error comes back as `Ok(Some(…))` and the state is left
/// without those not written, as a failed stage leaves it (their files count as changed);
/// unless SQLite rolled the whole transaction back, which fails the whole.
pub(super) fn archive_staged(
    tx: &rusqlite::Connection,
    run: i64,
    roots: &[Vec<u8>],
    set: i64,
    held: &[(Vec<u8>, ArchiveState)],
) -> Result<Option<CatalogError>, CatalogError> {
    let had = any_under(tx, roots)?;
    if had {
        forget_own(tx, roots, set)?;
    }
    promote_stage(tx, run, set)?;
    // Checked first rather than rolled back to a savepoint: a savepoint journals every page
    // the rows replace, in a temporary file (issue 8).
    let held_error = match storable(held).and_then(|()| archive_held(tx, set, held)) {
        Ok(()) => None,
        // SQLite rolled the whole transaction back itself (a full disk, an I/O error):
        // nothing more can go into it.
        Err(e) if tx.is_autocommit() => return Err(e),
        Err(e) => Some(e),
    };
    if had {
        forget_unseen(tx, roots, set)?;
    }
    Ok(held_error)
}

/// Before a set's rows are written: rows under `roots` that already carry its id (an id used
/// again, as [`Catalog::begin_set`] does for a set run or rebuilt once more) are not what it
/// saw, and go first, so that [`forget_unseen`] tells what it did not see by the id alone.
fn forget_own(tx: &rusqlite::Connection, roots: &[Vec<u8>], set: i64) -> Result<(), CatalogError> {
    delete_under(tx, roots, "set_id = ?4", set)
}

/// Whether the archive state has rows under `roots` (if not, a set's close has nothing to
/// forget there, and need not look through the rows it wrote).
fn any_under(tx: &rusqlite::Connection, roots: &[Vec<u8>]) -> Result<bool, CatalogError> {
    let mut stmt = tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM archive WHERE path = ?1 OR (path >= ?2 AND path < ?3))",
    )?;
    for root in roots {
        let (lo, hi) = under(root);
        if stmt.query_row(params![root, lo, hi], |r| r.get::<_, bool>(0))? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Once every row a set saw is written with its id: the rows under `roots` with another id
/// were not seen (their files are gone) and are forgotten. Rows seen are replaced in place:
/// deleting every row under the roots first and writing them all again cost an incremental
/// backup of 200,000 unchanged files twice as long at its end (issue 8).
fn forget_unseen(
    tx: &rusqlite::Connection,
    roots: &[Vec<u8>],
    set: i64,
) -> Result<(), CatalogError> {
    delete_under(tx, roots, "set_id != ?4", set)
}

/// Deletes the rows under `roots` (each root's own and those below it) for which `test` holds,
/// `?4` in it being `set`.
fn delete_under(
    tx: &rusqlite::Connection,
    roots: &[Vec<u8>],
    test: &str,
    set: i64,
) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare_cached(&format!(
        "DELETE FROM archive WHERE (path = ?1 OR (path >= ?2 AND path < ?3)) AND {test}"
    ))?;
    for root in roots {
        let (lo, hi) = under(root);
        stmt.execute(params![root, lo, hi, set])?;
    }
    Ok(())
}

/// Whether SQLite can store every row of `held` (it keeps signed 64-bit integers; device and
/// inode numbers and sizes are unsigned), checked before any is written so that they are
/// written all together or not at all.
fn storable(held: &[(Vec<u8>, ArchiveState)]) -> Result<(), CatalogError> {
    use rusqlite::ToSql;
    for (_, s) in held {
        for n in [s.dev, s.ino, s.size] {
            n.to_sql()?;
        }
    }
    Ok(())
}

/// Rows of set `set`'s archive state that its job held in memory instead of staging.
fn archive_held(
    tx: &rusqlite::Connection,
    set: i64,
    held: &[(Vec<u8>, ArchiveState)],
) -> Result<(), CatalogError> {
    super::insert_rows(
        tx,
        "INSERT OR REPLACE INTO archive (path, dev, ino, size, mtime_ns, ctime_ns, set_id)",
        7,
        held,
        |st, i, (path, s)| {
            st.raw_bind_parameter(i, path)?;
            st.raw_bind_parameter(i + 1, s.dev)?;
            st.raw_bind_parameter(i + 2, s.ino)?;
            st.raw_bind_parameter(i + 3, s.size)?;
            st.raw_bind_parameter(i + 4, s.mtime_ns)?;
            st.raw_bind_parameter(i + 5, s.ctime_ns)?;
            st.raw_bind_parameter(i + 6, set)
        },
    )
}

/// What run `run` staged becomes the archive state, as of set `set`; the stage is emptied.
pub(super) fn promote_stage(
    tx: &rusqlite::Connection,
    run: i64,
    set: i64,
) -> Result<(), CatalogError> {
    tx.execute(
        "INSERT OR REPLACE INTO archive (path, dev, ino, size, mtime_ns, ctime_ns, set_id)
         SELECT path, dev, ino, size, mtime_ns, ctime_ns, ?2 FROM archive_stage WHERE run = ?1",
        params![run, set],
    )?;
    tx.execute("DELETE FROM archive_stage WHERE run = ?1", [run])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test set-up

    use super::ArchiveState;
    use crate::catalog::{Catalog, SetEnd, SetRecord, SetStatus};

    const S: i64 = 1_000_000_000;

    #[test]
    fn a_directorys_states_are_read_in_one_pass_without_its_subdirectories() {
        let catalog = Catalog::in_memory().unwrap();
        let set = catalog
            .begin_set(&SetRecord::new(1, 1, "job", "", "normal", 0, 1))
            .unwrap();
        let paths: [&[u8]; 11] = [
            b"/r",
            b"/r!",
            b"/r0",
            b"/q/f",
            b"/r/f1",
            b"/r/f2",
            b"/r/a!",
            b"/r/a/b",
            b"/r/sub/x",
            b"/r/sub/y/z",
            b"/r/sub0",
        ];
        let rows: Vec<_> = (0..)
            .zip(paths)
            .map(|(i, p)| (p.to_vec(), ArchiveState::new(1, i, i, 0, 0)))
            .collect();
        catalog.stage(set, &rows).unwrap();
        let end = SetEnd::new(SetStatus::Complete, 1, 1, 0, 1);
        catalog
            .close_set(set, &end, Some(&[b"/".to_vec()]))
            .unwrap();
        let names = |dir: &[u8], max| {
            let states = catalog.archive_children(dir, max).unwrap()?;
            let mut named: Vec<_> = states.into_iter().collect();
            named.sort_by(|a, b| a.0.cmp(&b.0));
            Some(named)
        };
        let state = |i| ArchiveState::new(1, i, i, 0, 0);
        assert_eq!(
            names(b"/r/", 10),
            Some(vec![
                (b"a!".to_vec(), state(6)),
                (b"f1".to_vec(), state(4)),
                (b"f2".to_vec(), state(5)),
                (b"sub0".to_vec(), state(10)),
            ])
        );
        assert_eq!(
            names(b"/", 10),
            Some(vec![
                (b"r".to_vec(), state(0)),
                (b"r!".to_vec(), state(1)),
                (b"r0".to_vec(), state(2)),
            ])
        );
        assert_eq!(names(b"/r/sub/", 10), Some(vec![(b"x".to_vec(), state(8))]));
        assert_eq!(names(b"/nothing/", 10), Some(Vec::new()));
        assert_eq!(names(b"/r/", 3), None, "more than the bound");
        assert_eq!(names(b"/r", 10), None, "not a directory's prefix");
    }

    #[test]
    fn lookups_held_in_one_read_see_one_snapshot_and_do_not_hold_off_other_writers() {
        let dir = tempfile::tempdir().unwrap();
        let reader = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
        let writer = reader.reopen().unwrap();
        let set = writer
            .begin_set(&SetRecord::new(1, 1, "job", "", "normal", 0, 1))
            .unwrap();
        let state = ArchiveState::new(1, 2, 3, 4, 5);
        writer.stage(set, &[(b"/t/a".to_vec(), state)]).unwrap();
        reader.hold_reads().unwrap();
        assert!(!reader.conn.is_autocommit());
        assert_eq!(reader.archive_state(b"/t/a").unwrap(), None);
        // The other connection commits at once (blocked, it would wait out its 30 s timeout
        // and fail), and the held read still sees the state it started with.
        let start = std::time::Instant::now();
        let end = SetEnd::new(SetStatus::Complete, 1, 1, 0, 1);
        writer
            .close_set(set, &end, Some(&[b"/t".to_vec()]))
            .unwrap();
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(reader.archive_state(b"/t/a").unwrap(), None);
        reader.release_reads().unwrap();
        assert!(reader.conn.is_autocommit());
        assert_eq!(reader.archive_state(b"/t/a").unwrap(), Some(state));
        // Without WAL (a catalog in memory) each lookup stays a transaction of its own.
        let memory = Catalog::in_memory().unwrap();
        memory.hold_reads().unwrap();
        assert!(memory.conn.is_autocommit());
    }

    #[test]
    fn a_known_identity_must_match_exactly() {
        let was = ArchiveState::new(8, 1234, 10, 5 * S + 7, 6 * S + 9);
        assert!(was.unchanged(&was));
        for now in [
            ArchiveState::new(9, 1234, 10, 5 * S + 7, 6 * S + 9),
            ArchiveState::new(8, 1235, 10, 5 * S + 7, 6 * S + 9),
            ArchiveState::new(8, 1234, 11, 5 * S + 7, 6 * S + 9),
            ArchiveState::new(8, 1234, 10, 5 * S + 8, 6 * S + 9),
            ArchiveState::new(8, 1234, 10, 5 * S + 7, 6 * S + 10),
        ] {
            assert!(!was.unchanged(&now), "{now:?}");
        }
    }

    #[test]
    fn a_rebuilt_state_without_identity_compares_size_and_times_to_the_second() {
        let rebuilt = ArchiveState::new(0, 0, 10, 5 * S, 6 * S);
        // Any device and inode, and nanoseconds the tape catalog did not keep.
        assert!(rebuilt.unchanged(&ArchiveState::new(8, 1234, 10, 5 * S + 999, 6 * S + 1)));
        assert!(!rebuilt.unchanged(&ArchiveState::new(8, 1234, 11, 5 * S, 6 * S)));
        assert!(!rebuilt.unchanged(&ArchiveState::new(8, 1234, 10, 4 * S, 6 * S)));
        assert!(
            !rebuilt.unchanged(&ArchiveState::new(8, 1234, 10, 5 * S, 7 * S)),
            "a content change with the modification time put back moves the change time"
        );
        let before_1970 = ArchiveState::new(0, 0, 1, -S - 1, 0);
        assert!(before_1970.unchanged(&ArchiveState::new(1, 2, 1, -S - 5, 0)));
        assert!(!before_1970.unchanged(&ArchiveState::new(1, 2, 1, -S + 1, 0)));
    }
}
