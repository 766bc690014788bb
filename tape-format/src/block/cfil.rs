//! `MTF_CFIL`, corrupt object (mtf.md §4.6). Written after the FILE whose data could not be read
//! completely; the unreadable range is zero-filled so the stream keeps its announced length.
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 4 | CFIL Attributes |
//! | 56 | 8 | reserved (the spec's "56 3Ch" is a typo for 0x38, mtf.md §13) |
//! | 64 | 8 | Stream Offset (of the zero fill) |
//! | 72 | 2 | Corrupt Stream Number (1 = first stream of the FILE) |

use super::var::{Region, VarWriter};
use crate::attrs::CorruptAttributes;
use crate::error::DecodeError;

/// CFIL body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cfil {
    /// CFIL attributes.
    pub attributes: CorruptAttributes,
    /// Offset of the zero fill inside the stream.
    pub stream_offset: u64,
    /// Number of the corrupt stream (1-based).
    pub stream_number: u16,
}

impl Cfil {
    pub(crate) const FIXED: usize = 74;

    pub(crate) fn decode(r: &Region<'_>) -> Result<Self, DecodeError> {
        Ok(Cfil {
            attributes: CorruptAttributes::from_bits_retain(r.u32(52)),
            stream_offset: r.u64(64),
            stream_number: r.u16(72),
        })
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u32(52, self.attributes.bits());
        w.u64(64, self.stream_offset);
        w.u16(72, self.stream_number);
    }
}
