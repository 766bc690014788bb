//! `MTF_VOLB`, volume (mtf.md §4.3).
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 4 | VOLB Attributes |
//! | 56 | 4 | Device Name (TAPE_ADDRESS), e.g. `C:` or `\\server\share` |
//! | 60 | 4 | Volume Name (TAPE_ADDRESS) |
//! | 64 | 4 | Machine Name (TAPE_ADDRESS) |
//! | 68 | 5 | Media Write Date |

use super::var::{Region, VarWriter};
use crate::attrs::VolumeAttributes;
use crate::date::MtfDate;
use crate::error::DecodeError;

/// VOLB body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Volb {
    /// VOLB attributes.
    pub attributes: VolumeAttributes,
    /// Device name.
    pub device_name: Vec<u8>,
    /// Volume name (display only).
    pub volume_name: Vec<u8>,
    /// Machine name.
    pub machine_name: Vec<u8>,
    /// Media write date.
    pub media_write_date: MtfDate,
}

impl Volb {
    pub(crate) const FIXED: usize = 73;

    pub(crate) fn decode(r: &Region<'_>) -> Result<Self, DecodeError> {
        Ok(Volb {
            attributes: VolumeAttributes::from_bits_retain(r.u32(52)),
            device_name: r.addr(56, "VOLB.device_name")?,
            volume_name: r.addr(60, "VOLB.volume_name")?,
            machine_name: r.addr(64, "VOLB.machine_name")?,
            media_write_date: r.date(68),
        })
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u32(52, self.attributes.bits());
        w.addr(56, &self.device_name);
        w.addr(60, &self.volume_name);
        w.addr(64, &self.machine_name);
        w.date(68, self.media_write_date);
    }
}
