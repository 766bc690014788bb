//! Framing: turning jobs into bytes in the output buffer, assigning position-dependent fields
//! (FLA, PBA, SFMB entries) and logging what each byte range holds.

use super::job::{DblkJob, Job, LogItem, LogKind, Role};
use super::{MediaWriter, Ready, SmTrack, State, WriteError};
use crate::attrs::{BlockAttributes, StreamMediaAttributes};
use crate::block::{Body, Dblk, HEADER_LEN, Sfmb};
use crate::catalog::FddSpool;
use crate::ids::{BlockType, StreamId};
use crate::le::{align_up, to_u64, to_usize};
use crate::stream::{STREAM_HEADER_LEN, StreamHeader, pad4};

impl<S: FddSpool> MediaWriter<S> {
    /// Frames queued jobs until an output is ready or nothing is left.
    pub(super) fn pump(&mut self) -> Result<(), WriteError> {
        if matches!(
            self.state,
            State::Idle | State::EarlyWarning | State::NeedMedium
        ) {
            return Ok(());
        }
        while self.ready.is_none() {
            let Some(job) = self.jobs.pop_front() else {
                break;
            };
            if let Some(back) = self.frame(job)? {
                self.jobs.push_front(back);
            }
            if self.ready.is_none() && self.buf.len() >= self.unit {
                self.ready = Some(Ready::Block(self.unit));
            }
        }
        if self.state == State::Closing && self.ready.is_none() && self.jobs.is_empty() {
            if self.buf.is_empty() {
                self.state = State::NeedMedium;
            } else {
                // The closing SFMB (soft filemarks) ends a partial unit: write it too.
                self.flush_partial()?;
            }
        }
        Ok(())
    }

    /// Room left in the current output unit.
    pub(super) fn room(&self) -> usize {
        self.unit.saturating_sub(self.buf.len())
    }

    /// FLA of medium position `p`.
    pub(super) fn fla_at(&self, p: u64) -> u64 {
        let (ap, af) = self.anchor;
        if p >= ap {
            af + (p - ap) / self.flb
        } else {
            af.saturating_sub((ap - p).div_ceil(self.flb))
        }
    }

    /// Appends bytes and logs them.
    pub(super) fn emit(&mut self, bytes: &[u8], kind: LogKind) {
        let start = self.pos;
        self.buf.extend_from_slice(bytes);
        self.pos += to_u64(bytes.len());
        self.log_item(start, kind);
    }

    /// Appends `n` zero bytes and logs them.
    pub(super) fn emit_zeros(&mut self, n: u64, kind: LogKind) {
        let start = self.pos;
        self.buf.resize(self.buf.len() + to_usize(n), 0);
        self.pos += n;
        self.log_item(start, kind);
    }

    pub(super) fn log_item(&mut self, start: u64, kind: LogKind) {
        let fla = self.fla_at(start);
        self.front.apply(&kind, self.pos - start, fla);
        if kind == LogKind::Data
            && let Some(last) = self.log.back_mut()
            && last.kind == LogKind::Data
            && last.end == start
        {
            last.end = self.pos;
            return;
        }
        self.log.push_back(LogItem {
            pos: start,
            end: self.pos,
            fla,
            kind,
        });
    }

