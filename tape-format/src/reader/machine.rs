//! The reader's state machine: DBLKs, stream headers, stream data, skips and resynchronisation.

use std::borrow::Cow;

use super::events::{
    ChecksumStatus, DirectoryEvent, Event, FileEvent, MediumEvent, SetEvent, VolumeEvent,
};
use super::{After, MediaReader, Mode, Pending, Phase, ReadError, Step, StreamState};
use crate::attrs::{BlockAttributes, DirAttributes, StreamMediaAttributes, TapeAttributes};
use crate::block::{Body, Dblk, HEADER_LEN, Header, decode_dblk, looks_like_header};
use crate::catalog::{SetMap, decode_fdd_entry};
use crate::checksum::Csum32;
use crate::decoded::Decoded;
use crate::error::DecodeError;
use crate::ids::{BlockType, StreamId};
use crate::le::{align_up, to_u64, to_usize, u64_at};
use crate::os_nt::{NtObject, NtVolume, OS_ID_WINDOWS_NT};
use crate::stream::special::decode_csum;
use crate::stream::unix::UnixMeta;
use crate::stream::{STREAM_HEADER_LEN, StreamHeader, pad4};

/// What a handler decided.
pub(super) enum Flow<'a> {
    /// Return this step.
    Yield(Step<'a>),
    /// State changed without consuming input; run the machine again.
    Again,
}

