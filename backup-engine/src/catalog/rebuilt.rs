//! What `catalog rebuild` writes beyond what a backup does: sets whose end time the tapes do
//! not hold, hard-link sizes resolved after the fact, and archive state replayed from sets
//! instead of staged by a walk.

use std::collections::{HashMap, HashSet};

use rusqlite::params;

use super::archive::under;
use super::{Catalog, CatalogError, SetRecord, SetStatus};

/// A directory's listing: its path (as the catalog keys paths) and the names it held.
pub(crate) type Listings = HashMap<Vec<u8>, HashSet<Vec<u8>>>;

/// `true` if a listing on the way from a listed directory down to `path` no longer names the
/// next component: the object was deleted before the set.
fn deleted(path: &[u8], listings: &Listings) -> bool {
    let mut end = 0;
    while let Some(i) = path[end..].iter().position(|&b| b == b'/') {
        let cut = end + i;
        let dir: &[u8] = if cut == 0 { b"/" } else { &path[..cut] };
        let rest = &path[cut + 1..];
        let name = rest.split(|&b| b == b'/').next().unwrap_or(rest);
        if let Some(names) = listings.get(dir)
            && !name.is_empty()
            && !names.contains(name)
        {
            return true;
        }
        end = cut + 1;
    }
    false
}

impl Catalog {
    /// The set with this family and number, if recorded.
    pub(crate) fn set_by_number(
        &self,
        family: u32,
        number: u16,
    ) -> Result<Option<SetRecord>, CatalogError> {
        Ok(self
            .query_sets("family = ?1 AND number = ?2", params![family, number])?
            .into_iter()
            .next())
    }

    /// Records how a rebuilt set ended. The tapes do not say when a set was finished, so the
    /// end time is left unknown.
    #[allow(clippy::too_many_arguments)] // the columns of the row, kept apart on purpose
    pub(crate) fn finish_rebuilt_set(
        &self,
        set: i64,
        status: SetStatus,
        first_sequence: u16,
        last_sequence: u16,
        files: u64,
        bytes: u64,
    ) -> Result<(), CatalogError> {
        self.conn.execute(
            "UPDATE sets SET status = ?2, first_sequence = ?3, last_sequence = ?4, files = ?5,
               bytes = ?6, finished_at = NULL WHERE id = ?1",
            params![
                set,
                status.name(),
                first_sequence,
                last_sequence,
                files,
                bytes
            ],
        )?;
        Ok(())
    }

    /// Gives each hard link (`(link, target)`) of a set, and its staged archive state, the size
    /// of the file it names, as the backup recorded it.
    pub(crate) fn resolve_link_sizes(
        &self,
        set: i64,
        links: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<(), CatalogError> {
        let tx = self.conn.unchecked_transaction()?;
        {
            let target = "coalesce((SELECT t.size FROM entries t
                 WHERE t.set_id = ?1 AND t.path = ?3 AND t.kind = 1 LIMIT 1), size)";
            let mut entries = tx.prepare_cached(&format!(
                "UPDATE entries SET size = {target} WHERE set_id = ?1 AND path = ?2"
            ))?;
            let mut stage = tx.prepare_cached(&format!(
                "UPDATE archive_stage SET size = {target} WHERE run = ?1 AND path = ?2"
            ))?;
            for (link, to) in links {
                entries.execute(params![set, link, to])?;
                stage.execute(params![set, link, to])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// `true` if the archive state under any of `roots` comes from a set that started after
    /// `started_at` (replaying an older set there would put back a stale state).
    pub(crate) fn archive_newer_than(
        &self,
        roots: &[Vec<u8>],
        started_at: i64,
    ) -> Result<bool, CatalogError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT count(*) FROM archive a JOIN sets s ON s.id = a.set_id
             WHERE (a.path = ?1 OR (a.path >= ?2 AND a.path < ?3)) AND s.started_at > ?4",
        )?;
        for root in roots {
            let (lo, hi) = under(root);
            let n: i64 = stmt.query_row(params![root, lo, hi, started_at], |r| r.get(0))?;
            if n > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Replays an incremental set on the archive state: what it carries (staged under `run`)
    /// replaces what was recorded, everything else under its roots now dates from it, and what
    /// its directory listings no longer name is forgotten (deleted before the set).
    pub(crate) fn merge_archive(
        &self,
        run: i64,
        roots: &[Vec<u8>],
        set: i64,
        listings: &Listings,
    ) -> Result<(), CatalogError> {
        let tx = self.conn.unchecked_transaction()?;
        for root in roots {
            let (lo, hi) = under(root);
            let gone: Vec<Vec<u8>> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT path FROM archive WHERE path = ?1 OR (path >= ?2 AND path < ?3)",
                )?;
                let rows = stmt.query_map(params![root, lo, hi], |r| r.get::<_, Vec<u8>>(0))?;
                rows.filter_map(Result::ok)
                    .filter(|p| deleted(p, listings))
                    .collect()
            };
            for path in gone {
                tx.execute("DELETE FROM archive WHERE path = ?1", [path])?;
            }
            tx.execute(
                "UPDATE archive SET set_id = ?4 WHERE path = ?1 OR (path >= ?2 AND path < ?3)",
                params![root, lo, hi, set],
            )?;
        }
        super::archive::promote_stage(&tx, run, set)?;
        tx.commit()?;
        Ok(())
    }

    /// Every archive row (path, state, set id), in path order (for tests and diagnostics).
    pub fn archive_rows(&self) -> Result<Vec<(Vec<u8>, super::ArchiveState, i64)>, CatalogError> {
        let mut stmt = self.conn.prepare(
            "SELECT path, dev, ino, size, mtime_ns, ctime_ns, set_id FROM archive ORDER BY path",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                super::ArchiveState::new(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
                r.get(6)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_say_what_was_deleted_at_any_depth() {
        let mut l = Listings::new();
        l.insert(
            b"/src".to_vec(),
            [b"a".to_vec(), b"d".to_vec()].into_iter().collect(),
        );
        l.insert(b"/src/d".to_vec(), [b"x".to_vec()].into_iter().collect());
        assert!(!deleted(b"/src/a", &l));
        assert!(deleted(b"/src/b", &l));
        assert!(!deleted(b"/src/d/x", &l));
        assert!(deleted(b"/src/d/y", &l));
        assert!(deleted(b"/src/gone/deep/file", &l));
        assert!(!deleted(b"/elsewhere/f", &l), "no listing there");
        let mut rel = Listings::new();
        rel.insert(b"src".to_vec(), [b"a".to_vec()].into_iter().collect());
        assert!(deleted(b"src/b", &rel));
        assert!(!deleted(b"src/a", &rel));
    }

    #[test]
    fn under_bounds_the_subtree() {
        assert_eq!(under(b"/a"), (b"/a/".to_vec(), b"/a0".to_vec()));
        assert_eq!(under(b"/"), (b"/".to_vec(), b"0".to_vec()));
    }
}
