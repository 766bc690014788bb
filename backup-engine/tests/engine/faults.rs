//! Faults during jobs (issue 9, item 4): a medium error on write and on read, a drive not ready
//! at the start and in the middle, a changer whose robot fails, a cartridge pulled out. Each
//! ends with a message that names the fault, at once (no policy here waits: the clock is a
//! manual one and nothing sleeps), and nothing written is lost: every file the job reports
//! written restores exactly, and the restore says what it could not restore.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use backup_engine::backup::{BackupContext, BackupError, BackupJob, BackupReport, run_backup};
use backup_engine::catalog::{Catalog, SetStatus};
use backup_engine::policy::{
    AbortPolicy, ChangerPolicy, MediaPolicy, NoDirectory, PolicyChain, PromptOptions, PromptPolicy,
};
use backup_engine::restore::{
    RestoreContext, RestoreError, RestoreJob, RestoreReport, run_restore,
};
use backup_engine::{EventLog, NotifyError, Operator, OperatorReply, OperatorRequest, Selection};
use tape_core::vtl::{CartridgeFaults, DriveFaults, InsertSource, LibraryConfig, VirtualLibrary};
use tape_core::{DeviceError, ElementAddress, Inventory, MediaChanger, TapeDrive, VolumeTag};

use crate::tripwire::{Tripwire, Wire};
use crate::{clock, tree};

pub(crate) struct Rig {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) lib: VirtualLibrary,
    pub(crate) catalog: Catalog,
}

impl Rig {
    /// A tree of `bytes` and a library of 1 MiB cartridges (early warning 192 KiB before the end).
    pub(crate) fn new(slots: u16, bytes: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        tree::make(&dir.path().join("src"), bytes, 21);
        let mut config = LibraryConfig::default();
        config.slots = slots;
        config.capacity = 1 << 20;
        config.early_warning = 192 << 10;
        let lib = VirtualLibrary::create(dir.path().join("lib"), &config).unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
        Self { dir, lib, catalog }
    }

    pub(crate) fn src(&self) -> PathBuf {
        self.dir.path().join("src")
    }

    pub(crate) fn chain(&self) -> PolicyChain {
        PolicyChain::new()
            .then(ChangerPolicy::new(
                self.lib.changer(),
                0,
                Box::new(NoDirectory),
            ))
            .then(AbortPolicy)
    }

    /// The changer, then a person who must never be asked (any request fails the test).
    pub(crate) fn chain_then_prompt(&self) -> PolicyChain {
        PolicyChain::new()
            .then(ChangerPolicy::new(
                self.lib.changer(),
                0,
                Box::new(NoDirectory),
            ))
            .then(PromptPolicy::new(
                NeverAsked,
                PromptOptions::with_timeout(Duration::from_secs(8 * 3600)),
            ))
    }

    pub(crate) fn backup(
        &self,
        drive: &mut dyn TapeDrive,
        policy: &mut dyn MediaPolicy,
    ) -> (Result<BackupReport, BackupError>, EventLog) {
        let mut job = BackupJob::new(
            "faults",
            Selection::new([self.src()], [] as [&str; 0]).unwrap(),
        );
        job.options.block_size = 64 << 10;
        let mut events = EventLog::default();
        let r = run_backup(
            &job,
            BackupContext {
                drive,
                policy,
                clock: &clock(),
                events: &mut events,
                catalog: Some(&self.catalog),
            },
        );
        (r, events)
    }

    pub(crate) fn restore(
        &self,
        drive: &mut dyn TapeDrive,
        policy: &mut dyn MediaPolicy,
        out: &str,
    ) -> (Result<RestoreReport, RestoreError>, EventLog) {
        let mut events = EventLog::default();
        let r = run_restore(
            &RestoreJob::new("faults", self.dir.path().join(out)),
            RestoreContext {
                drive,
                policy,
                clock: &clock(),
                events: &mut events,
                catalog: Some(&self.catalog),
            },
        );
        (r, events)
    }

    /// Where `out` holds the source tree.
    pub(crate) fn restored(&self, out: &str) -> PathBuf {
        self.dir
            .path()
            .join(out)
            .join(self.src().strip_prefix("/").unwrap())
    }

