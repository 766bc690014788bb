//! The smallest complete use of the engine: back a directory up to a virtual tape library and
//! restore it, byte for byte.
//!
//! Everything lives in a temporary directory: the tree to back up, the library (small
//! cartridges, so the set spans several of them through the library's robot), the SQLite
//! catalog and the restore target.
//!
//! Run it with `cargo run -p backup-engine --example backup_restore`.
#![allow(clippy::print_stdout)] // an example reports on standard output

mod common;

use std::error::Error;

use backup_engine::backup::{BackupContext, BackupJob, BackupOutcome, run_backup};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{AbortPolicy, ChangerPolicy, PolicyChain};
use backup_engine::restore::{RestoreContext, RestoreJob, run_restore};
use backup_engine::{EventLog, Selection, SystemClock};
use tape_core::vtl::{LibraryConfig, VirtualLibrary};

fn main() -> Result<(), Box<dyn Error>> {
    let tmp = tempfile::tempdir()?;
    let src = tmp.path().join("src");
    common::make_tree(&src, 3 << 20)?;

    // A library of 1 MiB cartridges whose early warning comes 192 KiB before the end.
    let mut config = LibraryConfig::default();
    config.slots = 8;
    config.capacity = 1 << 20;
    config.early_warning = 192 << 10;
    let library = VirtualLibrary::create(tmp.path().join("library"), &config)?;
    let catalog_path = tmp.path().join("catalog.sqlite");
    let catalog = Catalog::open(&catalog_path)?;

    // The drive starts empty: the changer policy loads a blank cartridge, and the next one at
    // each early warning; when the library has none left, the set is closed (abort). The
    // changer asks the catalog (its own connection) which cartridges hold live sets.
    let mut drive = library.drive(0)?;
    let mut policy = PolicyChain::new()
        .then(ChangerPolicy::new(
            library.changer(),
            0,
            Box::new(Catalog::open(&catalog_path)?),
        ))
        .then(AbortPolicy);
    let mut events = EventLog::default();

    let mut job = BackupJob::new("example", Selection::new([&src], [] as [&str; 0])?);
    job.options.block_size = 64 << 10;
    let report = run_backup(
        &job,
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut events,
            catalog: Some(&catalog),
        },
    )?;
    for line in events.lines() {
        println!("backup: {line}");
    }
    assert_eq!(report.outcome, BackupOutcome::Complete);
    assert!(
        report.media.len() >= 3,
        "3 MiB on 1 MiB cartridges spans at least 3 of them, got {}",
        report.media.len()
    );
    println!(
        "backed up {} files, {} bytes, on {} cartridges",
        report.files,
        report.bytes,
        report.media.len()
    );

    // Restore the newest set: the catalog says which cartridges hold it, the changer fetches
    // them in order.
    let out = tmp.path().join("restored");
    let mut events = EventLog::default();
    let restored = run_restore(
        &RestoreJob::new("example", &out),
        RestoreContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut events,
            catalog: Some(&catalog),
        },
    )?;
    assert!(restored.is_clean(), "{restored:?}");
    assert_eq!(restored.files, report.files);

    // Absolute paths are restored under the target without their leading `/`.
    let back = out.join(src.strip_prefix("/")?);
    assert_eq!(
        common::contents(&back)?,
        common::contents(&src)?,
        "restored byte for byte"
    );
    println!(
        "ok: restored {} files from media {:?}, byte for byte",
        restored.files, restored.media
    );
    Ok(())
}
