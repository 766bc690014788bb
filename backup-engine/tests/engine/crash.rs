//! What a crash leaves on a virtual cartridge — its data ending in a record torn halfway — read
//! back by a restore and a rebuild, and the catalog's steps that a crash may cut between. The
//! crashes themselves (real process deaths at named points and by SIGKILL) are in
//! `ntbackup-cli/tests/cli/crash.rs`; these are the engine-level regressions they found.

use std::fs;

use backup_engine::backup::AppendTo;
use backup_engine::catalog::{Catalog, MediumRecord, SetEnd, SetRecord, SetStatus};
use backup_engine::rebuild::{RebuildContext, RebuildJob, RebuildMedia, run_rebuild};
use backup_engine::{EventLog, Selection};
use tape_core::VolumeTag;
use tape_core::vtl::VirtualLibrary;

use crate::clock;
use crate::faults::Rig;

fn tag(s: &str) -> VolumeTag {
    VolumeTag::new(s).unwrap()
}

/// Cuts a cartridge image inside a record near `fraction` of its length, as a power cut during
/// a write does (the record's header and part of its data are on disk, the rest never was).
fn tear(lib: &VirtualLibrary, barcode: &str, fraction: f64) -> u64 {
    let path = lib.image_path(&tag(barcode));
    let len = fs::metadata(&path).unwrap().len();
    let cut = (len as f64 * fraction) as u64 + 7;
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(cut)
        .unwrap();
    cut
}

fn rebuild(
    lib: &VirtualLibrary,
    catalog: &Catalog,
) -> (backup_engine::rebuild::RebuildReport, EventLog) {
    let mut drive = lib.drive(0).unwrap();
    let mut policy = backup_engine::policy::PolicyChain::new()
        .then(backup_engine::policy::ChangerPolicy::new(
            lib.changer(),
            0,
            Box::new(backup_engine::policy::NoDirectory),
        ))
        .then(backup_engine::policy::AbortPolicy);
    let job = RebuildJob::new("rebuild", RebuildMedia::Barcodes(vec![tag("VT0001")]));
    let mut events = EventLog::default();
    let report = run_rebuild(
        &job,
        RebuildContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock(),
            events: &mut events,
            catalog,
        },
    )
    .unwrap();
    (report, events)
}

#[test]
fn a_restore_and_a_rebuild_end_at_a_record_torn_by_a_crash() {
    let rig = Rig::new(4, 369_000);
    let mut policy = rig.chain();
    let mut drive = rig.lib.drive(0).unwrap();
    let (report, events) = rig.backup(&mut drive, &mut policy);
    assert_eq!(report.unwrap().media.len(), 1, "{:?}", events.lines());
    drop(drive);
    tear(&rig.lib, "VT0001", 0.6);

    // The drive reports the torn record as a medium error and stays there; the restore must
    // read that as the end of the data (it used to ask again forever, its warnings filling
    // memory).
    let mut drive = rig.lib.drive(0).unwrap();
    let (restore, events) = rig.restore(&mut drive, &mut rig.chain(), "out");
    let restore = restore.unwrap();
    let torn = events
        .lines()
        .iter()
        .filter(|l| l.contains("torn by a crash"))
        .count();
    assert!((1..=3).contains(&torn), "said once: {:?}", events.lines());
    assert!(restore.incomplete.is_some(), "{restore:?}");
    let files = rig.exact_subset("out");
    assert!(files >= 2, "the files before the tear restore: {files}");
    drop(drive);

    // A rebuild scans up to the tear, once, and finds the set cut off.
    let catalog = Catalog::in_memory().unwrap();
    let (report, events) = rebuild(&rig.lib, &catalog);
    let unreadable = report
        .warnings
        .iter()
        .filter(|w| w.contains("cannot be read"))
        .count();
    assert_eq!(unreadable, 1, "{:?}", events.lines());
    let sets = catalog.sets().unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].status, SetStatus::Incomplete);
    assert!(sets[0].files >= files as u64, "{:?}", sets[0]);
}

