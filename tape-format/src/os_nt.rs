//! Windows NT OS-specific data (OS ID 14; mtf.md §4.12, App. A).

use crate::le::{put_u16, put_u32, u16_at, u32_at};

/// OS ID of Windows NT.
pub const OS_ID_WINDOWS_NT: u8 = 14;
/// OS Version of the NT structures we write (v1: VOLB 8, DIRB 8, FILE 12 bytes).
pub const OS_VERSION_NT1: u8 = 1;

/// `FILE_ATTRIBUTE_*` bits of `dwFileAttributes` that the listing names.
pub mod win_attr {
    /// Read-only.
    pub const READONLY: u32 = 0x01;
    /// Hidden.
    pub const HIDDEN: u32 = 0x02;
    /// System.
    pub const SYSTEM: u32 = 0x04;
    /// Directory.
    pub const DIRECTORY: u32 = 0x10;
    /// Archive.
    pub const ARCHIVE: u32 = 0x20;
    /// Normal.
    pub const NORMAL: u32 = 0x80;
    /// Reparse point.
    pub const REPARSE_POINT: u32 = 0x400;
}

/// NT OS data of a VOLB (v1; v0 has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NtVolume {
    /// File system flags (`GetVolumeInformation`).
    pub file_system_flags: u32,
    /// NT backup set attributes (BIT0 = disaster-recovery candidate).
    pub backup_set_attributes: u32,
}

/// NT OS data of a DIRB or FILE.
///
/// v0 FILE: attrs @0, short-name offset @4, size @6, link flag (u16) @8, reserved @10.
/// v1 DIRB: attrs, short-name offset, size (8 bytes); v1 FILE adds `NT File Flags` (u32) @8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NtObject {
    /// `dwFileAttributes`.
    pub attributes: u32,
    /// Short (8.3) name offset, DBLK-relative (0 = none).
    pub short_name_offset: u16,
    /// Short name size in bytes.
    pub short_name_size: u16,
    /// v1 FILE: NT File Flags (BIT0 link, BIT16 POSIX); v0 FILE: the link flag word.
    pub flags: u32,
}

impl NtVolume {
    /// Decodes VOLB OS data (needs 8 bytes).
    pub fn decode(b: &[u8]) -> Option<Self> {
        (b.len() >= 8).then(|| NtVolume {
            file_system_flags: u32_at(b, 0),
            backup_set_attributes: u32_at(b, 4),
        })
    }

    /// Encodes to 8 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(8);
        put_u32(&mut v, 0, self.file_system_flags);
        put_u32(&mut v, 4, self.backup_set_attributes);
        v
    }
}

impl NtObject {
    /// Decodes DIRB/FILE OS data of `version` (4 bytes suffice for attributes only).
    pub fn decode(b: &[u8], version: u8, is_file: bool) -> Option<Self> {
        if b.len() < 4 {
            return None;
        }
        let flags = match (version, is_file) {
            (0, true) => u32::from(u16_at(b, 8)),
            (_, true) => u32_at(b, 8),
            _ => 0,
        };
        Some(NtObject {
            attributes: u32_at(b, 0),
            short_name_offset: u16_at(b, 4),
            short_name_size: u16_at(b, 6),
            flags,
        })
    }

    /// Encodes the v1 layout: 12 bytes for a FILE, 8 for a DIRB.
    pub fn encode_v1(&self, is_file: bool) -> Vec<u8> {
        let mut v = Vec::with_capacity(12);
        put_u32(&mut v, 0, self.attributes);
        put_u16(&mut v, 4, self.short_name_offset);
        put_u16(&mut v, 6, self.short_name_size);
        if is_file {
            put_u32(&mut v, 8, self.flags);
        }
        v
    }
}
