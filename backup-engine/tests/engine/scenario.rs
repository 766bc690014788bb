//! Whole jobs on virtual libraries: backups spanning media under each policy, restores across
//! the family, and every end-of-media case the engine meets.

use std::time::Duration;

use backup_engine::backup::{BackupContext, BackupJob, BackupOutcome, run_backup};
use backup_engine::catalog::{Catalog, SetStatus};
use backup_engine::policy::{
    AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain, PromptOptions, PromptPolicy, Stop,
};
use backup_engine::restore::{RestoreContext, RestoreJob, run_restore};
use backup_engine::{EventLog, NotifyError, Operator, OperatorReply, OperatorRequest, Selection};
use tape_core::VolumeTag;
use tape_core::vtl::{InsertSource, LibraryConfig, VirtualLibrary};

use crate::{clock, tree};

/// A library of small cartridges: 1 MiB, early warning 192 KiB before the end.
fn small_library(dir: &std::path::Path, slots: u16) -> VirtualLibrary {
    let mut config = LibraryConfig::default();
    config.slots = slots;
    config.capacity = 1 << 20;
    config.early_warning = 192 << 10;
    VirtualLibrary::create(dir.join("lib"), &config).unwrap()
}

fn job(root: &std::path::Path) -> BackupJob {
    let mut job = BackupJob::new("span", Selection::new([root], [] as [&str; 0]).unwrap());
    job.options.block_size = 64 << 10;
    job.description = "scenario".into();
    job
}

struct Setup {
    dir: tempfile::TempDir,
    lib: VirtualLibrary,
    catalog: Catalog,
}

impl Setup {
    fn new(slots: u16, tree_bytes: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        tree::make(&dir.path().join("src"), tree_bytes, 7);
        let lib = small_library(dir.path(), slots);
        let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
        Self { dir, lib, catalog }
    }

    fn src(&self) -> std::path::PathBuf {
        self.dir.path().join("src")
    }

    fn restored(&self, out: &str) -> std::path::PathBuf {
        // Absolute paths restore under the target without their leading '/'.
        self.dir
            .path()
            .join(out)
            .join(self.src().strip_prefix("/").unwrap())
    }
}

fn changer_chain(lib: &VirtualLibrary) -> PolicyChain {
    PolicyChain::new()
        .then(ChangerPolicy::new(lib.changer(), 0, Box::new(NoDirectory)))
        .then(AbortPolicy)
}

