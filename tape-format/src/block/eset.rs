//! `MTF_ESET`, end of data set (mtf.md §4.8). Header rules: FLA 0; the Control Block ID continues
//! the set's sequence and every ESET of one catalog shares it.
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 4 | ESET Attributes (same bits as SSET) |
//! | 56 | 4 | Number Of Corrupt Files |
//! | 60 | 8 | Reserved for MBC: Type 1 PBA of the `TFDD` header (second ESET) |
//! | 68 | 8 | Reserved for MBC: Type 1 PBA of the `TSMP` header (second ESET) |
//! | 76 | 2 | FDD Media Sequence Number |
//! | 78 | 2 | Data Set Number |
//! | 80 | 5 | Media Write Date |

use super::var::{Region, VarWriter};
use crate::attrs::SetAttributes;
use crate::date::MtfDate;
use crate::error::DecodeError;

/// ESET body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eset {
    /// Set attributes (copy of the SSET's type bits).
    pub attributes: SetAttributes,
    /// Number of corrupt files.
    pub corrupt_files: u32,
    /// Type 1: PBA of the `TFDD` stream header.
    pub fdd_pba: u64,
    /// Type 1: PBA of the `TSMP` stream header.
    pub set_map_pba: u64,
    /// Medium on which the FDD starts.
    pub fdd_media_sequence: u16,
    /// Data set number.
    pub set_number: u16,
    /// Media write date (copy of the SSET's).
    pub media_write_date: MtfDate,
}

impl Eset {
    pub(crate) const FIXED: usize = 85;

    pub(crate) fn decode(r: &Region<'_>) -> Result<Self, DecodeError> {
        Ok(Eset {
            attributes: SetAttributes::from_bits_retain(r.u32(52)),
            corrupt_files: r.u32(56),
            fdd_pba: r.u64(60),
            set_map_pba: r.u64(68),
            fdd_media_sequence: r.u16(76),
            set_number: r.u16(78),
            media_write_date: r.date(80),
        })
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u32(52, self.attributes.bits());
        w.u32(56, self.corrupt_files);
        w.u64(60, self.fdd_pba);
        w.u64(68, self.set_map_pba);
        w.u16(76, self.fdd_media_sequence);
        w.u16(78, self.set_number);
        w.date(80, self.media_write_date);
    }
}
