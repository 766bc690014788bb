//! From what the tapes say about a set — its SSET, its job stream, its objects and how it ended,
//! whether read block by block or from the tape's own catalog — to catalog rows.

use tape_format::attrs::SetAttributes;
use tape_format::block::LOCAL_TZ;
use tape_format::date::MtfDate;
use tape_format::stream::job::JobInfo;

use super::{Ending, SetSummary};
use crate::catalog::{
    ArchiveState, Catalog, CatalogError, EntryRecord, Listings, SetRecord, SetStatus,
};

/// Rows written per transaction.
const BATCH: usize = 4096;

/// The name the engine gives each backup type (`BackupType::name`); "unknown" when the SSET
/// names none (mtf.md §4.2, Table 9: exactly one of BIT1–5 is set).
pub(crate) fn backup_type(a: SetAttributes) -> &'static str {
    [
        (SetAttributes::NORMAL, "normal"),
        (SetAttributes::COPY, "copy"),
        (SetAttributes::DIFFERENTIAL, "differential"),
        (SetAttributes::INCREMENTAL, "incremental"),
        (SetAttributes::DAILY, "daily"),
    ]
    .iter()
    .find(|(bit, _)| a.contains(*bit))
    .map_or("unknown", |(_, n)| n)
}

/// The Unix time of a date our writer stored as local time at that instant
/// (`MtfDate::from_unix(t, local_offset(t))`): the inverse, with this machine's time zone.
pub(crate) fn local_to_unix(date: MtfDate) -> Option<i64> {
    let local = date.to_unix()?;
    let offset = crate::backup::local_offset;
    let guess = local - offset(local);
    let t = local - offset(guess);
    Some(if t + offset(t) == local { t } else { guess })
}

/// The Unix time of a date of a set whose SSET gives its time zone (mtf.md §4.2 @95: local −
/// UTC in 15-minute units, or `LOCAL_TZ`).
pub(crate) fn set_time(date: MtfDate, time_zone: i8) -> Option<i64> {
    if time_zone == LOCAL_TZ || !(-48..=48).contains(&time_zone) {
        return local_to_unix(date);
    }
    Some(date.to_unix()? - i64::from(time_zone) * 900)
}

/// The path of an object as the catalog keys it (`convert::raw_path_with_root` of the backup):
/// our Linux paths under the VOLB device `/` or `.` as raw bytes joined with `/` (absolute under
/// `/`); paths of other programs as MTF shows them (`C:\dir\file`). `parent`, when given,
/// replaces the components before the last (a directory recorded under a raw name); `raw_last`
/// replaces the last (a name that is not UTF-8, from `LXMD`) or, without components, is the
/// whole path below the device (a hard link's target).
pub(crate) fn catalog_path(
    device: &str,
    components: &[String],
    parent: Option<&[u8]>,
    raw_last: Option<&[u8]>,
) -> Vec<u8> {
    let (last, above) = match components.split_last() {
        Some((l, a)) => (Some(l.as_bytes()), a),
        None => (None, components),
    };
    if device != "/" && device != "." {
        let mut comps = components.to_vec();
        if let (Some(raw), Some(l)) = (raw_last, comps.last_mut()) {
            *l = String::from_utf8_lossy(raw).into_owned();
        }
        let path = tape_format::path::MtfPath {
            device: device.to_owned(),
            components: comps,
        };
        return path.to_string().into_bytes();
    }
    let mut out = match parent.filter(|_| last.is_some()) {
        Some(p) => p.to_vec(),
        None => {
            let mut o = if device == "/" {
                b"/".to_vec()
            } else {
                Vec::new()
            };
            let joined: Vec<&[u8]> = above.iter().map(|c| c.as_bytes()).collect();
            o.extend(joined.join(&b'/'));
            o
        }
    };
    if let Some(name) = raw_last.or(last) {
        if !out.is_empty() && !out.ends_with(b"/") {
            out.push(b'/');
        }
        out.extend_from_slice(name);
    }
    out
}

