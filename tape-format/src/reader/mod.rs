//! The sans-IO media reader.
//!
//! # Call protocol
//!
//! Feed the medium's bytes in order, in pieces of any size (tape blocks, slices of a memory-mapped
//! `.bkf`), and report what is not data:
//!
//! ```text
//! loop over the medium:
//!     block of bytes b:  let mut i = 0;
//!                        while i < b.len() { let s = r.step(&b[i..])?; i += s.consumed;
//!                                            if let Some(e) = s.event { handle(e) }
//!                                            else if s.consumed == 0 { break /* needs more bytes */ } }
//!     hardware filemark: handle(r.filemark())
//!     end of data:       if let Some(e) = r.end_of_data() { handle(e) }
//! on Event::EndOfMedium { next_sequence, .. }: load that medium, r.next_medium(), feed it;
//!     a foreign or out-of-order medium makes `step` fail with ReadError::WrongMedium and
//!     leaves the reader unchanged: offer another medium (call next_medium() again).
//! ```
//!
//! A step consumes bytes and yields at most one [`Event`]. Data events borrow the input (no copy);
//! headers that straddle two pieces are gathered in a small carry buffer (at most one DBLK,
//! 64 KiB). Every length read from the medium is capped before anything is allocated.
//!
//! Soft filemarks (`.bkf`): SFMB blocks are reported as [`Event::Filemark`]. A medium that ends
//! inside stream data is recognised by an SFMB on an FLB boundary inside the data (mtf.md §9.3,
//! §11.2 go-mtf limit 2) when its header checksum is valid and its FLA equals its own PBA.
//!
//! Damage: a DBLK or stream header with a bad checksum is reported as [`Event::Damaged`] with its
//! offset, and reading resumes at the next valid DBLK on an FLB boundary.

mod dblk;
mod events;
mod machine;
mod medium;
mod streams;

pub use events::{
    ChecksumStatus, DirectoryEvent, Event, FileEvent, MediumEvent, SetEvent, VolumeEvent,
    event_block,
};
pub use medium::StartContext;

use crate::checksum::Csum32;
use crate::error::DecodeError;
use crate::path::MtfPath;
use crate::stream::StreamHeader;

/// Reader limits and expectations.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReaderOptions {
    /// Largest metadata stream (`PNAM`, `FNAM`, `LXMD`, `TSMP`) collected into memory; larger ones
    /// are delivered as data.
    pub max_metadata: usize,
    /// Family and sequence the first medium must have (`None`: accept any TAPE).
    pub expect: Option<(u32, u16)>,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            max_metadata: 16 * 1024 * 1024,
            expect: None,
        }
    }
}

/// Result of one [`MediaReader::step`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Step<'a> {
    /// Bytes of the input used (moved into the carry buffer or consumed).
    pub consumed: usize,
    /// What was found, if anything. `None` with `consumed == 0` means more input is needed.
    pub event: Option<Event<'a>>,
}

/// Reader failures the caller must act on (damage on the medium is an [`Event::Damaged`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The medium is not the one needed: foreign family or wrong sequence number. Nothing was
    /// consumed; offer another medium.
    #[error(
        "wrong medium: need family {expected_family:#010x} sequence {expected_sequence}, found family {found_family:#010x} sequence {found_sequence}"
    )]
    WrongMedium {
        /// Family needed.
        expected_family: u32,
        /// Sequence needed.
        expected_sequence: u16,
        /// Family found.
        found_family: u32,
        /// Sequence found.
        found_sequence: u16,
    },
    /// The medium does not start with a TAPE block.
    #[error("not an MTF medium: {0}")]
    NotMtf(DecodeError),
    /// The continuation of a split stream does not follow on from what the previous medium held.
    #[error("stream continuation gap: {delivered} bytes read, continuation starts at {resumes_at}")]
    ContinuationGap {
        /// Bytes of the stream read so far.
        delivered: u64,
        /// Stream offset the continuation starts at.
        resumes_at: u64,
    },
    /// `step` after the end of the medium, before `next_medium`.
    #[error("the medium has ended; call next_medium()")]
    MediumEnded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Expecting the TAPE block.
    Tape,
    /// Expecting a DBLK.
    Dblk,
    /// Expecting a stream header of the current DBLK.
    StreamHeader,
    /// Inside stream data.
    StreamData,
    /// Skipping to `until`, then `then`.
    Skip { until: u64, then: After },
    /// Looking for the next valid DBLK on an FLB boundary.
    Resync,
    /// The medium has ended.
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Dblk,
    StreamHeader,
    StreamData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Deliver as `Data` events.
    Deliver,
    /// Collect into the stream's buffer (names, metadata, `CSUM`, `TSMP`).
    Collect,
    /// Parse FDD entries.
    Fdd,
    /// Skip silently (SPAD, FDD after FEND).
    Skip,
}

