//! The media-based catalog (mtf.md §10): Type 1 File/Directory Detail ([`fdd`], stream `TFDD`)
//! and Set Map ([`setmap`], stream `TSMP`), written after the ESET and read back; the caller-owned
//! spool ([`spool`]) that keeps FDD entries out of the writer's memory. Type 2 (`MAP2`/`FDD2`) is
//! recognised and skipped as opaque stream data.

pub mod fdd;
pub mod setmap;
pub mod spool;

pub use fdd::{FddBody, FddEntry, FddKind, decode_fdd_entry};
pub use setmap::{SetMap, SetMapEntry};
pub use spool::{FddSpool, MemorySpool};

/// `TAPE` Media Based Catalog Type values (Table 6).
pub mod catalog_type {
    /// No catalog.
    pub const NONE: u16 = 0;
    /// Type 1 (`TFDD` + `TSMP`).
    pub const TYPE1: u16 = 1;
    /// Type 2 (`MAP2` + `FDD2`).
    pub const TYPE2: u16 = 2;
}

/// SSET Media Catalog Version for a Type 1 catalog.
pub const TYPE1_CATALOG_VERSION: u8 = 2;
