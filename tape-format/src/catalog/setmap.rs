//! The Type 1 Set Map (stream `TSMP`; mtf.md §10.4): cumulative over the media family, one entry
//! per SSET written (continuation SSETs included, §7.3.3.1), each followed by its volume entries
//! in FDD VOLB format. Never split across media; the last medium always holds it whole.
//!
//! `MTF_SM_HDR`: @0 u32 Media Family ID, @4 u16 number of entries, @6 pad.
//!
//! | off | size | field | | off | size | field |
//! |---|---|---|---|---|---|---|
//! | 0 | 2 | Length (incl. strings) | | 52 | 8 | Data Set Displayable Size |
//! | 2 | 2 | Media Sequence Number | | 60 | 2 | Number Of Volumes |
//! | 4 | 4 | Common Block Attributes | | 62 | 2 | Password Encryption Algorithm |
//! | 8 | 4 | SSET Attributes | | 64 | 4 | Data Set Name |
//! | 12 | 8 | SSET PBA | | 68 | 4 | Data Set Password |
//! | 20 | 8 | FDD PBA | | 72 | 4 | Data Set Description |
//! | 28 | 2 | FDD Media Sequence Number | | 76 | 4 | User Name |
//! | 30 | 2 | Data Set Number | | 80 | 5 | Media Write Date |
//! | 32 | 8 | Format Logical Address | | 85 | 1 | Time Zone |
//! | 40 | 4 | Number Of Directories | | 86 | 1 | OS ID |
//! | 44 | 4 | Number Of Files | | 87 | 1 | OS Version |
//! | 48 | 4 | Number Of Corrupt Files | | 88 | 1 | String Type |
//! | | | | | 89 | 1 | MTF Minor Version |
//! | | | | | 90 | 1 | Media Catalog Version |

use super::fdd::{FddEntry, FddKind, decode_fdd_entry};
use crate::block::TapeAddress;
use crate::date::MtfDate;
use crate::decoded::Decoded;
use crate::error::{DecodeError, EncodeError};
use crate::le::{arr, put, put_u16, put_u32, put_u64, to_u64, u8_at, u16_at, u32_at, u64_at};
use crate::strings::StringType;

const ENTRY_FIXED: usize = 91;

/// One Set Map entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetMapEntry {
    /// Medium holding the SSET.
    pub media_sequence: u16,
    /// The SSET's block attributes.
    pub block_attributes: u32,
    /// SSET attributes.
    pub set_attributes: u32,
    /// PBA of the SSET.
    pub sset_pba: u64,
    /// PBA of the FDD stream header.
    pub fdd_pba: u64,
    /// Medium on which the FDD starts.
    pub fdd_media_sequence: u16,
    /// Data set number.
    pub set_number: u16,
    /// FLA of the SSET.
    pub fla: u64,
    /// Number of directories.
    pub directories: u32,
    /// Number of files.
    pub files: u32,
    /// Number of corrupt files.
    pub corrupt_files: u32,
    /// Total displayable size.
    pub displayable_size: u64,
    /// Password encryption algorithm.
    pub password_encryption: u16,
    /// Data set name.
    pub name: Vec<u8>,
    /// Data set password.
    pub password: Vec<u8>,
    /// Data set description.
    pub description: Vec<u8>,
    /// User name.
    pub user_name: Vec<u8>,
    /// Media write date.
    pub media_write_date: MtfDate,
    /// Time zone.
    pub time_zone: i8,
    /// OS ID.
    pub os_id: u8,
    /// OS version.
    pub os_version: u8,
    /// String type.
    pub string_type: StringType,
    /// MTF minor version.
    pub mtf_minor: u8,
    /// Media catalog version.
    pub catalog_version: u8,
    /// Volume entries (FDD VOLB format).
    pub volumes: Vec<FddEntry>,
}

/// A whole Set Map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetMap {
    /// Media family ID.
    pub media_family_id: u32,
    /// Entries in write order.
    pub entries: Vec<SetMapEntry>,
}

impl SetMap {
    /// Encodes the stream body.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        out.extend(self.media_family_id.to_le_bytes());
        let n = u16::try_from(self.entries.len()).map_err(|_| EncodeError::TooLarge {
            structure: "TSMP",
            size: self.entries.len(),
            limit: 0xFFFF,
        })?;
        out.extend(n.to_le_bytes());
        out.extend([0, 0]);
        for e in &self.entries {
            e.encode(&mut out)?;
        }
        Ok(out)
    }

    /// Decodes a whole stream body (trailing zero padding is allowed).
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        if b.len() < 8 {
            return Err(DecodeError::MissingData("MTF_SM_HDR"));
        }
        let mut map = SetMap {
            media_family_id: u32_at(b, 0),
            entries: Vec::new(),
        };
        let count = u16_at(b, 4);
        let mut pos = 8;
        for _ in 0..count {
            let rest = b.get(pos..).unwrap_or(&[]);
            let (entry, used) = SetMapEntry::decode(rest)?;
            map.entries.push(entry);
            pos += used;
        }
        Ok(map)
    }
}

