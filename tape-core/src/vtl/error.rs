//! Errors of virtual-library management (creating it, moving cartridges by hand, faults).

use std::io;
use std::path::PathBuf;

use crate::DeviceError;

/// A virtual-library operation that could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VtlError {
    /// The file system refused.
    #[error("I/O error: {context}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `create` on a directory that already holds something.
    #[error("{0} already exists and is not empty; refusing to create a library over it")]
    AlreadyExists(PathBuf),
    /// The directory holds no library.
    #[error(
        "{0} is not a virtual tape library (no library.json); create one with `ntbackup vtl create`"
    )]
    NotALibrary(PathBuf),
    /// `library.json` is unreadable or inconsistent.
    #[error("virtual library state {path} is damaged: {detail}")]
    CorruptState {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A creation parameter is out of range.
    #[error("invalid library configuration: {0}")]
    InvalidConfig(String),
    /// No such drive.
    #[error("no drive {index}: the library has {count} drive(s), numbered from 0")]
    NoSuchDrive {
        /// Requested drive.
        index: usize,
        /// Drives in the library.
        count: usize,
    },
    /// No such cartridge.
    #[error("no cartridge with barcode {0} in this library")]
    NoSuchCartridge(String),
    /// The drive is empty.
    #[error("drive {0} is empty")]
    DriveEmpty(usize),
    /// The drive is open in another process and its cartridge is loaded.
    #[error(
        "drive {drive} is in use by process {pid} and its cartridge is loaded: the drive refuses to \
         eject (use --force to pull it out anyway, as a test of a tape removed mid-job)"
    )]
    DriveInUse {
        /// The drive.
        drive: usize,
        /// The process using it, as it recorded itself.
        pid: String,
    },
    /// The cartridge is loaded in a drive.
    #[error("cartridge {barcode} is loaded in drive {drive}")]
    CartridgeInDrive {
        /// The cartridge.
        barcode: String,
        /// The drive.
        drive: usize,
    },
    /// No never-written, writable data cartridge is in a slot.
    #[error("no blank cartridge left in the slots (add some with `ntbackup vtl add`)")]
    NoBlankCartridge,
    /// No empty slot to put a cartridge in.
    #[error("no empty slot for {0}")]
    NoFreeSlot(String),
    /// A device-level failure.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl VtlError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<VtlError> for DeviceError {
    fn from(e: VtlError) -> Self {
        match e {
            VtlError::Device(d) => d,
            VtlError::Io { context, source } => DeviceError::Io { context, source },
            VtlError::NoSuchDrive { .. } | VtlError::NoSuchCartridge(_) => {
                DeviceError::NoSuchElement(e.to_string())
            }
            VtlError::DriveInUse { .. } => DeviceError::Busy(e.to_string()),
            VtlError::DriveEmpty(_) => DeviceError::NoMedium,
            other => DeviceError::IllegalRequest(other.to_string()),
        }
    }
}
