//! Medium-level calls: filemarks, end of data, the next medium, starting in the middle.

use super::events::Event;
use super::{MediaReader, Mode, Phase, ReaderOptions};

/// Where and with what context to start reading in the middle of a medium (after a LOCATE to a
/// DBLK's physical block for a single-file restore). The engine takes these from its catalog.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StartContext {
    /// Offset on the medium of the first byte that will be fed (an FLB boundary, usually a DBLK).
    pub offset: u64,
    /// FLB size of the medium.
    pub flb_size: u16,
    /// Soft filemark block size in bytes (0 if the medium uses hardware filemarks).
    pub soft_filemark_size: u64,
    /// Media family ID.
    pub family: u32,
    /// Media sequence number.
    pub sequence: u16,
    /// Data set number of the set the position is in.
    pub set_number: Option<u16>,
    /// Device name of the governing VOLB.
    pub device: String,
    /// Path components of the governing DIRB.
    pub directory: Vec<String>,
}

impl MediaReader {
    /// A reader that starts at a DBLK in the middle of a medium, with context from a catalog.
    pub fn at_block(opts: ReaderOptions, ctx: StartContext) -> Self {
        let mut r = MediaReader::new(opts);
        r.phase = Phase::Dblk;
        r.pos = ctx.offset;
        if ctx.flb_size == 512 || ctx.flb_size == 1024 {
            r.flb = u64::from(ctx.flb_size);
        }
        r.soft = ctx.soft_filemark_size > 0;
        r.sfmb_size = ctx.soft_filemark_size;
        r.family = ctx.family;
        r.seq = ctx.sequence;
        r.set_number = ctx.set_number;
        r.device = ctx.device;
        r.dir = ctx.directory;
        r
    }

    /// The end of the medium interrupts the stream being read: keep it (and the part of an FDD
    /// entry gathered so far) for its `STREAM_CONTINUE` copy on the next medium.
    pub(super) fn suspend_stream(&mut self) {
        if let Some(st) = self.stream.take()
            && st.mode != Mode::Skip
        {
            if st.mode == Mode::Fdd && !self.carry.is_empty() {
                self.fdd_carry = std::mem::take(&mut self.carry);
            }
            self.suspended = Some(st);
        }
    }

    /// The drive reported a hardware filemark.
    pub fn filemark(&mut self) -> Event<'static> {
        self.suspend_stream();
        self.carry.clear();
        if !matches!(self.phase, Phase::Tape | Phase::Ended) {
            self.phase = Phase::Dblk;
        }
        Event::Filemark
    }

    /// The drive could not read a block (of `len` bytes, when known). Whatever was being read
    /// is cut there (the caller reports the loss); reading resumes at the first DBLK found from
    /// the next block on, which may start right at it. Physical blocks are whole FLBs
    /// (mtf.md §6.2), so the FLB alignment holds even when the length is unknown.
    ///
    /// Returns the events still due from before the loss, ending with the DIRB or FILE whose
    /// streams the loss cuts off (if its name is known), so the caller can attribute the loss
    /// to it; the stream in progress is dropped (its object is the one cut).
    pub fn lost_block(&mut self, len: Option<u64>) -> Vec<Event<'static>> {
        if matches!(self.phase, Phase::Tape | Phase::Ended) {
            return Vec::new();
        }
        self.flush_named_pending();
        let due = self.queue.drain(..).collect();
        self.stream = None;
        self.awaiting_csum = None;
        self.carry.clear();
        self.pos += len.unwrap_or(0);
        self.phase = Phase::Resync;
        self.resyncing = true;
        self.resync_here = true;
        due
    }

    /// The medium has no more data. Returns the events still due, ending with
    /// [`Event::EndOfMedium`] unless an EOTM already ended the medium.
    pub fn end_of_data(&mut self) -> Vec<Event<'static>> {
        let mut out: Vec<Event<'static>> = self.queue.drain(..).collect();
        if self.phase != Phase::Ended {
            self.phase = Phase::Ended;
            out.push(self.end_event(None));
        }
        out
    }

    /// Prepares for the next medium of the family (sequence + 1), keeping the context of a set,
    /// file or stream that continues there. Call again to offer a different medium after
    /// [`super::ReadError::WrongMedium`].
    pub fn next_medium(&mut self) {
        self.suspend_stream();
        self.carry.clear();
        self.queue.clear();
        self.continued = self.set_number.is_some();
        self.pos = 0;
        self.phase = Phase::Tape;
        self.resyncing = false;
        if self.expect.is_none() {
            self.expect = Some((self.family, self.seq.wrapping_add(1)));
        }
    }
}
