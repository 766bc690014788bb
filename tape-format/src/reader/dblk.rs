//! Reading descriptor blocks: decoding, checking the TAPE of a medium, and what each DBLK type
//! means for the reader's context and events.

use super::events::{
    ChecksumStatus, DirectoryEvent, Event, FileEvent, MediumEvent, SetEvent, VolumeEvent,
};
use super::machine::{Flow, step};
use super::{After, MediaReader, Pending, Phase, ReadError};
use crate::attrs::{BlockAttributes, DirAttributes, FileAttributes, TapeAttributes};
use crate::block::{Body, Dblk, HEADER_LEN, Header, decode_dblk};
use crate::decoded::Decoded;
use crate::error::DecodeError;
use crate::ids::BlockType;
use crate::le::to_u64;
use crate::os_nt::{NtObject, NtVolume, OS_ID_WINDOWS_NT};

/// How a DBLK relates to what earlier media already delivered.
enum Dup {
    /// New.
    No,
    /// Already read in full.
    Skip,
    /// A copy of the DBLK whose stream was cut by the end of the previous medium.
    ResumeOwner,
}

impl MediaReader {
    pub(super) fn read_dblk<'a>(&mut self, input: &'a [u8]) -> Result<Flow<'a>, ReadError> {
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
    pub(super) fn flush_before_new(&mut self, offset: u64, set_end: bool) {
        if let Some((id, length, _)) = self.awaiting_csum.take() {
            self.queue.push_back(Event::StreamEnd {
                id,
                length,
                checksum: ChecksumStatus::Missing,
            });
        }
        // A stream still open here belongs to the pending object when it is one of its
        // name/metadata streams: the object comes first, then what happened to the stream.
        self.flush_named_pending();
        if let Some(st) = self.suspended.take() {
            self.fdd_carry.clear();
            if set_end {
                // The set was closed early (MTF_ABORTED_SET): the stream was cut at the last
                // block written before the closing filemark.
                self.queue.push_back(Event::StreamCut {
                    id: st.header.id,
                    delivered: st.done,
                    expected: st.header.length,
                });
            } else {
                self.queue.push_back(Event::Damaged {
                    error: DecodeError::MissingData("stream continuation"),
                    offset,
                });
            }
        }
    }

    /// Reports the pending DIRB or FILE, unless its name was still to come in a `PNAM`/`FNAM`
    /// stream that was never read: an object without a name is dropped (the damage that cut
    /// the stream is reported).
    pub(super) fn flush_named_pending(&mut self) {
        let named = match &self.pending {
            Some(Pending::Dir(d)) => {
                !(d.dirb.attributes.contains(DirAttributes::PATH_IN_STREAM)
                    && d.path.components.is_empty())
            }
            Some(Pending::File(f)) => {
                !(f.file.attributes.contains(FileAttributes::NAME_IN_STREAM) && f.name.is_empty())
            }
            None => return,
        };
        if named {
            self.flush_pending();
        } else {
            self.pending = None;
        }
    }

    pub(super) fn flush_pending(&mut self) {
        match self.pending.take() {
            Some(Pending::Dir(d)) => self.queue.push_back(Event::Directory(d)),
            Some(Pending::File(f)) => self.queue.push_back(Event::File(f)),
            None => {}
        }
    }

    /// Interprets a decoded DBLK at `start` occupying `len` bytes before its streams.
    /// A body DBLK already read from an earlier medium: a non-continuation VOLB/DIRB/FILE/CFIL
    /// whose FLA is not beyond the highest one seen in the set since it was last continued, or a
    /// continuation FILE older than the current file. Updates the highest FLA otherwise.
    fn is_duplicate(&mut self, d: &Dblk) -> Dup {
        let h = &d.header;
        let body = matches!(
            h.block_type,
            BlockType::VOLB | BlockType::DIRB | BlockType::FILE | BlockType::CFIL
        );
        if !body {
            if h.block_type == BlockType::SSET
                && !h.attributes.contains(BlockAttributes::CONTINUATION)
            {
                self.max_fla = None;
            }
            return Dup::No;
        }
        if h.attributes.contains(BlockAttributes::CONTINUATION) {
            let older = matches!((&d.body, self.cur_file_id), (Body::File(f), Some(cur)) if f.file_id < cur);
            return if older { Dup::Skip } else { Dup::No };
        }
        if self.continued && self.max_fla.is_some_and(|m| h.fla <= m) {
            if self.max_fla != Some(h.fla) {
                return Dup::Skip;
            }
            if self.pending.is_none() {
                return Dup::ResumeOwner;
            }
            // Its name/metadata streams were cut: read the copy afresh.
            self.pending = None;
            self.suspended = None;
        }
        self.max_fla = Some(h.fla);
        Dup::No
    }

    pub(super) fn on_dblk(&mut self, d: Dblk, start: u64, len: usize) -> Option<Event<'static>> {
        let h = d.header.clone();
        let cont = h.attributes.contains(BlockAttributes::CONTINUATION);
        // A continuation DIRB has no streams to wait for (its SPAD is skipped): report it before
        // the next DBLK, so a reader that starts on this medium learns the directory.
        if matches!(&self.pending, Some(Pending::Dir(p)) if p.header.attributes.contains(BlockAttributes::CONTINUATION))
        {
            self.flush_pending();
        }
        self.suspend_stream();
        self.cur_cont = cont || h.block_type == BlockType::TAPE;
        self.phase = Phase::StreamHeader;
        self.next_stream = 1;
        self.skip_streams = false;
        self.resume_owner = None;
        self.skip_csum = false;
        let t = h.block_type;
        match self.is_duplicate(&d) {
            Dup::No => {}
            Dup::Skip => {
                // Re-framed on this medium although the previous one already held it (the drive
                // reported a block as not written that was): skip it with its streams.
                self.skip_streams = true;
                return None;
            }
            Dup::ResumeOwner => {
                // A full copy of the DBLK whose stream was cut: resume that stream in it.
                self.cur_cont = true;
                self.resume_owner = Some(self.suspended.as_ref().map_or(u16::MAX, |s| s.number));
                return None;
            }
        }
        if !matches!(t, BlockType::TAPE | BlockType::SFMB | BlockType::EOTM) && !cont {
            self.flush_before_new(start, t == BlockType::ESET);
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
                // The rest of the soft filemark block is zero fill, skipped quietly by the DBLK
                // search; the TAPE's soft filemark size is not trusted for skipping.
                self.phase = Phase::Skip {
                    until: start + to_u64(len),
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
                self.cur_size = h.displayable_size;
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
}

/// NT OS data of a DIRB/FILE when the OS ID says Windows NT.
fn nt_object(h: &Header, os: &[u8], is_file: bool) -> Option<NtObject> {
    (h.os_id == OS_ID_WINDOWS_NT)
        .then(|| NtObject::decode(os, h.os_version, is_file))
        .flatten()
}
