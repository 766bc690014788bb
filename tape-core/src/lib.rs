//! The tape device model every layer of ntbackup-rs speaks, and the virtual tape library.
//!
//! # The model
//!
//! * [`TapeDrive`] — a sequential-access device in SSC / Linux st verbs: write a block, write
//!   filemarks, read a block, space, locate, rewind, load, unload. Its documentation is the call
//!   protocol every implementation follows (early warning, physical end, filemarks, end of
//!   data, partial writes, medium changes).
//! * [`MediaChanger`] — a library robot in SMC verbs: read the inventory, move a medium.
//! * Tape **conditions are outcomes, not errors**: [`WriteStatus::EarlyWarning`],
//!   [`ReadStatus::Filemark`], [`ReadStatus::EndOfData`] and the [`SpaceStatus`] variants are
//!   values a caller must look at. [`DeviceError`] holds only real failures, so `?` cannot turn
//!   "the tape is full" into "the backup failed".
//! * Plain types: [`BlockAddress`], [`VolumeTag`], [`MediumInfo`], [`DriveStatus`],
//!   [`ElementAddress`], [`ElementStatus`], [`Inventory`].
//!
//! Nothing in this crate knows SCSI or MTF. Real hardware lives in `tape-scsi`; the format in
//! `tape-format`.
//!
//! # The virtual library
//!
//! [`vtl`] is a persistent library in a directory — cartridges with capacity, an early-warning
//! zone and a write-protect tab, drives, slots, an import/export slot, a robot, and fault
//! injection — faithful enough that a tape filling mid-file, a wrong cartridge or a
//! write-protected one can be exercised anywhere. It is also the embedded default device.

mod changer;
pub mod crashpoint;
mod drive;
mod element;
mod error;
mod file;
mod medium;
mod status;
pub mod vtl;

pub use changer::MediaChanger;
pub use drive::TapeDrive;
pub use element::{ElementAddress, ElementKind, ElementStatus, Inventory};
pub use error::{DeviceError, SenseSummary};
pub use file::{BKF_BLOCK, FileDrive};
pub use medium::{
    BlockAddress, Capacity, DriveCapabilities, DriveStatus, InvalidVolumeTag, MediumInfo,
    MediumKind, TapePosition, VolumeTag,
};
pub use status::{ReadStatus, SpaceStatus, WriteStatus};