    /// Every regular file under `out` is the source's, byte for byte; no partial file is left
    /// (under a temporary name or its own). Returns how many files there are.
    pub(crate) fn exact_subset(&self, out: &str) -> usize {
        let original = tree::describe(&self.src());
        let restored = tree::describe(&self.restored(out));
        let unlinked = |w: &str| w.split(" links ").next().unwrap_or_default().to_owned();
        let mut files = 0;
        for (path, what) in &restored {
            assert!(!path.contains(".ntbackup-partial"), "left behind: {path}");
            if what.starts_with("file") {
                files += 1;
                assert_eq!(
                    Some(unlinked(what)),
                    original.get(path).map(|w| unlinked(w)),
                    "{path}"
                );
            }
        }
        files
    }

    pub(crate) fn set_status(&self) -> SetStatus {
        self.catalog.sets().unwrap().last().unwrap().status
    }
}

fn tag(s: &str) -> VolumeTag {
    VolumeTag::new(s).unwrap()
}

#[test]
fn a_medium_error_on_write_ends_the_job_clearly_and_what_was_written_restores() {
    let rig = Rig::new(4, 600_000);
    let mut faults = CartridgeFaults::default();
    faults.write_error_at = Some(5);
    rig.lib
        .set_cartridge_faults(&tag("VT0001"), faults)
        .unwrap();
    let mut policy = rig.chain();
    let mut drive = rig.lib.drive(0).unwrap();
    let (result, events) = rig.backup(&mut drive, &mut policy);
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("medium error at block 5"),
        "{err}\n{:?}",
        events.lines()
    );
    assert_eq!(rig.set_status(), SetStatus::Incomplete);
    // Nobody is asked for a media #2: the catalog knows the set stopped on media #1 (before,
    // a prompt waited its whole timeout for a medium that was never written).
    let mut policy = rig.chain_then_prompt();
    let (restore, events) = rig.restore(&mut drive, &mut policy, "out");
    let restore = restore.unwrap();
    let why = restore.incomplete.clone().unwrap_or_default();
    assert!(
        why.contains("never completed") && why.contains("stopped on media #1"),
        "{restore:?}\n{:?}",
        events.lines()
    );
    assert_eq!(
        restore.refused.len(),
        1,
        "the file being written: {restore:?}"
    );
    assert!(rig.exact_subset("out") >= 3, "{restore:?}");
}

/// An operator who must not be needed.
struct NeverAsked;

impl Operator for NeverAsked {
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError> {
        panic!("asked for {}", request.describe());
    }
    fn wait(&mut self, _: &OperatorRequest, _: SystemTime) -> OperatorReply {
        OperatorReply::Nothing
    }
}

/// A tree of five files (the largest 300 000 bytes) that fits one cartridge.
const ONE_CARTRIDGE: usize = 369_000;

/// Backs the rig's tree up on VT0001 (it fits), returning the drive.
fn backed_up(rig: &Rig) -> tape_core::vtl::VirtualDrive {
    let mut policy = rig.chain();
    let mut drive = rig.lib.drive(0).unwrap();
    let (report, events) = rig.backup(&mut drive, &mut policy);
    let report = report.unwrap();
    assert_eq!(report.media.len(), 1, "{:?}", events.lines());
    drive
}

