//! `catalog rebuild`: a week of backups on a real virtual library and a real SQLite file; the
//! database is deleted and rebuilt from the cartridges alone, and it must give the same answers
//! as before — sets, media, entries with their LOCATE addresses, chains, the archive state — and
//! the restore must still work.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use backup_engine::backup::{
    BackupContext, BackupJob, BackupOutcome, BackupReport, BackupType, run_backup,
};
use backup_engine::catalog::{Catalog, EntryRecord, MediumRecord, SetRecord};
use backup_engine::policy::{AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain};
use backup_engine::rebuild::{
    Method, RebuildContext, RebuildJob, RebuildMedia, RebuildReport, run_rebuild,
};
use backup_engine::restore::{RestoreContext, RestoreJob, SetSelection, run_restore};
use backup_engine::{EventLog, ManualClock, Selection};
use tape_core::vtl::{LibraryConfig, VirtualLibrary};
use tape_core::{
    BlockAddress, DeviceError, DriveCapabilities, DriveStatus, ElementKind, MediaChanger,
    ReadStatus, SpaceStatus, TapeDrive, VolumeTag, WriteStatus,
};

use crate::tree;

/// A drive that counts the blocks read from each cartridge.
pub(crate) struct Counting<D> {
    pub(crate) inner: D,
    loaded: Option<String>,
    pub(crate) reads: Rc<RefCell<HashMap<String, u64>>>,
}

impl<D: TapeDrive> Counting<D> {
    pub(crate) fn new(inner: D) -> Self {
        Self {
            inner,
            loaded: None,
            reads: Rc::default(),
        }
    }

    fn barcode(&mut self) -> String {
        if self.loaded.is_none() {
            self.loaded = self
                .inner
                .status()
                .ok()
                .and_then(|s| s.medium)
                .and_then(|m| m.barcode)
                .map(|b| b.to_string());
        }
        self.loaded.clone().unwrap_or_default()
    }
}

impl<D: TapeDrive> TapeDrive for Counting<D> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn capabilities(&self) -> DriveCapabilities {
        self.inner.capabilities()
    }
    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        self.inner.status()
    }
    fn load(&mut self) -> Result<(), DeviceError> {
        self.loaded = None;
        self.inner.load()
    }
    fn unload(&mut self) -> Result<(), DeviceError> {
        self.loaded = None;
        self.inner.unload()
    }
    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.inner.rewind()
    }
    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        self.inner.position()
    }
    fn locate(&mut self, a: BlockAddress) -> Result<(), DeviceError> {
        self.inner.locate(a)
    }
    fn space_blocks(&mut self, n: i64) -> Result<SpaceStatus, DeviceError> {
        self.inner.space_blocks(n)
    }
    fn space_filemarks(&mut self, n: i64) -> Result<SpaceStatus, DeviceError> {
        self.inner.space_filemarks(n)
    }
    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.inner.space_to_end_of_data()
    }
    fn write_block(&mut self, b: &[u8]) -> Result<WriteStatus, DeviceError> {
        self.inner.write_block(b)
    }
    fn write_filemarks(&mut self, n: u32) -> Result<WriteStatus, DeviceError> {
        self.inner.write_filemarks(n)
    }
    fn read_block(&mut self, b: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        let r = self.inner.read_block(b);
        if let Ok(ReadStatus::Data(_)) = r {
            let tag = self.barcode();
            *self.reads.borrow_mut().entry(tag).or_default() += 1;
        }
        r
    }
}

/// A library, a source tree, a catalog file and a clock that moves a day per backup.
pub(crate) struct Lab {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) lib: VirtualLibrary,
    pub(crate) catalog: Catalog,
    pub(crate) clock: ManualClock,
}

impl Lab {
    pub(crate) fn new(slots: u16) -> Self {
        Self::with_early_warning(slots, 64 << 10)
    }

    /// 1 MiB cartridges with this early-warning zone.
    pub(crate) fn with_early_warning(slots: u16, early_warning: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = LibraryConfig::default();
        config.slots = slots;
        config.capacity = 1 << 20;
        config.early_warning = early_warning;
        let lib = VirtualLibrary::create(dir.path().join("lib"), &config).unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
        Self {
            dir,
            lib,
            catalog,
            clock: ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
        }
    }

