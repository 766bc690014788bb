//! Decoding errors. Each names the structure that failed and, where known, where it was.

use crate::ids::{BlockType, StreamId};

/// A structure could not be decoded.
///
/// `offset` fields are byte offsets from the start of the slice given to the decoder; the
/// [`crate::reader::MediaReader`] rebases them to offsets on the medium.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A DBLK header checksum does not match.
    #[error(
        "{block} header checksum mismatch at offset {offset}: stored {stored:#06x}, computed {computed:#06x}"
    )]
    Checksum {
        /// Type of the block (as read, possibly garbage).
        block: BlockType,
        /// Stored checksum.
        stored: u16,
        /// Recomputed checksum.
        computed: u16,
        /// Offset of the block.
        offset: u64,
    },
    /// A stream header checksum does not match.
    #[error(
        "stream {stream} header checksum mismatch at offset {offset}: stored {stored:#06x}, computed {computed:#06x}"
    )]
    StreamChecksum {
        /// Stream ID (as read).
        stream: StreamId,
        /// Stored checksum.
        stored: u16,
        /// Recomputed checksum.
        computed: u16,
        /// Offset of the stream header.
        offset: u64,
    },
    /// Four bytes that do not look like a DBLK type where a DBLK was expected.
    #[error("unknown block {found} at offset {offset}")]
    UnknownBlock {
        /// The bytes found.
        found: BlockType,
        /// Where.
        offset: u64,
    },
    /// A field holds a value outside its allowed range.
    #[error("field {field} out of range: {value}")]
    FieldRange {
        /// Name of the field (`STRUCT.field`).
        field: &'static str,
        /// The value found.
        value: u64,
    },
    /// A structure is shorter than its fixed part.
    #[error("missing data in {0}")]
    MissingData(&'static str),
    /// A length-prefixed structure has bytes left over after its last field.
    #[error("trailing data in {0}")]
    TrailingData(&'static str),
    /// A version this decoder does not know.
    #[error("unsupported version {version} of {structure}")]
    Version {
        /// Which structure.
        structure: &'static str,
        /// The version found.
        version: u64,
    },
}

impl DecodeError {
    /// Adds `base` to the offset carried by the error, if any.
    pub fn rebase(mut self, base: u64) -> Self {
        match &mut self {
            DecodeError::Checksum { offset, .. }
            | DecodeError::StreamChecksum { offset, .. }
            | DecodeError::UnknownBlock { offset, .. } => *offset = offset.saturating_add(base),
            _ => {}
        }
        self
    }
}

/// A value could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The structure would exceed what its length or offset fields can express.
    #[error("{structure} too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// Which structure.
        structure: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Inconsistent input.
    #[error("inconsistent value: {0}")]
    Mismatch(&'static str),
}
