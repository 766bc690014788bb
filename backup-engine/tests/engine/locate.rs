//! Restoring one file or one directory: only the media that hold it are asked for, and the
//! drive LOCATEs to the catalogued block instead of reading from the start.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use backup_engine::backup::{BackupContext, BackupJob, BackupOutcome, BackupReport, run_backup};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain};
use backup_engine::restore::{
    RestoreContext, RestoreJob, RestoreReport, media_needed, run_restore,
};
use backup_engine::{EventLog, Selection};
use tape_core::VolumeTag;
use tape_core::vtl::{LibraryConfig, VirtualLibrary};

use crate::rebuild::Counting;
use crate::{clock, tree};

/// Blocks read from each cartridge, by barcode.
type Reads = HashMap<String, u64>;

fn total(reads: &Reads) -> u64 {
    reads.values().sum()
}

struct Family {
    dir: tempfile::TempDir,
    lib: VirtualLibrary,
    catalog: Catalog,
    report: BackupReport,
}

/// A tree written across exactly four 1 MiB cartridges in 16 KiB blocks.
fn four_tape_family() -> Family {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for d in 0..8 {
        let sub = src.join(format!("dir{d}"));
        fs::create_dir_all(&sub).unwrap();
        for f in 0..7 {
            let seed = d * 10 + f;
            fs::write(sub.join(format!("f{f}.bin")), tree::bytes(60_000, seed)).unwrap();
        }
    }
    let mut config = LibraryConfig::default();
    config.slots = 6;
    config.capacity = 1 << 20;
    config.early_warning = 64 << 10;
    let lib = VirtualLibrary::create(dir.path().join("lib"), &config).unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    let mut job = BackupJob::new("four", Selection::new([&src], [] as [&str; 0]).unwrap());
    job.options.block_size = 16 << 10;
    let mut drive = lib.drive(0).unwrap();
    let mut policy = chain(&lib);
    let mut events = EventLog::default();
    let report = run_backup(
        &job,
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock(),
            events: &mut events,
            catalog: Some(&catalog),
        },
    )
    .unwrap();
    assert_eq!(report.outcome, BackupOutcome::Complete);
    assert_eq!(report.media.len(), 4, "{:?}", events.lines());
    Family {
        dir,
        lib,
        catalog,
        report,
    }
}

fn chain(lib: &VirtualLibrary) -> PolicyChain {
    PolicyChain::new()
        .then(ChangerPolicy::new(lib.changer(), 0, Box::new(NoDirectory)))
        .then(AbortPolicy)
}

impl Family {
    fn src(&self) -> PathBuf {
        self.dir.path().join("src")
    }

    /// Restores `paths` (all when empty) under `out`; returns the report, the blocks read
    /// from each cartridge, and the log.
    fn restore(&self, paths: &[PathBuf], out: &str) -> (RestoreReport, Reads, Vec<String>) {
        let mut drive = Counting::new(self.lib.drive(0).unwrap());
        let reads = std::rc::Rc::clone(&drive.reads);
        let mut policy = chain(&self.lib);
        let mut job = RestoreJob::new("one", self.dir.path().join(out));
        job.paths = paths.to_vec();
        let mut events = EventLog::default();
        let report = run_restore(
            &job,
            RestoreContext {
                drive: &mut drive,
                policy: &mut policy,
                clock: &clock(),
                events: &mut events,
                catalog: Some(&self.catalog),
            },
        )
        .unwrap();
        let reads = reads.borrow().clone();
        (report, reads, events.lines())
    }

    fn restored(&self, out: &str, path: &Path) -> PathBuf {
        self.dir
            .path()
            .join(out)
            .join(path.strip_prefix("/").unwrap())
    }

    /// The files the catalog places on medium `sequence`.
    fn files_on(&self, sequence: u16) -> Vec<PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let set = self.report.set_id.unwrap();
        self.catalog
            .entries(set)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == 1 && e.sequence == sequence)
            .map(|e| PathBuf::from(std::ffi::OsStr::from_bytes(&e.path)))
            .collect()
    }

    fn barcode(&self, sequence: u16) -> Option<VolumeTag> {
        self.report
            .media
            .iter()
            .find(|m| m.sequence == sequence)
            .and_then(|m| m.barcode.clone())
    }
}

