//! Writer configuration (`*Options`, defaultable) and what each call must be given (`*Info`).

use crate::attrs::{
    CorruptAttributes, DirAttributes, FileAttributes, SetAttributes, StreamFsAttributes,
    VolumeAttributes,
};
use crate::date::MtfDate;
use crate::ids::StreamId;
use crate::os_nt::{NtObject, NtVolume};
use crate::stream::unix::UnixMeta;

/// NTBackup's software vendor ID (mtf.md §11.1); used as our default.
pub const DEFAULT_VENDOR_ID: u16 = 0x0CBE;

/// How a [`super::MediaWriter`] lays out media. Defaults suit a tape: FLB 1024, 256 KiB physical
/// blocks written one per output, hardware filemarks, no catalog, UTF-16 strings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriterOptions {
    /// Format Logical Block size: 512 or 1024.
    pub flb_size: u16,
    /// Physical block size: a multiple of the FLB size (64 KiB – 1 MiB on tape).
    pub physical_block_size: usize,
    /// Bytes per [`super::Output::Block`]: a multiple of the physical block size. On tape each
    /// output is one tape record, so keep it equal to the physical block size there; for a `.bkf`
    /// file use e.g. 1 MiB. Blocks before a filemark may be shorter (whole physical blocks).
    pub write_unit: usize,
    /// Soft filemarks (SFMB blocks) instead of hardware filemarks (`.bkf` files).
    pub soft_filemarks: bool,
    /// Write a Type 1 media-based catalog (TFDD + TSMP) after every set.
    pub catalog: bool,
    /// Media Family ID (same on every medium of the family).
    pub media_family_id: u32,
    /// Software name written in every TAPE.
    pub software_name: String,
    /// Software vendor ID.
    pub software_vendor: u16,
    /// Software major and minor version written in every SSET.
    pub software_version: (u8, u8),
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            flb_size: 1024,
            physical_block_size: 256 * 1024,
            write_unit: 256 * 1024,
            soft_filemarks: false,
            catalog: false,
            media_family_id: 0,
            software_name: "ntbackup-rs".to_owned(),
            software_vendor: DEFAULT_VENDOR_ID,
            software_version: (0, 1),
        }
    }
}

impl WriterOptions {
    /// Settings for a `.bkf` file: FLB = physical block = 1024, soft filemarks, 1 MiB outputs.
    pub fn bkf() -> Self {
        WriterOptions {
            physical_block_size: 1024,
            write_unit: 1024 * 1024,
            soft_filemarks: true,
            ..Self::default()
        }
    }

    /// Sets the media family ID.
    pub fn family(mut self, id: u32) -> Self {
        self.media_family_id = id;
        self
    }

    /// Turns the Type 1 catalog on or off.
    pub fn with_catalog(mut self, on: bool) -> Self {
        self.catalog = on;
        self
    }

    /// Sets FLB, physical block and write unit sizes.
    pub fn sizes(mut self, flb: u16, physical: usize, unit: usize) -> Self {
        self.flb_size = flb;
        self.physical_block_size = physical;
        self.write_unit = unit;
        self
    }

    /// Sets soft filemarks on or off.
    pub fn soft_filemarks(mut self, on: bool) -> Self {
        self.soft_filemarks = on;
        self
    }
}

/// Per-medium values of a TAPE block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediumInfo {
    /// Media name, e.g. `Backup.bkf created 11/26/2019 at 2:59 PM`.
    pub name: String,
    /// Media label (`MTF Media Label|1.0|…`, sets `TAPE_MEDIA_LABEL_BIT`) or plain description.
    pub label: Option<String>,
    /// `true` if `label` is an MTF media label rather than a description.
    pub label_is_media_label: bool,
    /// Media date.
    pub date: MtfDate,
}

/// Values of an SSET.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetInfo {
    /// Backup type: one of COPY/NORMAL/DIFFERENTIAL/INCREMENTAL/DAILY, optionally TRANSFER.
    pub backup_type: SetAttributes,
    /// Data set number (1 for the first set of the family).
    pub set_number: u16,
    /// Set name.
    pub name: String,
    /// Set description.
    pub description: String,
    /// User name (`DOMAIN\user`).
    pub user_name: String,
    /// Media write date.
    pub date: MtfDate,
    /// Time zone: local − UTC in 15-minute units, or [`crate::block::LOCAL_TZ`].
    pub time_zone: i8,
}

/// Values of a VOLB.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeInfo {
    /// Device name: `C:`, `\\server\share`, or for Linux a mount point such as `/`.
    pub device: String,
    /// Volume name (display only).
    pub volume_name: String,
    /// Machine name.
    pub machine: String,
    /// Attributes; when empty the writer derives DEV_DRIVE / DEV_UNC / DEV_OS_SPEC from `device`.
    pub attributes: VolumeAttributes,
    /// Media write date.
    pub date: MtfDate,
    /// NT OS data (v1); `None` writes zeros.
    pub nt: Option<NtVolume>,
}

/// Dates of a DIRB or FILE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ObjectDates {
    /// Last modification.
    pub modified: MtfDate,
    /// Creation.
    pub created: MtfDate,
    /// Backup.
    pub backup: MtfDate,
    /// Last access.
    pub accessed: MtfDate,
}

/// Values of a DIRB.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirectoryInfo {
    /// Path components from the volume root (empty = root).
    pub path: Vec<String>,
    /// Attributes.
    pub attributes: DirAttributes,
    /// Dates.
    pub dates: ObjectDates,
    /// NT OS data (v1); `None` writes FILE_ATTRIBUTE_DIRECTORY.
    pub nt: Option<NtObject>,
    /// Unix metadata, written as an `LXMD` stream.
    pub unix: Option<UnixMeta>,
}

/// Values of a FILE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileInfo {
    /// File name (no path).
    pub name: String,
    /// File size (Displayable Size).
    pub size: u64,
    /// Attributes.
    pub attributes: FileAttributes,
    /// Dates.
    pub dates: ObjectDates,
    /// NT OS data (v1); `None` writes FILE_ATTRIBUTE_ARCHIVE.
    pub nt: Option<NtObject>,
    /// Unix metadata, written as an `LXMD` stream.
    pub unix: Option<UnixMeta>,
}

/// A data stream to begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamInfo {
    /// Stream ID (`STAN`, `NACL`, `ADAT`, …).
    pub id: StreamId,
    /// Exact number of data bytes that will follow.
    pub length: u64,
    /// File system attributes.
    pub fs_attributes: StreamFsAttributes,
    /// Follow the stream with a `CSUM` stream.
    pub checksum: bool,
}

impl StreamInfo {
    /// A `STAN` stream of `length` bytes with a `CSUM`.
    pub fn stan(length: u64) -> Self {
        StreamInfo {
            id: StreamId::STAN,
            length,
            fs_attributes: StreamFsAttributes::empty(),
            checksum: true,
        }
    }
}

/// Values of a CFIL block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CorruptInfo {
    /// Why.
    pub attributes: CorruptAttributes,
    /// Offset of the zero fill inside the stream.
    pub stream_offset: u64,
    /// Number of the corrupt stream of the FILE (1-based).
    pub stream_number: u16,
}
