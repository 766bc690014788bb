//! Appending sets (NTBackup `/A`): a new set goes after the last set of the family's last
//! medium, the earlier sets stay intact and restorable, the set map grows, and nothing is ever
//! written over a medium that does not end with a closed set.

use std::fs;
use std::path::{Path, PathBuf};

use backup_engine::backup::{
    AppendTo, BackupContext, BackupError, BackupJob, BackupOutcome, BackupReport, run_backup,
};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain};
use backup_engine::restore::{
    RestoreContext, RestoreJob, RestoreReport, SetSelection, run_restore,
};
use backup_engine::{EventLog, Selection};
use tape_core::vtl::{LibraryConfig, VirtualLibrary};
use tape_core::{FileDrive, ReadStatus, TapeDrive};
use tape_format::reader::{Event, MediaReader, ReaderOptions};

use crate::{clock, tree};

fn chain(lib: &VirtualLibrary) -> PolicyChain {
    PolicyChain::new()
        .then(ChangerPolicy::new(lib.changer(), 0, Box::new(NoDirectory)))
        .then(AbortPolicy)
}

struct Lib {
    dir: tempfile::TempDir,
    lib: VirtualLibrary,
    catalog: Catalog,
}

impl Lib {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = LibraryConfig::default();
        config.slots = 6;
        config.capacity = 1 << 20;
        config.early_warning = 64 << 10;
        let lib = VirtualLibrary::create(dir.path().join("lib"), &config).unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
        Self { dir, lib, catalog }
    }

    fn tree(&self, name: &str, bytes: usize, seed: u64) -> PathBuf {
        let root = self.dir.path().join(name);
        tree::make(&root, bytes, seed);
        root
    }

    fn backup(
        &self,
        root: &Path,
        append: Option<AppendTo>,
    ) -> Result<(BackupReport, Vec<String>), BackupError> {
        let mut job = BackupJob::new("append", Selection::new([root], [] as [&str; 0]).unwrap());
        job.options.block_size = 32 << 10;
        job.options.append = append;
        let mut drive = self.lib.drive(0).unwrap();
        let mut policy = chain(&self.lib);
        let mut events = EventLog::default();
        let report = run_backup(
            &job,
            BackupContext {
                drive: &mut drive,
                policy: &mut policy,
                clock: &clock(),
                events: &mut events,
                catalog: Some(&self.catalog),
            },
        )?;
        Ok((report, events.lines()))
    }

    fn restore(&self, family: u32, set: u16, out: &str) {
        let (report, log) = self.restore_sets(family, SetSelection::Number(set), out);
        assert!(report.is_clean(), "{report:?}\n{log:?}");
        assert_eq!(report.sets, vec![set]);
    }

    fn restore_sets(
        &self,
        family: u32,
        sets: SetSelection,
        out: &str,
    ) -> (RestoreReport, Vec<String>) {
        let mut drive = self.lib.drive(0).unwrap();
        let mut policy = chain(&self.lib);
        let mut job = RestoreJob::new("restore", self.dir.path().join(out));
        job.sets = sets;
        job.family = Some(family);
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
        (report, events.lines())
    }

    fn restored(&self, out: &str, root: &Path) -> PathBuf {
        self.dir
            .path()
            .join(out)
            .join(root.strip_prefix("/").unwrap())
    }
}

/// The set map on a medium read through `drive` (the last one written).
fn set_map_sets(drive: &mut dyn TapeDrive) -> Vec<u16> {
    drive.rewind().unwrap();
    let mut reader = MediaReader::new(ReaderOptions::default());
    let mut buf = vec![0u8; 1 << 20];
    let mut sets = Vec::new();
    loop {
        let n = match drive.read_block(&mut buf).unwrap() {
            ReadStatus::Data(n) => n,
            ReadStatus::Filemark => {
                reader.filemark();
                continue;
            }
            ReadStatus::EndOfData => break,
        };
        let mut input = &buf[..n];
        while !input.is_empty() {
            let step = reader.step(input).unwrap();
            input = &input[step.consumed..];
            if let Some(Event::SetMap(map)) = step.event {
                sets = map.entries.iter().map(|e| e.set_number).collect();
            } else if step.consumed == 0 {
                break;
            }
        }
    }
    sets
}

