//! The sans-IO media writer: a state machine that turns backup operations into tape blocks and
//! filemarks, handles end of medium by itself and writes the Type 1 catalog.
//!
//! # Call protocol
//!
//! 1. [`MediaWriter::new`] with [`WriterOptions`] and an [`FddSpool`]; [`MediaWriter::start_medium`]
//!    (or [`MediaWriter::append_after`] to add sets behind the last filemark of a medium).
//! 2. Input calls — [`begin_set`](MediaWriter::begin_set), [`volume`](MediaWriter::volume),
//!    [`directory`](MediaWriter::directory), [`begin_file`](MediaWriter::begin_file),
//!    [`begin_stream`](MediaWriter::begin_stream), [`write_data`](MediaWriter::write_data),
//!    [`end_stream`](MediaWriter::end_stream), [`mark_corrupt`](MediaWriter::mark_corrupt),
//!    [`end_set`](MediaWriter::end_set) — queue work. Before every input call, drain the outputs:
//!    `while let Some(out) = w.poll()? { execute out; w.complete(outcome)? }`. Input calls fail
//!    with [`WriteError::OutputPending`] otherwise, so the writer never holds more than about one
//!    output unit plus a few KiB of framing.
//! 3. Each [`Output`] is executed in order: [`Output::Block`] is one `write_block`, [`Output::Filemark`]
//!    one `write_filemarks(1)`. Report the drive's answer with [`MediaWriter::complete`]:
//!    [`Outcome::Written`], [`Outcome::EarlyWarning`] (written, medium nearly full) or
//!    [`Outcome::Overflow`] (physical end: *not* written).
//! 4. After `EarlyWarning`, `poll` yields nothing more and input calls fail with
//!    [`WriteError::EndOfMedium`]: call [`MediaWriter::end_of_medium`], drain the outputs (filemark,
//!    EOTM, filemark), change the medium, call [`MediaWriter::continue_on_new_medium`] and drain
//!    again; then carry on with input calls. After `Overflow` skip `end_of_medium` (nothing more
//!    fits): [`MediaWriter::needs_medium`] is already true. Everything that was not written is
//!    re-framed on the new medium behind the continuation blocks (mtf.md §9). A new medium that
//!    refuses even its first block ([`Outcome::Overflow`] at [`MediaWriter::position`] 0) is
//!    replaced the same way: the next one takes its sequence number.
//! 5. [`MediaWriter::finish`] checks that every set was closed and every output drained.

mod closing;
mod commit;
mod context;
mod data;
mod frame;
mod input;
pub use input::AppendPoint;
mod job;
mod options;
mod span;
mod tail;

pub use options::{
    CorruptInfo, DEFAULT_VENDOR_ID, DirectoryInfo, FileInfo, MediumInfo, ObjectDates, SetInfo,
    StreamInfo, VolumeInfo, WriterOptions,
};

use std::collections::VecDeque;

use crate::catalog::{FddSpool, MemorySpool, SetMapEntry};
use crate::checksum::Csum32;
use crate::error::EncodeError;
use context::Context;
use job::{Job, LogItem};

/// Something the caller must do, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Output<'a> {
    /// Write these bytes as one tape block (or append them to the file).
    Block(&'a [u8]),
    /// Write one filemark.
    Filemark,
}

/// Where a DBLK was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Placement {
    /// SSET, VOLB, DIRB or FILE.
    pub block_type: crate::ids::BlockType,
    /// Media sequence number of the medium holding it.
    pub media_sequence: u16,
    /// Its Format Logical Address.
    pub fla: u64,
    /// Its physical block address on that medium (counting physical blocks of this writer, as
    /// the drive numbers them between filemarks; add the filemarks before it for a tape LOCATE).
    pub pba: u64,
    /// Its byte offset on that medium.
    pub offset: u64,
}

/// What the drive answered for the last [`Output`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written.
    Written,
    /// Written, and the drive reports early warning: finish this medium soon.
    EarlyWarning,
    /// Not written: physical end of medium.
    Overflow,
}