    pub(crate) fn src(&self) -> PathBuf {
        self.dir.path().join("src")
    }

    pub(crate) fn policy(&self) -> PolicyChain {
        PolicyChain::new()
            .then(ChangerPolicy::new(
                self.lib.changer(),
                0,
                Box::new(NoDirectory),
            ))
            .then(AbortPolicy)
    }

    /// A backup of the source tree by job `job`; the clock then moves on a day.
    pub(crate) fn backup(&self, job: &str, kind: BackupType, tape_catalog: bool) -> i64 {
        let (report, events) = self.run_backup(job, kind, tape_catalog);
        assert_eq!(
            report.outcome,
            BackupOutcome::Complete,
            "{:?}",
            events.lines()
        );
        report.set_id.unwrap()
    }

    /// A backup, however it ends.
    pub(crate) fn run_backup(
        &self,
        job: &str,
        kind: BackupType,
        tape_catalog: bool,
    ) -> (BackupReport, EventLog) {
        let mut j = BackupJob::new(job, Selection::new([self.src()], [] as [&str; 0]).unwrap());
        j.options.backup_type = kind;
        j.options.block_size = 64 << 10;
        j.options.catalog_on_tape = tape_catalog;
        j.description = format!("{} backup", kind.name());
        let mut drive = self.lib.drive(0).unwrap();
        let mut events = EventLog::default();
        let report = run_backup(
            &j,
            BackupContext {
                drive: &mut drive,
                policy: &mut self.policy(),
                clock: &self.clock,
                events: &mut events,
                catalog: Some(&self.catalog),
            },
        )
        .unwrap();
        self.clock.advance(Duration::from_secs(86_400));
        (report, events)
    }

    /// Every data cartridge of the library.
    pub(crate) fn barcodes(&self) -> Vec<VolumeTag> {
        let inv = self.lib.changer().inventory().unwrap();
        inv.elements
            .iter()
            .filter(|e| e.kind != ElementKind::Drive || e.full)
            .filter_map(|e| e.volume_tag.clone())
            .collect()
    }

    /// Deletes the catalog database (with its WAL files) and opens a new, empty one.
    pub(crate) fn lose_catalog(&mut self) {
        let path = self.dir.path().join("catalog.sqlite");
        self.catalog = Catalog::in_memory().unwrap();
        for ext in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{ext}", path.display()));
            if p.exists() {
                fs::remove_file(&p).unwrap();
            }
        }
        self.catalog = Catalog::open(&path).unwrap();
        assert!(self.catalog.sets().unwrap().is_empty());
    }

    /// Rebuilds from every cartridge; returns the report and the blocks read per barcode.
    pub(crate) fn rebuild(&self, tape_catalog: bool) -> (RebuildReport, HashMap<String, u64>) {
        self.rebuild_into(&self.catalog, self.barcodes(), tape_catalog)
    }

    /// Rebuilds `catalog` from these cartridges.
    pub(crate) fn rebuild_into(
        &self,
        catalog: &Catalog,
        tags: Vec<VolumeTag>,
        tape_catalog: bool,
    ) -> (RebuildReport, HashMap<String, u64>) {
        let mut drive = Counting::new(self.lib.drive(0).unwrap());
        let reads = drive.reads.clone();
        let mut job = RebuildJob::new("rebuild", RebuildMedia::Barcodes(tags));
        job.options.use_tape_catalog = tape_catalog;
        let mut events = EventLog::default();
        let report = run_rebuild(
            &job,
            RebuildContext {
                drive: &mut drive,
                policy: &mut self.policy(),
                clock: &self.clock,
                events: &mut events,
                catalog,
            },
        )
        .unwrap();
        let reads = reads.borrow().clone();
        (report, reads)
    }

    pub(crate) fn restore_as_of(&self, id: i64, out: &str) -> PathBuf {
        let mut job = RestoreJob::new("restore", self.dir.path().join(out));
        job.sets = SetSelection::AsOf(id);
        let mut events = EventLog::default();
        let report = run_restore(
            &job,
            RestoreContext {
                drive: &mut self.lib.drive(0).unwrap(),
                policy: &mut self.policy(),
                clock: &self.clock,
                events: &mut events,
                catalog: Some(&self.catalog),
            },
        )
        .unwrap();
        assert!(report.is_clean(), "{report:?}\n{:?}", events.lines());
        self.dir
            .path()
            .join(out)
            .join(self.src().strip_prefix("/").unwrap())
    }
}

