//! Descriptor blocks (DBLKs): the common header plus one body type per file (pcap-parser style).
//!
//! A DBLK occupies `[0, Offset To First Event)`: the 52-byte header, the type's fixed part, then
//! the strings and OS data its TAPE_ADDRESS fields point at. [`decode_dblk`] decodes exactly that
//! region; streams follow and are decoded by [`crate::stream`].

mod cfil;
mod dirb;
mod eotm;
mod eset;
mod espb;
mod file;
mod header;
mod sfmb;
mod sset;
mod tape;
mod var;
mod volb;

pub use cfil::Cfil;
pub use dirb::Dirb;
pub use eotm::Eotm;
pub use eset::Eset;
pub use file::File;
pub use header::{HEADER_LEN, Header, TapeAddress, looks_like_header};
pub use sfmb::Sfmb;
pub use sset::{LOCAL_TZ, Sset};
pub use tape::Tape;
pub use volb::Volb;

use crate::decoded::{Decoded, need};
use crate::error::{DecodeError, EncodeError};
use crate::ids::BlockType;
use crate::le::align_up;
use var::{Region, VarWriter};

/// The type-specific part of a DBLK.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// `TAPE`.
    Tape(Tape),
    /// `SSET`.
    Sset(Sset),
    /// `VOLB`.
    Volb(Volb),
    /// `DIRB`.
    Dirb(Dirb),
    /// `FILE`.
    File(File),
    /// `CFIL`.
    Cfil(Cfil),
    /// `ESPB` (no fields).
    Espb,
    /// `ESET`.
    Eset(Eset),
    /// `EOTM`.
    Eotm(Eotm),
    /// `SFMB`.
    Sfmb(Sfmb),
    /// Any other type (vendor blocks): the bytes after the common header, kept verbatim.
    Unknown(Unknown),
}

/// The body of a DBLK type this crate does not interpret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unknown {
    /// Bytes `[52, Offset To First Event)` of the block.
    pub raw: Vec<u8>,
    /// Offset of the OS data inside the block when they lie within `raw` (0 = appended). The
    /// decoder sets it only for non-empty OS data at or after the common header.
    pub os_data_offset: u16,
}

/// A whole descriptor block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dblk {
    /// The common header.
    pub header: Header,
    /// The type-specific fields.
    pub body: Body,
    /// OS-specific data (raw; see [`crate::os_nt`] for OS ID 14).
    pub os_data: Vec<u8>,
}

/// Length of the fixed part (header included) of a DBLK type; 52 for unknown types.
pub fn fixed_len(t: BlockType) -> usize {
    match t {
        BlockType::TAPE => Tape::FIXED,
        BlockType::SSET => Sset::FIXED,
        BlockType::VOLB => Volb::FIXED,
        BlockType::DIRB => Dirb::FIXED,
        BlockType::FILE => File::FIXED,
        BlockType::CFIL => Cfil::FIXED,
        BlockType::ESET => Eset::FIXED,
        BlockType::EOTM => Eotm::FIXED,
        BlockType::SFMB => Sfmb::FIXED,
        _ => HEADER_LEN,
    }
}

/// Decodes the DBLK at the start of `input` (its region `[0, Offset To First Event)`).
///
/// `Incomplete` for every strict prefix of a valid block; `Err` for a bad checksum, a non-ASCII
/// type, an Offset To First Event shorter than the fixed part, or a TAPE_ADDRESS outside the region.
///
/// A block of an unknown type keeps its OS data only when they lie after the common header (in
/// [`Unknown::raw`]); an OS data address of size 0 or into the header yields no OS data.
pub fn decode_dblk(input: &[u8]) -> Result<Decoded<Dblk>, DecodeError> {
    let (header, os_addr) = match Header::decode(input)? {
        Decoded::Complete { value, .. } => value,
        Decoded::Incomplete { needed } => return Ok(Decoded::Incomplete { needed }),
    };
    let region_len = usize::from(header.first_event);
    if region_len < fixed_len(header.block_type) {
        return Err(DecodeError::FieldRange {
            field: "MTF_DB_HDR.offset_to_first_event",
            value: u64::from(header.first_event),
        });
    }
    if let Some(needed) = need(input, region_len) {
        return Ok(Decoded::Incomplete { needed });
    }
    let r = Region {
        b: &input[..region_len],
    };
    let mut body = match header.block_type {
        BlockType::TAPE => Body::Tape(Tape::decode(&r)?),
        BlockType::SSET => Body::Sset(Sset::decode(&r)?),
        BlockType::VOLB => Body::Volb(Volb::decode(&r)?),
        BlockType::DIRB => Body::Dirb(Dirb::decode(&r)?),
        BlockType::FILE => Body::File(File::decode(&r)?),
        BlockType::CFIL => Body::Cfil(Cfil::decode(&r)?),
        BlockType::ESPB => Body::Espb,
        BlockType::ESET => Body::Eset(Eset::decode(&r)?),
        BlockType::EOTM => Body::Eotm(Eotm::decode(&r)),
        BlockType::SFMB => Body::Sfmb(Sfmb::decode(&r)?),
        _ => Body::Unknown(Unknown {
            raw: r.b[HEADER_LEN..].to_vec(),
            os_data_offset: 0,
        }),
    };
    let mut os_data = os_addr.slice(r.b, "MTF_DB_HDR.os_specific_data")?.to_vec();
    if let Body::Unknown(u) = &mut body {
        // The encoder can only reproduce OS data that lie in `raw`. An absent address (size 0,
        // whatever its offset) or one into the common header, which holds no OS data, is
        // dropped: the block stays readable (and skippable), its bytes are kept in `raw`.
        if !os_data.is_empty() && usize::from(os_addr.offset) >= HEADER_LEN {
            u.os_data_offset = os_addr.offset;
        } else {
            os_data.clear();
        }
    }
    Ok(Decoded::Complete {
        value: Dblk {
            header,
            body,
            os_data,
        },
        consumed: region_len,
    })
}

