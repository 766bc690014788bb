//! `MTF_SFMB`, soft filemark (mtf.md §4.10). Size = TAPE Soft Filemark Block Size × 512; starts
//! and ends on physical block boundaries; no streams. Header rules: FLA = its own PBA; Control
//! Block ID 1, 2, … over the media family.
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 4 | Number of Filemark Entries (capacity) |
//! | 56 | 4 | Filemark Entries Used |
//! | 60 | 4·n | PBAs of previous filemarks (u32, descending, unused = 0) |

use super::var::{Region, VarWriter};
use crate::error::DecodeError;

/// SFMB body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sfmb {
    /// Array capacity (Number of Filemark Entries).
    pub capacity: u32,
    /// The used entries: PBAs of previous filemarks, nearest first.
    pub entries: Vec<u32>,
}

impl Sfmb {
    pub(crate) const FIXED: usize = 60;

    /// Capacity of an SFMB whose DBLK region is `region_len` bytes.
    pub fn capacity_for(region_len: usize) -> u32 {
        u32::try_from(region_len.saturating_sub(Self::FIXED) / 4).unwrap_or(u32::MAX)
    }

    pub(crate) fn decode(r: &Region<'_>) -> Result<Self, DecodeError> {
        let capacity = r.u32(52);
        let used = r.u32(56);
        if used > capacity {
            return Err(DecodeError::FieldRange {
                field: "SFMB.entries_used",
                value: u64::from(used),
            });
        }
        let room = (r.b.len().saturating_sub(Self::FIXED)) / 4;
        let n = usize::try_from(used).unwrap_or(usize::MAX);
        if n > room {
            return Err(DecodeError::FieldRange {
                field: "SFMB.entries_used",
                value: u64::from(used),
            });
        }
        let entries = (0..n).map(|i| r.u32(Self::FIXED + 4 * i)).collect();
        Ok(Sfmb { capacity, entries })
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u32(52, self.capacity);
        w.u32(56, u32::try_from(self.entries.len()).unwrap_or(u32::MAX));
        for (i, e) in self.entries.iter().enumerate() {
            w.u32(Self::FIXED + 4 * i, *e);
        }
    }
}