/// A set as the catalog answers for it, without its database id and end time (the tapes do not
/// say when a set finished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetView {
    pub(crate) key: (u32, u16),
    pub(crate) job: String,
    pub(crate) description: String,
    pub(crate) backup_type: String,
    pub(crate) started_at: i64,
    pub(crate) status: String,
    pub(crate) media: (u16, u16),
    pub(crate) files: u64,
    pub(crate) bytes: u64,
    pub(crate) roots: Vec<Vec<u8>>,
}

/// The archive state: path → (size, mtime ns, ctime ns, set).
pub(crate) type Archive = BTreeMap<Vec<u8>, (u64, i64, i64, (u32, u16))>;

/// Everything the catalog answers, keyed by (family, set number) instead of database ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answers {
    pub(crate) sets: Vec<SetView>,
    pub(crate) media: Vec<MediumRecord>,
    pub(crate) entries: BTreeMap<(u32, u16), Vec<EntryRecord>>,
    pub(crate) chains: BTreeMap<(u32, u16), Vec<(u32, u16)>>,
    /// path → (size, mtime ns, ctime ns, set); device and inode are not on tape.
    pub(crate) archive: Archive,
}

fn key(s: &SetRecord) -> (u32, u16) {
    (s.family, s.number)
}

pub(crate) fn answers(c: &Catalog) -> Answers {
    let sets = c.sets().unwrap();
    let by_id: HashMap<i64, (u32, u16)> = sets.iter().map(|s| (s.id, key(s))).collect();
    let mut families: Vec<u32> = sets.iter().map(|s| s.family).collect();
    families.sort_unstable();
    families.dedup();
    Answers {
        sets: sets
            .iter()
            .map(|s| SetView {
                key: key(s),
                job: s.job.clone(),
                description: s.description.clone(),
                backup_type: s.backup_type.clone(),
                started_at: s.started_at,
                status: format!("{:?}", s.status),
                media: (s.first_sequence, s.last_sequence),
                files: s.files,
                bytes: s.bytes,
                roots: s.roots.clone(),
            })
            .collect(),
        media: families.iter().flat_map(|f| c.media(*f).unwrap()).collect(),
        entries: sets
            .iter()
            .map(|s| {
                let mut e = c.entries(s.id).unwrap();
                for r in &mut e {
                    r.checksum = None;
                }
                (key(s), e)
            })
            .collect(),
        chains: sets
            .iter()
            .map(|s| (key(s), c.chain(s.id).unwrap().iter().map(key).collect()))
            .collect(),
        archive: c
            .archive_rows()
            .unwrap()
            .into_iter()
            .map(|(p, st, set)| (p, (st.size, st.mtime_ns, st.ctime_ns, by_id[&set])))
            .collect(),
    }
}

/// What the tape's own catalog cannot give back (mtf.md §10.3: the FDD has no Unix metadata):
/// the size of a hard link (its target is named only in `LXMD`) and sub-second times.
pub(crate) fn as_tape_catalog_sees(mut a: Answers) -> Answers {
    let mut links = Vec::new();
    for entries in a.entries.values_mut() {
        for e in entries.iter_mut().filter(|e| e.kind == 3) {
            e.size = 0;
            links.push(e.path.clone());
        }
    }
    for (path, (size, mtime, ctime, _)) in &mut a.archive {
        if links.contains(path) {
            *size = 0;
        }
        *mtime -= mtime.rem_euclid(1_000_000_000);
        *ctime -= ctime.rem_euclid(1_000_000_000);
    }
    a
}

