//! Type 1 FDD entries (`MTF_FDD_HDR` + body; mtf.md §10.3). String and OS-data TAPE_ADDRESS
//! offsets are relative to the entry. We pad every entry to a multiple of 4 bytes (the length
//! field includes the pad) and write LINK = 0 ("none"): the spec is ambiguous about its base
//! (mtf.md §10.3) and an append-only spool cannot patch forward links.
//!
//! | off | size | field |
//! |---|---|---|
//! | 0 | 2 | LENGTH (FEND: distance to the next physical block) |
//! | 2 | 4 | TYPE `VOLB` / `DIRB` / `FILE` / `FEND` |
//! | 6 | 2 | media sequence number of the DBLK |
//! | 8 | 4 | the DBLK's block attributes |
//! | 12 | 8 | the DBLK's FLA |
//! | 20 | 8 | displayable size |
//! | 28 | 4 | LINK (i32) |
//! | 32 | 1 | OS ID |
//! | 33 | 1 | OS version |
//! | 34 | 1 | string type |
//! | 35 | 1 | pad |
//!
//! VOLB body: @36 attributes, @40 device, @44 volume, @48 machine name, @52 OS data, @56 date
//! (the spec's "57 38h" is a typo, mtf.md §13). DIRB/FILE body: @36/41/46/51 dates, @56
//! attributes, @60 name, @64 OS data.

use crate::block::TapeAddress;
use crate::date::MtfDate;
use crate::decoded::{Decoded, need};
use crate::error::{DecodeError, EncodeError};
use crate::ids::BlockType;
use crate::le::{arr, put, put_u16, put_u32, put_u64, to_u64, u8_at, u16_at, u32_at, u64_at};
use crate::strings::StringType;

/// Size of `MTF_FDD_HDR`.
pub const FDD_HEADER_LEN: usize = 36;

/// Entry type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FddKind {
    /// `VOLB`.
    Volume,
    /// `DIRB`.
    Directory,
    /// `FILE`.
    File,
    /// `FEND`, the terminator.
    End,
}

/// The type-specific part of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FddBody {
    /// A volume.
    Volume {
        /// VOLB attributes.
        attributes: u32,
        /// Device name.
        device_name: Vec<u8>,
        /// Volume name.
        volume_name: Vec<u8>,
        /// Machine name.
        machine_name: Vec<u8>,
        /// Media write date.
        media_write_date: MtfDate,
    },
    /// A directory or a file.
    Object {
        /// `true` for FILE, `false` for DIRB.
        is_file: bool,
        /// Modification, creation, backup, access dates.
        dates: [MtfDate; 4],
        /// DIRB/FILE attributes.
        attributes: u32,
        /// Name (DIRB: NUL-separated path).
        name: Vec<u8>,
    },
    /// The terminator; `length` as stored.
    End {
        /// LENGTH field.
        length: u16,
    },
}

/// One FDD entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FddEntry {
    /// Medium holding the DBLK.
    pub media_sequence: u16,
    /// The DBLK's block attributes.
    pub block_attributes: u32,
    /// The DBLK's FLA.
    pub fla: u64,
    /// Displayable size.
    pub displayable_size: u64,
    /// LINK (0 = none).
    pub link: i32,
    /// OS ID.
    pub os_id: u8,
    /// OS version.
    pub os_version: u8,
    /// String type of the strings.
    pub string_type: StringType,
    /// OS-specific data (volume, directory, file).
    pub os_data: Vec<u8>,
    /// Type-specific fields.
    pub body: FddBody,
}

impl FddEntry {
    /// The entry type.
    pub fn kind(&self) -> FddKind {
        match &self.body {
            FddBody::Volume { .. } => FddKind::Volume,
            FddBody::Object { is_file: true, .. } => FddKind::File,
            FddBody::Object { is_file: false, .. } => FddKind::Directory,
            FddBody::End { .. } => FddKind::End,
        }
    }

    /// A `FEND` entry with the given LENGTH.
    pub fn end(length: u16) -> Self {
        FddEntry {
            media_sequence: 0,
            block_attributes: 0,
            fla: 0,
            displayable_size: 0,
            link: 0,
            os_id: 0,
            os_version: 0,
            string_type: StringType::None,
            os_data: Vec::new(),
            body: FddBody::End { length },
        }
    }