#[test]
fn a_rebuild_finds_a_set_cut_off_after_the_tape_catalog_of_the_sets_before() {
    let rig = Rig::new(4, 150_000);
    let mut policy = rig.chain();
    let mut drive = rig.lib.drive(0).unwrap();
    let (first, _) = rig.backup(&mut drive, &mut policy);
    first.unwrap();
    // A second set appended after the first one's tape catalog, then torn.
    let mut job = backup_engine::backup::BackupJob::new(
        "appended",
        Selection::new([rig.src()], [] as [&str; 0]).unwrap(),
    );
    job.options.block_size = 64 << 10;
    job.options.append = Some(AppendTo::Loaded);
    let mut events = EventLog::default();
    let before = fs::metadata(rig.lib.image_path(&tag("VT0001")))
        .unwrap()
        .len();
    backup_engine::backup::run_backup(
        &job,
        backup_engine::backup::BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock(),
            events: &mut events,
            catalog: Some(&rig.catalog),
        },
    )
    .unwrap();
    drop(drive);
    let after = fs::metadata(rig.lib.image_path(&tag("VT0001")))
        .unwrap()
        .len();
    // Into the appended set's file data, well before its own filemarks.
    tear(
        &rig.lib,
        "VT0001",
        (before + (after - before) / 2) as f64 / after as f64,
    );

    // The two filemarks before the data's end still enclose the first set's Set Map, which
    // knows nothing of the second: the family must be scanned, not read through that map.
    let catalog = Catalog::in_memory().unwrap();
    let (report, events) = rebuild(&rig.lib, &catalog);
    let family = &report.families[0];
    assert!(
        family
            .scanned_because
            .as_deref()
            .is_some_and(|why| why.contains("after its tape catalog")),
        "{:?}",
        events.lines()
    );
    let sets = catalog.sets().unwrap();
    let status: Vec<(String, SetStatus)> = sets.iter().map(|s| (s.job.clone(), s.status)).collect();
    assert_eq!(
        status,
        [
            ("faults".to_owned(), SetStatus::Complete),
            ("appended".to_owned(), SetStatus::Incomplete)
        ]
    );
}

#[test]
fn the_catalog_steps_a_crash_can_fall_between_are_each_atomic() {
    let c = Catalog::in_memory().unwrap();
    let set = SetRecord::new(7, 1, "job", "", "normal", 1_700_000_000, 1);
    let id = c.begin_set(&set).unwrap();
    // A medium is recorded and the running set extended to it in one step.
    c.extend_set(id, &MediumRecord::new(7, 1, Some(tag("VT0001")), "m", 1))
        .unwrap();
    c.extend_set(id, &MediumRecord::new(7, 2, Some(tag("VT0002")), "m", 1))
        .unwrap();
    let s = c.set(id).unwrap().unwrap();
    assert_eq!((s.first_sequence, s.last_sequence), (1, 2));
    assert_eq!(c.media(7).unwrap().len(), 2);

    // What a dead run staged is forgotten when it is marked interrupted.
    let state = backup_engine::catalog::ArchiveState::new(1, 2, 3, 4, 5);
    c.stage(id, &[(b"/a".to_vec(), state)]).unwrap();
    assert_eq!(c.mark_interrupted(|_| false).unwrap(), 1);
    assert_eq!(c.set(id).unwrap().unwrap().status, SetStatus::Interrupted);
    let again = c.begin_set(&SetRecord::new(7, 2, "job", "", "normal", 1_700_000_100, 2));
    let again = again.unwrap();
    c.close_set(
        again,
        &SetEnd::new(SetStatus::Complete, 2, 0, 0, 1),
        Some(&[b"/a".to_vec()]),
    )
    .unwrap();
    assert_eq!(
        c.archive_state(b"/a").unwrap(),
        None,
        "nothing of the dead run"
    );

    // A completed set and the archive state it made are one step.
    c.stage(again, &[(b"/a".to_vec(), state)]).unwrap();
    c.close_set(
        again,
        &SetEnd::new(SetStatus::Complete, 2, 1, 3, 2),
        Some(&[b"/a".to_vec()]),
    )
    .unwrap();
    assert_eq!(c.archive_state(b"/a").unwrap(), Some(state));
    assert_eq!(c.set(again).unwrap().unwrap().status, SetStatus::Complete);
}