#[test]
fn a_medium_error_on_read_loses_only_the_file_it_hits() {
    let rig = Rig::new(4, ONE_CARTRIDGE);
    let mut drive = backed_up(&rig);
    let set = rig.catalog.sets().unwrap()[0].id;
    let largest = rig
        .catalog
        .entries(set)
        .unwrap()
        .into_iter()
        .max_by_key(|e| e.size)
        .unwrap();
    assert!(largest.size > 200_000, "{largest:?}");
    let mut faults = CartridgeFaults::default();
    faults.read_error_at = Some(largest.block + 2);
    rig.lib
        .set_cartridge_faults(&tag("VT0001"), faults)
        .unwrap();
    let mut policy = rig.chain();
    let (restore, events) = rig.restore(&mut drive, &mut policy, "out");
    let restore = restore.unwrap();
    let name = String::from_utf8_lossy(&largest.path).into_owned();
    let name = name.trim_start_matches('/');
    // One loss, said once (not again as a stream cut short at the next DBLK).
    assert_eq!(restore.damaged.len(), 1, "{restore:?}");
    assert!(
        restore.damaged[0].contains("medium error at block"),
        "{restore:?}"
    );
    assert_eq!(
        restore.refused.len(),
        1,
        "{restore:?}\n{:?}",
        events.lines()
    );
    assert!(restore.refused[0].0.ends_with(name), "{restore:?}");
    assert!(
        restore.refused[0].1.contains("could not be read"),
        "{restore:?}"
    );
    assert!(restore.incomplete.is_none(), "{restore:?}");
    // Every other file restores: reading resumed at the next DBLK.
    let files = tree::describe(&rig.src())
        .values()
        .filter(|w| w.starts_with("file"))
        .count();
    assert_eq!(rig.exact_subset("out"), files - 1);
}

#[test]
fn a_drive_not_ready_at_the_start_says_so_at_once() {
    let rig = Rig::new(4, 100_000);
    rig.lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut faults = DriveFaults::default();
    faults.not_ready = true;
    rig.lib.set_drive_faults(0, faults).unwrap();
    let mut drive = rig.lib.drive(0).unwrap();
    let (result, events) = rig.backup(&mut drive, &mut AbortPolicy);
    let err = result.unwrap_err().to_string();
    assert!(err.contains("not ready"), "{err}\n{:?}", events.lines());
    // The changer loads a cartridge, the drive still refuses it: the job ends saying why.
    let mut policy = rig.chain();
    let (result, events) = rig.backup(&mut drive, &mut policy);
    let err = result.unwrap_err().to_string();
    assert!(err.contains("not ready"), "{err}\n{:?}", events.lines());
    assert!(rig.catalog.sets().unwrap().is_empty(), "no set was started");
}

#[test]
fn a_drive_that_stops_being_ready_mid_backup_ends_it_clearly_and_what_was_written_restores() {
    let rig = Rig::new(4, 600_000);
    let lib = rig.lib.clone();
    let inner = rig.lib.drive(0).unwrap();
    let mut drive = Tripwire::new(inner, Wire::Write(6), move || {
        let mut f = DriveFaults::default();
        f.not_ready = true;
        lib.set_drive_faults(0, f).unwrap();
    });
    let mut policy = rig.chain_then_prompt();
    let (result, events) = rig.backup(&mut drive, &mut policy);
    assert!(drive.fired());
    drop(drive);
    let err = result.unwrap_err().to_string();
    assert!(err.contains("not ready"), "{err}\n{:?}", events.lines());
    assert_eq!(rig.set_status(), SetStatus::Incomplete);
    rig.lib.set_drive_faults(0, DriveFaults::default()).unwrap();
    let mut drive = rig.lib.drive(0).unwrap();
    let (restore, events) = rig.restore(&mut drive, &mut policy, "out");
    let restore = restore.unwrap();
    assert!(
        restore.incomplete.is_some(),
        "{restore:?}\n{:?}",
        events.lines()
    );
    assert!(rig.exact_subset("out") >= 3, "{restore:?}");
}

#[test]
fn a_drive_that_stops_being_ready_mid_restore_ends_it_clearly_leaving_no_partial_file() {
    let rig = Rig::new(4, ONE_CARTRIDGE);
    let drive = backed_up(&rig);
    let lib = rig.lib.clone();
    let mut drive = Tripwire::new(drive, Wire::Read(8), move || {
        let mut f = DriveFaults::default();
        f.not_ready = true;
        lib.set_drive_faults(0, f).unwrap();
    });
    let mut policy = rig.chain_then_prompt();
    let (result, events) = rig.restore(&mut drive, &mut policy, "out");
    let err = result.unwrap_err().to_string();
    assert!(err.contains("not ready"), "{err}\n{:?}", events.lines());
    rig.exact_subset("out");
}

