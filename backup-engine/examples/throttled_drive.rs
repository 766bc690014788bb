//! A custom [`TapeDrive`]: an adapter that holds any drive to a given transfer rate.
//!
//! The engine only ever sees `&mut dyn TapeDrive`, so anything implementing the trait's call
//! protocol can carry a job: a drive in another process, one behind a network protocol, or —
//! here — a wrapper that throttles a virtual drive to 8 MiB/s (to leave bandwidth to others,
//! or to see how a job behaves on a slow drive). Every verb is forwarded unchanged; tape
//! conditions (early warning, filemarks, end of data) are outcomes the wrapper passes through
//! as they come, and so are the errors.
//!
//! A backup and a restore run through the wrapper; the example asserts that the bytes restored
//! equal the originals, that every block went through the throttle, and that the job took at
//! least as long as the rate allows.
//!
//! Run it with `cargo run -p backup-engine --example throttled_drive`.
#![allow(clippy::print_stdout)] // an example reports on standard output

mod common;

use std::error::Error;
use std::time::{Duration, Instant};

use backup_engine::backup::{BackupContext, BackupJob, BackupOutcome, run_backup};
use backup_engine::policy::{AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain};
use backup_engine::restore::{RestoreContext, RestoreJob, run_restore};
use backup_engine::{EventLog, Selection, SystemClock};
use tape_core::vtl::{LibraryConfig, VirtualLibrary};
use tape_core::{
    BlockAddress, DeviceError, DriveCapabilities, DriveStatus, ReadStatus, SpaceStatus, TapeDrive,
    WriteStatus,
};

/// Holds `inner` to `rate` bytes per second, reads and writes together.
struct Throttled<D> {
    inner: D,
    rate: u64,
    name: String,
    since: Instant,
    /// Bytes moved since `since`.
    moved: u64,
    /// Blocks written and read through the adapter.
    blocks: u64,
}

impl<D: TapeDrive> Throttled<D> {
    fn new(inner: D, rate: u64) -> Self {
        let name = format!("{} (throttled to {} KiB/s)", inner.name(), rate >> 10);
        Self {
            inner,
            rate,
            name,
            since: Instant::now(),
            moved: 0,
            blocks: 0,
        }
    }

    /// Accounts for `bytes` and sleeps until the rate allows them.
    fn pace(&mut self, bytes: usize) {
        self.blocks += 1;
        self.moved += bytes as u64;
        let due = self.since + Duration::from_secs_f64(self.moved as f64 / self.rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            // The engine never sleeps; a device may. This adapter is the device side.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(wait);
        }
    }
}

impl<D: TapeDrive> TapeDrive for Throttled<D> {
    fn name(&self) -> &str {
        &self.name
    }
    fn capabilities(&self) -> DriveCapabilities {
        self.inner.capabilities()
    }
    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        self.inner.status()
    }
    fn load(&mut self) -> Result<(), DeviceError> {
        self.inner.load()
    }
    fn unload(&mut self) -> Result<(), DeviceError> {
        self.inner.unload()
    }
    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.inner.rewind()
    }
    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        self.inner.position()
    }
    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError> {
        self.inner.locate(address)
    }
    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.inner.space_blocks(count)
    }
    fn space_filemarks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.inner.space_filemarks(count)
    }
    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.inner.space_to_end_of_data()
    }
    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        // The outcome (Written or EarlyWarning) and any error go back to the engine unchanged.
        let status = self.inner.write_block(block)?;
        self.pace(block.len());
        Ok(status)
    }
    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        self.inner.write_filemarks(count)
    }
    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        let status = self.inner.read_block(buf)?;
        if let ReadStatus::Data(n) = status {
            self.pace(n);
        }
        Ok(status)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    const RATE: u64 = 8 << 20;
    let tmp = tempfile::tempdir()?;
    let src = tmp.path().join("src");
    common::make_tree(&src, 1 << 20)?;
    let mut config = LibraryConfig::default();
    config.slots = 2;
    config.capacity = 64 << 20;
    config.early_warning = 1 << 20;
    let library = VirtualLibrary::create(tmp.path().join("library"), &config)?;

    let mut drive = Throttled::new(library.drive(0)?, RATE);
    let mut policy = PolicyChain::new()
        .then(ChangerPolicy::new(
            library.changer(),
            0,
            Box::new(NoDirectory),
        ))
        .then(AbortPolicy);
    let started = Instant::now();
    let mut job = BackupJob::new("throttled", Selection::new([&src], [] as [&str; 0])?);
    job.options.block_size = 64 << 10;
    let report = run_backup(
        &job,
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut EventLog::default(),
            catalog: None,
        },
    )?;
    assert_eq!(report.outcome, BackupOutcome::Complete);
    let (written, blocks) = (drive.moved, drive.blocks);
    println!(
        "backup: {} files, {written} bytes in {blocks} blocks through {} in {:.2?}",
        report.files,
        drive.name(),
        started.elapsed()
    );
    assert!(
        written >= report.bytes,
        "every byte went through the adapter"
    );
    assert!(
        started.elapsed() >= Duration::from_secs_f64(written as f64 / RATE as f64),
        "the drive was held to its rate"
    );

    // Without a catalog the restore reads every set on the medium in the drive.
    let out = tmp.path().join("restored");
    let restored = run_restore(
        &RestoreJob::new("throttled", &out),
        RestoreContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut EventLog::default(),
            catalog: None,
        },
    )?;
    assert!(restored.is_clean(), "{restored:?}");
    assert!(
        drive.blocks > blocks,
        "the restore read through the adapter"
    );
    let back = out.join(src.strip_prefix("/")?);
    assert_eq!(common::contents(&back)?, common::contents(&src)?);
    println!(
        "ok: {} files restored byte for byte; {} bytes moved in all",
        restored.files, drive.moved
    );
    Ok(())
}
