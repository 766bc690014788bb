//! Real tape hardware for ntbackup-rs: tape drives through the Linux st driver and through
//! SG_IO, media changers through SG_IO or a Bacula `mtx-changer` script.
//!
//! # What is pure and what does I/O
//!
//! * Pure, tested on synthetic and captured bytes, compiled everywhere: the CDB builders
//!   ([`cdb`]), the sense decoder ([`sense`]), the **one** mapping from sense to `tape-core`
//!   outcomes and errors ([`map`]), the page decoders ([`page`], [`element`]), and the parsers
//!   of `mtx-changer` output ([`script`]).
//! * I/O: [`StDrive`] (`/dev/nstN`: read/write plus the st ioctls), [`SgDrive`] and
//!   [`SgChanger`] (SG_IO on `/dev/sgN`, or any [`transport::ScsiTransport`]),
//!   [`ScriptChanger`] (runs a script), [`discover`] (reads sysfs and `/dev/tape/by-id`).
//!   All `unsafe` is in the private `sys` module (ioctl and SG_IO).
//!
//! # The call protocol
//!
//! The drives implement [`tape_core::TapeDrive`] and the changers [`tape_core::MediaChanger`];
//! their documentation is the protocol. In particular early warning is reported on the write
//! that crossed it and every write after it, physical end is
//! [`tape_core::DeviceError::VolumeOverflow`] with the block not written, and end of data is
//! [`tape_core::ReadStatus::EndOfData`] every time it is read. How st's and SG_IO's answers are
//! brought to that protocol is described on [`StDrive`] and [`SgDrive`].
//!
//! Waiting is bounded and configurable ([`RetryPolicy`], [`Timeouts`]); the library sleeps
//! only between such bounded retries.

#![deny(missing_docs)]

pub mod cdb;
mod discover;
pub mod element;
#[doc(hidden)]
pub mod fuzzing;
pub mod map;
pub mod page;
pub mod script;
pub mod sense;
mod sg;
mod st;
#[allow(unsafe_code)]
mod sys;
mod timing;
pub mod transport;

pub use discover::{DeviceKind, DiscoveredDevice, discover, discover_in};
pub use script::ScriptChanger;
pub use sg::{ChangerOptions, EjectHook, SgChanger, SgDrive, SgDriveOptions};
pub use st::{StDrive, StOptions};
pub use timing::{RetryPolicy, Timeouts};
