//! Attribute bit sets (mtf.md §3.2, §4, §5.1). Unknown bits are retained (`const _ = !0`) so
//! decoding and re-encoding is lossless. Bits 16+ of [`BlockAttributes`] mean different things per
//! DBLK type; the constants are named after the type they apply to.

use bitflags::bitflags;

bitflags! {
    /// `MTF_DB_HDR` Block Attributes (Table 3).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct BlockAttributes: u32 {
        /// Any DBLK: repeated on a continuation medium.
        const CONTINUATION = 0x0000_0001;
        /// Any DBLK: software compression may be active.
        const COMPRESSION = 0x0000_0004;
        /// Any DBLK: end of medium hit during end-of-set processing.
        const EOS_AT_EOM = 0x0000_0008;
        /// TAPE: a Set Map is on this medium.
        const TAPE_SET_MAP_EXISTS = 0x0001_0000;
        /// TAPE: FDD will be attempted.
        const TAPE_FDD_ALLOWED = 0x0002_0000;
        /// SSET: FDD written for this set.
        const SSET_FDD_EXISTS = 0x0001_0000;
        /// SSET: stream encryption active.
        const SSET_ENCRYPTION = 0x0002_0000;
        /// ESET: FDD aborted.
        const ESET_FDD_ABORTED = 0x0001_0000;
        /// ESET: Set Map aborted, no further appends.
        const ESET_END_OF_FAMILY = 0x0002_0000;
        /// ESET: the set was aborted.
        const ESET_ABORTED_SET = 0x0004_0000;
        /// EOTM: no data set ends on this medium.
        const EOTM_NO_ESET_PBA = 0x0001_0000;
        /// EOTM: Last ESET PBA is invalid.
        const EOTM_INVALID_ESET_PBA = 0x0002_0000;
        const _ = !0;
    }
}

bitflags! {
    /// TAPE Attributes (Table 5).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct TapeAttributes: u32 {
        /// Soft filemarks (SFMB) are in use.
        const SOFT_FILEMARK = 0x1;
        /// The description field holds a Media Label.
        const MEDIA_LABEL = 0x2;
        const _ = !0;
    }
}

bitflags! {
    /// SSET / ESET Attributes (Table 9): exactly one of COPY..DAILY names the backup type.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SetAttributes: u32 {
        /// Files were removed from the source after the operation.
        const TRANSFER = 0x01;
        /// All selected files; modified flag not reset.
        const COPY = 0x02;
        /// All selected files; modified flag reset.
        const NORMAL = 0x04;
        /// Modified files; flag not reset.
        const DIFFERENTIAL = 0x08;
        /// Modified files; flag reset.
        const INCREMENTAL = 0x10;
        /// Files changed today.
        const DAILY = 0x20;
        const _ = !0;
    }
}

bitflags! {
    /// VOLB Attributes (Table 12).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct VolumeAttributes: u32 {
        /// Do not redirect the restore.
        const NO_REDIRECT_RESTORE = 0x01;
        /// Not a volume.
        const NON_VOLUME = 0x02;
        /// Device name is a drive (`C:`).
        const DEV_DRIVE = 0x04;
        /// Device name is UNC (`\\server\share`).
        const DEV_UNC = 0x08;
        /// OS-specific device name.
        const DEV_OS_SPEC = 0x10;
        /// Vendor-specific device name.
        const DEV_VEND_SPEC = 0x20;
        const _ = !0;
    }
}

bitflags! {
    /// DIRB Attributes (Table 13).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct DirAttributes: u32 {
        /// Read-only.
        const READ_ONLY = 0x100;
        /// Hidden.
        const HIDDEN = 0x200;
        /// System.
        const SYSTEM = 0x400;
        /// Modified (archive).
        const MODIFIED = 0x800;
        /// The directory had no entries.
        const EMPTY = 0x1_0000;
        /// The path is in a `PNAM` stream.
        const PATH_IN_STREAM = 0x2_0000;
        /// Corrupt.
        const CORRUPT = 0x4_0000;
        const _ = !0;
    }
}

bitflags! {
    /// FILE Attributes (Table 14).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct FileAttributes: u32 {
        /// Read-only.
        const READ_ONLY = 0x100;
        /// Hidden.
        const HIDDEN = 0x200;
        /// System.
        const SYSTEM = 0x400;
        /// Modified (archive).
        const MODIFIED = 0x800;
        /// In use during backup.
        const IN_USE = 0x1_0000;
        /// The name is in an `FNAM` stream.
        const NAME_IN_STREAM = 0x2_0000;
        /// Corrupt.
        const CORRUPT = 0x4_0000;
        const _ = !0;
    }
}

bitflags! {
    /// CFIL Attributes (Table 15).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CorruptAttributes: u32 {
        /// The size changed during backup.
        const LENGTH_CHANGE = 0x1_0000;
        /// Hard read error.
        const UNREADABLE_BLK = 0x2_0000;
        /// Deadlock.
        const DEADLOCK = 0x4_0000;
        const _ = !0;
    }
}

bitflags! {
    /// Stream File System Attributes (Table 17).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct StreamFsAttributes: u16 {
        /// Modified by read.
        const MODIFIED_BY_READ = 0x1;
        /// Contains security data.
        const CONTAINS_SECURITY = 0x2;
        /// Not portable.
        const IS_NON_PORTABLE = 0x4;
        /// Sparse.
        const IS_SPARSE = 0x8;
        const _ = !0;
    }
}

bitflags! {
    /// Stream Media Format Attributes (Table 18).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct StreamMediaAttributes: u16 {
        /// Continuation of a stream split by end of medium.
        const CONTINUE = 0x01;
        /// Variable-length segment.
        const VARIABLE = 0x02;
        /// Last variable-length segment.
        const VAR_END = 0x04;
        /// Encrypted.
        const ENCRYPTED = 0x08;
        /// Compressed.
        const COMPRESSED = 0x10;
        /// The next stream is a `CSUM`.
        const CHECKSUMED = 0x20;
        /// Obsolete embedded length.
        const EMBEDDED_LENGTH = 0x40;
        const _ = !0;
    }
}
