//! Real device failures. Tape *conditions* (early warning, filemark, end of data) are not errors;
//! they are the [`WriteStatus`](crate::WriteStatus), [`ReadStatus`](crate::ReadStatus) and
//! [`SpaceStatus`](crate::SpaceStatus) outcomes, so that `?` can never turn "the tape is full" into
//! "the backup failed".

use std::io;

/// A failure reported by a tape drive or a media changer.
///
/// Every variant says what the device refused and, where it is known, where. The device layer
/// names the device; callers add the job-level context (which job, which cartridge).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The drive cannot accept commands now (SCSI NOT READY, e.g. 04/01 becoming ready).
    #[error("drive not ready: {0}")]
    NotReady(String),
    /// No cartridge is in the drive (SCSI 3A/00).
    #[error("no medium in the drive")]
    NoMedium,
    /// The medium was changed or the drive was reset since the last command (SCSI UNIT ATTENTION
    /// 28/00, 29/xx): the position is now at the beginning of the new medium. Check the label
    /// before writing.
    #[error("the medium in the drive was changed (now {now}); position reset to the beginning")]
    MediumChanged {
        /// What the drive holds now (a barcode, or "unknown").
        now: String,
    },
    /// The position is not known (after a reset or a crash of the process that used the drive);
    /// rewind, load or locate before reading or writing.
    #[error("tape position unknown; rewind, load or locate first")]
    PositionLost,
    /// The medium is write-protected (SCSI DATA PROTECT 27/00, st EACCES).
    #[error("medium is write-protected")]
    WriteProtected,
    /// The medium cannot be used for this operation (cleaning cartridge, unknown format, SCSI 30/xx).
    #[error("incompatible medium: {0}")]
    IncompatibleMedium(String),
    /// Unrecovered read or write error (SCSI MEDIUM ERROR, e.g. 11/00, 0C/00).
    #[error("medium error at block {}: {detail}", fmt_block(*.block))]
    MediumError {
        /// Logical block address of the failure, if known.
        block: Option<u64>,
        /// What went wrong.
        detail: String,
    },
    /// Physical end of medium (SCSI VOLUME OVERFLOW): the write was refused. `written` bytes of
    /// the block reached the medium (0 for variable-block drives); the rest must be written again
    /// on another medium. Nothing more can be written to this medium.
    #[error(
        "physical end of medium reached: block not written ({written} bytes of it reached the tape)"
    )]
    VolumeOverflow {
        /// Bytes of the refused block that nevertheless reached the medium.
        written: usize,
    },
    /// The block on tape is longer than the read buffer. The drive has moved past the block (as
    /// Linux st does with ENOMEM); space back one block and read it with a larger buffer.
    #[error("block of {} does not fit a {buffer_len}-byte buffer; the drive has moved past it", fmt_len(*.block_len))]
    BlockTooLarge {
        /// Length of the block on tape, when the drive reports it.
        block_len: Option<usize>,
        /// Length of the buffer that was offered.
        buffer_len: usize,
    },
    /// A block of this size cannot be written or read by this drive.
    #[error("block size {size} outside the drive's limits {min}..={max}")]
    BlockSize {
        /// Requested size.
        size: usize,
        /// Smallest block the drive accepts.
        min: usize,
        /// Largest block the drive accepts.
        max: usize,
    },
    /// LOCATE to an address past the end of recorded data (SCSI BLANK CHECK); the drive is now
    /// positioned at the end of data.
    #[error("block {requested} is beyond the end of data at block {end_of_data}")]
    BeyondEndOfData {
        /// Address asked for.
        requested: u64,
        /// Address of the end of data, where the drive now is.
        end_of_data: u64,
    },
    /// A changer element (slot, drive, import/export slot) does not exist.
    #[error("no such element: {0}")]
    NoSuchElement(String),
    /// MOVE MEDIUM to an element that is already full (SCSI 3B/0D).
    #[error("destination {0} is full")]
    DestinationFull(String),
    /// MOVE MEDIUM from an element that is empty (SCSI 3B/0E).
    #[error("source {0} is empty")]
    SourceEmpty(String),
    /// The medium cannot be removed now (SCSI 53/02), e.g. the drive still has it threaded.
    #[error("medium removal prevented: {0}")]
    RemovalPrevented(String),
    /// The device is in use by another process or command.
    #[error("device busy: {0}")]
    Busy(String),
    /// The device does not support the command (SCSI ILLEGAL REQUEST 20/00, 24/00).
    #[error("illegal request: {0}")]
    IllegalRequest(String),
    /// Sense data that maps to no more specific variant.
    #[error("{0}")]
    Sense(SenseSummary),
    /// Hardware failure of the drive or robot (SCSI HARDWARE ERROR).
    #[error("hardware error: {0}")]
    Hardware(String),
    /// An operating-system error talking to the device or its backing store.
    #[error("I/O error: {context}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

fn fmt_block(block: Option<u64>) -> String {
    block.map_or_else(|| "unknown".to_owned(), |b| b.to_string())
}

fn fmt_len(len: Option<usize>) -> String {
    len.map_or_else(|| "unknown length".to_owned(), |l| format!("{l} bytes"))
}

impl DeviceError {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// True for conditions that may clear by themselves or by an operator (not ready, no
    /// medium, busy): worth waiting and asking again rather than failing the job at once.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::NotReady(_) | Self::NoMedium | Self::Busy(_) | Self::MediumChanged { .. }
        )
    }
}

/// Sense key and additional sense code of a SCSI error that has no more specific meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenseSummary {
    /// Sense key (SPC table; 0..=0xF).
    pub key: u8,
    /// Additional sense code.
    pub asc: u8,
    /// Additional sense code qualifier.
    pub ascq: u8,
}

impl std::fmt::Display for SenseSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SCSI sense key {:#x}, ASC/ASCQ {:02X}/{:02X}",
            self.key, self.asc, self.ascq
        )
    }
}
