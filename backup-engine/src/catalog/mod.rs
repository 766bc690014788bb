//! The on-disk catalog: a SQLite database of every medium, every data set and every entry with
//! its position, so a restore knows up front which media it needs and where each file lies.
//!
//! The catalog is a cache of what the media say: every fact in it can be rebuilt from the tapes
//! (`catalog rebuild`), and a job never depends on it to write a correct tape.

mod archive;
mod close;
mod rebuilt;
mod schema;

pub use archive::ArchiveState;
pub use close::{SetEnd, process_alive};
pub(crate) use rebuilt::Listings;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use tape_core::VolumeTag;

use crate::policy::{MediaDirectory, MediumUsage};

/// A catalog failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// SQLite refused.
    #[error("catalog database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The database was written by a newer version.
    #[error("the catalog has schema version {found}; this program knows up to {known}")]
    TooNew {
        /// Version found.
        found: i64,
        /// Newest version known here.
        known: i64,
    },
    /// Creating the catalog's directory failed.
    #[error("creating the catalog directory: {0}")]
    Io(#[from] std::io::Error),
}

/// One medium of a family.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediumRecord {
    /// Media family ID.
    pub family: u32,
    /// Place in the family, from 1.
    pub sequence: u16,
    /// Barcode, when known.
    pub barcode: Option<VolumeTag>,
    /// Media name written in the TAPE block.
    pub label: String,
    /// When it was written (seconds since the epoch).
    pub written_at: i64,
}

impl MediumRecord {
    /// A medium record.
    pub fn new(
        family: u32,
        sequence: u16,
        barcode: Option<VolumeTag>,
        label: impl Into<String>,
        written_at: i64,
    ) -> Self {
        Self {
            family,
            sequence,
            barcode,
            label: label.into(),
            written_at,
        }
    }
}

/// How a set ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetStatus {
    /// Being written now (or the writer died: see [`Catalog::mark_interrupted`]).
    Running,
    /// Closed normally.
    Complete,
    /// Closed early (abort policy, timeout, cancel): every entry recorded is restorable.
    Incomplete,
    /// The job died while writing it.
    Interrupted,
}

impl SetStatus {
    /// Lower-case name, as the catalog stores it and `ntbackup catalog list` shows it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Incomplete => "incomplete",
            Self::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "complete" => Self::Complete,
            "incomplete" => Self::Incomplete,
            "running" => Self::Running,
            _ => Self::Interrupted,
        }
    }
}

/// One data set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetRecord {
    /// Database id.
    pub id: i64,
    /// Media family ID.
    pub family: u32,
    /// Data set number within the family.
    pub number: u16,
    /// Job name.
    pub job: String,
    /// Set description.
    pub description: String,
    /// Backup type (normal, copy, incremental, differential, daily).
    pub backup_type: String,
    /// Start (seconds since the epoch).
    pub started_at: i64,
    /// End, once ended.
    pub finished_at: Option<i64>,
    /// Status.
    pub status: SetStatus,
    /// First medium of the set.
    pub first_sequence: u16,
    /// Last medium of the set.
    pub last_sequence: u16,
    /// Files written.
    pub files: u64,
    /// Bytes of file data written.
    pub bytes: u64,
    /// The paths the job selected (raw bytes).
    pub roots: Vec<Vec<u8>>,
}

impl SetRecord {
    /// A set about to be written (status running, no files yet).
    pub fn new(
        family: u32,
        number: u16,
        job: impl Into<String>,
        description: impl Into<String>,
        backup_type: impl Into<String>,
        started_at: i64,
        first_sequence: u16,
    ) -> Self {
        Self {
            id: 0,
            family,
            number,
            job: job.into(),
            description: description.into(),
            backup_type: backup_type.into(),
            started_at,
            finished_at: None,
            status: SetStatus::Running,
            first_sequence,
            last_sequence: first_sequence,
            files: 0,
            bytes: 0,
            roots: Vec::new(),
        }
    }
}

