//! The virtual tape library: persistent cartridges, slots, drives, a robot, an early-warning
//! zone and injectable faults, stored in one directory. It is the embedded default device and
//! the stage on which every hard path of the engine is tested.
//!
//! # Layout of the directory
//!
//! ```text
//! DIR/library.json            where every cartridge is, drive state, injected faults
//! DIR/lock                    flock(2) taken for each state change (exclusive) or read (shared)
//! DIR/driveN.lock             held by the one process that has drive N open (holds its pid)
//! DIR/cartridges/VT0001.vtape one image per cartridge (format in the `image` module)
//! ```
//!
//! # Semantics
//!
//! A drive behaves like an SSC drive in variable-block mode as seen through Linux st
//! (scsi-tape.md §3), with the conditions normalised as [`TapeDrive`](crate::TapeDrive)
//! documents: a write that ends inside the early-warning zone succeeds and reports
//! [`WriteStatus::EarlyWarning`](crate::WriteStatus::EarlyWarning), as does every write after
//! it; a write that does not fit before the physical end is refused with
//! [`DeviceError::VolumeOverflow`](crate::DeviceError::VolumeOverflow) and nothing of it is
//! recorded; a write after repositioning erases everything after it; reads past the last record
//! report end of data. Each record costs its length plus 16 bytes of capacity, a filemark 16.
//!
//! Cartridges can be inserted and ejected by hand ([`VirtualLibrary::insert`],
//! [`VirtualLibrary::eject`]: stand-alone use) or moved by the robot ([`VirtualChanger`]).
//!
//! # Guarantees
//!
//! * Crash safety: a record torn by a crash is detected when the cartridge is next mounted and
//!   reported in [`MediumInfo::notice`](crate::MediumInfo::notice) and as a medium error when
//!   read; every record before it stays readable. Each record carries a CRC-32C, so later
//!   corruption of the image is a medium error on read, never silently wrong data.
//! * Concurrency: state changes are serialised by a lock on the directory; each drive is open
//!   in at most one process; each cartridge image is open in at most one drive handle.

mod changer;
mod drive;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod image;
mod library;
mod operator;
mod space;
mod state;

pub use changer::VirtualChanger;
pub use drive::VirtualDrive;
pub use error::VtlError;
pub use library::{LibraryConfig, VirtualLibrary};
pub use operator::{CartridgeReport, DriveReport, InsertSource, LibraryStatus, SlotReport};
pub use state::{CartridgeFaults, CartridgeState, DriveFaults, DriveState, LibraryState};