/// The stream being read; survives a change of medium.
#[derive(Debug, Clone)]
struct StreamState {
    header: StreamHeader,
    /// 1-based number of the stream in its DBLK.
    number: u16,
    mode: Mode,
    /// Bytes of the stream read so far.
    done: u64,
    csum: Option<Csum32>,
    /// Bytes to drop (duplicates after a continuation).
    drop: u64,
    /// The data collected so far ([`Mode::Collect`]): they travel with the stream when the end
    /// of a medium suspends it (a `CSUM` value or a name split across two media).
    collected: Vec<u8>,
}

/// A DIRB or FILE whose event waits for its name/metadata streams.
#[derive(Debug, Clone)]
enum Pending {
    Dir(Box<DirectoryEvent>),
    File(Box<FileEvent>),
}

/// The sans-IO MTF reader. See the [module docs](self) for the call protocol.
#[derive(Debug, Clone)]
pub struct MediaReader {
    opts: ReaderOptions,
    phase: Phase,
    /// Offset on the medium of the next structure (carry bytes not included).
    pos: u64,
    carry: Vec<u8>,
    flb: u64,
    sfmb_size: u64,
    soft: bool,
    family: u32,
    seq: u16,
    expect: Option<(u32, u16)>,
    set_number: Option<u16>,
    set_ended: bool,
    device: String,
    dir: Vec<String>,
    /// Type and header of the DBLK whose streams are being read.
    cur_type: Option<crate::ids::BlockType>,
    cur_file_id: Option<u32>,
    /// Displayable size of the current FILE.
    cur_size: u64,
    next_stream: u16,
    pending: Option<Pending>,
    stream: Option<StreamState>,
    /// A stream interrupted by the end of a medium, waiting for its `STREAM_CONTINUE` copy.
    suspended: Option<StreamState>,
    /// The current DBLK is a TAPE or a continuation DBLK (its SPAD must not end anything).
    cur_cont: bool,
    /// The current DBLK was already read from the previous medium: skip its streams.
    skip_streams: bool,
    /// Highest FLA of a body DBLK of the current set.
    max_fla: Option<u64>,
    /// The current set continued from an earlier medium (duplicates are possible).
    continued: bool,
    /// A copy of the cut DBLK is being read: resume its stream of this number.
    resume_owner: Option<u16>,
    /// The next `CSUM` belongs to a duplicated stream.
    skip_csum: bool,
    /// A stream with `STREAM_CHECKSUMED` ended; its CSUM is expected next.
    awaiting_csum: Option<(crate::ids::StreamId, u64, u32)>,
    /// A damaged structure was reported; do not report again until a valid DBLK is found.
    resyncing: bool,
    /// Resynchronisation may find a DBLK at the current position (a block was lost before it).
    resync_here: bool,
    /// Events waiting to be returned (owned; data events are never queued).
    queue: std::collections::VecDeque<Event<'static>>,
    /// Partial FDD entry kept across a change of medium.
    fdd_carry: Vec<u8>,
}

impl Default for MediaReader {
    fn default() -> Self {
        Self::new(ReaderOptions::default())
    }
}

impl MediaReader {
    /// A reader expecting a medium that starts with its TAPE block.
    pub fn new(opts: ReaderOptions) -> Self {
        MediaReader {
            expect: opts.expect,
            opts,
            phase: Phase::Tape,
            pos: 0,
            carry: Vec::new(),
            flb: 1024,
            sfmb_size: 0,
            soft: false,
            family: 0,
            seq: 0,
            set_number: None,
            set_ended: false,
            device: String::new(),
            dir: Vec::new(),
            cur_type: None,
            cur_file_id: None,
            cur_size: 0,
            next_stream: 1,
            pending: None,
            stream: None,
            suspended: None,
            cur_cont: false,
            skip_streams: false,
            max_fla: None,
            continued: false,
            resume_owner: None,
            skip_csum: false,
            awaiting_csum: None,
            resyncing: false,
            resync_here: false,
            queue: std::collections::VecDeque::new(),
            fdd_carry: Vec::new(),
        }
    }

    /// Offset on the current medium of the next structure to decode.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Format Logical Block size of the medium (1024 until a TAPE says otherwise).
    pub fn flb_size(&self) -> u64 {
        self.flb
    }

    /// Family ID and sequence number of the current medium (from its TAPE).
    pub fn medium(&self) -> (u32, u16) {
        (self.family, self.seq)
    }

    /// `true` once the medium has ended ([`Event::EndOfMedium`] was returned).
    pub fn medium_ended(&self) -> bool {
        self.phase == Phase::Ended
    }

    fn path(&self) -> MtfPath {
        MtfPath {
            device: self.device.clone(),
            components: self.dir.clone(),
        }
    }
}