/// Writer failures (tape conditions are [`Outcome`]s, not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// An output is waiting to be executed and completed first.
    #[error("an output is pending: drain poll()/complete() before more input")]
    OutputPending,
    /// The medium is at its end: call `end_of_medium` / `continue_on_new_medium`.
    #[error("end of medium: call end_of_medium() and continue_on_new_medium()")]
    EndOfMedium,
    /// A call that does not fit the current state (e.g. `write_data` without an open stream).
    #[error("{call} not allowed now: {reason}")]
    Sequence {
        /// The call.
        call: &'static str,
        /// Why not.
        reason: &'static str,
    },
    /// `end_stream` before all announced bytes were written.
    #[error("stream ended after {written} of {expected} bytes")]
    StreamIncomplete {
        /// Announced length.
        expected: u64,
        /// Bytes written.
        written: u64,
    },
    /// Invalid options.
    #[error("invalid option {field}: {value}")]
    Option {
        /// Which option.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// `complete` without a pending output.
    #[error("complete() called without a pending output")]
    NoPendingOutput,
    /// A block could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The FDD spool failed.
    #[error("FDD spool: {0}")]
    Spool(#[from] std::io::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ready {
    Block(usize),
    Filemark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No medium started.
    Idle,
    /// Normal operation.
    Writing,
    /// Early warning seen; waiting for `end_of_medium`.
    EarlyWarning,
    /// Writing the end-of-medium blocks.
    Closing,
    /// Waiting for `continue_on_new_medium`.
    NeedMedium,
}

/// Input-side state of the open data set (not position dependent, never re-framed).
#[derive(Debug, Clone, Default)]
struct SetState {
    info: SetInfo,
    next_cbid: u32,
    dir_id: u32,
    file_id: u32,
    dirs: u32,
    files: u32,
    corrupt: u32,
    size: u64,
    closing: bool,
}

/// Set Map entry of an SSET framed in this session, with the volumes framed after it.
#[derive(Debug, Clone)]
struct SmTrack {
    seq: u16,
    pos: u64,
    entry: SetMapEntry,
    volumes: Vec<(u64, crate::catalog::FddEntry)>,
}

/// The sans-IO MTF media writer. See the [module docs](self) for the call protocol.
#[derive(Debug)]
pub struct MediaWriter<S: FddSpool = MemorySpool> {
    opts: WriterOptions,
    flb: u64,
    phys: u64,
    unit: usize,
    spool: S,
    state: State,
    seq: u16,
    medium: MediumInfo,
    /// Bytes framed on this medium / acknowledged.
    pos: u64,
    acked: u64,
    /// Bytes `[acked, pos)`.
    buf: Vec<u8>,
    ready: Option<Ready>,
    jobs: VecDeque<Job>,
    log: VecDeque<LogItem>,
    front: Context,
    committed: Context,
    /// FLA of position `anchor.0` is `anchor.1`.
    anchor: (u64, u64),
    next_sfmb_id: u32,
    /// PBAs of the filemarks on this medium, newest first.
    filemarks: VecDeque<u32>,
    last_eset_pba: Option<u64>,
    set: Option<SetState>,
    prior_set_map: Vec<SetMapEntry>,
    sm: Vec<SmTrack>,
    fdd_pba: (u64, u16),
    tsmp_pba: u64,
    /// The end of the FDD being written: the spool length, and the `FEND` entry that follows the
    /// spool entries in the `TFDD` stream (then zeros up to the stream's end).
    fdd_end: (u64, Vec<u8>),
    /// Input-side stream: CSUM accumulator when requested.
    csum: Option<Csum32>,
    /// Control Block ID of the ESETs of the set being closed: `espb_cbid`, or the next one once
    /// its ESPB is framed.
    eset_cbid: u32,
    /// Control Block ID reserved for the ESPB of the set being closed.
    espb_cbid: u32,
    /// The ESPB of the set being closed is on the medium.
    espb_written: bool,
    /// The ESET of the set being (or last) closed, for regeneration on a continuation medium.
    last_eset: Option<crate::block::Dblk>,
    /// Counts of the set being (or last) closed, for its Set Map entries.
    last_counts: Option<SetState>,
    /// Context to resume from on the next medium, and what to re-frame there.
    resume: Option<span::Resume>,
    /// The continuation prefix framed on the current medium (what `resume` was when it started),
    /// kept until its end marker is acknowledged.
    continuation: Option<span::Resume>,
    /// The current medium's TAPE is a continuation TAPE.
    tape_continuation: bool,
    /// A set is being closed early ([`MediaWriter::abort_set`]): early warnings are expected.
    aborting: bool,
    /// Where the VOLB/DIRB/FILE DBLKs written so far landed, oldest first.
    placements: VecDeque<Placement>,
}

impl MediaWriter<MemorySpool> {
    /// A writer keeping FDD entries in memory.
    pub fn new_in_memory(opts: WriterOptions) -> Result<Self, WriteError> {
        Self::new(opts, MemorySpool::new())
    }
}

impl<S: FddSpool> MediaWriter<S> {
    /// A writer with the given options and FDD spool.
    pub fn new(opts: WriterOptions, spool: S) -> Result<Self, WriteError> {
        let flb = u64::from(opts.flb_size);
        if flb != 512 && flb != 1024 {
            return Err(WriteError::Option {
                field: "flb_size",
                value: flb,
            });
        }
        let phys = crate::le::to_u64(opts.physical_block_size);
        if phys == 0 || !phys.is_multiple_of(flb) || phys / 512 > u64::from(u16::MAX) {
            return Err(WriteError::Option {
                field: "physical_block_size",
                value: phys,
            });
        }
        let unit = opts.write_unit;
        if unit == 0 || !crate::le::to_u64(unit).is_multiple_of(phys) {
            return Err(WriteError::Option {
                field: "write_unit",
                value: crate::le::to_u64(unit),
            });
        }
        Ok(MediaWriter {
            opts,
            flb,
            phys,
            unit,
            spool,
            state: State::Idle,
            seq: 0,
            medium: MediumInfo::default(),
            pos: 0,
            acked: 0,
            buf: Vec::with_capacity(unit + 4096),
            ready: None,
            jobs: VecDeque::new(),
            log: VecDeque::new(),
            front: Context::default(),
            committed: Context::default(),
            anchor: (0, 0),
            next_sfmb_id: 1,
            filemarks: VecDeque::new(),
            last_eset_pba: None,
            set: None,
            prior_set_map: Vec::new(),
            sm: Vec::new(),
            fdd_pba: (0, 0),
            tsmp_pba: 0,
            fdd_end: (0, Vec::new()),
            csum: None,
            eset_cbid: 0,
            espb_cbid: 0,
            espb_written: false,
            last_eset: None,
            last_counts: None,
            resume: None,
            continuation: None,
            tape_continuation: false,
            aborting: false,
            placements: VecDeque::new(),
        })
    }

    /// Set Map entries of the family's earlier sets (read from the medium when appending); the
    /// Set Map written after each set is these plus the sets of this session.
    pub fn set_prior_set_map(&mut self, entries: Vec<SetMapEntry>) {
        self.prior_set_map = entries;
    }

    /// The options.
    pub fn options(&self) -> &WriterOptions {
        &self.opts
    }

    /// Media sequence number of the current medium.
    pub fn media_sequence(&self) -> u16 {
        self.seq
    }

    /// Bytes acknowledged on the current medium.
    pub fn position(&self) -> u64 {
        self.acked
    }

    /// Where the SSET, VOLB, DIRB and FILE DBLKs of the current sets landed, in the order they
    /// were given, since the last call (continuation copies excluded). A catalog uses them to
    /// locate a file's block directly (mtf.md §6.2: PBA from FLA).
    pub fn take_placements(&mut self) -> Vec<Placement> {
        self.placements.drain(..).collect()
    }

    /// `true` when the writer waits for [`MediaWriter::continue_on_new_medium`].
    pub fn needs_medium(&self) -> bool {
        self.state == State::NeedMedium
    }

    /// The spool (e.g. to inspect or reuse it).
    pub fn spool(&self) -> &S {
        &self.spool
    }

    /// Bytes held for output (the current unit plus framing spill); never much more than one
    /// write unit.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next output to execute, if any.
    pub fn poll(&mut self) -> Result<Option<Output<'_>>, WriteError> {
        self.pump()?;
        Ok(match self.ready {
            Some(Ready::Block(n)) => Some(Output::Block(&self.buf[..n])),
            Some(Ready::Filemark) => Some(Output::Filemark),
            None => None,
        })
    }

    /// Checks that all sets are closed and all outputs drained.
    pub fn finish(&mut self) -> Result<(), WriteError> {
        self.pump()?;
        if self.ready.is_some() || !self.jobs.is_empty() {
            return Err(WriteError::OutputPending);
        }
        if self.set.is_some() {
            return Err(WriteError::Sequence {
                call: "finish",
                reason: "a data set is open",
            });
        }
        if !self.buf.is_empty() {
            // A partial unit (whole physical blocks) left after the last set: flush it.
            self.ready = Some(Ready::Block(self.buf.len()));
            return Err(WriteError::OutputPending);
        }
        Ok(())
    }
}
