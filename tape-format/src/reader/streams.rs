//! Reading streams: headers, the choice of delivering / collecting / skipping, continuation
//! after a change of medium, FDD entries, CSUM verification.

use std::borrow::Cow;

use super::events::{ChecksumStatus, Event};
use super::machine::{Flow, Limit, step};
use super::{After, MediaReader, Mode, Pending, Phase, ReadError, StreamState};
use crate::attrs::StreamMediaAttributes;
use crate::block::{HEADER_LEN, looks_like_header};
use crate::catalog::{SetMap, decode_fdd_entry};
use crate::checksum::Csum32;
use crate::decoded::Decoded;
use crate::error::DecodeError;
use crate::ids::{BlockType, StreamId};
use crate::le::{align_up, to_u64, to_usize};
use crate::stream::special::decode_csum;
use crate::stream::unix::UnixMeta;
use crate::stream::{STREAM_HEADER_LEN, StreamHeader, pad4};

impl MediaReader {
    pub(super) fn read_stream_header<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Result<Flow<'a>, ReadError> {
        let start = self.pos;
        match self.sfmb_inside(input, STREAM_HEADER_LEN, false) {
            Limit::Hit(k) => return Ok(self.cut_at_sfmb(k)),
            Limit::Uncertain(_) => return Ok(self.stash(input)),
            Limit::Free(_) => {}
        }
        let Some(b) = self.view(input, STREAM_HEADER_LEN) else {
            return Ok(self.stash(input));
        };
        let header = match StreamHeader::decode(&b) {
            Ok(d) => match d.complete() {
                Some((h, _)) => h,
                None => return Ok(self.stash(input)),
            },
            Err(e) => {
                drop(b);
                // A stream-less (pre-1.0) DBLK or a list without SPAD: a DBLK may start here.
                return Ok(match self.view(input, HEADER_LEN) {
                    None if input.len() + self.carry.len() < HEADER_LEN => self.stash(input),
                    Some(h) if looks_like_header(&h) => {
                        self.phase = Phase::Dblk;
                        Flow::Again
                    }
                    _ => self.damaged(e, start, 0),
                });
            }
        };
        drop(b);
        let used = self.complete(STREAM_HEADER_LEN);
        self.on_stream_header(header, start);
        Ok(step(used, self.queue.pop_front()))
    }

    /// Chooses how to read a stream and queues its start event.
    fn on_stream_header(&mut self, h: StreamHeader, start: u64) {
        let number = self.next_stream;
        self.next_stream = self.next_stream.saturating_add(1);
        if let Some(n) = self.resume_owner {
            if number == n
                && let Some(mut st) = self.suspended.take()
                && st.header.id == h.id
            {
                // The copy carries the whole stream: drop what was read before.
                self.resume_owner = None;
                st.drop = st
                    .done
                    .saturating_sub(st.header.length.saturating_sub(h.length));
                self.stream = Some(st);
                self.phase = Phase::StreamData;
                return;
            }
            if number < n && !(h.id == StreamId::CSUM && self.awaiting_csum.is_some()) {
                return self.begin(h, number, Mode::Skip);
            }
            self.resume_owner = None;
        }
        if self.skip_streams || (h.id == StreamId::SPAD && self.cur_cont) {
            return self.begin(h, number, Mode::Skip);
        }
        if self.skip_csum && h.id == StreamId::CSUM {
            self.skip_csum = false;
            return self.begin(h, number, Mode::Skip);
        }
        if h.is_continuation() && self.cur_cont && self.continued && self.suspended.is_none() {
            // The rest of a stream that the previous medium already held in full. Its CSUM is a
            // duplicate too, unless the previous medium ended before it (the CSUM still awaited:
            // a split exactly at the end of the data leaves a zero-length continuation).
            self.skip_csum = h
                .media_attributes
                .contains(StreamMediaAttributes::CHECKSUMED)
                && self.awaiting_csum.is_none();
            self.begin(h, number, Mode::Skip);
            let fill_end = align_up(start + to_u64(STREAM_HEADER_LEN), self.flb);
            self.phase = Phase::Skip {
                until: fill_end,
                then: After::StreamData,
            };
            return;
        }
        if let Some(st) = self.suspended.take() {
            if h.is_continuation() && h.id == st.header.id {
                self.stream = Some(st);
                return self.resume_stream(h, start);
            }
            let restarted = h.id == st.header.id && self.cur_cont && st.mode != Mode::Deliver;
            if restarted {
                // Written again from its start (a Set Map is never split, mtf.md §9.5).
                self.fdd_carry.clear();
            } else {
                self.queue.push_back(Event::Damaged {
                    error: DecodeError::MissingData("stream continuation"),
                    offset: start,
                });
            }
        }
        if let Some((id, length, computed)) = self.awaiting_csum.take() {
            if h.id == StreamId::CSUM && h.length == 4 {
                self.awaiting_csum = Some((id, length, computed));
                return self.begin(h, number, Mode::Collect);
            }
            self.queue.push_back(Event::StreamEnd {
                id,
                length,
                checksum: ChecksumStatus::Missing,
            });
        }
        let small = usize::try_from(h.length).is_ok_and(|l| l <= self.opts.max_metadata);
        let meta = matches!(h.id, StreamId::PNAM | StreamId::FNAM | StreamId::LXMD)
            && self.pending.is_some();
        let mode = match h.id {
            StreamId::SPAD => Mode::Skip,
            _ if meta && small => Mode::Collect,
            StreamId::TFDD if self.cur_type == Some(BlockType::ESET) => Mode::Fdd,
            StreamId::TSMP if self.cur_type == Some(BlockType::ESET) && small => Mode::Collect,
            _ => Mode::Deliver,
        };
        if mode == Mode::Skip || mode == Mode::Deliver {
            self.flush_pending();
        }
        if mode == Mode::Deliver {
            // A continued stream read without the previous medium: its data end at the file size.
            let offset = if h.is_continuation() && h.id == StreamId::STAN {
                self.cur_size.saturating_sub(h.length)
            } else {
                0
            };
            self.queue.push_back(Event::StreamStart {
                header: h,
                number,
                offset,
            });
        }
        self.begin(h, number, mode);
        if h.is_continuation() && self.cur_cont {
            // The rest of a stream whose start is on a medium not read (a restore that starts
            // on a continuation medium): its data resume at the next FLB boundary, as in
            // `resume_stream`.
            self.phase = Phase::Skip {
                until: align_up(start + to_u64(STREAM_HEADER_LEN), self.flb),
                then: After::StreamData,
            };
        }
    }

    fn begin(&mut self, header: StreamHeader, number: u16, mode: Mode) {
        if mode == Mode::Fdd {
            // A new FDD: nothing of an earlier one continues in it.
            self.fdd_carry.clear();
        }
        let csum = header
            .media_attributes
            .contains(StreamMediaAttributes::CHECKSUMED)
            .then(Csum32::new);
        self.stream = Some(StreamState {
            number,
            header,
            mode,
            done: 0,
            csum,
            drop: 0,
            collected: Vec::new(),
        });
        self.phase = Phase::StreamData;
    }

    /// A `STREAM_CONTINUE` copy of the stream interrupted by the end of the previous medium.
    fn resume_stream(&mut self, h: StreamHeader, start: u64) {
        let fill_end = align_up(start + to_u64(STREAM_HEADER_LEN), self.flb);
        let Some(st) = &mut self.stream else { return };
        let total = st.header.length;
        let resumes_at = total.saturating_sub(h.length);
        // An FDD entry cut by the end of the medium waits in `fdd_carry` (counted in `done` once
        // complete): the continuation resumes inside it.
        let carried = to_u64(self.fdd_carry.len());
        if resumes_at > st.done + carried {
            let error = DecodeError::FieldRange {
                field: "STREAM_CONTINUE.length",
                value: h.length,
            };
            self.queue.push_back(Event::Damaged {
                error,
                offset: start,
            });
            st.mode = Mode::Skip;
            st.header.length = st.done + h.length;
            self.fdd_carry.clear();
        } else if resumes_at >= st.done {
            self.fdd_carry.truncate(to_usize(resumes_at - st.done));
            st.drop = 0;
        } else {
            // Bytes already read come again: read the cut entry afresh from them.
            self.fdd_carry.clear();
            st.drop = st.done - resumes_at;
        }
        self.phase = Phase::Skip {
            until: fill_end,
            then: After::StreamData,
        };
    }

    pub(super) fn read_data<'a>(&mut self, input: &'a [u8]) -> Result<Flow<'a>, ReadError> {
        let Some(st) = &self.stream else {
            self.phase = Phase::StreamHeader;
            return Ok(Flow::Again);
        };
        let left = st.header.length.saturating_sub(st.done);
        if left == 0 && st.drop == 0 {
            return Ok(self.finish_stream());
        }
        if st.mode == Mode::Fdd && st.drop == 0 {
            return Ok(self.read_fdd(input, left));
        }
        let want = to_usize(if st.drop > 0 { st.drop } else { left }).min(input.len());
        let n = match self.limit(input, want) {
            Limit::Free(n) => n,
            Limit::Hit(0) => {
                self.phase = Phase::Dblk;
                return Ok(Flow::Again);
            }
            Limit::Hit(k) | Limit::Uncertain(k) => k,
        };
        if n == 0 {
            return Ok(step(0, None));
        }
        let chunk = &input[..n];
        self.pos += to_u64(n);
        let Some(st) = &mut self.stream else {
            return Ok(step(n, None));
        };
        if st.drop > 0 {
            // Duplicates of bytes already delivered from the previous medium.
            st.drop -= to_u64(n);
            return Ok(step(n, None));
        }
        st.done += to_u64(n);
        match st.mode {
            Mode::Deliver => {
                if let Some(c) = &mut st.csum {
                    c.update(chunk);
                }
                Ok(step(n, Some(Event::Data(chunk))))
            }
            Mode::Collect => {
                st.collected.extend_from_slice(chunk);
                Ok(step(n, None))
            }
            Mode::Skip | Mode::Fdd => Ok(step(n, None)),
        }
    }

    /// One FDD entry (entries may straddle input pieces; they are gathered in the carry).
    fn read_fdd<'a>(&mut self, input: &'a [u8], left: u64) -> Flow<'a> {
        let start = self.pos;
        let head = to_usize(left.min(36));
        if let Some(flow) = self.fdd_cut(input, head) {
            return flow;
        }
        let Some(b) = self.fdd_view(input, head) else {
            return self.stash(input);
        };
        let len = usize::from(u16::from_le_bytes([b[0], b.get(1).copied().unwrap_or(0)]));
        let is_end = head < 36 || b.get(2..6) == Some(b"FEND".as_slice());
        drop(b);
        if is_end || len < 36 || to_u64(len) > left {
            if let Some(st) = &mut self.stream {
                st.mode = Mode::Skip;
            }
            if !is_end {
                let error = DecodeError::FieldRange {
                    field: "MTF_FDD_HDR.length",
                    value: to_u64(len),
                };
                self.queue.push_back(Event::Damaged {
                    error,
                    offset: start,
                });
            }
            self.pos += to_u64(self.carry.len());
            let c = self.carry.len() + std::mem::take(&mut self.fdd_carry).len();
            self.carry.clear();
            if let Some(st) = &mut self.stream {
                st.done += to_u64(c);
            }
            return Flow::Again;
        }
        if let Some(flow) = self.fdd_cut(input, len) {
            return flow;
        }
        let Some(b) = self.fdd_view(input, len) else {
            return self.stash(input);
        };
        let event = match decode_fdd_entry(&b) {
            Ok(Decoded::Complete { value, .. }) => Event::FddEntry(Box::new(value)),
            Ok(Decoded::Incomplete { .. }) => return self.stash(input),
            Err(error) => Event::Damaged {
                error,
                offset: start,
            },
        };
        drop(b);
        let carried = self.fdd_carry.len().min(len);
        self.fdd_carry.drain(..carried);
        let used = self.complete(len - carried);
        if let Some(st) = &mut self.stream {
            st.done += to_u64(len);
        }
        step(used, Some(event))
    }

    /// The first `n` bytes of the FDD entry being read: the part read from the previous medium
    /// (`fdd_carry`), then carry + input.
    fn fdd_view<'x>(&'x self, input: &'x [u8], n: usize) -> Option<Cow<'x, [u8]>> {
        let p = self.fdd_carry.len();
        if p == 0 {
            return self.view(input, n);
        }
        if n <= p {
            return Some(Cow::Borrowed(&self.fdd_carry[..n]));
        }
        let rest = self.view(input, n - p)?;
        let mut v = self.fdd_carry.clone();
        v.extend_from_slice(&rest);
        Some(Cow::Owned(v))
    }

    /// With soft filemarks, an SFMB within the next `n` bytes of the FDD entry (counting the
    /// part from the previous medium): the medium ended in the FDD (mtf.md §9.5 case l). The part
    /// of the entry before it is kept for the continuation.
    fn fdd_cut<'a>(&mut self, input: &'a [u8], n: usize) -> Option<Flow<'a>> {
        let here = n.saturating_sub(self.fdd_carry.len());
        match self.sfmb_inside(input, here, true) {
            Limit::Hit(k) => {
                let part = self.view(input, k).map(|b| b.to_vec()).unwrap_or_default();
                self.fdd_carry.extend_from_slice(&part);
                Some(self.cut_at_sfmb(k))
            }
            Limit::Uncertain(_) => Some(self.stash(input)),
            Limit::Free(_) => None,
        }
    }

    /// The stream's data are complete: interpret collected data, queue the end event, pad.
    fn finish_stream<'a>(&mut self) -> Flow<'a> {
        let Some(st) = self.stream.take() else {
            return Flow::Again;
        };
        let (id, length) = (st.header.id, st.header.length);
        let mut then = After::StreamHeader;
        match st.mode {
            Mode::Deliver => match st.csum {
                Some(c) => self.awaiting_csum = Some((id, length, c.value())),
                None => self.queue.push_back(Event::StreamEnd {
                    id,
                    length,
                    checksum: ChecksumStatus::NotRequested,
                }),
            },
            Mode::Collect => self.interpret_collected(id, st.collected),
            Mode::Skip if id == StreamId::SPAD => then = After::Dblk,
            Mode::Skip | Mode::Fdd => {}
        }
        let end = self.pos + pad4(self.pos);
        self.phase = Phase::Skip { until: end, then };
        Flow::Again
    }

    fn interpret_collected(&mut self, id: StreamId, meta: Vec<u8>) {
        let base = self.path();
        match (id, &mut self.pending) {
            (StreamId::PNAM, Some(Pending::Dir(d))) => {
                let comps = d.header.string_type.decode_path(&meta);
                d.path.components.clone_from(&comps);
                self.dir = comps;
            }
            (StreamId::FNAM, Some(Pending::File(f))) => {
                f.name = f.header.string_type.decode(&meta);
                f.path = base.join(f.name.clone());
            }
            (StreamId::LXMD, Some(Pending::Dir(d))) => d.unix = Some(UnixMeta::decode(&meta)),
            (StreamId::LXMD, Some(Pending::File(f))) => f.unix = Some(UnixMeta::decode(&meta)),
            (StreamId::CSUM, _) => {
                if let Some((sid, length, computed)) = self.awaiting_csum.take() {
                    let checksum = match decode_csum(&meta) {
                        Ok(stored) if stored == computed => ChecksumStatus::Verified(stored),
                        Ok(stored) => ChecksumStatus::Mismatch { stored, computed },
                        Err(_) => ChecksumStatus::Missing,
                    };
                    self.queue.push_back(Event::StreamEnd {
                        id: sid,
                        length,
                        checksum,
                    });
                }
            }
            (StreamId::TSMP, _) => match SetMap::decode(&meta) {
                Ok(m) => self.queue.push_back(Event::SetMap(Box::new(m))),
                Err(error) => self.queue.push_back(Event::Damaged {
                    error,
                    offset: self.pos,
                }),
            },
            _ => {}
        }
    }
}
