//! The writer's units of work. Input calls turn into [`Job`]s; framing a job appends bytes to the
//! output buffer and records a [`LogItem`] with the byte range it produced, so that everything not
//! yet acknowledged by the caller can be re-framed on a continuation medium.

use crate::block::Dblk;
use crate::ids::StreamId;
use crate::stream::StreamHeader;

/// What kind of DBLK a job frames (decides the position-dependent fields filled at framing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// TAPE, VOLB, DIRB, FILE, CFIL, ESPB: FLA from position.
    Plain,
    /// SSET (or SSET*): FLA and PBA from position; a fresh SSET anchors the FLA count.
    Sset,
    /// The (first) ESET.
    Eset1,
    /// The second ESET of a Type 1 catalog (PBAs of TFDD and TSMP).
    Eset2,
    /// End-of-tape marker.
    Eotm,
    /// Soft filemark.
    Sfmb,
}

/// A DBLK to frame, with the name stream (`PNAM`/`FNAM`) that a continuation copy must repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DblkJob {
    pub(crate) dblk: Dblk,
    pub(crate) role: Role,
    pub(crate) name_stream: Option<(StreamId, Vec<u8>)>,
}

/// Zero-byte markers that change the writer's context when framed/acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// End-of-set processing starts here (everything before belongs to the set body).
    ClosingStart,
    /// The set is closed (after its last filemark).
    SetClosed,
    /// The media header (TAPE, SPAD, filemark) ends here.
    HeaderDone,
    /// The continuation prefix of a continuation medium ends here (mtf.md §9): until this marker
    /// is on the medium, the medium holds nothing of the logical position it re-establishes.
    ContinuationDone,
}

/// A unit of pending work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Job {
    Dblk(Box<DblkJob>),
    /// A stream header; `written_before > 0` (or `force_continue`) emits a `STREAM_CONTINUE` copy
    /// announcing only the remaining bytes.
    Stream {
        header: StreamHeader,
        written_before: u64,
        force_continue: bool,
    },
    /// Owned data (replayed bytes, names, `LXMD`, the `CSUM` value).
    Bytes {
        data: Vec<u8>,
        done: usize,
    },
    /// `TFDD` stream header + its data from stream offset `from`: spool entries, `FEND`, zeros.
    Fdd {
        from: u64,
        force_continue: bool,
    },
    /// `TFDD` stream bytes `[next, end)`: spool entries, then the `FEND` entry and its zeros.
    Spool {
        next: u64,
        end: u64,
    },
    /// `TSMP` stream header + the whole Set Map (never split).
    SetMap,
    /// Zero padding to a 4-byte boundary after stream data.
    EndStream,
    /// `SPAD` to the next FLB (or physical) boundary.
    Spad {
        physical: bool,
    },
    /// Zeros to the next FLB boundary (after a `STREAM_CONTINUE` header, mtf.md §9.3).
    Fill,
    /// Padding zeros (SPAD data, SFMB tail), framed in pieces that fit the output unit.
    Zeros {
        remaining: u64,
    },
    /// Flush the output so far and wait until it is acknowledged.
    Barrier,
    /// A filemark (hardware, or an SFMB with soft filemarks).
    Filemark,
    Marker(Marker),
    /// End of a set body: an ESPB (Control Block ID `cbid`) + physical SPAD if the position is not
    /// on a physical block boundary (mtf.md §4.7).
    AlignPhysical {
        cbid: u32,
    },
}

/// What a framed range of the medium holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogKind {
    Dblk(Box<DblkJob>),
    Stream {
        header: StreamHeader,
        written_before: u64,
    },
    /// Stream data; the bytes are in the output buffer.
    Data,
    /// `TFDD` stream bytes starting at this stream offset (see [`Job::Spool`]).
    Spool {
        from: u64,
    },
    EndStream,
    /// A `SPAD` header.
    Spad {
        physical: bool,
    },
    /// Padding zeros (SPAD data, SFMB tail).
    Pad,
    Fill,
    /// A hardware filemark (zero length, acknowledged by its own output).
    HardFilemark,
    /// A soft filemark block.
    SoftFilemark,
    Marker(Marker),
}

/// One framed range `[pos, end)` of the current medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogItem {
    pub(crate) pos: u64,
    pub(crate) end: u64,
    /// FLA of `pos` when framed.
    pub(crate) fla: u64,
    pub(crate) kind: LogKind,
}