    /// Frames (part of) one job; returns what is left of it.
    fn frame(&mut self, job: Job) -> Result<Option<Job>, WriteError> {
        match job {
            Job::Dblk(j) => self.frame_dblk(*j)?,
            Job::Stream {
                header,
                written_before,
                force_continue,
            } => {
                let mut h = header;
                if written_before > 0 || force_continue {
                    h.media_attributes |= StreamMediaAttributes::CONTINUE;
                    h.length = header.length.saturating_sub(written_before);
                }
                self.emit(
                    &h.encode(),
                    LogKind::Stream {
                        header,
                        written_before,
                    },
                );
            }
            Job::Bytes { data, done } => {
                let n = self.room().min(data.len() - done);
                let start = self.pos;
                self.buf.extend_from_slice(&data[done..done + n]);
                self.pos += to_u64(n);
                self.log_item(start, LogKind::Data);
                if done + n < data.len() {
                    return Ok(Some(Job::Bytes {
                        data,
                        done: done + n,
                    }));
                }
            }
            Job::Zeros { remaining } => {
                let n = to_u64(self.room()).min(remaining);
                self.emit_zeros(n, LogKind::Pad);
                if n < remaining {
                    return Ok(Some(Job::Zeros {
                        remaining: remaining - n,
                    }));
                }
            }
            Job::Fdd {
                from,
                force_continue,
            } => self.frame_fdd_header(from, force_continue)?,
            Job::Spool { next, end } => return self.frame_spool(next, end),
            Job::SetMap => self.frame_set_map()?,
            Job::EndStream => self.emit_zeros(pad4(self.pos), LogKind::EndStream),
            Job::Spad { physical } => {
                let boundary = if physical { self.phys } else { self.flb };
                let end = align_up(self.pos + to_u64(STREAM_HEADER_LEN), boundary);
                let len = end - self.pos - to_u64(STREAM_HEADER_LEN);
                self.emit(
                    &StreamHeader::new(StreamId::SPAD, len).encode(),
                    LogKind::Spad { physical },
                );
                self.jobs.push_front(Job::Zeros { remaining: len });
            }
            Job::Fill => self.emit_zeros(align_up(self.pos, self.flb) - self.pos, LogKind::Fill),
            Job::Barrier => {
                if !self.buf.is_empty() {
                    self.flush_partial()?;
                    return Ok(Some(Job::Barrier));
                }
            }
            Job::Filemark => return self.frame_filemark(),
            Job::Marker(m) => self.log_item(self.pos, LogKind::Marker(m)),
            Job::AlignPhysical { cbid } => self.frame_align(cbid),
        }
        Ok(None)
    }

    /// Makes the whole buffer (whole physical blocks) the next output.
    fn flush_partial(&mut self) -> Result<(), WriteError> {
        if !to_u64(self.buf.len()).is_multiple_of(self.phys) {
            return Err(WriteError::Sequence {
                call: "flush",
                reason: "output not on a physical block boundary",
            });
        }
        self.ready = Some(Ready::Block(self.buf.len().min(self.unit)));
        Ok(())
    }

    fn frame_filemark(&mut self) -> Result<Option<Job>, WriteError> {
        let pba = u32::try_from(self.pos / self.phys).unwrap_or(u32::MAX);
        if self.opts.soft_filemarks {
            let region = to_usize(self.phys.min(0xFFFC));
            let mut dblk = Dblk::new(Body::Sfmb(Sfmb {
                capacity: Sfmb::capacity_for(region),
                entries: Vec::new(),
            }));
            dblk.header.first_event = u16::try_from(region).unwrap_or(0);
            dblk.header.string_type = crate::strings::StringType::None;
            self.frame_dblk(DblkJob {
                dblk,
                role: Role::Sfmb,
                name_stream: None,
            })?;
            self.remember_filemark(pba);
            return Ok(None);
        }
        if !self.buf.is_empty() {
            self.flush_partial()?;
            return Ok(Some(Job::Filemark));
        }
        self.log_item(self.pos, LogKind::HardFilemark);
        self.remember_filemark(pba);
        self.ready = Some(Ready::Filemark);
        Ok(None)
    }

    fn remember_filemark(&mut self, pba: u32) {
        self.filemarks.push_front(pba);
        self.filemarks.truncate(4096);
    }

