//! The archive state (the Linux stand-in for the archive bit, `backup/select.rs`) replayed from
//! the sets read: for each job, its newest complete normal set and every complete incremental
//! set after it, in the order they were written — what those backups committed when they ran.
//! Differential, copy and daily sets never touched it.

use std::collections::HashMap;

use super::collect::ArchiveSet;
use crate::catalog::{Catalog, CatalogError};

/// Replays `sets` on the archive state; returns the ids of the sets applied. A set is not
/// applied where the catalog already holds a state from a later set (re-running the rebuild over
/// old media never puts back a stale state).
pub(crate) fn replay(
    catalog: &Catalog,
    sets: Vec<ArchiveSet>,
    warnings: &mut Vec<String>,
) -> Result<Vec<i64>, CatalogError> {
    let mut newest_normal: HashMap<String, i64> = HashMap::new();
    for s in sets.iter().filter(|s| !s.incremental) {
        let t = newest_normal.entry(s.job.clone()).or_insert(s.started_at);
        *t = (*t).max(s.started_at);
    }
    let (mut wanted, unwanted): (Vec<ArchiveSet>, Vec<ArchiveSet>) =
        sets.into_iter()
            .partition(|s| match newest_normal.get(&s.job) {
                Some(&base) if s.incremental => s.started_at >= base,
                Some(&base) => s.started_at == base,
                None => true,
            });
    for s in &unwanted {
        catalog.drop_stage(s.id)?;
    }
    wanted.sort_by_key(|s| (s.started_at, s.id));
    let mut applied = Vec::new();
    for s in wanted {
        if s.roots.is_empty() {
            catalog.drop_stage(s.id)?;
            continue;
        }
        if catalog.archive_newer_than(&s.roots, s.started_at)? {
            warnings.push(format!(
                "set {} (job \"{}\"): the archive state of its files comes from a later backup and is kept",
                s.id, s.job
            ));
            catalog.drop_stage(s.id)?;
            continue;
        }
        if s.incremental {
            catalog.merge_archive(s.id, &s.roots, s.id, &s.listings)?;
        } else {
            catalog.commit_archive(s.id, &s.roots, s.id)?;
        }
        applied.push(s.id);
    }
    Ok(applied)
}
