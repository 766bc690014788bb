//! Plain types describing media, positions and drive state.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A logical block address: the number of objects (blocks **and** filemarks) between the
/// beginning of the partition and the position, as reported by SCSI READ POSITION and by
/// Linux st's `MTIOCPOS` with `MT_ST_SCSI2LOGICAL` (scsi-tape.md §2.3). MTF calls it the
/// physical block address (PBA).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct BlockAddress(pub u64);

impl fmt::Display for BlockAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A cartridge's volume tag (barcode label): 1 to 32 printable ASCII characters without
/// spaces, the SMC primary volume identifier (scsi-tape.md §5.3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VolumeTag(String);

/// A string that is not a valid volume tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid barcode {0:?}: use 1 to 32 printable ASCII characters without spaces")]
pub struct InvalidVolumeTag(pub String);

impl VolumeTag {
    /// Validates and wraps a barcode.
    pub fn new(tag: impl Into<String>) -> Result<Self, InvalidVolumeTag> {
        let tag = tag.into();
        let ok = (1..=32).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(tag))
        } else {
            Err(InvalidVolumeTag(tag))
        }
    }

    /// The barcode text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for cleaning cartridges by the common `CLN` prefix convention (Bacula's
    /// `Cleaning Prefix = "CLN"`, LTO `CLNxxxLx` labels).
    pub fn is_cleaning(&self) -> bool {
        self.0.starts_with("CLN")
    }
}

impl TryFrom<String> for VolumeTag {
    type Error = InvalidVolumeTag;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<VolumeTag> for String {
    fn from(tag: VolumeTag) -> Self {
        tag.0
    }
}

impl fmt::Display for VolumeTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a cartridge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MediumKind {
    /// A data cartridge.
    #[default]
    Data,
    /// A cleaning cartridge: never written, never offered to a backup.
    Cleaning,
}

/// Space on a medium, in bytes, where the drive can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Capacity {
    /// Bytes the medium holds up to its physical end.
    pub total: u64,
    /// Size of the early-warning zone before the physical end.
    pub early_warning: u64,
    /// Bytes recorded so far (up to the end of data).
    pub used: u64,
}

impl Capacity {
    /// A capacity report.
    pub fn new(total: u64, early_warning: u64, used: u64) -> Self {
        Self {
            total,
            early_warning,
            used,
        }
    }

    /// Bytes left before the physical end.
    pub fn remaining(&self) -> u64 {
        self.total.saturating_sub(self.used)
    }
}

/// What is known about the medium in a drive.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MediumInfo {
    /// The cartridge's barcode, if the drive or library can read it (cartridge memory or a
    /// library barcode reader).
    pub barcode: Option<VolumeTag>,
    /// Data or cleaning cartridge.
    pub kind: MediumKind,
    /// The write-protect tab is set.
    pub write_protected: bool,
    /// Nothing has ever been recorded on it, if the drive can tell.
    pub blank: Option<bool>,
    /// Capacity and usage, if the drive can tell.
    pub capacity: Option<Capacity>,
    /// A condition found when the medium was mounted that the user must hear about (for the
    /// virtual library: a record torn by a crash, and what was discarded).
    pub notice: Option<String>,
}

/// Where the drive is on the medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TapePosition {
    /// Logical block address (counts blocks and filemarks).
    pub block: BlockAddress,
    /// Number of filemarks before the position (the "file number"), if known.
    pub file: Option<u64>,
    /// Blocks since the last filemark, if known.
    pub block_in_file: Option<u64>,
    /// At the beginning of the medium.
    pub at_beginning: bool,
    /// At the end of recorded data.
    pub at_end_of_data: bool,
    /// The recorded data extend past the early-warning point.
    pub beyond_early_warning: bool,
}

impl TapePosition {
    /// A position known only by its block address.
    pub fn at(block: BlockAddress) -> Self {
        Self {
            block,
            at_beginning: block.0 == 0,
            ..Self::default()
        }
    }
}

/// A snapshot of a drive (SCSI TEST UNIT READY + READ POSITION + MODE SENSE, st `MTIOCGET`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DriveStatus {
    /// The medium present in the drive, loaded or not; `None` if the drive is empty.
    pub medium: Option<MediumInfo>,
    /// The medium is loaded (threaded) and the drive is ready for I/O.
    pub ready: bool,
    /// The current position, when known.
    pub position: Option<TapePosition>,
    /// Why the drive is not ready, when it says.
    pub not_ready_reason: Option<String>,
}

/// What a drive can do, for the caller to choose block sizes and filemark strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DriveCapabilities {
    /// Smallest block the drive accepts (READ BLOCK LIMITS).
    pub min_block: usize,
    /// Largest block the drive accepts (READ BLOCK LIMITS, capped by the transport).
    pub max_block: usize,
    /// The medium records hardware filemarks; if not, the format must use soft filemarks
    /// (MTF SFMB), as in `.bkf` files.
    pub hardware_filemarks: bool,
    /// The drive can LOCATE to a block address quickly (rather than reading up to it).
    pub fast_locate: bool,
}

impl DriveCapabilities {
    /// Capabilities with the given block limits, hardware filemarks and fast locate.
    pub fn new(min_block: usize, max_block: usize) -> Self {
        Self {
            min_block,
            max_block,
            hardware_filemarks: true,
            fast_locate: true,
        }
    }

    /// Checks a block size against the limits.
    pub fn check_block_size(&self, size: usize) -> Result<(), crate::DeviceError> {
        if (self.min_block..=self.max_block).contains(&size) {
            Ok(())
        } else {
            Err(crate::DeviceError::BlockSize {
                size,
                min: self.min_block,
                max: self.max_block,
            })
        }
    }
}
