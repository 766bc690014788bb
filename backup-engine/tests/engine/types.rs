//! NTBackup's backup types on Linux: a week of normal, incremental and differential backups
//! restores to the exact state of any day; renames and content changes with the modification
//! time put back are caught; copy and differential leave the archive state alone.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use backup_engine::backup::{
    BackupContext, BackupJob, BackupOutcome, BackupReport, BackupType, run_backup,
};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain};
use backup_engine::restore::{RestoreContext, RestoreJob, SetSelection, run_restore};
use backup_engine::{EventLog, ManualClock, Selection};
use tape_core::vtl::{LibraryConfig, VirtualLibrary};

use crate::tree;

struct Week {
    dir: tempfile::TempDir,
    lib: VirtualLibrary,
    catalog: Catalog,
    clock: ManualClock,
}

impl Week {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = LibraryConfig::default();
        config.slots = 12;
        config.capacity = 8 << 20;
        config.early_warning = 512 << 10;
        let lib = VirtualLibrary::create(dir.path().join("lib"), &config).unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
        Self {
            dir,
            lib,
            catalog,
            clock: ManualClock::new(SystemTime::now()),
        }
    }

    fn src(&self) -> std::path::PathBuf {
        self.dir.path().join("src")
    }

    fn backup(&self, kind: BackupType) -> BackupReport {
        let mut job = BackupJob::new(
            "week",
            Selection::new([self.src()], [] as [&str; 0]).unwrap(),
        );
        job.options.backup_type = kind;
        job.options.block_size = 64 << 10;
        let mut drive = self.lib.drive(0).unwrap();
        let mut policy = PolicyChain::new()
            .then(ChangerPolicy::new(
                self.lib.changer(),
                0,
                Box::new(NoDirectory),
            ))
            .then(AbortPolicy);
        let mut events = EventLog::default();
        let report = run_backup(
            &job,
            BackupContext {
                drive: &mut drive,
                policy: &mut policy,
                clock: &self.clock,
                events: &mut events,
                catalog: Some(&self.catalog),
            },
        )
        .unwrap();
        assert_eq!(
            report.outcome,
            BackupOutcome::Complete,
            "{:?}",
            events.lines()
        );
        self.clock.advance(Duration::from_secs(86_400));
        report
    }

    fn restore_as_of(&self, set_id: i64, out: &str) -> std::path::PathBuf {
        let mut drive = self.lib.drive(0).unwrap();
        let mut policy = PolicyChain::new()
            .then(ChangerPolicy::new(
                self.lib.changer(),
                0,
                Box::new(NoDirectory),
            ))
            .then(AbortPolicy);
        let mut job = RestoreJob::new("restore", self.dir.path().join(out));
        job.sets = SetSelection::AsOf(set_id);
        let mut events = EventLog::default();
        let report = run_restore(
            &job,
            RestoreContext {
                drive: &mut drive,
                policy: &mut policy,
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

/// Rewrites a file's content keeping its size and modification time (only ctime moves).
fn rewrite_keeping_mtime(path: &Path, content: &[u8]) {
    let mtime = fs::metadata(path).unwrap().modified().unwrap();
    fs::write(path, content).unwrap();
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

fn count_files(report: &BackupReport) -> u64 {
    report.files
}

#[test]
fn a_week_of_backups_restores_to_the_exact_state_of_any_day() {
    let w = Week::new();
    let src = w.src();
    tree::make(&src, 400_000, 11);
    let total = fs::read_dir(src.join("d0/sub0")).unwrap().count();
    assert!(total > 0);
    let mut days = Vec::new();

    // Monday: normal.
    let mon = w.backup(BackupType::Normal);
    days.push((mon.set_id.unwrap(), tree::describe(&src)));
    assert!(count_files(&mon) > 5);

    // Tuesday: a new file, and a content change with the modification time put back.
    fs::write(src.join("d0/new.txt"), b"tuesday").unwrap();
    let victim = src.join("d1/sub1/f001.bin");
    let len = fs::metadata(&victim).unwrap().len() as usize;
    rewrite_keeping_mtime(&victim, &vec![0x5A; len]);
    let tue = w.backup(BackupType::Incremental);
    days.push((tue.set_id.unwrap(), tree::describe(&src)));
    let written: Vec<String> = w
        .catalog
        .entries(tue.set_id.unwrap())
        .unwrap()
        .iter()
        .filter(|e| e.kind != 0)
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect();
    assert!(
        written.iter().any(|p| p.ends_with("d0/new.txt")),
        "{written:?}"
    );
    assert!(
        written.iter().any(|p| p.ends_with("d1/sub1/f001.bin")),
        "same-mtime change caught: {written:?}"
    );
    assert!(
        written.iter().any(|p| p.ends_with("/hard")),
        "its other name goes with it (same inode)"
    );
    assert!(written.len() <= 4, "only what changed: {written:?}");

    // Wednesday: a deletion and a rename.
    fs::remove_file(src.join("d2/sub2/f002.bin")).unwrap();
    fs::rename(src.join("d3/sub0/f003.bin"), src.join("d3/renamed.bin")).unwrap();
    let wed = w.backup(BackupType::Incremental);
    days.push((wed.set_id.unwrap(), tree::describe(&src)));
    let written: Vec<String> = w
        .catalog
        .entries(wed.set_id.unwrap())
        .unwrap()
        .iter()
        .filter(|e| e.kind != 0)
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect();
    assert_eq!(
        written
            .iter()
            .filter(|p| p.ends_with("renamed.bin"))
            .count(),
        1,
        "{written:?}"
    );
    assert_eq!(
        written.len(),
        1,
        "a rename is new data at the new name: {written:?}"
    );

    // Thursday: a differential (changed since the last normal or incremental backup, which
    // reset the archive state; the differential does not), then Friday an incremental.
    fs::write(src.join("d0/thursday.txt"), b"thursday").unwrap();
    let thu = w.backup(BackupType::Differential);
    days.push((thu.set_id.unwrap(), tree::describe(&src)));
    let diff: Vec<String> = w
        .catalog
        .entries(thu.set_id.unwrap())
        .unwrap()
        .iter()
        .filter(|e| e.kind != 0)
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect();
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(diff[0].ends_with("thursday.txt"), "{diff:?}");
    fs::remove_file(src.join("d0/new.txt")).unwrap();
    fs::write(src.join("d0/friday.txt"), b"friday").unwrap();
    let fri = w.backup(BackupType::Incremental);
    days.push((fri.set_id.unwrap(), tree::describe(&src)));
    let inc: Vec<String> = w
        .catalog
        .entries(fri.set_id.unwrap())
        .unwrap()
        .iter()
        .filter(|e| e.kind != 0)
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect();
    assert!(
        inc.iter().any(|p| p.ends_with("thursday.txt")),
        "a differential does not reset the archive state: {inc:?}"
    );

    // Every day restores exactly, deleted files included (not resurrected).
    for (i, (set, state)) in days.iter().enumerate() {
        let restored = w.restore_as_of(*set, &format!("out{i}"));
        assert_eq!(&tree::describe(&restored), state, "day {i}");
    }
}

#[test]
fn copy_leaves_the_archive_state_alone_and_daily_takes_what_changed_today() {
    let w = Week::new();
    let src = w.src();
    tree::make(&src, 100_000, 12);
    w.backup(BackupType::Normal);
    let before = w.catalog.archive_len().unwrap();
    fs::write(src.join("d0/later.txt"), b"later").unwrap();
    let copy = w.backup(BackupType::Copy);
    assert!(copy.files > 5, "copy takes everything");
    assert_eq!(
        w.catalog.archive_len().unwrap(),
        before,
        "copy does not reset"
    );
    let inc = w.backup(BackupType::Incremental);
    assert_eq!(inc.files, 1, "the copy did not mark later.txt as backed up");
    // Daily: what was modified today by the wall clock (the manual clock is now days ahead).
    let clock_today = ManualClock::new(SystemTime::now());
    let mut job = BackupJob::new(
        "daily",
        Selection::new([src.clone()], [] as [&str; 0]).unwrap(),
    );
    job.options.backup_type = BackupType::Daily;
    let mut drive = w.lib.drive(0).unwrap();
    let mut policy = PolicyChain::new()
        .then(ChangerPolicy::new(
            w.lib.changer(),
            0,
            Box::new(NoDirectory),
        ))
        .then(AbortPolicy);
    let daily = run_backup(
        &job,
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock_today,
            events: &mut EventLog::default(),
            catalog: Some(&w.catalog),
        },
    )
    .unwrap();
    assert!(daily.files >= 1, "everything here was written today");
    let tomorrow = ManualClock::new(SystemTime::now() + Duration::from_secs(2 * 86_400));
    let none = run_backup(
        &job,
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &tomorrow,
            events: &mut EventLog::default(),
            catalog: Some(&w.catalog),
        },
    )
    .unwrap();
    assert_eq!(none.files, 0, "nothing was modified the day after tomorrow");
}