#[test]
fn an_appended_set_leaves_the_earlier_ones_intact_and_restorable() {
    let l = Lib::new();
    let first = l.tree("first", 1_300_000, 1);
    let second = l.tree("second", 900_000, 2);
    let third = l.tree("third", 200_000, 3);
    let (one, _) = l.backup(&first, None).unwrap();
    assert_eq!(one.media.len(), 2);
    let family = one.family;
    let (two, log) = l
        .backup(
            &second,
            Some(AppendTo::Family {
                family,
                sequence: None,
            }),
        )
        .unwrap();
    assert_eq!(two.outcome, BackupOutcome::Complete);
    assert_eq!(two.family, family);
    assert_eq!(two.set_number, 2);
    assert_eq!(two.media[0].sequence, 2, "appended on the last medium");
    assert_eq!(two.media[0].barcode, one.media[1].barcode);
    assert!(
        log.iter()
            .any(|l| l.contains("Appending set #2 after set #1 on media #2")),
        "{log:?}"
    );
    // The medium in the drive now holds the family's end: append to it as loaded.
    let (three, _) = l.backup(&third, Some(AppendTo::Loaded)).unwrap();
    assert_eq!((three.family, three.set_number), (family, 3));

    for (set, root) in [(1, &first), (2, &second), (3, &third)] {
        let out = format!("out{set}");
        l.restore(family, set, &out);
        assert_eq!(
            tree::describe(&l.restored(&out, root)),
            tree::describe(root),
            "set {set}"
        );
    }
    let sets = l.catalog.sets_of_family(family).unwrap();
    let numbers: Vec<u16> = sets.iter().map(|s| s.number).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    assert_eq!(sets[1].first_sequence, 2);

    // The set map on the family's last medium is cumulative over all three sets.
    let last = three.media.last().unwrap().barcode.clone().unwrap();
    // The backup left it in the drive.
    let mut drive = l.lib.drive(0).unwrap();
    let loaded = drive.status().unwrap().medium.unwrap().barcode;
    assert_eq!(loaded, Some(last));
    let in_map = set_map_sets(&mut drive);
    for set in [1, 2, 3] {
        assert!(
            in_map.contains(&set),
            "set {set} not in the set map {in_map:?}"
        );
    }
}

#[test]
fn a_medium_the_family_continues_from_is_never_appended_to() {
    let l = Lib::new();
    let first = l.tree("first", 1_300_000, 1);
    let (one, _) = l.backup(&first, None).unwrap();
    assert_eq!(one.media.len(), 2);
    let before = fs::read(l.dir.path().join(format!(
        "lib/cartridges/{}.vtape",
        one.media[0].barcode.clone().unwrap()
    )))
    .unwrap();
    // Put media #1 in the drive and ask to append to what is loaded.
    {
        use tape_core::MediaChanger;
        let mut changer = l.lib.changer();
        let mut drive = l.lib.drive(0).unwrap();
        let inv = changer.inventory().unwrap();
        let tape1 = one.media[0].barcode.clone();
        let at = |kind: tape_core::ElementKind, full: bool| {
            inv.elements
                .iter()
                .find(|e| e.kind == kind && e.full == full)
                .unwrap()
                .address
        };
        let (drive_el, empty_slot) = (
            at(tape_core::ElementKind::Drive, true),
            at(tape_core::ElementKind::Storage, false),
        );
        drive.unload().unwrap();
        changer.move_medium(drive_el, empty_slot).unwrap();
        let from = inv
            .elements
            .iter()
            .find(|e| e.volume_tag == tape1)
            .unwrap()
            .address;
        changer.move_medium(from, drive_el).unwrap();
        drive.load().unwrap();
    }
    let mut job = BackupJob::new("append", Selection::new([&first], [] as [&str; 0]).unwrap());
    job.options.append = Some(AppendTo::Loaded);
    let mut drive = l.lib.drive(0).unwrap();
    let mut policy = PolicyChain::new().then(AbortPolicy);
    let mut events = EventLog::default();
    let err = run_backup(
        &job,
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock(),
            events: &mut events,
            catalog: Some(&l.catalog),
        },
    )
    .unwrap_err();
    drop(drive);
    assert!(
        events
            .lines()
            .iter()
            .any(|l| l.contains("continues on media #2")),
        "{:?}",
        events.lines()
    );
    let text = err.to_string();
    assert!(text.contains("no medium"), "{text}");
    let after = fs::read(l.dir.path().join(format!(
        "lib/cartridges/{}.vtape",
        one.media[0].barcode.clone().unwrap()
    )))
    .unwrap();
    assert_eq!(before, after, "the full medium was not touched");
    // Set 1 still restores.
    l.restore(one.family, 1, "out");
    assert_eq!(
        tree::describe(&l.restored("out", &first)),
        tree::describe(&first)
    );
}