/// One backed-up object and where it lies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryRecord {
    /// Path as backed up (raw bytes).
    pub path: Vec<u8>,
    /// 0 directory, 1 file, 2 symlink, 3 hard link.
    pub kind: u8,
    /// Size in bytes.
    pub size: u64,
    /// Modification time (seconds since the epoch).
    pub mtime: i64,
    /// Medium holding its DBLK.
    pub sequence: u16,
    /// Its Format Logical Address.
    pub fla: u64,
    /// The drive address to LOCATE to: the block holding its DBLK.
    pub block: u64,
    /// Bytes from the start of that block to the DBLK.
    pub skip: u64,
    /// Byte offset of the DBLK on its medium, as the MTF writer counts (filemarks excluded).
    pub offset: u64,
    /// CRC-32C of its data as read at backup time, when the job kept one (for verify).
    pub checksum: Option<u32>,
}

impl EntryRecord {
    /// An entry record (position unknown yet).
    pub fn new(path: Vec<u8>, kind: u8, size: u64, mtime: i64, sequence: u16, fla: u64) -> Self {
        Self {
            path,
            kind,
            size,
            mtime,
            sequence,
            fla,
            block: 0,
            skip: 0,
            offset: 0,
            checksum: None,
        }
    }
}

/// Roots are stored NUL-separated (a path never holds a NUL).
fn join_roots(roots: &[Vec<u8>]) -> Vec<u8> {
    roots.join(&0u8)
}

fn split_roots(blob: &[u8]) -> Vec<Vec<u8>> {
    if blob.is_empty() {
        Vec::new()
    } else {
        blob.split(|&b| b == 0).map(<[u8]>::to_vec).collect()
    }
}

fn upsert_medium(conn: &Connection, m: &MediumRecord) -> Result<(), CatalogError> {
    conn.execute(
        "INSERT INTO media (family, sequence, barcode, label, written_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (family, sequence) DO UPDATE SET barcode = excluded.barcode,
           label = excluded.label, written_at = excluded.written_at",
        params![m.family, m.sequence, m.barcode.as_ref().map(VolumeTag::as_str), m.label, m.written_at],
    )?;
    Ok(())
}

/// The catalog.
#[derive(Debug)]
pub struct Catalog {
    conn: Connection,
    /// The database is in WAL mode, where a reader does not hold writers off (see
    /// [`Catalog::hold_reads`]).
    wal: bool,
}

fn tag(text: Option<String>) -> Option<VolumeTag> {
    text.and_then(|t| VolumeTag::new(t).ok())
}

