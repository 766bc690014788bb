//! Streams: the 22-byte `MTF_STREAM_HDR` (mtf.md §5.1) and the bodies of the special streams
//! (mtf.md §5.3): `CSUM`, `ADAT`, `SPAR`, compression/encryption frames, and our vendor streams
//! `LXMD` (Unix metadata), `LXDD` (directory listings) and `LXJB` (the job of a set). Unknown
//! streams are carried as opaque data.
//!
//! | off | size | field |
//! |---|---|---|
//! | 0 | 4 | Stream ID |
//! | 4 | 2 | Stream File System Attributes |
//! | 6 | 2 | Stream Media Format Attributes |
//! | 8 | 8 | Stream Length (data only) |
//! | 16 | 2 | Data Encryption Algorithm |
//! | 18 | 2 | Data Compression Algorithm |
//! | 20 | 2 | Checksum: XOR of the 10 words at 0..19 |
//!
//! Each header starts on a 4-byte boundary; the last stream of a DBLK is `SPAD`.

pub mod dumpdir;
pub mod frame;
pub mod job;
pub mod special;
pub mod unix;

use crate::attrs::{StreamFsAttributes, StreamMediaAttributes};
use crate::checksum::xor16;
use crate::decoded::{Decoded, need};
use crate::error::DecodeError;
use crate::ids::StreamId;
use crate::le::{arr, u16_at, u64_at};

/// Size of a stream header.
pub const STREAM_HEADER_LEN: usize = 22;

/// A stream header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamHeader {
    /// Stream ID.
    pub id: StreamId,
    /// File system attributes.
    pub fs_attributes: StreamFsAttributes,
    /// Media format attributes (`CONTINUE`, `CHECKSUMED`, …).
    pub media_attributes: StreamMediaAttributes,
    /// Number of data bytes (excludes the header and the alignment padding).
    pub length: u64,
    /// Data encryption algorithm.
    pub encryption_algorithm: u16,
    /// Data compression algorithm.
    pub compression_algorithm: u16,
}

impl StreamHeader {
    /// A plain header of `id` with `length` data bytes.
    pub fn new(id: StreamId, length: u64) -> Self {
        StreamHeader {
            id,
            fs_attributes: StreamFsAttributes::empty(),
            media_attributes: StreamMediaAttributes::empty(),
            length,
            encryption_algorithm: 0,
            compression_algorithm: 0,
        }
    }

    /// Decodes and verifies the header at the start of `input`.
    pub fn decode(input: &[u8]) -> Result<Decoded<Self>, DecodeError> {
        if let Some(needed) = need(input, STREAM_HEADER_LEN) {
            return Ok(Decoded::Incomplete { needed });
        }
        let id = StreamId(arr(input, 0));
        let stored = u16_at(input, 20);
        let computed = xor16(&input[..20]);
        if stored != computed {
            return Err(DecodeError::StreamChecksum {
                stream: id,
                stored,
                computed,
                offset: 0,
            });
        }
        let value = StreamHeader {
            id,
            fs_attributes: StreamFsAttributes::from_bits_retain(u16_at(input, 4)),
            media_attributes: StreamMediaAttributes::from_bits_retain(u16_at(input, 6)),
            length: u64_at(input, 8),
            encryption_algorithm: u16_at(input, 16),
            compression_algorithm: u16_at(input, 18),
        };
        Ok(Decoded::Complete {
            value,
            consumed: STREAM_HEADER_LEN,
        })
    }

    /// The 22 encoded bytes, checksum included.
    pub fn encode(&self) -> [u8; STREAM_HEADER_LEN] {
        let mut b = [0u8; STREAM_HEADER_LEN];
        b[0..4].copy_from_slice(&self.id.0);
        b[4..6].copy_from_slice(&self.fs_attributes.bits().to_le_bytes());
        b[6..8].copy_from_slice(&self.media_attributes.bits().to_le_bytes());
        b[8..16].copy_from_slice(&self.length.to_le_bytes());
        b[16..18].copy_from_slice(&self.encryption_algorithm.to_le_bytes());
        b[18..20].copy_from_slice(&self.compression_algorithm.to_le_bytes());
        let sum = xor16(&b[..20]);
        b[20..22].copy_from_slice(&sum.to_le_bytes());
        b
    }

    /// `true` for the `STREAM_CONTINUE` copy written after a span (mtf.md §9.3).
    pub fn is_continuation(&self) -> bool {
        self.media_attributes
            .contains(StreamMediaAttributes::CONTINUE)
    }
}

/// Bytes of zero padding after `len` data bytes to reach a 4-byte boundary.
pub fn pad4(len: u64) -> u64 {
    (4 - len % 4) % 4
}