    /// Fills the position-dependent fields of a DBLK and frames it.
    pub(super) fn frame_dblk(&mut self, mut job: DblkJob) -> Result<(), WriteError> {
        let pos = self.pos;
        let pba = pos / self.phys;
        let h = &mut job.dblk.header;
        let continuation = h.attributes.contains(BlockAttributes::CONTINUATION);
        match job.role {
            Role::Plain if h.block_type == BlockType::TAPE => h.fla = 0,
            Role::Plain => h.fla = self.fla_at(pos),
            Role::Sset => {
                if !continuation {
                    self.anchor = (pos, 0);
                }
                h.fla = self.fla_at(pos);
            }
            // A copy of an ESET already written (`ESET*`) keeps the Control Block ID of its set,
            // which need not be the set being closed now (mtf.md §9.4 cases i/j, §9.5 p/q).
            Role::Eset1 | Role::Eset2 => {
                h.fla = 0;
                if !continuation {
                    h.cbid = self.eset_cbid;
                }
            }
            Role::Eotm => h.fla = 0,
            Role::Sfmb => {
                h.fla = pba;
                h.cbid = self.next_sfmb_id;
                self.next_sfmb_id = self.next_sfmb_id.wrapping_add(1);
            }
        }
        let fla = h.fla;
        match &mut job.dblk.body {
            Body::Sset(s) => s.pba = pba,
            Body::Eset(e) if job.role == Role::Eset2 => {
                if !continuation {
                    e.fdd_pba = self.fdd_pba.0;
                    e.fdd_media_sequence = self.fdd_pba.1;
                }
                e.set_map_pba = self.tsmp_pba;
            }
            Body::Espb => self.eset_cbid = h.cbid.wrapping_add(1),
            Body::Eotm(e) => match self.last_eset_pba {
                Some(p) => e.last_eset_pba = p,
                None => job.dblk.header.attributes |= BlockAttributes::EOTM_NO_ESET_PBA,
            },
            Body::Sfmb(s) => {
                let cap = usize::try_from(s.capacity).unwrap_or(0);
                s.entries = self.filemarks.iter().take(cap).copied().collect();
            }
            _ => {}
        }
        self.track_set_map(&job, pos, fla);
        let mut bytes = Vec::with_capacity(HEADER_LEN + 256);
        job.dblk.encode(&mut bytes)?;
        let is_sfmb = job.role == Role::Sfmb;
        self.emit(
            &bytes,
            if is_sfmb {
                LogKind::SoftFilemark
            } else {
                LogKind::Dblk(Box::new(job))
            },
        );
        if is_sfmb {
            let tail = align_up(self.pos, self.phys) - self.pos;
            self.jobs.push_front(Job::Zeros { remaining: tail });
        }
        Ok(())
    }

    /// Records SSETs and VOLBs for the Set Map as they are framed.
    fn track_set_map(&mut self, job: &DblkJob, pos: u64, fla: u64) {
        if !self.opts.catalog {
            return;
        }
        match &job.dblk.body {
            Body::Sset(s) if job.role == Role::Sset => {
                let h = &job.dblk.header;
                let entry = crate::catalog::SetMapEntry {
                    media_sequence: self.seq,
                    block_attributes: h.attributes.bits(),
                    set_attributes: s.attributes.bits(),
                    sset_pba: s.pba,
                    set_number: s.set_number,
                    fla,
                    password_encryption: s.password_encryption,
                    name: s.name.clone(),
                    password: s.password.clone(),
                    description: s.description.clone(),
                    user_name: s.user_name.clone(),
                    media_write_date: s.media_write_date,
                    time_zone: s.time_zone,
                    os_id: h.os_id,
                    os_version: h.os_version,
                    string_type: h.string_type,
                    mtf_minor: s.mtf_minor,
                    catalog_version: s.catalog_version,
                    ..Default::default()
                };
                self.sm.push(SmTrack {
                    seq: self.seq,
                    pos,
                    entry,
                    volumes: Vec::new(),
                });
            }
            Body::Volb(_) => {
                let mut e = super::commit::fdd_entry(&job.dblk, self.seq);
                e.fla = fla;
                if let Some(t) = self.sm.last_mut() {
                    t.volumes.push((pos, e));
                }
            }
            _ => {}
        }
    }

    /// `TFDD` stream bytes `[next, end)`: the spool's entries, then the `FEND` entry and zeros.
    fn frame_spool(&mut self, next: u64, end: u64) -> Result<Option<Job>, WriteError> {
        let n = to_u64(self.room()).min(end - next);
        let old = self.buf.len();
        self.buf.resize(old + to_usize(n), 0);
        let (spool_len, fend) = &self.fdd_end;
        let from_spool = to_usize(spool_len.saturating_sub(next).min(n));
        for (i, b) in self.buf[old + from_spool..].iter_mut().enumerate() {
            let at = next + to_u64(from_spool + i) - spool_len;
            if let Some(&v) = usize::try_from(at).ok().and_then(|a| fend.get(a)) {
                *b = v;
            }
        }
        let mut filled = 0usize;
        while filled < from_spool {
            let got = self.spool.read_at(
                next + to_u64(filled),
                &mut self.buf[old + filled..old + from_spool],
            )?;
            if got == 0 {
                self.buf.truncate(old);
                return Err(WriteError::Spool(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "FDD spool shorter than its length",
                )));
            }
            filled += got;
        }
        let start = self.pos;
        self.pos += n;
        self.log_item(start, LogKind::Spool { from: next });
        Ok((next + n < end).then_some(Job::Spool {
            next: next + n,
            end,
        }))
    }
}