/// A week of backups by one job: normal, two incrementals (a new file, a content change with
/// the modification time put back, a deletion) and a differential.
pub(crate) fn week(lab: &Lab, tape_catalog: bool) -> Vec<(i64, BTreeMap<String, String>)> {
    let src = lab.src();
    tree::make(&src, 2_200_000, 5);
    let mut days = Vec::new();
    let id = lab.backup("weekly", BackupType::Normal, tape_catalog);
    days.push((id, tree::describe(&src)));
    fs::write(src.join("d0/new.txt"), b"tuesday").unwrap();
    rewrite_keeping_mtime(&src.join("d1/sub1/f001.bin"), 0x5A);
    let id = lab.backup("weekly", BackupType::Incremental, tape_catalog);
    days.push((id, tree::describe(&src)));
    fs::remove_file(src.join("d2/sub2/f002.bin")).unwrap();
    fs::write(src.join("d3/wed.txt"), b"wednesday").unwrap();
    let id = lab.backup("weekly", BackupType::Incremental, tape_catalog);
    days.push((id, tree::describe(&src)));
    fs::write(src.join("d0/thu.txt"), b"thursday").unwrap();
    let id = lab.backup("weekly", BackupType::Differential, tape_catalog);
    days.push((id, tree::describe(&src)));
    days
}

