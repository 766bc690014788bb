//! The reader's state machine: DBLKs, stream headers, stream data, skips and resynchronisation.

use std::borrow::Cow;

use super::events::Event;
use super::{After, MediaReader, Phase, ReadError, Step};
use crate::block::{HEADER_LEN, looks_like_header};
use crate::error::DecodeError;
use crate::le::{align_up, to_u64, to_usize, u64_at};

/// What a handler decided.
pub(super) enum Flow<'a> {
    /// Return this step.
    Yield(Step<'a>),
    /// State changed without consuming input; run the machine again.
    Again,
}

pub(super) fn step(consumed: usize, event: Option<Event<'_>>) -> Flow<'_> {
    Flow::Yield(Step { consumed, event })
}

/// Where a soft filemark may interrupt data.
pub(super) enum Limit {
    Free(usize),
    Hit(usize),
    Uncertain(usize),
}

impl MediaReader {
    /// Decodes what comes next in `input` (the bytes right after those consumed so far).
    pub fn step<'a>(&mut self, input: &'a [u8]) -> Result<Step<'a>, ReadError> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Ok(Step {
                    consumed: 0,
                    event: Some(e),
                });
            }
            let flow = match self.phase {
                Phase::Ended => return Err(ReadError::MediumEnded),
                Phase::Tape | Phase::Dblk => self.read_dblk(input)?,
                Phase::StreamHeader => self.read_stream_header(input)?,
                Phase::StreamData => self.read_data(input)?,
                Phase::Skip { until, then } => self.skip(input, until, then),
                Phase::Resync => self.resync(input),
            };
            match flow {
                Flow::Yield(s) if s.event.is_none() && !self.queue.is_empty() => {
                    let e = self.queue.pop_front();
                    return Ok(Step {
                        consumed: s.consumed,
                        event: e,
                    });
                }
                Flow::Yield(s) => return Ok(s),
                Flow::Again => {}
            }
        }
    }

    /// The first `n` bytes of carry + input, if available.
    pub(super) fn view<'x>(&'x self, input: &'x [u8], n: usize) -> Option<Cow<'x, [u8]>> {
        if self.carry.is_empty() {
            return input.get(..n).map(Cow::Borrowed);
        }
        let Some(from_input) = n.checked_sub(self.carry.len()) else {
            return Some(Cow::Borrowed(&self.carry[..n]));
        };
        let tail = input.get(..from_input)?;
        let mut v = self.carry.clone();
        v.extend_from_slice(tail);
        Some(Cow::Owned(v))
    }

    /// Keeps all of `input` for a structure that is not complete yet.
    pub(super) fn stash<'a>(&mut self, input: &[u8]) -> Flow<'a> {
        self.carry.extend_from_slice(input);
        step(input.len(), None)
    }

    /// Consumes a structure of `n` bytes; returns the input bytes used.
    pub(super) fn complete(&mut self, n: usize) -> usize {
        let c = self.carry.len().min(n);
        self.carry.drain(..c);
        self.pos += to_u64(n);
        n - c
    }

    /// Reports damage at `offset` (once per resynchronisation) and starts resynchronising.
    pub(super) fn damaged<'a>(
        &mut self,
        error: DecodeError,
        offset: u64,
        consumed: usize,
    ) -> Flow<'a> {
        self.pos += to_u64(self.carry.len());
        self.carry.clear();
        self.phase = Phase::Resync;
        if self.resyncing {
            return step(consumed, None);
        }
        self.resyncing = true;
        // The DIRB or FILE whose streams the damage cuts off is reported first, so a consumer
        // knows which object is damaged (it would otherwise come after, as if whole).
        self.flush_named_pending();
        self.queue.push_back(Event::Damaged {
            error: error.rebase(offset),
            offset,
        });
        step(consumed, self.queue.pop_front())
    }

    /// Where data may be delivered up to, given soft filemarks.
    pub(super) fn limit(&self, input: &[u8], n: usize) -> Limit {
        if !self.soft {
            return Limit::Free(n);
        }
        let mut k = to_usize(align_up(self.pos, self.flb) - self.pos);
        while k < n {
            let b = &input[k..];
            if b.starts_with(b"SFMB") {
                if b.len() < HEADER_LEN {
                    return Limit::Uncertain(k);
                }
                if self.is_sfmb_at(b, self.pos + to_u64(k)) {
                    return Limit::Hit(k);
                }
            }
            k += to_usize(self.flb);
        }
        Limit::Free(n)
    }

    /// `b` (at least a DBLK header) is a soft filemark written at medium offset `at`: valid
    /// header, FLA equal to its own PBA.
    fn is_sfmb_at(&self, b: &[u8], at: u64) -> bool {
        let size = if self.sfmb_size > 0 {
            self.sfmb_size
        } else {
            self.flb
        };
        b.starts_with(b"SFMB") && looks_like_header(b) && u64_at(b, 20) == at / size
    }

    /// With soft filemarks, the offset (from `pos`, carry included) of an SFMB on the FLB
    /// boundary inside the next `n` bytes (or at `pos` itself with `at_start`): the medium ended
    /// inside a structure that straddles that boundary (a stream header or FDD entry cut by EOM,
    /// mtf.md §9.3), and what precedes the SFMB is only its first part. `Limit::Uncertain` when
    /// more input is needed to decide.
    pub(super) fn sfmb_inside(&self, input: &[u8], n: usize, at_start: bool) -> Limit {
        let k = to_usize(align_up(self.pos, self.flb) - self.pos);
        if !self.soft || (k == 0 && !at_start) || k >= n {
            return Limit::Free(n);
        }
        match self.view(input, k + HEADER_LEN) {
            Some(b) if self.is_sfmb_at(&b[k..], self.pos + to_u64(k)) => Limit::Hit(k),
            Some(_) => Limit::Free(n),
            None => {
                // Decidable from the block type once its four bytes are there.
                let have = self.carry.len() + input.len();
                match self.view(input, have) {
                    Some(b) if b.len() >= k + 4 && !b[k..].starts_with(b"SFMB") => Limit::Free(n),
                    _ => Limit::Uncertain(k),
                }
            }
        }
    }

    /// The medium ended `k` bytes into the structure being read (an SFMB follows): drop that
    /// first part, as a hardware filemark does ([`MediaReader::filemark`]), and read the SFMB.
    /// Its continuation medium repeats the whole structure.
    pub(super) fn cut_at_sfmb<'a>(&mut self, k: usize) -> Flow<'a> {
        let used = self.complete(k);
        self.phase = Phase::Dblk;
        if used == 0 {
            Flow::Again
        } else {
            step(used, None)
        }
    }

    fn skip<'a>(&mut self, input: &'a [u8], until: u64, then: After) -> Flow<'a> {
        let want = to_usize(until.saturating_sub(self.pos)).min(input.len());
        if self.pos >= until {
            self.phase = match then {
                After::Dblk => Phase::Dblk,
                After::StreamHeader => Phase::StreamHeader,
                After::StreamData => Phase::StreamData,
            };
            return Flow::Again;
        }
        let n = match self.limit(input, want) {
            Limit::Free(n) => n,
            Limit::Hit(0) => {
                self.phase = Phase::Dblk;
                return Flow::Again;
            }
            Limit::Hit(k) | Limit::Uncertain(k) => k,
        };
        self.pos += to_u64(n);
        step(n, None)
    }

    fn resync<'a>(&mut self, input: &'a [u8]) -> Flow<'a> {
        let from = if std::mem::take(&mut self.resync_here) {
            self.pos
        } else {
            self.pos + 1
        };
        let mut k = to_usize(align_up(from, self.flb) - self.pos);
        while k + HEADER_LEN <= input.len() {
            if looks_like_header(&input[k..]) {
                self.pos += to_u64(k);
                self.phase = Phase::Dblk;
                return step(k, None);
            }
            k += to_usize(self.flb);
        }
        let n = k.min(input.len());
        self.pos += to_u64(n);
        step(n, None)
    }
}