/// A set's SSET, as read.
#[derive(Debug, Clone)]
pub(crate) struct SetHead {
    pub(crate) family: u32,
    pub(crate) number: u16,
    pub(crate) attributes: SetAttributes,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) date: MtfDate,
    pub(crate) time_zone: i8,
    /// The medium the set was first seen on.
    pub(crate) first_sequence: u16,
    /// Its SSET was read (not only a continuation of it on a later medium).
    pub(crate) whole: bool,
}

/// An incremental or normal set that completed: replayed on the archive state at the end.
#[derive(Debug, Clone)]
pub(crate) struct ArchiveSet {
    pub(crate) id: i64,
    pub(crate) job: String,
    pub(crate) incremental: bool,
    pub(crate) started_at: i64,
    pub(crate) roots: Vec<Vec<u8>>,
    pub(crate) listings: Listings,
}

/// A set being collected.
struct Draft {
    head: SetHead,
    job: Option<JobInfo>,
    /// Its row, once written; `None` with `keep` set: the catalog's record is kept.
    id: Option<i64>,
    keep: bool,
    entries: Vec<EntryRecord>,
    stage: Vec<(Vec<u8>, ArchiveState)>,
    links: Vec<(Vec<u8>, Vec<u8>)>,
    listings: Listings,
    directories: u64,
    files: u64,
    bytes: u64,
    last_sequence: u16,
    ending: Option<Ending>,
}

/// Turns set facts into catalog rows, one set at a time.
pub(crate) struct Collector<'c> {
    catalog: &'c Catalog,
    draft: Option<Draft>,
    /// The highest medium of the family that will be read (for the rule that a partial read
    /// never replaces a fuller record), when known.
    pub(crate) limit: Option<u16>,
    pub(crate) sets: Vec<SetSummary>,
    pub(crate) archive: Vec<ArchiveSet>,
    pub(crate) warnings: Vec<String>,
}