fn step(consumed: usize, event: Option<Event<'_>>) -> Flow<'_> {
    Flow::Yield(Step { consumed, event })
}

/// Where a soft filemark may interrupt data.
enum Limit {
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
    fn view<'x>(&'x self, input: &'x [u8], n: usize) -> Option<Cow<'x, [u8]>> {
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
    fn stash<'a>(&mut self, input: &[u8]) -> Flow<'a> {
        self.carry.extend_from_slice(input);
        step(input.len(), None)
    }

    /// Consumes a structure of `n` bytes; returns the input bytes used.
    fn complete(&mut self, n: usize) -> usize {
        let c = self.carry.len().min(n);
        self.carry.drain(..c);
        self.pos += to_u64(n);
        n - c
    }

    /// Reports damage at `offset` (once per resynchronisation) and starts resynchronising.
    fn damaged<'a>(&mut self, error: DecodeError, offset: u64, consumed: usize) -> Flow<'a> {
        self.pos += to_u64(self.carry.len());
        self.carry.clear();
        self.phase = Phase::Resync;
        if self.resyncing {
            return step(consumed, None);
        }
        self.resyncing = true;
        step(
            consumed,
            Some(Event::Damaged {
                error: error.rebase(offset),
                offset,
            }),
        )
    }

    fn read_dblk<'a>(&mut self, input: &'a [u8]) -> Result<Flow<'a>, ReadError> {
        let start = self.pos;
        let Some(h) = self.view(input, HEADER_LEN) else {
            return Ok(self.stash(input));
        };
        let header = match Header::decode(&h) {
            Ok(d) => d.complete().map(|((hd, _), _)| hd),
            Err(e) if self.phase == Phase::Tape => return Err(ReadError::NotMtf(e)),
            Err(_) if h.iter().all(|&b| b == 0) => {
                self.pos += to_u64(self.carry.len());
                self.carry.clear();
                self.phase = Phase::Resync;
                return Ok(Flow::Again);
            }
            Err(e) => return Ok(self.damaged(e, start, 0)),
        };
        let want = header
            .map_or(HEADER_LEN, |h| usize::from(h.first_event))
            .max(HEADER_LEN);
        let Some(b) = self.view(input, want) else {
            return Ok(self.stash(input));
        };
        let dblk = match decode_dblk(&b) {
            Ok(Decoded::Complete { value, .. }) => value,
            Ok(Decoded::Incomplete { .. }) => return Ok(self.stash(input)),
            Err(e) if self.phase == Phase::Tape => return Err(ReadError::NotMtf(e)),
            Err(e) => return Ok(self.damaged(e, start, 0)),
        };
        drop(b);
        if self.phase == Phase::Tape {
            self.check_tape(&dblk)?;
        }
        let used = self.complete(want);
        self.resyncing = false;
        let event = self.on_dblk(dblk, start, want);
        self.queue.extend(event);
        Ok(step(used, self.queue.pop_front()))
    }

    /// The first block of a medium must be the TAPE of the expected family and sequence.
    fn check_tape(&self, dblk: &Dblk) -> Result<(), ReadError> {
        let Body::Tape(t) = &dblk.body else {
            return Err(ReadError::NotMtf(DecodeError::UnknownBlock {
                found: dblk.header.block_type,
                offset: 0,
            }));
        };
        match self.expect {
            Some((f, s)) if f != t.media_family_id || s != t.media_sequence => {
                Err(ReadError::WrongMedium {
                    expected_family: f,
                    expected_sequence: s,
                    found_family: t.media_family_id,
                    found_sequence: t.media_sequence,
                })
            }
            _ => Ok(()),
        }
    }

    /// Queues what must be reported before a new object: its pending predecessor, an unfinished
    /// stream, a missing CSUM.
    fn flush_before_new(&mut self, offset: u64) {
        if let Some((id, length, _)) = self.awaiting_csum.take() {
            self.queue.push_back(Event::StreamEnd {
                id,
                length,
                checksum: ChecksumStatus::Missing,
            });
        }
        if self.suspended.take().is_some() {
            self.queue.push_back(Event::Damaged {
                error: DecodeError::MissingData("stream continuation"),
                offset,
            });
        }
        self.flush_pending();
    }

    fn flush_pending(&mut self) {
        match self.pending.take() {
            Some(Pending::Dir(d)) => self.queue.push_back(Event::Directory(d)),
            Some(Pending::File(f)) => self.queue.push_back(Event::File(f)),
            None => {}
        }
    }

    /// Interprets a decoded DBLK at `start` occupying `len` bytes before its streams.
    fn on_dblk(&mut self, d: Dblk, start: u64, len: usize) -> Option<Event<'static>> {
        let h = d.header.clone();
        let cont = h.attributes.contains(BlockAttributes::CONTINUATION);
        if let Some(st) = self.stream.take()
            && st.mode != Mode::Skip
        {
            self.suspended = Some(st);
        }
        self.cur_cont = cont || h.block_type == BlockType::TAPE;
        self.phase = Phase::StreamHeader;
        self.next_stream = 1;
        let t = h.block_type;
        if !matches!(t, BlockType::TAPE | BlockType::SFMB | BlockType::EOTM) && !cont {
            self.flush_before_new(start);
        }
        if t != BlockType::SFMB && t != BlockType::EOTM {
            self.cur_type = Some(t);
        }
        let text = |raw: &[u8]| h.string_type.decode(raw);
        match d.body {
            Body::Tape(tape) => {
                self.family = tape.media_family_id;
                self.seq = tape.media_sequence;
                self.expect = None;
                if tape.flb_size == 512 || tape.flb_size == 1024 {
                    self.flb = u64::from(tape.flb_size);
                }
                self.soft = tape.attributes.contains(TapeAttributes::SOFT_FILEMARK);
                self.sfmb_size = u64::from(tape.soft_filemark_size) * 512;
                let ev = MediumEvent {
                    name: text(&tape.media_name),
                    description: text(&tape.media_description),
                    software: text(&tape.software_name),
                    header: h,
                    tape,
                };
                Some(Event::Medium(Box::new(ev)))
            }
            Body::Sfmb(_) => {
                let size = if self.sfmb_size > 0 {
                    self.sfmb_size
                } else {
                    to_u64(len)
                };
                self.phase = Phase::Skip {
                    until: start + size.max(to_u64(len)),
                    then: After::Dblk,
                };
                Some(Event::Filemark)
            }
            Body::Eotm(eotm) => {
                self.phase = Phase::Ended;
                Some(self.end_event(Some(eotm)))
            }
            Body::Sset(sset) => {
                if cont && self.set_number == Some(sset.set_number) {
                    return None;
                }
                self.set_number = Some(sset.set_number);
                self.set_ended = false;
                self.device.clear();
                self.dir.clear();
                let ev = SetEvent {
                    name: text(&sset.name),
                    description: text(&sset.description),
                    user: text(&sset.user_name),
                    header: h,
                    sset,
                    offset: start,
                };
                Some(Event::SetStart(Box::new(ev)))
            }
            Body::Volb(volb) => {
                let device = text(&volb.device_name);
                if cont && device == self.device {
                    return None;
                }
                self.device.clone_from(&device);
                self.dir.clear();
                let nt = if h.os_id == OS_ID_WINDOWS_NT {
                    NtVolume::decode(&d.os_data)
                } else {
                    None
                };
                let ev = VolumeEvent {
                    volume_name: text(&volb.volume_name),
                    machine: text(&volb.machine_name),
                    device,
                    header: h,
                    volb,
                    nt,
                };
                Some(Event::Volume(Box::new(ev)))
            }
            Body::Dirb(dirb) => {
                let components = h.string_type.decode_path(&dirb.name);
                if cont && components == self.dir {
                    return None;
                }
                if !dirb.attributes.contains(DirAttributes::PATH_IN_STREAM) {
                    self.dir.clone_from(&components);
                }
                let nt = nt_object(&h, &d.os_data, false);
                let ev = DirectoryEvent {
                    header: h,
                    path: crate::path::MtfPath {
                        device: self.device.clone(),
                        components,
                    },
                    dirb,
                    nt,
                    unix: None,
                    offset: start,
                };
                self.pending = Some(Pending::Dir(Box::new(ev)));
                None
            }
            Body::File(file) => {
                if cont && self.cur_file_id == Some(file.file_id) {
                    return None;
                }
                self.cur_file_id = Some(file.file_id);
                let name = text(&file.name);
                let ev = FileEvent {
                    header: h.clone(),
                    path: self.path().join(name.clone()),
                    name,
                    nt: nt_object(&h, &d.os_data, true),
                    file,
                    unix: None,
                    offset: start,
                };
                self.pending = Some(Pending::File(Box::new(ev)));
                None
            }
            Body::Cfil(c) => Some(Event::Corrupt(c)),
            Body::Eset(e) => {
                if self.set_ended || cont {
                    return None;
                }
                self.set_ended = true;
                Some(Event::SetEnd(Box::new((h, e))))
            }
            body => Some(Event::OtherBlock(Box::new(Dblk {
                header: h,
                body,
                os_data: d.os_data,
            }))),
        }
    }

    /// The end-of-medium event.
    pub(super) fn end_event(&self, eotm: Option<crate::block::Eotm>) -> Event<'static> {
        Event::EndOfMedium {
            eotm,
            family: self.family,
            next_sequence: self.seq.wrapping_add(1),
            in_set: (self.set_number.is_some() && !self.set_ended)
                || self.stream.is_some()
                || self.suspended.is_some(),
        }
    }

    fn read_stream_header<'a>(&mut self, input: &'a [u8]) -> Result<Flow<'a>, ReadError> {
        let start = self.pos;
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
        if h.id == StreamId::SPAD && self.cur_cont {
            return self.begin(h, number, Mode::Skip);
        }
        if let Some(st) = self.suspended.take() {
            if h.is_continuation() && h.id == st.header.id {
                self.stream = Some(st);
                return self.resume_stream(h, start);
            }
            self.queue.push_back(Event::Damaged {
                error: DecodeError::MissingData("stream continuation"),
                offset: start,
            });
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
            self.queue.push_back(Event::StreamStart {
                header: h,
                number,
                offset: 0,
            });
        }
        self.begin(h, number, mode);
    }

    fn begin(&mut self, header: StreamHeader, number: u16, mode: Mode) {
        self.meta.clear();
        let csum = header
            .media_attributes
            .contains(StreamMediaAttributes::CHECKSUMED)
            .then(Csum32::new);
        let _ = number;
        self.stream = Some(StreamState {
            header,
            mode,
            done: 0,
            csum,
            drop: 0,
        });
        self.phase = Phase::StreamData;
    }

    /// A `STREAM_CONTINUE` copy of the stream interrupted by the end of the previous medium.
    fn resume_stream(&mut self, h: StreamHeader, start: u64) {
        let fill_end = align_up(start + to_u64(STREAM_HEADER_LEN), self.flb);
        let Some(st) = &mut self.stream else { return };
        let total = st.header.length;
        let resumes_at = total.saturating_sub(h.length);
        if resumes_at > st.done {
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
        } else {
            st.drop = st.done - resumes_at;
        }
        if st.mode == Mode::Fdd {
            self.carry = std::mem::take(&mut self.fdd_carry);
        }
        self.phase = Phase::Skip {
            until: fill_end,
            then: After::StreamData,
        };
    }

    /// Where data may be delivered up to, given soft filemarks.
    fn limit(&self, input: &[u8], n: usize) -> Limit {
        if !self.soft {
            return Limit::Free(n);
        }
        let size = if self.sfmb_size > 0 {
            self.sfmb_size
        } else {
            self.flb
        };
        let mut k = to_usize(align_up(self.pos, self.flb) - self.pos);
        while k < n {
            let b = &input[k..];
            if b.starts_with(b"SFMB") {
                if b.len() < HEADER_LEN {
                    return Limit::Uncertain(k);
                }
                if looks_like_header(b) && u64_at(b, 20) == (self.pos + to_u64(k)) / size {
                    return Limit::Hit(k);
                }
            }
            k += to_usize(self.flb);
        }
        Limit::Free(n)
    }

    fn read_data<'a>(&mut self, input: &'a [u8]) -> Result<Flow<'a>, ReadError> {
        let Some(st) = &self.stream else {
            self.phase = Phase::StreamHeader;
            return Ok(Flow::Again);
        };
        let left = st.header.length - st.done;
        if left == 0 {
            return Ok(self.finish_stream());
        }
        if st.mode == Mode::Fdd && st.drop == 0 {
            return Ok(self.read_fdd(input, left));
        }
        let want = to_usize(left.min(if st.drop > 0 { st.drop } else { left })).min(input.len());
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
        st.done += to_u64(n);
        if st.drop > 0 {
            st.drop -= to_u64(n);
            return Ok(step(n, None));
        }
        match st.mode {
            Mode::Deliver => {
                if let Some(c) = &mut st.csum {
                    c.update(chunk);
                }
                Ok(step(n, Some(Event::Data(chunk))))
            }
            Mode::Collect => {
                self.meta.extend_from_slice(chunk);
                Ok(step(n, None))
            }
            Mode::Skip | Mode::Fdd => Ok(step(n, None)),
        }
    }

    /// One FDD entry (entries may straddle input pieces; they are gathered in the carry).
    fn read_fdd<'a>(&mut self, input: &'a [u8], left: u64) -> Flow<'a> {
        let start = self.pos;
        let head = to_usize(left.min(36));
        let Some(b) = self.view(input, head) else {
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
            let c = self.carry.len();
            self.carry.clear();
            if let Some(st) = &mut self.stream {
                st.done += to_u64(c);
            }
            return Flow::Again;
        }
        let Some(b) = self.view(input, len) else {
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
        let used = self.complete(len);
        if let Some(st) = &mut self.stream {
            st.done += to_u64(len);
        }
        step(used, Some(event))
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
            Mode::Collect => self.interpret_collected(id),
            Mode::Skip if id == StreamId::SPAD => then = After::Dblk,
            Mode::Skip | Mode::Fdd => {}
        }
        self.meta.clear();
        let end = self.pos + pad4(self.pos);
        self.phase = Phase::Skip { until: end, then };
        Flow::Again
    }

    fn interpret_collected(&mut self, id: StreamId) {
        let meta = std::mem::take(&mut self.meta);
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
        let mut k = to_usize(align_up(self.pos + 1, self.flb) - self.pos);
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

/// NT OS data of a DIRB/FILE when the OS ID says Windows NT.
fn nt_object(h: &Header, os: &[u8], is_file: bool) -> Option<NtObject> {
    (h.os_id == OS_ID_WINDOWS_NT)
        .then(|| NtObject::decode(os, h.os_version, is_file))
        .flatten()
}
