//! `MTF_EOTM`, end-of-tape marker (mtf.md §4.9). Header rules: FLA 0, Control Block ID 0.
//! Attributes `EOTM_NO_ESET_PBA` / `EOTM_INVALID_ESET_PBA` qualify the address.
//!
//! | off | size | field |
//! |---|---|---|
//! | 52 | 8 | Last ESET PBA |

use super::var::{Region, VarWriter};

/// EOTM body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eotm {
    /// PBA of the last complete ESET on this medium (the second ESET with a Type 1 catalog).
    pub last_eset_pba: u64,
}

impl Eotm {
    pub(crate) const FIXED: usize = 60;

    pub(crate) fn decode(r: &Region<'_>) -> Self {
        Eotm {
            last_eset_pba: r.u64(52),
        }
    }

    pub(crate) fn encode(&self, w: &mut VarWriter) {
        w.u64(52, self.last_eset_pba);
    }
}
