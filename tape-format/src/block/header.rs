//! `MTF_DB_HDR`, the 52-byte common block header (mtf.md §2).
//!
//! | off | size | field |
//! |---|---|---|
//! | 0 | 4 | DBLK Type |
//! | 4 | 4 | Block Attributes |
//! | 8 | 2 | Offset To First Event |
//! | 10 | 1 | OS ID |
//! | 11 | 1 | OS Version |
//! | 12 | 8 | Displayable Size |
//! | 20 | 8 | Format Logical Address |
//! | 28 | 2 | Reserved for MBC |
//! | 30 | 6 | reserved |
//! | 36 | 4 | Control Block ID |
//! | 40 | 4 | reserved |
//! | 44 | 4 | OS Specific Data (TAPE_ADDRESS) |
//! | 48 | 1 | String Type |
//! | 49 | 1 | reserved |
//! | 50 | 2 | Header Checksum: XOR of the 25 words at 0..49 |

use crate::attrs::BlockAttributes;
use crate::checksum::xor16;
use crate::decoded::{Decoded, need};
use crate::error::DecodeError;
use crate::ids::BlockType;
use crate::le::{arr, put, put_u16, put_u32, put_u64, u8_at, u16_at, u32_at, u64_at};
use crate::strings::StringType;

/// Size of the common header.
pub const HEADER_LEN: usize = 52;

/// A `TAPE_ADDRESS`: `size` bytes at `offset` from the start of the containing structure
/// (mtf.md §1). `size == 0` means absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TapeAddress {
    /// Size in bytes.
    pub size: u16,
    /// Offset from the structure start.
    pub offset: u16,
}

impl TapeAddress {
    /// Reads the address stored at `off` of `b`.
    pub fn read(b: &[u8], off: usize) -> Self {
        TapeAddress {
            size: u16_at(b, off),
            offset: u16_at(b, off + 2),
        }
    }

    /// Writes it at `off` of `buf`.
    pub fn write(self, buf: &mut Vec<u8>, off: usize) {
        put_u16(buf, off, self.size);
        put_u16(buf, off + 2, self.offset);
    }

    /// The addressed bytes of `b`, or a range error naming `field`.
    pub fn slice<'a>(self, b: &'a [u8], field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.size == 0 {
            return Ok(&[]);
        }
        let start = usize::from(self.offset);
        b.get(start..start + usize::from(self.size))
            .ok_or(DecodeError::FieldRange {
                field,
                value: u64::from(self.offset) + u64::from(self.size),
            })
    }
}

/// The decoded common header.
///
/// The OS-data address and the checksum are not kept: the encoder derives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// DBLK type.
    pub block_type: BlockType,
    /// Block attributes (meaning of bits 16+ depends on the type).
    pub attributes: BlockAttributes,
    /// Offset To First Event. When encoding, 0 (or any value shorter than the DBLK) means "right
    /// after the DBLK, 4-aligned"; a value not shorter than the DBLK is kept (the DBLK is
    /// zero-padded up to it), e.g. for stream-less blocks.
    pub first_event: u16,
    /// OS ID.
    pub os_id: u8,
    /// OS Version.
    pub os_version: u8,
    /// Displayable Size.
    pub displayable_size: u64,
    /// Format Logical Address.
    pub fla: u64,
    /// Reserved for MBC (Type 2 only).
    pub reserved_mbc: u16,
    /// Control Block ID.
    pub cbid: u32,
    /// String Type.
    pub string_type: StringType,
}

impl Header {
    /// A header of `block_type` with our defaults (OS ID 14 version 1, UTF-16 strings).
    pub fn new(block_type: BlockType) -> Self {
        Header {
            block_type,
            attributes: BlockAttributes::empty(),
            first_event: 0,
            os_id: crate::os_nt::OS_ID_WINDOWS_NT,
            os_version: crate::os_nt::OS_VERSION_NT1,
            displayable_size: 0,
            fla: 0,
            reserved_mbc: 0,
            cbid: 0,
            string_type: StringType::Unicode,
        }
    }

    /// Decodes and verifies the 52-byte header at the start of `input`; also returns the OS data
    /// address.
    pub fn decode(input: &[u8]) -> Result<Decoded<(Header, TapeAddress)>, DecodeError> {
        if let Some(needed) = need(input, HEADER_LEN) {
            return Ok(Decoded::Incomplete { needed });
        }
        let block_type = BlockType(arr(input, 0));
        let stored = u16_at(input, 50);
        let computed = xor16(&input[..50]);
        if stored != computed {
            return Err(DecodeError::Checksum {
                block: block_type,
                stored,
                computed,
                offset: 0,
            });
        }
        if !block_type.is_printable() {
            return Err(DecodeError::UnknownBlock {
                found: block_type,
                offset: 0,
            });
        }
        let header = Header {
            block_type,
            attributes: BlockAttributes::from_bits_retain(u32_at(input, 4)),
            first_event: u16_at(input, 8),
            os_id: u8_at(input, 10),
            os_version: u8_at(input, 11),
            displayable_size: u64_at(input, 12),
            fla: u64_at(input, 20),
            reserved_mbc: u16_at(input, 28),
            cbid: u32_at(input, 36),
            string_type: StringType::from_u8(u8_at(input, 48)),
        };
        Ok(Decoded::Complete {
            value: (header, TapeAddress::read(input, 44)),
            consumed: HEADER_LEN,
        })
    }

    /// Writes the header into `buf[0..52]` with the given first-event offset and OS data address,
    /// then the checksum.
    pub fn encode_into(&self, buf: &mut Vec<u8>, first_event: u16, os_data: TapeAddress) {
        put(buf, 0, &self.block_type.0);
        put_u32(buf, 4, self.attributes.bits());
        put_u16(buf, 8, first_event);
        put(buf, 10, &[self.os_id, self.os_version]);
        put_u64(buf, 12, self.displayable_size);
        put_u64(buf, 20, self.fla);
        put_u16(buf, 28, self.reserved_mbc);
        put(buf, 30, &[0; 6]);
        put_u32(buf, 36, self.cbid);
        put_u32(buf, 40, 0);
        os_data.write(buf, 44);
        put(buf, 48, &[self.string_type.to_u8(), 0]);
        let sum = xor16(&buf[..50]);
        put_u16(buf, 50, sum);
    }
}

/// Quick check used by scanners: do the 52 bytes at the start of `b` form a header with a valid
/// checksum and a printable, non-blank type? (Zero fill has a valid checksum, so the type test
/// matters.)
///
/// A stream header followed by zeros also has a valid 25-word XOR, so the standard stream IDs
/// are rejected as block types.
pub fn looks_like_header(b: &[u8]) -> bool {
    if b.len() < HEADER_LEN {
        return false;
    }
    let t = BlockType(arr(b, 0));
    t.is_printable()
        && t.0 != [b' '; 4]
        && !crate::ids::StreamId(t.0).is_standard()
        && xor16(&b[..50]) == u16_at(b, 50)
}
