//! `MTF_FILE`, file (mtf.md §4.5). Displayable Size in the header is the file size.
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 4 | FILE Attributes |
//! | 56 | 5 | Last Modification Date |
//! | 61 | 5 | Creation Date |
//! | 66 | 5 | Backup Date |
//! | 71 | 5 | Last Access Date |
//! | 76 | 4 | Directory ID |
//! | 80 | 4 | File ID |
//! | 84 | 4 | File Name (TAPE_ADDRESS; name only) |

use super::var::{Region, VarWriter};
use crate::attrs::FileAttributes;
use crate::date::MtfDate;
use crate::error::DecodeError;

/// FILE body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    /// FILE attributes.
    pub attributes: FileAttributes,
    /// Last modification date.
    pub modified: MtfDate,
    /// Creation date.
    pub created: MtfDate,
    /// Backup date.
    pub backup: MtfDate,
    /// Last access date.
    pub accessed: MtfDate,
    /// Directory ID of the governing DIRB.
    pub directory_id: u32,
    /// File ID (1 for the first file of the set).
    pub file_id: u32,
    /// File name (raw string bytes; empty with NAME_IN_STREAM).
    pub name: Vec<u8>,
}

impl File {
    pub(crate) const FIXED: usize = 88;

    pub(crate) fn decode(r: &Region<'_>) -> Result<Self, DecodeError> {
        Ok(File {
            attributes: FileAttributes::from_bits_retain(r.u32(52)),
            modified: r.date(56),
            created: r.date(61),
            backup: r.date(66),
            accessed: r.date(71),
            directory_id: r.u32(76),
            file_id: r.u32(80),
            name: r.addr(84, "FILE.name")?,
        })
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u32(52, self.attributes.bits());
        w.date(56, self.modified);
        w.date(61, self.created);
        w.date(66, self.backup);
        w.date(71, self.accessed);
        w.u32(76, self.directory_id);
        w.u32(80, self.file_id);
        w.addr(84, &self.name);
    }
}