    /// Appends the encoded entry to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut b = vec![0u8; FDD_HEADER_LEN];
        let tag: &[u8; 4] = match self.kind() {
            FddKind::Volume => b"VOLB",
            FddKind::Directory => b"DIRB",
            FddKind::File => b"FILE",
            FddKind::End => b"FEND",
        };
        put(&mut b, 2, tag);
        put_u16(&mut b, 6, self.media_sequence);
        put_u32(&mut b, 8, self.block_attributes);
        put_u64(&mut b, 12, self.fla);
        put_u64(&mut b, 20, self.displayable_size);
        put(&mut b, 28, &self.link.to_le_bytes());
        put(
            &mut b,
            32,
            &[self.os_id, self.os_version, self.string_type.to_u8(), 0],
        );
        let len = match &self.body {
            FddBody::Volume {
                attributes,
                device_name,
                volume_name,
                machine_name,
                media_write_date,
            } => {
                b.resize(61, 0);
                put_u32(&mut b, 36, *attributes);
                put(&mut b, 56, &media_write_date.to_bytes());
                for (off, s) in [
                    (40, device_name),
                    (44, volume_name),
                    (48, machine_name),
                    (52, &self.os_data),
                ] {
                    append(&mut b, off, s)?;
                }
                align4(b.len())
            }
            FddBody::Object {
                dates,
                attributes,
                name,
                ..
            } => {
                b.resize(68, 0);
                for (i, d) in dates.iter().enumerate() {
                    put(&mut b, 36 + 5 * i, &d.to_bytes());
                }
                put_u32(&mut b, 56, *attributes);
                append(&mut b, 60, name)?;
                append(&mut b, 64, &self.os_data)?;
                align4(b.len())
            }
            FddBody::End { length } => {
                put_u16(&mut b, 0, *length);
                out.extend_from_slice(&b);
                return Ok(());
            }
        };
        let l = u16::try_from(len).map_err(|_| EncodeError::TooLarge {
            structure: "MTF_FDD entry",
            size: len,
            limit: 0xFFFF,
        })?;
        b.resize(len, 0);
        put_u16(&mut b, 0, l);
        out.extend_from_slice(&b);
        Ok(())
    }
}

fn align4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

fn append(b: &mut Vec<u8>, off: usize, s: &[u8]) -> Result<(), EncodeError> {
    if s.is_empty() {
        return Ok(());
    }
    let too_large = || EncodeError::TooLarge {
        structure: "MTF_FDD entry",
        size: b.len() + s.len(),
        limit: 0xFFFF,
    };
    let offset = u16::try_from(b.len()).map_err(|_| too_large())?;
    let size = u16::try_from(s.len()).map_err(|_| too_large())?;
    b.extend_from_slice(s);
    TapeAddress { size, offset }.write(b, off);
    Ok(())
}

/// Decodes one entry from the front of `input` (a `FEND` consumes only its 36-byte header).
pub fn decode_fdd_entry(input: &[u8]) -> Result<Decoded<FddEntry>, DecodeError> {
    if let Some(needed) = need(input, FDD_HEADER_LEN) {
        return Ok(Decoded::Incomplete { needed });
    }
    let length = u16_at(input, 0);
    let tag = BlockType(arr(input, 2));
    let mut e = FddEntry::end(length);
    e.media_sequence = u16_at(input, 6);
    e.block_attributes = u32_at(input, 8);
    e.fla = u64_at(input, 12);
    e.displayable_size = u64_at(input, 20);
    e.link = i32::from_le_bytes(arr(input, 28));
    e.os_id = u8_at(input, 32);
    e.os_version = u8_at(input, 33);
    e.string_type = StringType::from_u8(u8_at(input, 34));
    let fixed = match &tag.0 {
        b"FEND" => {
            return Ok(Decoded::Complete {
                value: e,
                consumed: FDD_HEADER_LEN,
            });
        }
        b"VOLB" => 61,
        b"DIRB" | b"FILE" => 68,
        _ => {
            return Err(DecodeError::UnknownBlock {
                found: tag,
                offset: 0,
            });
        }
    };
    let len = usize::from(length);
    if len < fixed {
        return Err(DecodeError::FieldRange {
            field: "MTF_FDD_HDR.length",
            value: to_u64(len),
        });
    }
    if let Some(needed) = need(input, len) {
        return Ok(Decoded::Incomplete { needed });
    }
    let b = &input[..len];
    let s = |off: usize, field| {
        TapeAddress::read(b, off)
            .slice(b, field)
            .map(<[u8]>::to_vec)
    };
    e.body = if &tag.0 == b"VOLB" {
        e.os_data = s(52, "MTF_FDD_VOLB.os_data")?;
        FddBody::Volume {
            attributes: u32_at(b, 36),
            device_name: s(40, "MTF_FDD_VOLB.device_name")?,
            volume_name: s(44, "MTF_FDD_VOLB.volume_name")?,
            machine_name: s(48, "MTF_FDD_VOLB.machine_name")?,
            media_write_date: MtfDate::from_bytes(arr(b, 56)),
        }
    } else {
        e.os_data = s(64, "MTF_FDD_OBJECT.os_data")?;
        FddBody::Object {
            is_file: &tag.0 == b"FILE",
            dates: [0, 1, 2, 3].map(|i| MtfDate::from_bytes(arr(b, 36 + 5 * i))),
            attributes: u32_at(b, 56),
            name: s(60, "MTF_FDD_OBJECT.name")?,
        }
    };
    Ok(Decoded::Complete {
        value: e,
        consumed: len,
    })
}