#[test]
fn one_file_from_tape_four_of_four_reads_only_tape_four_and_few_blocks() {
    let f = four_tape_family();
    let (full, full_reads, log) = f.restore(&[], "all");
    assert!(full.is_clean(), "{full:?}\n{log:?}");
    assert_eq!(full.media, vec![1, 2, 3, 4]);

    let wanted = f.files_on(4).last().cloned().expect("a file on tape 4");
    let needed = {
        let mut job = RestoreJob::new("one", f.dir.path().join("x"));
        job.paths = vec![wanted.clone()];
        let mut drive = f.lib.drive(0).unwrap();
        media_needed(&job, &mut drive, Some(&f.catalog)).unwrap()
    };
    assert_eq!(
        needed,
        vec![(f.report.family, 4, f.barcode(4))],
        "only tape 4 is needed"
    );

    let (report, reads, log) = f.restore(std::slice::from_ref(&wanted), "one");
    assert!(report.is_clean(), "{report:?}\n{log:?}");
    assert_eq!(report.files, 1);
    assert_eq!(report.media, vec![4]);
    assert_eq!(
        fs::read(f.restored("one", &wanted)).unwrap(),
        fs::read(&wanted).unwrap()
    );
    let tape4 = f.barcode(4).unwrap().to_string();
    assert!(
        reads.keys().all(|t| *t == tape4),
        "only tape 4 was read: {reads:?}"
    );
    eprintln!(
        "single-file restore from tape 4 of 4: {} blocks read; full restore: {} blocks",
        total(&reads),
        total(&full_reads)
    );
    // The identification read of the first block, then the file's own blocks (60 KB in 16 KiB
    // blocks): a handful, against every block of four tapes.
    assert!(total(&reads) <= 8, "{} blocks read", total(&reads));
    assert!(total(&reads) * 10 < total(&full_reads));
    // Nothing else was restored.
    let restored_root = f.restored("one", &f.src());
    let count = walkdir_count(&restored_root);
    assert_eq!(count, 1, "only the file (and its parent directories)");
}

fn walkdir_count(dir: &Path) -> usize {
    let mut n = 0;
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            n += walkdir_count(&e.path());
        } else {
            n += 1;
        }
    }
    n
}

#[test]
fn one_directory_restores_whole_from_the_media_that_hold_it() {
    let f = four_tape_family();
    let wanted = f.src().join("dir5");
    let (report, reads, log) = f.restore(std::slice::from_ref(&wanted), "dir");
    assert!(report.is_clean(), "{report:?}\n{log:?}");
    assert_eq!(report.files, 7);
    assert_eq!(
        tree::describe(&f.restored("dir", &wanted)),
        tree::describe(&wanted)
    );
    assert!(!f.restored("dir", &f.src().join("dir4")).exists());
    assert!(!f.restored("dir", &f.src().join("dir6")).exists());
    assert!(!report.media.contains(&1), "{:?}", report.media);
    let tape1 = f.barcode(1).unwrap().to_string();
    assert!(!reads.contains_key(&tape1), "{reads:?}");
}

#[test]
fn a_stale_catalog_position_falls_back_to_reading_the_set() {
    let f = four_tape_family();
    let wanted = f.files_on(2).first().cloned().expect("a file on tape 2");
    // Point the catalog one block off, as a catalog of a since-rewritten tape would.
    let db = rusqlite::Connection::open(f.dir.path().join("catalog.sqlite")).unwrap();
    use std::os::unix::ffi::OsStrExt;
    let changed = db
        .execute(
            "UPDATE entries SET block = block + 1 WHERE path = ?1",
            [wanted.as_os_str().as_bytes()],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let (report, _, log) = f.restore(std::slice::from_ref(&wanted), "stale");
    assert!(report.is_clean(), "{report:?}\n{log:?}");
    assert_eq!(report.files, 1);
    assert!(
        log.iter()
            .any(|l| l.contains("reading the set from its start")),
        "{log:?}"
    );
    assert_eq!(
        fs::read(f.restored("stale", &wanted)).unwrap(),
        fs::read(&wanted).unwrap()
    );
}

#[test]
fn a_path_that_is_not_in_the_backup_is_an_error_before_any_medium_is_read() {
    let f = four_tape_family();
    let mut job = RestoreJob::new("none", f.dir.path().join("none"));
    job.paths = vec![f.src().join("no-such-file")];
    let mut drive = f.lib.drive(0).unwrap();
    let err = media_needed(&job, &mut drive, Some(&f.catalog)).unwrap_err();
    assert!(err.to_string().contains("no-such-file"), "{err}");
}