#[test]
fn a_cartridge_pulled_out_mid_backup_ends_it_clearly_and_what_was_written_restores() {
    let rig = Rig::new(4, 600_000);
    let lib = rig.lib.clone();
    let inner = rig.lib.drive(0).unwrap();
    let mut drive = Tripwire::new(inner, Wire::Write(6), move || {
        lib.eject(0, true).unwrap();
    });
    let mut policy = rig.chain_then_prompt();
    let (result, events) = rig.backup(&mut drive, &mut policy);
    assert!(drive.fired());
    drop(drive);
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("no medium") || err.contains("changed"),
        "{err}\n{:?}",
        events.lines()
    );
    assert_eq!(rig.set_status(), SetStatus::Incomplete);
    // The restore fetches the cartridge with the changer and reads what was written.
    let mut drive = rig.lib.drive(0).unwrap();
    let (restore, events) = rig.restore(&mut drive, &mut policy, "out");
    let restore = restore.unwrap();
    assert!(
        restore.incomplete.is_some(),
        "{restore:?}\n{:?}",
        events.lines()
    );
    assert!(rig.exact_subset("out") >= 3, "{restore:?}");
}

#[test]
fn a_cartridge_pulled_out_mid_restore_ends_it_clearly_leaving_no_partial_file() {
    let rig = Rig::new(4, ONE_CARTRIDGE);
    let drive = backed_up(&rig);
    let lib = rig.lib.clone();
    let mut drive = Tripwire::new(drive, Wire::Read(8), move || {
        lib.eject(0, true).unwrap();
    });
    let mut policy = rig.chain_then_prompt();
    let (result, events) = rig.restore(&mut drive, &mut policy, "out");
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("no medium") || err.contains("changed"),
        "{err}\n{:?}",
        events.lines()
    );
    rig.exact_subset("out");
}

/// A robot that cannot move cartridges any more.
struct BrokenRobot<C>(C);

impl<C: MediaChanger> MediaChanger for BrokenRobot<C> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn inventory(&mut self) -> Result<Inventory, DeviceError> {
        self.0.inventory()
    }
    fn move_medium(&mut self, _: ElementAddress, _: ElementAddress) -> Result<(), DeviceError> {
        Err(DeviceError::Hardware("gripper jammed".into()))
    }
}

#[test]
fn a_changer_that_cannot_move_ends_the_backup_clearly_and_what_was_written_restores() {
    let rig = Rig::new(6, 2 << 20);
    rig.lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut policy = PolicyChain::new()
        .then(ChangerPolicy::new(
            BrokenRobot(rig.lib.changer()),
            0,
            Box::new(NoDirectory),
        ))
        .then(AbortPolicy);
    let mut drive = rig.lib.drive(0).unwrap();
    let (report, events) = rig.backup(&mut drive, &mut policy);
    let report = report.unwrap();
    assert!(
        matches!(
            report.outcome,
            backup_engine::backup::BackupOutcome::Stopped(_)
        ),
        "{report:?}"
    );
    assert!(events.contains("gripper jammed"), "{:?}", events.lines());
    assert_eq!(rig.set_status(), SetStatus::Incomplete);
    let mut policy = rig.chain_then_prompt();
    let (restore, events) = rig.restore(&mut drive, &mut policy, "out");
    let restore = restore.unwrap();
    assert!(
        restore.incomplete.is_some(),
        "{restore:?}\n{:?}",
        events.lines()
    );
    assert!(rig.exact_subset("out") >= 3, "{restore:?}");
}

#[test]
fn a_changer_that_cannot_load_the_first_medium_says_why() {
    let rig = Rig::new(4, 100_000);
    let mut policy = PolicyChain::new()
        .then(ChangerPolicy::new(
            BrokenRobot(rig.lib.changer()),
            0,
            Box::new(NoDirectory),
        ))
        .then(AbortPolicy);
    let mut drive = rig.lib.drive(0).unwrap();
    let (result, events) = rig.backup(&mut drive, &mut policy);
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("gripper jammed") || events.contains("gripper jammed"),
        "{err}\n{:?}",
        events.lines()
    );
}
