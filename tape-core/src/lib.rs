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
//! * [`NullDrive`] keeps nothing (what feeds a drive, measured); [`RateModel`] wraps any drive
//!   in a model of a streaming drive and counts the underruns its feeder would cause.
//! * Plain types: [`BlockAddress`], [`VolumeTag`], [`MediumInfo`], [`DriveStatus`],
//!   [`ElementAddress`], [`ElementStatus`], [`Inventory`].
//!
//! Nothing in this crate knows SCSI or MTF. Real hardware lives in `tape-scsi`; the format in
//! `tape-format`.
//!
//! # What is pure and what does I/O
//!
//! The traits and the plain types are pure vocabulary. The implementations here do I/O: the
//! virtual library ([`vtl`]) on the files of its directory, [`FileDrive`] on `.bkf` files.
//! Every device is passed in by its caller (the engine takes `&mut dyn TapeDrive`), so a caller
//! can supply its own: an adapter over another drive, a drive in another process, a test double.
//! An implementation follows the call protocol of [`TapeDrive`] — above all, it reports early
//! warning, filemarks and end of data as the outcomes above, never as errors, and a write that
//! does not fit as [`DeviceError::VolumeOverflow`] with the bytes that reached the medium.
//!
//! # Example
//!
//! Write two records and a filemark on a cartridge of a virtual library, and read them back:
//!
//! ```
//! use tape_core::vtl::{InsertSource, LibraryConfig, VirtualLibrary};
//! use tape_core::{ReadStatus, TapeDrive, WriteStatus};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let library = VirtualLibrary::create(dir.path().join("lib"), &LibraryConfig::default())?;
//! library.insert(0, InsertSource::NextBlank)?; // an operator loads a blank cartridge
//! let mut drive = library.drive(0)?;
//!
//! for record in [&b"first"[..], b"second"] {
//!     match drive.write_block(record)? {
//!         WriteStatus::Written => {}
//!         // Not an error: the medium is nearly full; finish up and change media.
//!         WriteStatus::EarlyWarning => unreachable!("a 1 GiB cartridge"),
//!     }
//! }
//! let _ = drive.write_filemarks(1)?;
//! drive.rewind()?;
//!
//! let mut buf = vec![0; 64 << 10];
//! let mut records = Vec::new();
//! loop {
//!     match drive.read_block(&mut buf)? {
//!         ReadStatus::Data(n) => records.push(buf[..n].to_vec()),
//!         ReadStatus::Filemark | ReadStatus::EndOfData => break,
//!     }
//! }
//! assert_eq!(records, [b"first".to_vec(), b"second".to_vec()]);
//! # Ok(()) }
//! ```
//!
//! A real drive is opened the same way through `tape-scsi` (`StDrive`, `SgDrive`) and used
//! through the same trait. `backup-engine/examples/throttled_drive.rs` implements the trait
//! as an adapter around another drive.
//!
//! # Stability
//!
//! Errors, records and configuration structs are `#[non_exhaustive]` (construct configurations
//! from `Default` and set fields). [`WriteStatus`], [`ReadStatus`] and [`SpaceStatus`] are
//! exhaustive on purpose: they are the protocol, and every outcome must be handled.
//!
//! # The virtual library
//!
//! [`vtl`] is a persistent library in a directory — cartridges with capacity, an early-warning
//! zone and a write-protect tab, drives, slots, an import/export slot, a robot, and fault
//! injection — faithful enough that a tape filling mid-file, a wrong cartridge or a
//! write-protected one can be exercised anywhere. It is also the embedded default device.

#![deny(missing_docs)]

mod changer;
pub mod crashpoint;
mod drive;
mod element;
mod error;
mod file;
mod medium;
mod null;
mod rate;
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
pub use null::NullDrive;
pub use rate::{RateModel, RateStats};
pub use status::{ReadStatus, SpaceStatus, WriteStatus};