impl SetMapEntry {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let too_large = |size| EncodeError::TooLarge {
            structure: "MTF_SM_ENTRY",
            size,
            limit: 0xFFFF,
        };
        let mut b = vec![0u8; ENTRY_FIXED];
        put_u16(&mut b, 2, self.media_sequence);
        put_u32(&mut b, 4, self.block_attributes);
        put_u32(&mut b, 8, self.set_attributes);
        put_u64(&mut b, 12, self.sset_pba);
        put_u64(&mut b, 20, self.fdd_pba);
        put_u16(&mut b, 28, self.fdd_media_sequence);
        put_u16(&mut b, 30, self.set_number);
        put_u64(&mut b, 32, self.fla);
        put_u32(&mut b, 40, self.directories);
        put_u32(&mut b, 44, self.files);
        put_u32(&mut b, 48, self.corrupt_files);
        put_u64(&mut b, 52, self.displayable_size);
        put_u16(
            &mut b,
            60,
            u16::try_from(self.volumes.len()).map_err(|_| too_large(self.volumes.len()))?,
        );
        put_u16(&mut b, 62, self.password_encryption);
        for (off, s) in [
            (64, &self.name),
            (68, &self.password),
            (72, &self.description),
            (76, &self.user_name),
        ] {
            if s.is_empty() {
                continue;
            }
            let offset = u16::try_from(b.len()).map_err(|_| too_large(b.len()))?;
            let size = u16::try_from(s.len()).map_err(|_| too_large(s.len()))?;
            b.extend_from_slice(s);
            TapeAddress { size, offset }.write(&mut b, off);
        }
        put(&mut b, 80, &self.media_write_date.to_bytes());
        put(
            &mut b,
            85,
            &[self.time_zone.to_le_bytes()[0], self.os_id, self.os_version],
        );
        put(
            &mut b,
            88,
            &[
                self.string_type.to_u8(),
                self.mtf_minor,
                self.catalog_version,
            ],
        );
        b.resize(b.len().div_ceil(4) * 4, 0);
        let len = u16::try_from(b.len()).map_err(|_| too_large(b.len()))?;
        put_u16(&mut b, 0, len);
        out.extend_from_slice(&b);
        for v in &self.volumes {
            if v.kind() != FddKind::Volume {
                return Err(EncodeError::Mismatch(
                    "Set Map volume entry is not a VOLB entry",
                ));
            }
            v.encode(out)?;
        }
        Ok(())
    }

    fn decode(b: &[u8]) -> Result<(Self, usize), DecodeError> {
        if b.len() < ENTRY_FIXED {
            return Err(DecodeError::MissingData("MTF_SM_ENTRY"));
        }
        let len = usize::from(u16_at(b, 0));
        if len < ENTRY_FIXED || len > b.len() {
            return Err(DecodeError::FieldRange {
                field: "MTF_SM_ENTRY.length",
                value: to_u64(len),
            });
        }
        let e = &b[..len];
        let s = |off: usize, field| {
            TapeAddress::read(e, off)
                .slice(e, field)
                .map(<[u8]>::to_vec)
        };
        let mut entry = SetMapEntry {
            media_sequence: u16_at(e, 2),
            block_attributes: u32_at(e, 4),
            set_attributes: u32_at(e, 8),
            sset_pba: u64_at(e, 12),
            fdd_pba: u64_at(e, 20),
            fdd_media_sequence: u16_at(e, 28),
            set_number: u16_at(e, 30),
            fla: u64_at(e, 32),
            directories: u32_at(e, 40),
            files: u32_at(e, 44),
            corrupt_files: u32_at(e, 48),
            displayable_size: u64_at(e, 52),
            password_encryption: u16_at(e, 62),
            name: s(64, "MTF_SM_ENTRY.name")?,
            password: s(68, "MTF_SM_ENTRY.password")?,
            description: s(72, "MTF_SM_ENTRY.description")?,
            user_name: s(76, "MTF_SM_ENTRY.user_name")?,
            media_write_date: MtfDate::from_bytes(arr(e, 80)),
            time_zone: i8::from_le_bytes([u8_at(e, 85)]),
            os_id: u8_at(e, 86),
            os_version: u8_at(e, 87),
            string_type: StringType::from_u8(u8_at(e, 88)),
            mtf_minor: u8_at(e, 89),
            catalog_version: u8_at(e, 90),
            volumes: Vec::new(),
        };
        let mut pos = len;
        for _ in 0..u16_at(e, 60) {
            match decode_fdd_entry(b.get(pos..).unwrap_or(&[]))? {
                Decoded::Complete { value, consumed } if value.kind() == FddKind::Volume => {
                    entry.volumes.push(value);
                    pos += consumed;
                }
                Decoded::Complete { .. } => {
                    return Err(DecodeError::FieldRange {
                        field: "MTF_SM_ENTRY.volume_type",
                        value: 0,
                    });
                }
                Decoded::Incomplete { .. } => {
                    return Err(DecodeError::MissingData("MTF_SM_ENTRY volume"));
                }
            }
        }
        Ok((entry, pos))
    }
}
