//! `MTF_TAPE`, the media header (mtf.md §4.1). Header rules: FLA 0, Control Block ID 0.
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 4 | Media Family ID |
//! | 56 | 4 | TAPE Attributes |
//! | 60 | 2 | Media Sequence Number |
//! | 62 | 2 | Password Encryption Algorithm |
//! | 64 | 2 | Soft Filemark Block Size (× 512) |
//! | 66 | 2 | Media Based Catalog Type |
//! | 68 | 4 | Media Name (TAPE_ADDRESS) |
//! | 72 | 4 | Media Description / Label (TAPE_ADDRESS) |
//! | 76 | 4 | Media Password (TAPE_ADDRESS) |
//! | 80 | 4 | Software Name (TAPE_ADDRESS) |
//! | 84 | 2 | Format Logical Block Size (512 / 1024) |
//! | 86 | 2 | Software Vendor ID |
//! | 88 | 5 | Media Date |
//! | 93 | 1 | MTF Major Version |

use super::var::{Region, VarWriter};
use crate::attrs::TapeAttributes;
use crate::date::MtfDate;
use crate::error::DecodeError;

/// TAPE body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tape {
    /// Media Family ID (same on every medium of the family).
    pub media_family_id: u32,
    /// TAPE attributes.
    pub attributes: TapeAttributes,
    /// Media Sequence Number (1 for the first medium).
    pub media_sequence: u16,
    /// Password encryption algorithm (0 = none).
    pub password_encryption: u16,
    /// Soft filemark block size in 512-byte units.
    pub soft_filemark_size: u16,
    /// Media Based Catalog Type (0, 1, 2).
    pub catalog_type: u16,
    /// Media name (raw string bytes).
    pub media_name: Vec<u8>,
    /// Media description or label.
    pub media_description: Vec<u8>,
    /// Media password (encrypted per `password_encryption`).
    pub media_password: Vec<u8>,
    /// Software name.
    pub software_name: Vec<u8>,
    /// Format Logical Block size.
    pub flb_size: u16,
    /// Software vendor ID.
    pub software_vendor: u16,
    /// Media date.
    pub media_date: MtfDate,
    /// MTF major version (1).
    pub major_version: u8,
}

impl Tape {
    pub(crate) const FIXED: usize = 94;

    pub(crate) fn decode(r: &Region<'_>) -> Result<Self, DecodeError> {
        Ok(Tape {
            media_family_id: r.u32(52),
            attributes: TapeAttributes::from_bits_retain(r.u32(56)),
            media_sequence: r.u16(60),
            password_encryption: r.u16(62),
            soft_filemark_size: r.u16(64),
            catalog_type: r.u16(66),
            media_name: r.addr(68, "TAPE.media_name")?,
            media_description: r.addr(72, "TAPE.media_description")?,
            media_password: r.addr(76, "TAPE.media_password")?,
            software_name: r.addr(80, "TAPE.software_name")?,
            flb_size: r.u16(84),
            software_vendor: r.u16(86),
            media_date: r.date(88),
            major_version: r.u8(93),
        })
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u32(52, self.media_family_id);
        w.u32(56, self.attributes.bits());
        w.u16(60, self.media_sequence);
        w.u16(62, self.password_encryption);
        w.u16(64, self.soft_filemark_size);
        w.u16(66, self.catalog_type);
        w.addr(68, &self.media_name);
        w.addr(72, &self.media_description);
        w.addr(76, &self.media_password);
        w.addr(80, &self.software_name);
        w.u16(84, self.flb_size);
        w.u16(86, self.software_vendor);
        w.date(88, self.media_date);
        w.u8(93, self.major_version);
    }
}
