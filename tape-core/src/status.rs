//! Outcomes of tape operations: the normal conditions a caller must handle.
//!
//! These three enums are deliberately **exhaustive** (not `#[non_exhaustive]`): they are the
//! call protocol of [`TapeDrive`](crate::TapeDrive), and a caller must handle every outcome.
//! A new tape condition would change that protocol, so it should break every `match` on it
//! rather than fall into a wildcard arm.

/// Result of a successful write of a block or of filemarks.
///
/// Both variants mean the data **were** written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "early warning means the medium is nearly full and the caller must finish up"]
pub enum WriteStatus {
    /// Written; the medium is not in its early-warning zone.
    Written,
    /// Written, and the medium is past its early-warning point (LEOM): only a few MiB remain
    /// before the physical end. Every further write reports this too until the physical end,
    /// where writes fail with [`DeviceError::VolumeOverflow`](crate::DeviceError::VolumeOverflow).
    EarlyWarning,
}

impl WriteStatus {
    /// True if the early-warning point has been passed.
    pub fn is_early_warning(self) -> bool {
        self == Self::EarlyWarning
    }
}

/// Result of a successful read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum ReadStatus {
    /// One block of this many bytes was read into the start of the buffer.
    Data(usize),
    /// A filemark was read; the position is now just after it.
    Filemark,
    /// End of recorded data; the position is unchanged and further reads report it again.
    EndOfData,
}

/// Result of a SPACE operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum SpaceStatus {
    /// All requested blocks or filemarks were spaced over.
    Done,
    /// Spacing over blocks met a filemark and stopped: forwards the position is just after the
    /// filemark, backwards just before it. `remaining` counts the blocks not spaced over.
    Filemark {
        /// Blocks not spaced over.
        remaining: u64,
    },
    /// Spacing forwards met the end of recorded data and stopped there.
    EndOfData {
        /// Blocks or filemarks not spaced over.
        remaining: u64,
    },
    /// Spacing backwards reached the beginning of the medium.
    BeginningOfMedium {
        /// Blocks or filemarks not spaced over.
        remaining: u64,
    },
}
