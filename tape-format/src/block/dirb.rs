//! `MTF_DIRB`, directory (mtf.md §4.4). The name is the full path from the volume root, every
//! separator a NUL character plus a trailing one; the root is a single NUL.
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 4 | DIRB Attributes |
//! | 56 | 5 | Last Modification Date |
//! | 61 | 5 | Creation Date |
//! | 66 | 5 | Backup Date |
//! | 71 | 5 | Last Access Date |
//! | 76 | 4 | Directory ID |
//! | 80 | 4 | Directory Name (TAPE_ADDRESS) |

use super::var::{Region, VarWriter};
use crate::attrs::DirAttributes;
use crate::date::MtfDate;
use crate::error::DecodeError;

/// DIRB body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dirb {
    /// DIRB attributes.
    pub attributes: DirAttributes,
    /// Last modification date.
    pub modified: MtfDate,
    /// Creation date.
    pub created: MtfDate,
    /// Backup date.
    pub backup: MtfDate,
    /// Last access date.
    pub accessed: MtfDate,
    /// Directory ID (1 for the first DIRB of the set).
    pub directory_id: u32,
    /// Directory name (NUL-separated path, raw string bytes; empty with PATH_IN_STREAM).
    pub name: Vec<u8>,
}

impl Dirb {
    pub(crate) const FIXED: usize = 84;

    pub(crate) fn decode(r: &Region<'_>) -> Result<Self, DecodeError> {
        Ok(Dirb {
            attributes: DirAttributes::from_bits_retain(r.u32(52)),
            modified: r.date(56),
            created: r.date(61),
            backup: r.date(66),
            accessed: r.date(71),
            directory_id: r.u32(76),
            name: r.addr(80, "DIRB.name")?,
        })
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u32(52, self.attributes.bits());
        w.date(56, self.modified);
        w.date(61, self.created);
        w.date(66, self.backup);
        w.date(71, self.accessed);
        w.u32(76, self.directory_id);
        w.addr(80, &self.name);
    }
}