impl Catalog {
    /// Opens (creating) the catalog at `path`.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A backup inserts a few rows per file into B-trees far larger than SQLite's default
        // 2 MiB page cache, which then reads the same interior pages back over and over; and
        // the default checkpoint every 1,000 pages copies the WAL into the database many times
        // per large set. 32 MiB of cache and a checkpoint every 10,000 pages (~40 MiB of WAL)
        // took ~15 % off the 200,000-file backup (issue 8; benches/README.md), within the
        // memory bound.
        conn.pragma_update(None, "cache_size", -32_768)?;
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        schema::migrate(&conn)?;
        let wal = mode.eq_ignore_ascii_case("wal");
        Ok(Self { conn, wal })
    }

    /// A second connection to the same database (for another thread). An in-memory catalog
    /// gets a fresh, empty one.
    pub fn reopen(&self) -> Result<Self, CatalogError> {
        match self.conn.path().filter(|p| !p.is_empty()) {
            Some(path) => Self::open(Path::new(path)),
            None => Self::in_memory(),
        }
    }

    /// A catalog in memory (tests, one-shot listings).
    pub fn in_memory() -> Result<Self, CatalogError> {
        let conn = Connection::open_in_memory()?;
        schema::migrate(&conn)?;
        Ok(Self { conn, wal: false })
    }

    /// Records (or updates) a medium.
    pub fn record_medium(&self, m: &MediumRecord) -> Result<(), CatalogError> {
        upsert_medium(&self.conn, m)
    }

    /// The media of a family, in sequence order.
    pub fn media(&self, family: u32) -> Result<Vec<MediumRecord>, CatalogError> {
        let mut stmt = self.conn.prepare(
            "SELECT family, sequence, barcode, label, written_at FROM media WHERE family = ?1 ORDER BY sequence",
        )?;
        let rows = stmt.query_map([family], |r| {
            Ok(MediumRecord::new(
                r.get(0)?,
                r.get(1)?,
                tag(r.get(2)?),
                r.get::<_, String>(3)?,
                r.get(4)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The most recent medium record for a barcode.
    pub fn medium_by_barcode(
        &self,
        barcode: &VolumeTag,
    ) -> Result<Option<MediumRecord>, CatalogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT family, sequence, barcode, label, written_at FROM media WHERE barcode = ?1
                 ORDER BY written_at DESC LIMIT 1",
                [barcode.as_str()],
                |r| {
                    Ok(MediumRecord::new(
                        r.get(0)?,
                        r.get(1)?,
                        tag(r.get(2)?),
                        r.get::<_, String>(3)?,
                        r.get(4)?,
                    ))
                },
            )
            .optional()?)
    }

    /// The family whose media carry this name (label), the most recently written first.
    pub fn families_named(&self, label: &str) -> Result<Vec<u32>, CatalogError> {
        let mut stmt = self.conn.prepare(
            "SELECT family FROM media WHERE label = ?1 GROUP BY family ORDER BY MAX(written_at) DESC, MAX(rowid) DESC",
        )?;
        let rows = stmt.query_map([label], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks every set of a family expired: its media may be overwritten.
    pub fn expire_family(&self, family: u32) -> Result<(), CatalogError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO expired (family) VALUES (?1)",
            [family],
        )?;
        Ok(())
    }

    fn family_expired(&self, family: u32) -> Result<bool, CatalogError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM expired WHERE family = ?1",
            [family],
            |r| r.get::<_, i64>(0),
        )? > 0)
    }

    /// Starts a set; returns its id.
    pub fn begin_set(&self, s: &SetRecord) -> Result<i64, CatalogError> {
        self.conn.execute(
            "INSERT INTO sets (family, number, job, description, backup_type, started_at, status,
               first_sequence, last_sequence, files, bytes, pid, roots)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?7, 0, 0, ?8, ?9)
             ON CONFLICT (family, number) DO UPDATE SET job = excluded.job,
               description = excluded.description, backup_type = excluded.backup_type,
               started_at = excluded.started_at, status = 'running', finished_at = NULL,
               first_sequence = excluded.first_sequence, last_sequence = excluded.last_sequence,
               files = 0, bytes = 0, pid = excluded.pid, roots = excluded.roots",
            params![
                s.family,
                s.number,
                s.job,
                s.description,
                s.backup_type,
                s.started_at,
                s.first_sequence,
                std::process::id(),
                join_roots(&s.roots)
            ],
        )?;
        let id = self.conn.query_row(
            "SELECT id FROM sets WHERE family = ?1 AND number = ?2",
            params![s.family, s.number],
            |r| r.get(0),
        )?;
        self.conn
            .execute("DELETE FROM entries WHERE set_id = ?1", [id])?;
        // What an earlier, interrupted run under this id staged is not this run's.
        self.conn
            .execute("DELETE FROM archive_stage WHERE run = ?1", [id])?;
        Ok(id)
    }

    /// Adds entries of a set (in one transaction).
    pub fn add_entries(&self, set: i64, entries: &[EntryRecord]) -> Result<(), CatalogError> {
        let tx = self.conn.unchecked_transaction()?;
        {
            insert_rows(
                &tx,
                "INSERT INTO entries (set_id, path, kind, size, mtime, sequence, fla, block, skip, checksum, offset)",
                11,
                entries,
                |st, i, e| {
                    st.raw_bind_parameter(i, set)?;
                    st.raw_bind_parameter(i + 1, &e.path)?;
                    st.raw_bind_parameter(i + 2, e.kind)?;
                    st.raw_bind_parameter(i + 3, e.size)?;
                    st.raw_bind_parameter(i + 4, e.mtime)?;
                    st.raw_bind_parameter(i + 5, e.sequence)?;
                    st.raw_bind_parameter(i + 6, e.fla)?;
                    st.raw_bind_parameter(i + 7, e.block)?;
                    st.raw_bind_parameter(i + 8, e.skip)?;
                    st.raw_bind_parameter(i + 9, e.checksum)?;
                    st.raw_bind_parameter(i + 10, e.offset)
                },
            )?;
        }
        tape_core::crashpoint::hit("catalog.entries.uncommitted");
        tx.commit()?;
        Ok(())
    }

    /// Records how a set ended (what it staged for the archive state is kept: see
    /// [`close_set`](Self::close_set), which does both at once).
    pub fn finish_set(
        &self,
        set: i64,
        status: SetStatus,
        last_sequence: u16,
        files: u64,
        bytes: u64,
        at: i64,
    ) -> Result<(), CatalogError> {
        self.conn.execute(
            "UPDATE sets SET status = ?2, last_sequence = ?3, files = ?4, bytes = ?5, finished_at = ?6 WHERE id = ?1",
            params![set, status.name(), last_sequence, files, bytes, at],
        )?;
        Ok(())
    }

    /// Records the medium on which a set's SSET landed (its first medium).
    pub(crate) fn set_first_sequence(&self, set: i64, sequence: u16) -> Result<(), CatalogError> {
        self.conn.execute(
            "UPDATE sets SET first_sequence = ?2 WHERE id = ?1",
            params![set, sequence],
        )?;
        Ok(())
    }

    /// Marks sets left "running" by a process that no longer runs as interrupted (see
    /// [`process_alive`]) and forgets what they staged for the archive state.
    pub fn mark_interrupted(&self, alive: impl Fn(u32) -> bool) -> Result<usize, CatalogError> {
        let running: Vec<(i64, u32)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id, pid FROM sets WHERE status = 'running'")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut n = 0;
        for (id, pid) in running {
            if !alive(pid) {
                let tx = self.conn.unchecked_transaction()?;
                n += tx.execute("UPDATE sets SET status = 'interrupted' WHERE id = ?1", [id])?;
                tx.execute("DELETE FROM archive_stage WHERE run = ?1", [id])?;
                tx.commit()?;
            }
        }
        Ok(n)
    }

    /// Every set, oldest first.
    pub fn sets(&self) -> Result<Vec<SetRecord>, CatalogError> {
        self.query_sets("1 = 1", params![])
    }

    /// The sets of a family, in set-number order.
    pub fn sets_of_family(&self, family: u32) -> Result<Vec<SetRecord>, CatalogError> {
        self.query_sets("family = ?1", params![family])
    }

    fn query_sets(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<SetRecord>, CatalogError> {
        let sql = format!(
            "SELECT id, family, number, job, description, backup_type, started_at, finished_at, status,
               first_sequence, last_sequence, files, bytes, roots FROM sets WHERE {filter} ORDER BY started_at, id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(args, |r| {
            Ok(SetRecord {
                id: r.get(0)?,
                family: r.get(1)?,
                number: r.get(2)?,
                job: r.get(3)?,
                description: r.get(4)?,
                backup_type: r.get(5)?,
                started_at: r.get(6)?,
                finished_at: r.get(7)?,
                status: SetStatus::parse(&r.get::<_, String>(8)?),
                first_sequence: r.get(9)?,
                last_sequence: r.get(10)?,
                files: r.get(11)?,
                bytes: r.get(12)?,
                roots: split_roots(&r.get::<_, Vec<u8>>(13)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The entries of a set, in the order written.
    pub fn entries(&self, set: i64) -> Result<Vec<EntryRecord>, CatalogError> {
        self.query_entries("set_id = ?1", params![set])
    }

    /// The entries of a set at or under `path` (a directory's whole subtree), in the order
    /// written.
    pub fn entries_under(&self, set: i64, path: &[u8]) -> Result<Vec<EntryRecord>, CatalogError> {
        let trimmed = match path {
            [rest @ .., b'/'] if !rest.is_empty() => rest,
            p => p,
        };
        // Everything under `p/` sorts between `p/` and `p0` ('0' follows '/').
        let mut low = trimmed.to_vec();
        if low != b"/" {
            low.push(b'/');
        }
        let mut high = low.clone();
        if let Some(last) = high.last_mut() {
            *last += 1;
        }
        self.query_entries(
            "set_id = ?1 AND (path = ?2 OR (path >= ?3 AND path < ?4))",
            params![set, trimmed, low, high],
        )
    }

    /// The medium of the first entry of a set after FLA `fla` (where the object at `fla` may
    /// continue), if any.
    pub fn next_entry_sequence(&self, set: i64, fla: u64) -> Result<Option<u16>, CatalogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT sequence FROM entries WHERE set_id = ?1 AND fla > ?2 ORDER BY fla LIMIT 1",
                params![set, fla],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn query_entries(
        &self,
        filter: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<EntryRecord>, CatalogError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT path, kind, size, mtime, sequence, fla, block, skip, checksum, offset FROM entries \
             WHERE {filter} ORDER BY rowid"
        ))?;
        let rows = stmt.query_map(args, |r| {
            Ok(EntryRecord {
                path: r.get(0)?,
                kind: r.get(1)?,
                size: r.get(2)?,
                mtime: r.get(3)?,
                sequence: r.get(4)?,
                fla: r.get(5)?,
                block: r.get(6)?,
                skip: r.get(7)?,
                checksum: r.get(8)?,
                offset: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl MediaDirectory for Catalog {
    fn usage(&self, barcode: &VolumeTag) -> MediumUsage {
        if barcode.is_cleaning() {
            return MediumUsage::Cleaning;
        }
        match self.medium_by_barcode(barcode) {
            Ok(Some(m)) if self.family_expired(m.family).unwrap_or(false) => MediumUsage::Expired,
            Ok(Some(m)) => MediumUsage::Live { family: m.family },
            _ => MediumUsage::Unknown,
        }
    }
}

impl Catalog {
    /// The sets whose application in order gives the tree as it was at set `id`: a normal,
    /// copy or daily set alone; an incremental or differential after the last normal set of its
    /// job and every incremental between them (normal and incremental backups reset the archive
    /// state, a differential does not: ntbackup-and-peers.md §3).
    pub fn chain(&self, id: i64) -> Result<Vec<SetRecord>, CatalogError> {
        let all = self.sets()?;
        let Some(pos) = all.iter().position(|s| s.id == id) else {
            return Ok(Vec::new());
        };
        let target = &all[pos];
        let usable = |s: &SetRecord| s.job == target.job && s.status != SetStatus::Running;
        let base = all[..pos].iter().rposition(|s| {
            usable(s) && s.backup_type == "normal" && s.status == SetStatus::Complete
        });
        let chain = match (target.backup_type.as_str(), base) {
            ("incremental" | "differential", Some(b)) => all[b..=pos]
                .iter()
                .enumerate()
                .filter(|(i, s)| {
                    *i == 0 || b + i == pos || (usable(s) && s.backup_type == "incremental")
                })
                .map(|(_, s)| s.clone())
                .collect(),
            _ => vec![target.clone()],
        };
        Ok(chain)
    }

    /// The set with this id.
    pub fn set(&self, id: i64) -> Result<Option<SetRecord>, CatalogError> {
        Ok(self.query_sets("id = ?1", params![id])?.into_iter().next())
    }
}

/// Rows per multi-row `INSERT`: SQLite's work per statement run (starting the program,
/// halting and resetting it) is paid once per this many rows instead of for each (issue 8:
/// two rows per file of a small-file tree).
const ROWS_PER_INSERT: usize = 64;

/// Inserts `rows` with `head` (`INSERT INTO t (c1, …)` of `columns` columns): a statement of
/// [`ROWS_PER_INSERT`] rows while that many are left, then one of a row. `bind` binds a row's
/// values from parameter index `i` (1-based) on.
pub(super) fn insert_rows<T>(
    conn: &Connection,
    head: &str,
    columns: usize,
    rows: &[T],
    bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
) -> Result<(), CatalogError> {
    let values = |n: usize| {
        let row = format!("({})", vec!["?"; columns].join(", "));
        format!("{head} VALUES {}", vec![row; n].join(", "))
    };
    let mut chunks = rows.chunks_exact(ROWS_PER_INSERT);
    if chunks.len() > 0 {
        let mut stmt = conn.prepare_cached(&values(ROWS_PER_INSERT))?;
        for chunk in chunks.by_ref() {
            for (k, row) in chunk.iter().enumerate() {
                bind(&mut stmt, 1 + k * columns, row)?;
            }
            stmt.raw_execute()?;
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut stmt = conn.prepare_cached(&values(1))?;
        for row in rest {
            bind(&mut stmt, 1, row)?;
            stmt.raw_execute()?;
        }
    }
    Ok(())
}