#[test]
fn a_medium_whose_last_set_was_never_closed_is_not_appended_to() {
    let l = Lib::new();
    let first = l.tree("first", 200_000, 1);
    let (one, _) = l.backup(&first, None).unwrap();
    // Cut the medium at its last filemark, as a crash before the ESET would leave it: the data
    // then end inside the set.
    let mut drive = l.lib.drive(0).unwrap();
    drive.rewind().unwrap();
    let mut marks = 0;
    while drive.space_filemarks(1).unwrap() == tape_core::SpaceStatus::Done {
        marks += 1;
    }
    assert_eq!(marks, 3);
    drive.rewind().unwrap();
    let _ = drive.space_filemarks(2).unwrap();
    let _ = drive.space_blocks(-1).unwrap();
    let _ = drive.space_blocks(-1).unwrap();
    let _ = drive.write_block(&vec![0u8; 32 << 10]).unwrap();
    drop(drive);
    let err = l
        .backup(
            &first,
            Some(AppendTo::Family {
                family: one.family,
                sequence: None,
            }),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("never closed")
            || err.to_string().contains("do not end with a closed set"),
        "{err}"
    );
}

#[test]
fn sets_append_to_a_bkf_file() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    tree::make(&first, 300_000, 4);
    tree::make(&second, 200_000, 5);
    let bkf = dir.path().join("backup.bkf");
    let run = |root: &Path, append: Option<AppendTo>| {
        let mut drive = FileDrive::open(vec![bkf.clone()], true).unwrap();
        let mut policy = PolicyChain::new().then(AbortPolicy);
        let mut job = BackupJob::new("bkf", Selection::new([root], [] as [&str; 0]).unwrap());
        job.options.append = append;
        let mut events = EventLog::default();
        let report = run_backup(
            &job,
            BackupContext {
                drive: &mut drive,
                policy: &mut policy,
                clock: &clock(),
                events: &mut events,
                catalog: None,
            },
        )
        .unwrap();
        assert_eq!(
            report.outcome,
            BackupOutcome::Complete,
            "{:?}",
            events.lines()
        );
        report
    };
    let one = run(&first, None);
    let len_one = fs::metadata(&bkf).unwrap().len();
    let prefix = fs::read(&bkf).unwrap();
    let two = run(&second, Some(AppendTo::Loaded));
    assert_eq!((two.family, two.set_number), (one.family, 2));
    let after = fs::read(&bkf).unwrap();
    assert_eq!(&after[..len_one as usize], &prefix[..], "set 1 untouched");
    for (set, root) in [(1u16, &first), (2, &second)] {
        let mut drive = FileDrive::open(vec![bkf.clone()], false).unwrap();
        let mut policy = PolicyChain::new().then(AbortPolicy);
        let out = dir.path().join(format!("out{set}"));
        let mut job = RestoreJob::new("r", &out);
        job.sets = SetSelection::Number(set);
        let mut events = EventLog::default();
        let report = run_restore(
            &job,
            RestoreContext {
                drive: &mut drive,
                policy: &mut policy,
                clock: &clock(),
                events: &mut events,
                catalog: None,
            },
        )
        .unwrap();
        assert!(report.is_clean(), "{report:?}\n{:?}", events.lines());
        assert_eq!(
            tree::describe(&out.join(root.strip_prefix("/").unwrap())),
            tree::describe(root)
        );
    }
}

/// Every set of a family restored at once, where a later set has a directory under a name an
/// earlier set had a file: the medium's order decides (the file stays; the directory and what
/// is in it are refused), and every file of both sets is counted once.
#[test]
fn restoring_every_set_follows_the_medium_order_when_a_name_changes_kind() {
    let l = Lib::new();
    let root = l.dir.path().join("tree");
    fs::create_dir_all(root.join("many")).unwrap();
    for i in 0..200 {
        fs::write(root.join(format!("many/f{i:03}")), format!("{i}")).unwrap();
    }
    fs::write(root.join("x"), b"a file first").unwrap();
    let (one, _) = l.backup(&root, None).unwrap();
    fs::remove_file(root.join("x")).unwrap();
    fs::create_dir(root.join("x")).unwrap();
    fs::write(root.join("x/inside"), b"then a directory").unwrap();
    let sets = Some(AppendTo::Family {
        family: one.family,
        sequence: None,
    });
    l.backup(&root, sets).unwrap();
    for round in 0..5 {
        let out = format!("all{round}");
        let (report, _) = l.restore_sets(one.family, SetSelection::All, &out);
        assert_eq!(report.sets, vec![1, 2]);
        let x = l.restored(&out, &root).join("x");
        assert_eq!(fs::read(&x).unwrap(), b"a file first", "round {round}");
        let refused: Vec<&str> = report.refused.iter().map(|(p, _)| p.as_str()).collect();
        assert!(
            refused.iter().any(|p| p.ends_with("/x"))
                && refused.iter().any(|p| p.ends_with("/x/inside")),
            "round {round}: {:?}",
            report.refused
        );
        assert_eq!(
            report.files,
            2 * 200 + 1,
            "round {round}: {:?}",
            report.refused
        );
    }
}
