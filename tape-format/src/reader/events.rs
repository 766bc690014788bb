//! What the reader reports. Metadata are owned (small); file data borrow the caller's input.

use crate::block::{Cfil, Dblk, Dirb, Eotm, Eset, File, Header, Sset, Tape, Volb};
use crate::catalog::{FddEntry, SetMap};
use crate::error::DecodeError;
use crate::ids::{BlockType, StreamId};
use crate::os_nt::{NtObject, NtVolume};
use crate::path::MtfPath;
use crate::stream::StreamHeader;
use crate::stream::unix::UnixMeta;

/// A `TAPE` block: the start of a medium.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediumEvent {
    /// Common header (continuation bit: this medium continues a family).
    pub header: Header,
    /// All TAPE fields.
    pub tape: Tape,
    /// Media name, decoded.
    pub name: String,
    /// Media description or label, decoded.
    pub description: String,
    /// Software name, decoded.
    pub software: String,
}

/// An `SSET`: a data set starts (or, with `continuation`, is re-established on a later medium).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetEvent {
    /// Common header.
    pub header: Header,
    /// All SSET fields.
    pub sset: Sset,
    /// Set name.
    pub name: String,
    /// Set description.
    pub description: String,
    /// User name.
    pub user: String,
    /// Offset of the SSET on the medium.
    pub offset: u64,
}

/// A `VOLB`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VolumeEvent {
    /// Common header.
    pub header: Header,
    /// All VOLB fields.
    pub volb: Volb,
    /// Device name (`C:`, `\\server\share`).
    pub device: String,
    /// Volume name.
    pub volume_name: String,
    /// Machine name.
    pub machine: String,
    /// NT OS data (OS ID 14, v1).
    pub nt: Option<NtVolume>,
}

/// A `DIRB`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectoryEvent {
    /// Common header.
    pub header: Header,
    /// All DIRB fields.
    pub dirb: Dirb,
    /// Device + path components (from the DBLK or its `PNAM` stream).
    pub path: MtfPath,
    /// NT OS data.
    pub nt: Option<NtObject>,
    /// Our `LXMD` metadata, if present (an undecodable body is reported as the error).
    pub unix: Option<Result<UnixMeta, DecodeError>>,
    /// Offset of the DIRB on the medium.
    pub offset: u64,
}

/// A `FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileEvent {
    /// Common header (`displayable_size` = file size).
    pub header: Header,
    /// All FILE fields.
    pub file: File,
    /// File name (from the DBLK or its `FNAM` stream).
    pub name: String,
    /// Device + directory components + name.
    pub path: MtfPath,
    /// NT OS data.
    pub nt: Option<NtObject>,
    /// Our `LXMD` metadata, if present.
    pub unix: Option<Result<UnixMeta, DecodeError>>,
    /// Offset of the FILE on the medium.
    pub offset: u64,
}

/// How a stream's `CSUM` compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChecksumStatus {
    /// The stream has no `STREAM_CHECKSUMED` attribute.
    NotRequested,
    /// `CSUM` matched.
    Verified(u32),
    /// `CSUM` differs.
    Mismatch {
        /// Stored value.
        stored: u32,
        /// Value over the data read.
        computed: u32,
    },
    /// `STREAM_CHECKSUMED` but no `CSUM` stream followed.
    Missing,
}

/// Everything the reader reports, in medium order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A TAPE block.
    Medium(Box<MediumEvent>),
    /// An SSET.
    SetStart(Box<SetEvent>),
    /// A VOLB.
    Volume(Box<VolumeEvent>),
    /// A DIRB.
    Directory(Box<DirectoryEvent>),
    /// A FILE.
    File(Box<FileEvent>),
    /// A data stream of the current DBLK begins. `offset` > 0 when reading starts on a
    /// continuation medium inside a `STAN` stream whose beginning is on an earlier medium (derived
    /// from the FILE's displayable size; `header.length` is then the remaining length).
    StreamStart {
        /// The header as stored.
        header: StreamHeader,
        /// 1-based number of the stream within its DBLK.
        number: u16,
        /// Stream offset of the first byte that follows.
        offset: u64,
    },
    /// Stream data, borrowed from the input.
    Data(&'a [u8]),
    /// The stream ended.
    StreamEnd {
        /// Stream ID.
        id: StreamId,
        /// Bytes delivered.
        length: u64,
        /// CSUM verification.
        checksum: ChecksumStatus,
    },
    /// A stream ended before all its bytes: its data set was closed early (the ESET after it
    /// says `MTF_ABORTED_SET`). The object it belongs to is incomplete.
    StreamCut {
        /// Stream ID.
        id: StreamId,
        /// Bytes delivered.
        delivered: u64,
        /// Bytes the stream header announced.
        expected: u64,
    },
    /// A CFIL block.
    Corrupt(Cfil),
    /// The first ESET of a set.
    SetEnd(Box<(Header, Eset)>),
    /// One FDD entry of a Type 1 catalog.
    FddEntry(Box<FddEntry>),
    /// A Type 1 Set Map.
    SetMap(Box<SetMap>),
    /// A filemark (hardware, or an SFMB block).
    Filemark,
    /// A DBLK of a type we do not interpret (ESPB, vendor blocks).
    OtherBlock(Box<Dblk>),
    /// A block or stream failed to decode (bad checksum, bad field). Reading resumes at the next
    /// valid DBLK found on an FLB boundary; `skipped_to` is that offset when known.
    Damaged {
        /// What failed.
        error: DecodeError,
        /// Offset of the damaged structure on the medium.
        offset: u64,
    },
    /// The medium ends. With `eotm`, an `EOTM` block said so; without, the data simply ended
    /// (physical end of medium, or a truncated file). The family continues on `next_sequence`.
    EndOfMedium {
        /// The EOTM block, if one was found.
        eotm: Option<Eotm>,
        /// Media family ID.
        family: u32,
        /// Sequence number of the medium needed next.
        next_sequence: u16,
        /// `true` when the medium ended inside a set (a continuation medium is required).
        in_set: bool,
    },
}

/// The block type of an event's DBLK, for diagnostics.
pub fn event_block(e: &Event<'_>) -> Option<BlockType> {
    Some(match e {
        Event::Medium(_) => BlockType::TAPE,
        Event::SetStart(_) => BlockType::SSET,
        Event::Volume(_) => BlockType::VOLB,
        Event::Directory(_) => BlockType::DIRB,
        Event::File(_) => BlockType::FILE,
        Event::Corrupt(_) => BlockType::CFIL,
        Event::SetEnd(_) => BlockType::ESET,
        _ => return None,
    })
}