#[test]
fn a_backup_spans_media_with_the_changer_and_restores_exactly() {
    let s = Setup::new(8, 3 << 20);
    let clock = clock();
    let mut drive = s.lib.drive(0).unwrap();
    let mut events = EventLog::default();
    let mut policy = changer_chain(&s.lib);
    let report = run_backup(
        &job(&s.src()),
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert_eq!(
        report.outcome,
        BackupOutcome::Complete,
        "{:?}",
        events.lines()
    );
    assert!(
        report.media.len() >= 3,
        "a 3 MiB tree on 1 MiB cartridges: {} media",
        report.media.len()
    );
    assert_eq!(
        report.media.iter().map(|m| m.sequence).collect::<Vec<_>>(),
        (1..=report.media.len() as u16).collect::<Vec<_>>()
    );
    let sets = s.catalog.sets().unwrap();
    assert_eq!(
        (
            sets.len(),
            sets[0].status,
            usize::from(sets[0].last_sequence)
        ),
        (1, SetStatus::Complete, report.media.len())
    );
    let entries = s.catalog.entries(sets[0].id).unwrap();
    assert_eq!(entries.len() as u64, report.files + report.directories);
    assert!(
        entries.iter().any(|e| e.sequence > 1),
        "entries know which medium holds them"
    );

    // Restore through the changer: the drive holds the last medium; the first is fetched.
    let mut events = EventLog::default();
    let restore = run_restore(
        &RestoreJob::new("restore", s.dir.path().join("out")),
        RestoreContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert!(restore.is_clean(), "{restore:?}\n{:?}", events.lines());
    assert_eq!(
        restore.media,
        (1..=report.media.len() as u16).collect::<Vec<_>>()
    );
    assert_eq!(tree::describe(&s.restored("out")), tree::describe(&s.src()));
}

#[test]
fn abort_closes_the_set_on_the_full_medium_and_every_complete_file_restores() {
    let s = Setup::new(4, 3 << 20);
    s.lib.insert(0, InsertSource::NextBlank).unwrap();
    let clock = clock();
    let mut drive = s.lib.drive(0).unwrap();
    let mut events = EventLog::default();
    let report = run_backup(
        &job(&s.src()),
        BackupContext {
            drive: &mut drive,
            policy: &mut AbortPolicy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert_eq!(report.outcome, BackupOutcome::Stopped(Stop::Abort));
    assert_eq!(report.media.len(), 1);
    assert!(
        events.contains("closed on media #1"),
        "{:?}",
        events.lines()
    );
    assert_eq!(s.catalog.sets().unwrap()[0].status, SetStatus::Incomplete);
    let mut events = EventLog::default();
    let restore = run_restore(
        &RestoreJob::new("restore", s.dir.path().join("out")),
        RestoreContext {
            drive: &mut drive,
            policy: &mut AbortPolicy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert!(restore.incomplete.is_some(), "{restore:?}");
    assert!(
        restore.files > 3,
        "files before the cut restore: {restore:?}"
    );
    // Every restored file is exact; the one cut short is not there under its name.
    let original = tree::describe(&s.src());
    let restored = tree::describe(&s.restored("out"));
    // (Link counts aside: a hard link's other name may lie beyond the cut.)
    let unlinked = |w: &str| w.split(" links ").next().unwrap_or_default().to_owned();
    for (path, what) in &restored {
        if !what.starts_with("dir") {
            assert_eq!(
                Some(unlinked(what)),
                original.get(path).map(|w| unlinked(w)),
                "{path}"
            );
        }
    }
    assert_eq!(
        restore.refused.len(),
        1,
        "exactly the file that was cut: {:?}",
        restore.refused
    );
    assert!(
        restore.refused[0].1.contains("cut short"),
        "{:?}",
        restore.refused
    );
    assert!(!restored.contains_key(restore.refused[0].0.rsplit_once("src/").unwrap().1));
}

/// An operator who inserts the next blank cartridge when asked (or what `script` says).
struct Helpful {
    lib: VirtualLibrary,
    clock: backup_engine::ManualClock,
    asked: Vec<OperatorRequest>,
    script: Vec<InsertSource>,
}

impl Operator for Helpful {
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError> {
        self.asked.push(request.clone());
        let source = if self.script.is_empty() {
            match &request.barcode {
                Some(b) => InsertSource::Barcode(b.clone()),
                None => InsertSource::NextBlank,
            }
        } else {
            self.script.remove(0)
        };
        self.lib
            .insert(0, source)
            .map_err(|e| NotifyError(e.to_string()))?;
        Ok(())
    }
    fn wait(&mut self, _: &OperatorRequest, until: std::time::SystemTime) -> OperatorReply {
        self.clock.advance_to(until);
        OperatorReply::Nothing
    }
}

#[test]
fn an_operator_answers_prompts_for_each_medium_of_backup_and_restore() {
    let s = Setup::new(6, (5 << 20) / 2);
    let clock = clock();
    let mut drive = s.lib.drive(0).unwrap();
    let op = Helpful {
        lib: s.lib.clone(),
        clock: clock.clone(),
        asked: vec![],
        script: vec![],
    };
    let mut prompt = PromptPolicy::new(op, PromptOptions::with_timeout(Duration::from_secs(60)));
    let mut events = EventLog::default();
    let report = run_backup(
        &job(&s.src()),
        BackupContext {
            drive: &mut drive,
            policy: &mut prompt,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert_eq!(
        report.outcome,
        BackupOutcome::Complete,
        "{:?}",
        events.lines()
    );
    let n = report.media.len();
    assert!(n >= 3);
    assert_eq!(
        prompt.operator().asked.len(),
        n,
        "asked for the first medium too (empty drive)"
    );
    // Restore: the drive holds the last medium; the operator is asked for #1, then each next one,
    // and first offers #3 when #2 is wanted: refused, asked again.
    let barcodes: Vec<VolumeTag> = report
        .media
        .iter()
        .map(|m| m.barcode.clone().unwrap())
        .collect();
    let op = Helpful {
        lib: s.lib.clone(),
        clock: clock.clone(),
        asked: vec![],
        script: vec![
            InsertSource::Barcode(barcodes[0].clone()),
            InsertSource::Barcode(barcodes[2].clone()),
        ],
    };
    let mut prompt = PromptPolicy::new(op, PromptOptions::with_timeout(Duration::from_secs(60)));
    let mut events = EventLog::default();
    let restore = run_restore(
        &RestoreJob::new("restore", s.dir.path().join("out")),
        RestoreContext {
            drive: &mut drive,
            policy: &mut prompt,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert!(restore.is_clean(), "{restore:?}\n{:?}", events.lines());
    assert!(
        events.contains(&format!("Medium {} refused: it is media #3", barcodes[2])),
        "{:?}",
        events.lines()
    );
    let asked = &prompt.operator().asked;
    assert_eq!(
        asked[1].barcode.as_ref(),
        Some(&barcodes[1]),
        "the request names the barcode from the catalog"
    );
    assert_eq!(
        asked[2]
            .refused
            .as_deref()
            .map(|r| r.contains("not media #2")),
        Some(true)
    );
    assert_eq!(tree::describe(&s.restored("out")), tree::describe(&s.src()));
}

#[test]
fn physical_end_without_early_warning_continues_on_the_next_medium() {
    let s = Setup::new(6, 2 << 20);
    // The first cartridge ends after 5 blocks, without warning.
    let mut faults = tape_core::vtl::CartridgeFaults::default();
    faults.physical_end_at = Some(5);
    s.lib
        .set_cartridge_faults(&VolumeTag::new("VT0001").unwrap(), faults)
        .unwrap();
    let clock = clock();
    let mut drive = s.lib.drive(0).unwrap();
    let mut policy = changer_chain(&s.lib);
    let mut events = EventLog::default();
    let report = run_backup(
        &job(&s.src()),
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert_eq!(report.outcome, BackupOutcome::Complete);
    assert!(
        events.contains("physical end without an early warning"),
        "{:?}",
        events.lines()
    );
    let restore = run_restore(
        &RestoreJob::new("restore", s.dir.path().join("out")),
        RestoreContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut EventLog::default(),
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert!(restore.is_clean(), "{restore:?}");
    assert_eq!(tree::describe(&s.restored("out")), tree::describe(&s.src()));
}

/// Backs up `src` to `lib` with the changer (then abort) and restores it to `out`; returns
/// (backup report, restore report).
fn round_trip(
    lib: &VirtualLibrary,
    src: &std::path::Path,
    out: &std::path::Path,
    catalog: &Catalog,
) -> (
    backup_engine::backup::BackupReport,
    backup_engine::restore::RestoreReport,
    EventLog,
) {
    let clock = clock();
    let mut drive = lib.drive(0).unwrap();
    let mut policy = changer_chain(lib);
    let mut events = EventLog::default();
    let report = run_backup(
        &job(src),
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(catalog),
        },
    )
    .unwrap();
    let restore = run_restore(
        &RestoreJob::new("restore", out),
        RestoreContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(catalog),
        },
    )
    .unwrap();
    (report, restore, events)
}

/// Early warning, or the physical end without one, at every record position of the first
/// cartridge: at the TAPE block, inside headers, inside file data, between files, in the
/// end-of-set blocks and the catalog. Every time the set completes on later media and
/// restores exactly.
#[test]
fn end_of_medium_at_every_position_of_the_first_cartridge() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree::make(&src, 500_000, 3);
    let expected = tree::describe(&src);
    // How many records does the set take on one roomy cartridge?
    let probe = small_library(&dir.path().join("probe"), 2);
    let catalog = Catalog::in_memory().unwrap();
    let (_, _, _) = round_trip(&probe, &src, &dir.path().join("probe-out"), &catalog);
    let objects = {
        use tape_core::TapeDrive;
        let mut d = probe.drive(0).unwrap();
        d.space_to_end_of_data().unwrap();
        d.position().unwrap().0
    };
    assert!(objects >= 10, "{objects} records");
    for (kind, at) in (0..objects)
        .map(|k| ("early warning", k))
        .chain((0..objects).map(|k| ("physical end", k)))
    {
        let case = dir.path().join(format!("{}-{at}", kind.replace(' ', "-")));
        let lib = small_library(&case, 4);
        let mut faults = tape_core::vtl::CartridgeFaults::default();
        if kind == "early warning" {
            faults.early_warning_at = Some(at);
        } else {
            faults.physical_end_at = Some(at);
        }
        lib.set_cartridge_faults(&VolumeTag::new("VT0001").unwrap(), faults)
            .unwrap();
        let catalog = Catalog::in_memory().unwrap();
        let out = case.join("out");
        let (report, restore, events) = round_trip(&lib, &src, &out, &catalog);
        assert_eq!(
            report.outcome,
            BackupOutcome::Complete,
            "{kind} at {at}: {:?}",
            events.lines()
        );
        assert!(
            report.media.len() >= 2,
            "{kind} at {at}: the set continued on another medium"
        );
        assert!(
            restore.is_clean(),
            "{kind} at {at}: {restore:?}\n{:?}",
            events.lines()
        );
        let restored = tree::describe(&out.join(src.strip_prefix("/").unwrap()));
        assert_eq!(restored, expected, "{kind} at {at}");
    }
}

#[test]
fn the_changer_skips_write_protected_and_foreign_cartridges() {
    let s = Setup::new(8, 3 << 20);
    s.lib
        .set_write_protect(&VolumeTag::new("VT0002").unwrap(), true)
        .unwrap();
    // VT0003 holds data written by another program.
    s.lib
        .insert(0, InsertSource::Barcode(VolumeTag::new("VT0003").unwrap()))
        .unwrap();
    {
        use tape_core::TapeDrive;
        let mut d = s.lib.drive(0).unwrap();
        let _ = d.write_block(&tree::bytes(4096, 1)).unwrap();
        d.unload().unwrap();
    }
    s.lib.eject(0, false).unwrap();
    let clock = clock();
    let mut drive = s.lib.drive(0).unwrap();
    let mut policy = changer_chain(&s.lib);
    let mut events = EventLog::default();
    let report = run_backup(
        &job(&s.src()),
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert_eq!(report.outcome, BackupOutcome::Complete);
    let used: Vec<String> = report
        .media
        .iter()
        .map(|m| m.barcode.clone().unwrap().to_string())
        .collect();
    assert!(
        !used.contains(&"VT0002".into()) && !used.contains(&"VT0003".into()),
        "{used:?}"
    );
    assert!(
        events.contains("Medium VT0002 refused: it is write-protected"),
        "{:?}",
        events.lines()
    );
    assert!(
        events.contains("Medium VT0003 refused: data written by another program"),
        "{:?}",
        events.lines()
    );
    // The foreign data are intact.
    let status = s.lib.status().unwrap();
    let vt3 = status
        .slots
        .iter()
        .filter_map(|sl| sl.cartridge.as_ref())
        .find(|c| c.barcode.as_str() == "VT0003")
        .unwrap();
    assert_eq!(vt3.used, 4096 + 16);
}

#[test]
fn changer_out_of_media_closes_the_set_on_the_last_cartridge() {
    let s = Setup::new(2, 3 << 20);
    let clock = clock();
    let mut drive = s.lib.drive(0).unwrap();
    let mut policy = changer_chain(&s.lib);
    let mut events = EventLog::default();
    let report = run_backup(
        &job(&s.src()),
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert_eq!(report.outcome, BackupOutcome::Stopped(Stop::Abort));
    assert!(
        report.closed_early,
        "the changer declined before touching the full cartridge"
    );
    assert_eq!(report.media.len(), 2);
    assert!(
        events.contains("no blank or expired cartridge left"),
        "{:?}",
        events.lines()
    );
    let restore = run_restore(
        &RestoreJob::new("restore", s.dir.path().join("out")),
        RestoreContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut EventLog::default(),
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert!(
        restore.incomplete.is_some() && restore.files > 5 && restore.refused.len() <= 1,
        "{restore:?}"
    );
}

/// An operator who never answers and finally cancels.
struct GivesUp(backup_engine::ManualClock, usize);

impl Operator for GivesUp {
    fn notify(&mut self, _: &OperatorRequest) -> Result<(), NotifyError> {
        Ok(())
    }
    fn wait(&mut self, _: &OperatorRequest, until: std::time::SystemTime) -> OperatorReply {
        self.0.advance_to(until);
        self.1 += 1;
        if self.1 > 3 {
            OperatorReply::Cancel {
                reason: "operator gave up".into(),
            }
        } else {
            OperatorReply::Nothing
        }
    }
}

#[test]
fn an_operator_who_gives_up_stops_the_backup_and_what_was_written_restores() {
    let s = Setup::new(4, 3 << 20);
    s.lib.insert(0, InsertSource::NextBlank).unwrap();
    let clock = clock();
    let mut drive = s.lib.drive(0).unwrap();
    let mut prompt = PromptPolicy::new(
        GivesUp(clock.clone(), 0),
        PromptOptions::with_timeout(Duration::from_secs(3600)),
    );
    let mut events = EventLog::default();
    let report = run_backup(
        &job(&s.src()),
        BackupContext {
            drive: &mut drive,
            policy: &mut prompt,
            clock: &clock,
            events: &mut events,
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    assert_eq!(
        report.outcome,
        BackupOutcome::Stopped(Stop::Cancelled("operator gave up".into()))
    );
    assert!(
        !report.closed_early,
        "the full cartridge was already closed and ejected for the operator"
    );
    // The operator puts the cartridge back for the restore.
    drop(drive);
    s.lib
        .insert(0, InsertSource::Barcode(VolumeTag::new("VT0001").unwrap()))
        .unwrap();
    let mut drive = s.lib.drive(0).unwrap();
    let restore = run_restore(
        &RestoreJob::new("restore", s.dir.path().join("out")),
        RestoreContext {
            drive: &mut drive,
            policy: &mut AbortPolicy,
            clock: &clock,
            events: &mut EventLog::default(),
            catalog: Some(&s.catalog),
        },
    )
    .unwrap();
    let why = restore.incomplete.clone().unwrap();
    assert!(why.contains("media #2"), "{why}");
    assert!(restore.files > 3, "{restore:?}");
}

#[test]
fn names_that_are_not_utf8_survive_exactly() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let odd_dir = src.join(OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir_all(&odd_dir).unwrap();
    std::fs::write(
        odd_dir.join(OsStr::from_bytes(b"n\xffme")),
        b"latin-1 names",
    )
    .unwrap();
    std::fs::write(odd_dir.join("plain"), b"plain").unwrap();
    // Below a renamed directory, directories with plain names keep its real name too.
    std::fs::create_dir_all(odd_dir.join("sub/deeper")).unwrap();
    std::fs::write(odd_dir.join("sub/deeper/file"), b"two levels down").unwrap();
    let lib = small_library(dir.path(), 2);
    let catalog = Catalog::in_memory().unwrap();
    let out = dir.path().join("out");
    let (report, restore, events) = round_trip(&lib, &src, &out, &catalog);
    assert_eq!(report.outcome, BackupOutcome::Complete);
    assert!(restore.is_clean(), "{restore:?} {:?}", events.lines());
    let restored = out
        .join(src.strip_prefix("/").unwrap())
        .join(OsStr::from_bytes(b"caf\xe9"));
    assert_eq!(
        std::fs::read(restored.join(OsStr::from_bytes(b"n\xffme"))).unwrap(),
        b"latin-1 names"
    );
    assert_eq!(std::fs::read(restored.join("plain")).unwrap(), b"plain");
    assert_eq!(
        std::fs::read(restored.join("sub/deeper/file")).unwrap(),
        b"two levels down"
    );
}
#[test]
fn a_continuation_cartridge_that_refuses_its_first_block_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree::make(&src, 1_500_000, 5);
    let lib = small_library(dir.path(), 5);
    let mut early = tape_core::vtl::CartridgeFaults::default();
    early.early_warning_at = Some(6);
    lib.set_cartridge_faults(&VolumeTag::new("VT0001").unwrap(), early)
        .unwrap();
    let mut dead = tape_core::vtl::CartridgeFaults::default();
    dead.physical_end_at = Some(0);
    lib.set_cartridge_faults(&VolumeTag::new("VT0002").unwrap(), dead)
        .unwrap();
    let catalog = Catalog::in_memory().unwrap();
    let out = dir.path().join("out");
    let (report, restore, events) = round_trip(&lib, &src, &out, &catalog);
    assert_eq!(
        report.outcome,
        BackupOutcome::Complete,
        "{:?}",
        events.lines()
    );
    let used: Vec<(u16, String)> = report
        .media
        .iter()
        .map(|m| (m.sequence, m.barcode.clone().unwrap().to_string()))
        .collect();
    assert_eq!(
        used[..2],
        [(1, "VT0001".to_owned()), (2, "VT0003".to_owned())],
        "VT0002 took nothing: {used:?}"
    );
    assert!(restore.is_clean(), "{restore:?}\n{:?}", events.lines());
    assert_eq!(
        tree::describe(&out.join(src.strip_prefix("/").unwrap())),
        tree::describe(&src)
    );
}
