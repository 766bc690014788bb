//! Compression and encryption frame headers (`MTF_CMP_HDR`, 24 bytes; mtf.md §5.4). Only the
//! framing is decoded; no algorithm is implemented (LZS221 payloads are passed through).
//!
//! | off | size | field |
//! |---|---|---|
//! | 0 | 2 | Header ID `FH` (compression) or `EH` (encryption) |
//! | 2 | 2 | Stream Media Format Attributes of the original stream |
//! | 4 | 8 | Remaining Stream Size |
//! | 12 | 4 | Uncompressed Size |
//! | 16 | 4 | Compressed Size (equal ⇒ stored uncompressed) |
//! | 20 | 1 | Sequence Number |
//! | 21 | 1 | reserved |
//! | 22 | 2 | Checksum: XOR of the 11 words at 0..21 |

use crate::checksum::xor16;
use crate::decoded::{Decoded, need};
use crate::error::DecodeError;
use crate::le::{u16_at, u32_at, u64_at};

/// Size of a frame header.
pub const FRAME_HEADER_LEN: usize = 24;
/// `FH` as a little-endian `u16`.
pub const COMPRESSION_FRAME: u16 = 0x4846;
/// `EH` as a little-endian `u16`.
pub const ENCRYPTION_FRAME: u16 = 0x4845;

/// A frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameHeader {
    /// `FH` or `EH`.
    pub id: u16,
    /// Media format attributes of the original stream.
    pub media_attributes: u16,
    /// Remaining stream size (0 = unknown).
    pub remaining: u64,
    /// Uncompressed size of this frame.
    pub uncompressed: u32,
    /// Compressed size of this frame (equal ⇒ stored).
    pub compressed: u32,
    /// Sequence number (wraps).
    pub sequence: u8,
}

impl FrameHeader {
    /// Decodes and verifies a frame header.
    pub fn decode(input: &[u8]) -> Result<Decoded<Self>, DecodeError> {
        if let Some(needed) = need(input, FRAME_HEADER_LEN) {
            return Ok(Decoded::Incomplete { needed });
        }
        let id = u16_at(input, 0);
        if id != COMPRESSION_FRAME && id != ENCRYPTION_FRAME {
            return Err(DecodeError::FieldRange {
                field: "MTF_CMP_HDR.id",
                value: u64::from(id),
            });
        }
        let (stored, computed) = (u16_at(input, 22), xor16(&input[..22]));
        if stored != computed {
            return Err(DecodeError::FieldRange {
                field: "MTF_CMP_HDR.checksum",
                value: u64::from(stored),
            });
        }
        let value = FrameHeader {
            id,
            media_attributes: u16_at(input, 2),
            remaining: u64_at(input, 4),
            uncompressed: u32_at(input, 12),
            compressed: u32_at(input, 16),
            sequence: input[20],
        };
        Ok(Decoded::Complete {
            value,
            consumed: FRAME_HEADER_LEN,
        })
    }

    /// Encodes the 24 bytes, checksum included.
    pub fn encode(&self) -> [u8; FRAME_HEADER_LEN] {
        let mut b = [0u8; FRAME_HEADER_LEN];
        b[0..2].copy_from_slice(&self.id.to_le_bytes());
        b[2..4].copy_from_slice(&self.media_attributes.to_le_bytes());
        b[4..12].copy_from_slice(&self.remaining.to_le_bytes());
        b[12..16].copy_from_slice(&self.uncompressed.to_le_bytes());
        b[16..20].copy_from_slice(&self.compressed.to_le_bytes());
        b[20] = self.sequence;
        let sum = xor16(&b[..22]);
        b[22..24].copy_from_slice(&sum.to_le_bytes());
        b
    }
}