impl Dblk {
    /// A block with a default header of the body's type.
    pub fn new(body: Body) -> Self {
        let t = body.block_type().unwrap_or(BlockType([b'?'; 4]));
        Dblk {
            header: Header::new(t),
            body,
            os_data: Vec::new(),
        }
    }

    /// Decodes a string field of this block by its String Type.
    pub fn text(&self, raw: &[u8]) -> String {
        self.header.string_type.decode(raw)
    }

    /// Appends the DBLK image (length = Offset To First Event) to `out`; returns that length.
    ///
    /// Strings are placed after the fixed part in field order, then the OS data; the image is
    /// zero-padded to `header.first_event` if that is not shorter than the DBLK, else to a 4-byte
    /// boundary. An [`Unknown`] body is written verbatim, with its OS data in place when it
    /// holds them (at `os_data_offset`), so a decoded block re-encodes to the same image.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let mut w = VarWriter::new(fixed_len(self.header.block_type));
        match &self.body {
            Body::Tape(b) => b.encode(&mut w),
            Body::Sset(b) => b.encode(&mut w),
            Body::Volb(b) => b.encode(&mut w),
            Body::Dirb(b) => b.encode(&mut w),
            Body::File(b) => b.encode(&mut w),
            Body::Cfil(b) => b.encode(&mut w),
            Body::Espb => {}
            Body::Eset(b) => b.encode(&mut w),
            Body::Eotm(b) => b.encode(&mut w),
            Body::Sfmb(b) => b.encode(&mut w),
            Body::Unknown(u) => w.buf.extend_from_slice(&u.raw),
        }
        if self
            .body
            .block_type()
            .is_some_and(|t| t != self.header.block_type)
        {
            return Err(EncodeError::Mismatch(
                "DBLK header type differs from its body",
            ));
        }
        let held = matches!(&self.body, Body::Unknown(u) if u.holds_os_data(&self.os_data));
        let var_total = w.buf.len() + if held { 0 } else { self.os_data.len() };
        if var_total > usize::from(u16::MAX) {
            return Err(EncodeError::TooLarge {
                structure: "DBLK",
                size: var_total,
                limit: 0xFFFF,
            });
        }
        let os = match &self.body {
            Body::Unknown(u) if held => TapeAddress {
                size: u16::try_from(self.os_data.len()).unwrap_or(0),
                offset: u.os_data_offset,
            },
            _ => w.append(&self.os_data),
        };
        // A first-event offset that leaves room for the DBLK is kept as it is, aligned or not,
        // so that a decoded block (an unknown type's `raw` above all) re-encodes to its length.
        let len = match usize::from(self.header.first_event) {
            fe if fe >= w.buf.len() => fe,
            _ => crate::le::to_usize(align_up(crate::le::to_u64(w.buf.len()), 4)),
        };
        let first_event = u16::try_from(len).map_err(|_| EncodeError::TooLarge {
            structure: "DBLK",
            size: len,
            limit: 0xFFFF,
        })?;
        w.buf.resize(len, 0);
        self.header.encode_into(&mut w.buf, first_event, os);
        out.extend_from_slice(&w.buf);
        Ok(len)
    }
}

impl Unknown {
    /// `true` when `os` lies in `raw` at `os_data_offset` (so it need not be appended again).
    fn holds_os_data(&self, os: &[u8]) -> bool {
        let start = usize::from(self.os_data_offset);
        !os.is_empty()
            && start >= HEADER_LEN
            && self
                .raw
                .get(start - HEADER_LEN..start - HEADER_LEN + os.len())
                == Some(os)
    }
}

impl Body {
    /// The DBLK type this body belongs to (`None` for [`Body::Unknown`]).
    pub fn block_type(&self) -> Option<BlockType> {
        Some(match self {
            Body::Tape(_) => BlockType::TAPE,
            Body::Sset(_) => BlockType::SSET,
            Body::Volb(_) => BlockType::VOLB,
            Body::Dirb(_) => BlockType::DIRB,
            Body::File(_) => BlockType::FILE,
            Body::Cfil(_) => BlockType::CFIL,
            Body::Espb => BlockType::ESPB,
            Body::Eset(_) => BlockType::ESET,
            Body::Eotm(_) => BlockType::EOTM,
            Body::Sfmb(_) => BlockType::SFMB,
            Body::Unknown(_) => return None,
        })
    }
}
