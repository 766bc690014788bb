//! `MTF_SSET`, start of data set (mtf.md §4.2). Header rules: FLA 0 (a continuation SSET takes
//! its FLA from the span rule, mtf.md §9.2), Control Block ID 0.
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 4 | SSET Attributes |
//! | 56 | 2 | Password Encryption Algorithm |
//! | 58 | 2 | Software Compression Algorithm |
//! | 60 | 2 | Software Vendor ID |
//! | 62 | 2 | Data Set Number |
//! | 64 | 4 | Data Set Name (TAPE_ADDRESS) |
//! | 68 | 4 | Data Set Description (TAPE_ADDRESS) |
//! | 72 | 4 | Data Set Password (TAPE_ADDRESS) |
//! | 76 | 4 | User Name (TAPE_ADDRESS) |
//! | 80 | 8 | Physical Block Address |
//! | 88 | 5 | Media Write Date |
//! | 93 | 1 | Software Major Version |
//! | 94 | 1 | Software Minor Version |
//! | 95 | 1 | Time Zone (i8, 15-minute units; 127 = local) |
//! | 96 | 1 | MTF Minor Version |
//! | 97 | 1 | Media Catalog Version |

use super::var::{Region, VarWriter};
use crate::attrs::SetAttributes;
use crate::date::MtfDate;
use crate::error::DecodeError;

/// The Time Zone value meaning "times are local, not related to UTC".
pub const LOCAL_TZ: i8 = 127;

/// SSET body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sset {
    /// Backup type bits.
    pub attributes: SetAttributes,
    /// Password encryption algorithm.
    pub password_encryption: u16,
    /// Software compression algorithm (0 or 0x0ABE).
    pub compression_algorithm: u16,
    /// Software vendor ID.
    pub software_vendor: u16,
    /// Data set number (1 for the first set of the family).
    pub set_number: u16,
    /// Data set name.
    pub name: Vec<u8>,
    /// Data set description.
    pub description: Vec<u8>,
    /// Data set password.
    pub password: Vec<u8>,
    /// User name.
    pub user_name: Vec<u8>,
    /// PBA of this SSET.
    pub pba: u64,
    /// Media write date.
    pub media_write_date: MtfDate,
    /// Software major version.
    pub software_major: u8,
    /// Software minor version.
    pub software_minor: u8,
    /// Time zone: local − UTC in 15-minute units, or [`LOCAL_TZ`].
    pub time_zone: i8,
    /// MTF minor version (0).
    pub mtf_minor: u8,
    /// Media catalog version (2 for Type 1, 1 for Type 2).
    pub catalog_version: u8,
}

impl Sset {
    pub(crate) const FIXED: usize = 98;

    pub(crate) fn decode(r: &Region<'_>) -> Result<Self, DecodeError> {
        Ok(Sset {
            attributes: SetAttributes::from_bits_retain(r.u32(52)),
            password_encryption: r.u16(56),
            compression_algorithm: r.u16(58),
            software_vendor: r.u16(60),
            set_number: r.u16(62),
            name: r.addr(64, "SSET.name")?,
            description: r.addr(68, "SSET.description")?,
            password: r.addr(72, "SSET.password")?,
            user_name: r.addr(76, "SSET.user_name")?,
            pba: r.u64(80),
            media_write_date: r.date(88),
            software_major: r.u8(93),
            software_minor: r.u8(94),
            time_zone: i8::from_le_bytes([r.u8(95)]),
            mtf_minor: r.u8(96),
            catalog_version: r.u8(97),
        })
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u32(52, self.attributes.bits());
        w.u16(56, self.password_encryption);
        w.u16(58, self.compression_algorithm);
        w.u16(60, self.software_vendor);
        w.u16(62, self.set_number);
        w.addr(64, &self.name);
        w.addr(68, &self.description);
        w.addr(72, &self.password);
        w.addr(76, &self.user_name);
        w.u64(80, self.pba);
        w.date(88, self.media_write_date);
        w.u8(93, self.software_major);
        w.u8(94, self.software_minor);
        w.u8(95, self.time_zone.to_le_bytes()[0]);
        w.u8(96, self.mtf_minor);
        w.u8(97, self.catalog_version);
    }
}
