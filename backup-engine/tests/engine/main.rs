//! Scenario tests of the engine on virtual libraries, with an injected clock: no test sleeps.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod append;
mod catalog;
mod crash;
mod faults;
mod locate;
mod policy;
mod rebuild;
mod rebuild_damage;
mod rebuild_media;
mod scenario;
mod tree;
mod tripwire;
mod types;
mod verify;
mod walk;

use std::time::{Duration, SystemTime};

use backup_engine::ManualClock;
use tape_core::vtl::{LibraryConfig, VirtualLibrary};

pub(crate) fn library(slots: u16) -> (tempfile::TempDir, VirtualLibrary) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = LibraryConfig::default();
    config.slots = slots;
    config.capacity = 1 << 20;
    config.early_warning = 64 << 10;
    let lib = VirtualLibrary::create(dir.path().join("lib"), &config).unwrap();
    (dir, lib)
}

pub(crate) fn clock() -> ManualClock {
    ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000))
}
