//! The catalog's schema and its migrations (SQLite `user_version`).

use rusqlite::Connection;

use super::CatalogError;

const VERSION: i64 = 4;

const V1: &str = "
CREATE TABLE media (
    family      INTEGER NOT NULL,
    sequence    INTEGER NOT NULL,
    barcode     TEXT,
    label       TEXT NOT NULL,
    written_at  INTEGER NOT NULL,
    PRIMARY KEY (family, sequence)
);
CREATE INDEX media_barcode ON media (barcode);
CREATE TABLE expired (family INTEGER PRIMARY KEY);
CREATE TABLE sets (
    id             INTEGER PRIMARY KEY,
    family         INTEGER NOT NULL,
    number         INTEGER NOT NULL,
    job            TEXT NOT NULL,
    description    TEXT NOT NULL,
    backup_type    TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    status         TEXT NOT NULL,
    first_sequence INTEGER NOT NULL,
    last_sequence  INTEGER NOT NULL,
    files          INTEGER NOT NULL,
    bytes          INTEGER NOT NULL,
    pid            INTEGER NOT NULL,
    UNIQUE (family, number)
);
CREATE TABLE entries (
    set_id   INTEGER NOT NULL REFERENCES sets (id) ON DELETE CASCADE,
    path     BLOB NOT NULL,
    kind     INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    mtime    INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    fla      INTEGER NOT NULL
);
CREATE INDEX entries_by_path ON entries (set_id, path);
";

/// Version 2: the "archive bit" Linux lacks. `archive` holds, for every file of a selection, its
/// identity and change state as of the last normal or incremental backup; a job's walk stages
/// what it saw in `archive_stage`, and a normal or incremental backup that completes replaces
/// the rows under its roots with them. Entries learn where to LOCATE (`block`, `skip`).
const V2: &str = "
CREATE TABLE archive (
    path     BLOB PRIMARY KEY,
    dev      INTEGER NOT NULL,
    ino      INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    set_id   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE archive_stage (
    run      INTEGER NOT NULL,
    path     BLOB NOT NULL,
    dev      INTEGER NOT NULL,
    ino      INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL
);
CREATE INDEX archive_stage_run ON archive_stage (run);
ALTER TABLE entries ADD COLUMN block INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN skip INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN checksum INTEGER;
ALTER TABLE sets ADD COLUMN roots BLOB NOT NULL DEFAULT x'';
";

/// Version 3: entries learn their byte offset on the medium (a reader started in the middle of
/// a medium needs it to keep its FLB alignment and addresses).
const V3: &str = "
ALTER TABLE entries ADD COLUMN offset INTEGER NOT NULL DEFAULT 0;
";

/// Version 4: no index on the stage. It only ever holds the rows of jobs still running (a
/// completed or failed job's rows go at once), so finding a run's rows by scanning costs what
/// deleting them costs anyway, while the index cost every walked file an insert and a delete.
const V4: &str = "
DROP INDEX IF EXISTS archive_stage_run;
";

/// Brings the database to the current schema.
pub(super) fn migrate(conn: &Connection) -> Result<(), CatalogError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > VERSION {
        return Err(CatalogError::TooNew {
            found,
            known: VERSION,
        });
    }
    if found < 1 {
        conn.execute_batch(&format!("BEGIN; {V1} PRAGMA user_version = 1; COMMIT;"))?;
    }
    if found < 2 {
        conn.execute_batch(&format!("BEGIN; {V2} PRAGMA user_version = 2; COMMIT;"))?;
    }
    if found < 3 {
        conn.execute_batch(&format!("BEGIN; {V3} PRAGMA user_version = 3; COMMIT;"))?;
    }
    if found < 4 {
        conn.execute_batch(&format!("BEGIN; {V4} PRAGMA user_version = 4; COMMIT;"))?;
    }
    Ok(())
}