impl<'c> Collector<'c> {
    pub(crate) fn new(catalog: &'c Catalog) -> Self {
        Self {
            catalog,
            draft: None,
            limit: None,
            sets: Vec::new(),
            archive: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The same collector, empty: what a failed reading of the tape catalog wrote is rewritten
    /// by the scan that follows (its warnings stay).
    pub(crate) fn restart(&mut self) {
        *self = Self {
            catalog: self.catalog,
            draft: None,
            limit: self.limit,
            sets: Vec::new(),
            archive: Vec::new(),
            warnings: std::mem::take(&mut self.warnings),
        };
    }

    /// A set starts (a set still open is ended first, as having no end on the media read).
    pub(crate) fn begin(&mut self, head: SetHead) -> Result<(), CatalogError> {
        self.finish()?;
        self.draft = Some(Draft {
            last_sequence: head.first_sequence,
            head,
            job: None,
            id: None,
            keep: false,
            entries: Vec::new(),
            stage: Vec::new(),
            links: Vec::new(),
            listings: Listings::new(),
            directories: 0,
            files: 0,
            bytes: 0,
            ending: None,
        });
        Ok(())
    }

    /// The set's job, from its `LXJB` stream.
    pub(crate) fn job(&mut self, job: JobInfo) {
        if let Some(d) = &mut self.draft
            && d.id.is_none()
        {
            d.job = Some(job);
        }
    }

    /// The open set is normal or incremental and completing it would reset the archive state:
    /// then the objects' states and (incremental) listings are worth keeping.
    pub(crate) fn wants_archive(&self) -> bool {
        self.draft.as_ref().is_some_and(|d| {
            d.job.is_some()
                && d.head
                    .attributes
                    .intersects(SetAttributes::NORMAL | SetAttributes::INCREMENTAL)
        })
    }

    pub(crate) fn incremental(&self) -> bool {
        self.draft
            .as_ref()
            .is_some_and(|d| d.head.attributes.contains(SetAttributes::INCREMENTAL))
    }

    /// Writes the set's row now that its head and job are known.
    fn ensure_row(&mut self) -> Result<(), CatalogError> {
        let Some(d) = &mut self.draft else {
            return Ok(());
        };
        if d.id.is_some() || d.keep {
            return Ok(());
        }
        let h = &d.head;
        if let Some(old) = self.catalog.set_by_number(h.family, h.number)? {
            let why = if !h.whole {
                Some(format!(
                    "its start (on media #{} or earlier) was not read",
                    h.first_sequence
                ))
            } else {
                self.limit
                    .filter(|&l| old.status == SetStatus::Complete && old.last_sequence > l)
                    .map(|l| {
                        format!(
                            "the catalog knows it up to media #{}, and only media up to #{l} were read",
                            old.last_sequence
                        )
                    })
            };
            if let Some(why) = why {
                self.warnings.push(format!(
                    "set #{} of family {:08X}: {why}; the catalog's record of it is kept",
                    h.number, h.family
                ));
                d.keep = true;
                return Ok(());
            }
        }
        let job = d.job.clone().unwrap_or_else(|| JobInfo {
            name: [&h.name, &h.description]
                .into_iter()
                .find(|s| !s.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("Set #{} of family {:08X}", h.number, h.family)),
            roots: Vec::new(),
        });
        let mut rec = SetRecord::new(
            h.family,
            h.number,
            job.name,
            h.description.clone(),
            backup_type(h.attributes),
            set_time(h.date, h.time_zone).unwrap_or(0),
            h.first_sequence,
        );
        rec.roots = job.roots;
        let id = self.catalog.begin_set(&rec)?;
        self.catalog.drop_stage(id)?;
        d.id = Some(id);
        Ok(())
    }

    /// One object of the set: its entry, its archive state (normal and incremental sets of our
    /// own), and for a hard link the path whose size it takes.
    pub(crate) fn entry(
        &mut self,
        entry: EntryRecord,
        state: Option<ArchiveState>,
        link_to: Option<Vec<u8>>,
    ) -> Result<(), CatalogError> {
        self.ensure_row()?;
        let archive = self.wants_archive();
        let Some(d) = &mut self.draft else {
            return Ok(());
        };
        d.last_sequence = d.last_sequence.max(entry.sequence);
        if entry.kind == 0 {
            d.directories += 1;
        } else {
            d.files += 1;
        }
        if entry.kind == 1 {
            d.bytes = d.bytes.saturating_add(entry.size);
        }
        if d.keep {
            return Ok(());
        }
        if let Some(target) = link_to {
            d.links.push((entry.path.clone(), target));
        }
        if let (Some(s), true) = (state, archive && entry.kind != 0) {
            d.stage.push((entry.path.clone(), s));
        }
        d.entries.push(entry);
        if d.entries.len() >= BATCH || d.stage.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// A directory's listing (incremental sets: what was deleted before them).
    pub(crate) fn listing(&mut self, dir: Vec<u8>, names: std::collections::HashSet<Vec<u8>>) {
        if let Some(d) = &mut self.draft {
            d.listings.insert(dir, names);
        }
    }

    /// Bytes of the last file that were zeros on tape, not data (a file that shrank or could
    /// not be read: mtf.md §4.6 CFIL).
    pub(crate) fn not_read(&mut self, bytes: u64) {
        if let Some(d) = &mut self.draft {
            d.bytes = d.bytes.saturating_sub(bytes);
        }
    }

    /// Something of the set lies on medium `sequence`.
    pub(crate) fn touch(&mut self, sequence: u16) {
        if let Some(d) = &mut self.draft {
            d.last_sequence = d.last_sequence.max(sequence);
        }
    }

    /// How the set ended (its catalog may still follow).
    pub(crate) fn ending(&mut self, ending: Ending, sequence: u16) {
        self.touch(sequence);
        if let Some(d) = &mut self.draft {
            d.ending = Some(ending);
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.draft.as_ref().is_some_and(|d| d.ending.is_none())
    }

    fn flush(&mut self) -> Result<(), CatalogError> {
        let Some(d) = &mut self.draft else {
            return Ok(());
        };
        if let Some(id) = d.id {
            self.catalog.add_entries(id, &d.entries)?;
            self.catalog.stage(id, &d.stage)?;
        }
        d.entries.clear();
        d.stage.clear();
        Ok(())
    }

    /// Ends the open set: writes what is left and its final state.
    pub(crate) fn finish(&mut self) -> Result<(), CatalogError> {
        self.ensure_row()?;
        self.flush()?;
        let Some(d) = self.draft.take() else {
            return Ok(());
        };
        let ending = d.ending.clone().unwrap_or(Ending::Unclosed);
        let complete = ending == Ending::Complete && d.head.whole;
        let status = if complete {
            SetStatus::Complete
        } else {
            SetStatus::Incomplete
        };
        let started_at = set_time(d.head.date, d.head.time_zone).unwrap_or(0);
        let job = d.job.as_ref().map(|j| j.name.clone());
        if let Some(id) = d.id {
            self.catalog.resolve_link_sizes(id, &d.links)?;
            self.catalog.finish_rebuilt_set(
                id,
                status,
                d.head.first_sequence,
                d.last_sequence,
                d.files,
                d.bytes,
            )?;
            let resets = d
                .head
                .attributes
                .intersects(SetAttributes::NORMAL | SetAttributes::INCREMENTAL);
            match (&d.job, complete && resets) {
                (Some(j), true) => self.archive.push(ArchiveSet {
                    id,
                    job: j.name.clone(),
                    incremental: d.head.attributes.contains(SetAttributes::INCREMENTAL),
                    started_at,
                    roots: j.roots.clone(),
                    listings: d.listings,
                }),
                _ => self.catalog.drop_stage(id)?,
            }
        }
        self.sets.push(SetSummary {
            id: d.id,
            family: d.head.family,
            number: d.head.number,
            job: job.unwrap_or_else(|| d.head.name.clone()),
            backup_type: backup_type(d.head.attributes).to_owned(),
            started_at,
            status,
            ending,
            first_sequence: d.head.first_sequence,
            last_sequence: d.last_sequence,
            directories: d.directories,
            files: d.files,
            bytes: d.bytes,
            kept: d.keep,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comps(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn paths_are_keyed_as_the_backup_keys_them() {
        assert_eq!(catalog_path("/", &comps(&["a", "b"]), None, None), b"/a/b");
        assert_eq!(catalog_path("/", &[], None, None), b"/");
        assert_eq!(catalog_path(".", &comps(&["a", "b"]), None, None), b"a/b");
        assert_eq!(catalog_path(".", &[], None, None), b"");
        assert_eq!(
            catalog_path("/", &comps(&["d", "caf?"]), None, Some(b"caf\xe9")),
            b"/d/caf\xe9"
        );
        assert_eq!(
            catalog_path("/", &comps(&["x?", "f"]), Some(b"/x\xff"), None),
            b"/x\xff/f"
        );
        assert_eq!(catalog_path("/", &[], None, Some(b"d/f")), b"/d/f");
        assert_eq!(catalog_path(".", &[], None, Some(b"d/f")), b"d/f");
        assert_eq!(
            catalog_path("C:", &comps(&["docs", "a.txt"]), None, None),
            b"C:\\docs\\a.txt"
        );
    }

    #[test]
    fn dates_written_as_local_time_come_back() {
        for t in [0, 1_700_000_000, 1_800_000_000, 951_782_400] {
            let d = MtfDate::from_unix(t, crate::backup::local_offset(t));
            assert_eq!(local_to_unix(d), Some(t));
        }
        let d = MtfDate::from_unix(1_700_000_000, 8 * 900);
        assert_eq!(set_time(d, 8), Some(1_700_000_000));
        assert_eq!(local_to_unix(MtfDate::UNKNOWN), None);
        assert_eq!(backup_type(SetAttributes::INCREMENTAL), "incremental");
        assert_eq!(backup_type(SetAttributes::empty()), "unknown");
    }
}