fn rewrite_keeping_mtime(path: &Path, byte: u8) {
    let mtime = fs::metadata(path).unwrap().modified().unwrap();
    let len = fs::metadata(path).unwrap().len() as usize;
    fs::write(path, vec![byte; len]).unwrap();
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// The new id of the set that had `old` in the original catalog.
pub(crate) fn same_set(before: &Answers, after: &Catalog, old_key: (u32, u16)) -> i64 {
    assert!(before.sets.iter().any(|s| s.key == old_key));
    after
        .sets()
        .unwrap()
        .iter()
        .find(|s| key(s) == old_key)
        .unwrap()
        .id
}

/// Compares two sets of answers part by part (for readable failures).
pub(crate) fn same(after: &Answers, before: &Answers) {
    assert_eq!(after.sets, before.sets);
    assert_eq!(after.media, before.media);
    assert_eq!(after.chains, before.chains);
    for (k, e) in &before.entries {
        for (a, b) in after.entries[k].iter().zip(e) {
            assert_eq!(
                a,
                b,
                "an entry of set {k:?}: {}",
                String::from_utf8_lossy(&b.path)
            );
        }
        assert_eq!(after.entries[k].len(), e.len(), "entries of set {k:?}");
    }
    for (p, b) in &before.archive {
        assert_eq!(
            after.archive.get(p),
            Some(b),
            "archive state of {}",
            String::from_utf8_lossy(p)
        );
    }
    assert_eq!(after.archive.len(), before.archive.len());
}

fn key_of_id(c: &Catalog, id: i64) -> (u32, u16) {
    key(&c.set(id).unwrap().unwrap())
}

#[test]
fn a_deleted_catalog_is_rebuilt_from_the_tape_catalogs_without_reading_data_blocks() {
    let mut lab = Lab::new(12);
    let days = week(&lab, true);
    let keys: Vec<(u32, u16)> = days
        .iter()
        .map(|(id, _)| key_of_id(&lab.catalog, *id))
        .collect();
    let before = answers(&lab.catalog);
    let normal_family = keys[0].0;
    let normal_media = before
        .media
        .iter()
        .filter(|m| m.family == normal_family)
        .count();
    assert!(
        normal_media >= 3,
        "the normal set spans {normal_media} media"
    );

    lab.lose_catalog();
    let (report, reads) = lab.rebuild(true);
    assert_eq!(report.families.len(), 4, "{report:#?}");
    for f in &report.families {
        assert_eq!(
            f.method,
            Method::TapeCatalog,
            "{f:#?}\n{:?}",
            report.warnings
        );
    }
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let after = answers(&lab.catalog);
    let expected = as_tape_catalog_sees(before.clone());
    // The tape catalog does not say which files an incremental saw deleted: the state of the
    // file deleted before Wednesday's incremental stays.
    let mut after_archive = after.archive.clone();
    let stale = after_archive
        .keys()
        .find(|p| p.ends_with(b"d2/sub2/f002.bin"))
        .cloned()
        .unwrap();
    after_archive.remove(&stale);
    assert_eq!(after.sets, expected.sets);
    assert_eq!(after.media, expected.media);
    assert_eq!(after.chains, expected.chains);
    for (k, e) in &expected.entries {
        assert_eq!(&after.entries[k], e, "entries of set {k:?}");
    }
    assert_eq!(after_archive, expected.archive);

    // No data block was read: each earlier medium gave its TAPE block (and the first medium
    // of a set its SSET block, for the job stream), the last one its closing region.
    let media = lab.catalog.media(normal_family).unwrap();
    let tag = |seq: u16| {
        media
            .iter()
            .find(|m| m.sequence == seq)
            .and_then(|m| m.barcode.clone())
            .unwrap()
            .to_string()
    };
    let last = media.len() as u16;
    assert!(
        reads[&tag(1)] <= 2,
        "media #1: {} blocks read",
        reads[&tag(1)]
    );
    for seq in 2..last {
        assert_eq!(reads[&tag(seq)], 1, "media #{seq} gave its TAPE block only");
    }
    assert!(
        reads[&tag(last)] <= 4,
        "media #{last}: {}",
        reads[&tag(last)]
    );
    eprintln!(
        "tape-catalog rebuild: {} blocks ({} bytes) read, {} locates, {} filemark spaces; per cartridge {reads:?}",
        report.tally.blocks, report.tally.bytes, report.tally.locates, report.tally.spaces
    );

    // The chain still restores Wednesday exactly, with the ids the rebuilt catalog gives.
    let wed = same_set(&before, &lab.catalog, keys[2]);
    let restored = lab.restore_as_of(wed, "wed");
    assert_eq!(tree::describe(&restored), days[2].1);

    // Running it again changes nothing.
    let (again, _) = lab.rebuild(true);
    assert_eq!(again.families.len(), 4);
    assert_eq!(answers(&lab.catalog), after);

    // The rebuilt archive state drives the next incremental: what changed since Wednesday,
    // plus the hard link whose size the tape catalog does not hold (it errs towards copying).
    assert_eq!(
        next_incremental(&lab),
        ["d0/sub0/f000.bin", "d0/thu.txt", "d1/sub1/f001.bin"]
    );
}

/// Changes a file, runs an incremental backup, and returns what it carried.
fn next_incremental(lab: &Lab) -> Vec<String> {
    let src = lab.src();
    fs::write(src.join("d0/sub0/f000.bin"), b"changed after the rebuild").unwrap();
    let id = lab.backup("weekly", BackupType::Incremental, true);
    let mut carried: Vec<String> = lab
        .catalog
        .entries(id)
        .unwrap()
        .iter()
        .filter(|e| e.kind != 0)
        .map(|e| {
            let p = String::from_utf8_lossy(&e.path).into_owned();
            p.strip_prefix(&format!("{}/", src.display()))
                .unwrap_or(&p)
                .to_owned()
        })
        .collect();
    carried.sort();
    carried
}

#[test]
fn sets_written_without_a_tape_catalog_are_rebuilt_exactly_by_scanning() {
    let mut lab = Lab::new(12);
    let days = week(&lab, false);
    let keys: Vec<(u32, u16)> = days
        .iter()
        .map(|(id, _)| key_of_id(&lab.catalog, *id))
        .collect();
    let before = answers(&lab.catalog);

    lab.lose_catalog();
    let (report, reads) = lab.rebuild(true);
    assert_eq!(report.families.len(), 4);
    for f in &report.families {
        assert_eq!(f.method, Method::Scan, "{f:#?}");
        assert!(f.scanned_because.is_some());
    }
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let after = answers(&lab.catalog);
    same(&after, &before);
    let total: u64 = reads.values().sum();
    eprintln!(
        "scan rebuild: {total} blocks ({} bytes) read, {} locates, {} filemark spaces",
        report.tally.bytes, report.tally.locates, report.tally.spaces
    );

    let thu = same_set(&before, &lab.catalog, keys[3]);
    let restored = lab.restore_as_of(thu, "thu");
    assert_eq!(tree::describe(&restored), days[3].1);

    // Exact archive state: the next incremental carries exactly what changed since Wednesday.
    assert_eq!(next_incremental(&lab), ["d0/sub0/f000.bin", "d0/thu.txt"]);
}
