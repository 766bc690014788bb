//! End-of-set processing (mtf.md §7, §10.2): optional ESPB, filemark, ESET; with the Type 1
//! catalog the first ESET carries the `TFDD` and `TSMP` streams, each starting on a physical block
//! boundary, and a second ESET holds their PBAs; filemark. Also the regeneration of that sequence
//! on a continuation medium (EOM cases g–j and k–q, mtf.md §9.4–9.5).

use super::context::Context;
use super::job::{DblkJob, Job, LogKind, Marker, Role};
use super::{MediaWriter, State, WriteError};
use crate::attrs::{BlockAttributes, StreamMediaAttributes};
use crate::block::{Body, Dblk, Eset};
use crate::catalog::{FddEntry, FddSpool, SetMap};
use crate::ids::StreamId;
use crate::le::{align_up, to_u64};
use crate::stream::{STREAM_HEADER_LEN, StreamHeader};

/// Size of a `FEND` entry.
const FEND_LEN: u64 = 36;

impl<S: FddSpool> MediaWriter<S> {
    /// Closes the open data set: end-of-set blocks, the catalog if enabled, filemarks.
    pub fn end_set(&mut self) -> Result<(), WriteError> {
        self.check_input("end_set")?;
        self.close_owner("end_set")?;
        self.queue_end_set("end_set", false)?;
        self.pump()
    }

    /// Closes the open data set early (mtf.md §3.2, `MTF_ABORTED_SET`): nothing framed after the
    /// last acknowledged output is written — the file being written is cut there, on a physical
    /// block boundary — then filemark, ESET marked aborted, the catalog of what was written (if
    /// enabled), filemark. Call it instead of [`MediaWriter::end_of_medium`] after an early
    /// warning when no further medium will come, or at any time to stop a backup cleanly. Every
    /// file written completely before the cut stays restorable; readers see the cut file's data
    /// end at a filemark.
    pub fn abort_set(&mut self) -> Result<(), WriteError> {
        if self.ready.is_some() {
            return Err(WriteError::OutputPending);
        }
        if !matches!(self.state, State::Writing | State::EarlyWarning) || self.set.is_none() {
            return Err(WriteError::Sequence {
                call: "abort_set",
                reason: "no data set being written on a medium",
            });
        }
        self.commit()?;
        self.discard_unacked();
        self.jobs.clear();
        self.csum = None;
        self.front = self.committed.clone();
        self.front.owner = None;
        self.front.stream = None;
        self.state = State::Writing;
        self.aborting = true;
        self.queue_end_set("abort_set", true)?;
        self.pump()
    }

    fn queue_end_set(&mut self, call: &'static str, aborted: bool) -> Result<(), WriteError> {
        let mut set = self.set.take().ok_or(WriteError::Sequence {
            call,
            reason: "no open set",
        })?;
        set.closing = true;
        let cbid = set.next_cbid;
        let eset = Eset {
            attributes: set.info.backup_type,
            corrupt_files: set.corrupt,
            fdd_media_sequence: 0,
            set_number: set.info.set_number,
            media_write_date: set.info.date,
            ..Eset::default()
        };
        let mut dblk = Dblk::new(Body::Eset(eset));
        dblk.header.string_type = crate::strings::StringType::None;
        if aborted {
            dblk.header.attributes |= BlockAttributes::ESET_ABORTED_SET;
        }
        self.last_eset = Some(dblk);
        self.last_counts = Some(set);
        self.espb_cbid = cbid;
        self.espb_written = false;
        // Without an ESPB the ESETs take the next Control Block ID (framing an ESPB adjusts it).
        self.eset_cbid = cbid;
        self.jobs.push_back(Job::AlignPhysical { cbid });
        self.jobs.push_back(Job::Marker(Marker::ClosingStart));
        self.jobs.push_back(Job::Barrier);
        self.jobs.push_back(Job::Filemark);
        let eset1 = self.eset_job(Role::Eset1, false);
        self.jobs.push_back(eset1);
        self.push_eset_tail(None, None);
        Ok(())
    }

    /// ESET job of `role` built from the set being closed.
    fn eset_job(&self, role: Role, continuation: bool) -> Job {
        let mut dblk = self
            .last_eset
            .clone()
            .unwrap_or_else(|| Dblk::new(Body::Eset(Eset::default())));
        if continuation {
            dblk.header.attributes |= BlockAttributes::CONTINUATION;
        }
        if role == Role::Eset1 && self.opts.catalog && self.phys <= 0xFFFC {
            // The TFDD stream header starts on the next physical block (mtf.md §10.2).
            dblk.header.first_event = u16::try_from(self.phys).unwrap_or(0);
        }
        Job::Dblk(Box::new(DblkJob {
            dblk,
            role,
            name_stream: None,
        }))
    }

    /// Everything after the first ESET: catalog streams, second ESET, filemark.
    /// `fdd_from`: `None` = whole FDD; `Some(None)` = FDD already complete; `Some(Some(o))` =
    /// continue from `TFDD` stream offset `o`. `eset2`: the second ESET when it is a copy
    /// (`ESET*`).
    fn push_eset_tail(&mut self, fdd_from: Option<Option<u64>>, eset2: Option<Job>) {
        if self.opts.catalog {
            match fdd_from {
                None => self.jobs.push_back(Job::Fdd {
                    from: 0,
                    force_continue: false,
                }),
                Some(Some(o)) => self.jobs.push_back(Job::Fdd {
                    from: o,
                    force_continue: true,
                }),
                Some(None) => {}
            }
            self.jobs.push_back(Job::SetMap);
            self.jobs.push_back(Job::Spad { physical: true });
            let eset2 = eset2.unwrap_or_else(|| self.eset_job(Role::Eset2, false));
            self.jobs.push_back(eset2);
        }
        self.jobs.push_back(Job::Spad { physical: true });
        self.jobs.push_back(Job::Filemark);
        self.jobs.push_back(Job::Marker(Marker::SetClosed));
        self.jobs.push_back(Job::Barrier);
    }

    /// The end-of-set sequence again, on a continuation medium.
    pub(super) fn closing_continuation(&mut self, ctx: &Context) -> Vec<Job> {
        let saved: Vec<Job> = self.jobs.drain(..).collect();
        let Some(c) = &ctx.closing else {
            return Vec::new();
        };
        if let Some(sset) = &ctx.sset {
            let mut j = (**sset).clone();
            j.dblk.header.attributes |= BlockAttributes::CONTINUATION | BlockAttributes::EOS_AT_EOM;
            self.jobs.push_back(Job::Dblk(Box::new(j)));
            self.jobs.push_back(Job::Spad { physical: true });
            self.jobs.push_back(Job::Filemark);
        }
        // ESETs already written are repeated as `ESET*` copies: the set they close may be an
        // earlier one than the set being closed now (its ID, FDD location and body are theirs).
        let copy = |j: &DblkJob| {
            let mut j = j.clone();
            j.dblk.header.attributes |= BlockAttributes::CONTINUATION;
            Job::Dblk(Box::new(j))
        };
        let mut eset1 = match &c.eset1 {
            Some(j) => copy(j),
            None => self.eset_job(Role::Eset1, false),
        };
        let eset2 = c.eset2.as_deref().map(copy);
        let fdd_from = match (c.fdd_written, c.fdd_len) {
            (None, _) if c.eset1.is_some() && c.closed => Some(None),
            (None, _) => None,
            (Some(w), Some(len)) if w >= len => Some(None),
            (Some(w), _) => Some(Some(w)),
        };
        if let (Some(Some(_)), Job::Dblk(j)) = (fdd_from, &mut eset1)
            && self.phys > self.flb
            && let Ok(fe) = u16::try_from(self.phys - self.flb)
        {
            // The continued FDD data start one FLB after the TFDD* header (mtf.md §9.3); with
            // the header one FLB before a physical boundary they start on it, as they did on
            // the previous medium at the split point, so the FDD keeps its layout modulo the
            // physical block size (see `frame_fdd_header`).
            j.dblk.header.first_event = fe;
        }
        self.jobs.push_back(eset1);
        self.push_eset_tail(fdd_from, eset2);
        let out = self.jobs.drain(..).collect();
        self.jobs.extend(saved);
        out
    }

    /// ESPB + physical SPAD when the set body does not end on a physical block boundary.
    pub(super) fn frame_align(&mut self, cbid: u32) {
        if self.pos.is_multiple_of(self.phys) {
            return;
        }
        let mut espb = Dblk::new(Body::Espb);
        espb.header.cbid = cbid;
        self.jobs.push_front(Job::Spad { physical: true });
        self.jobs.push_front(Job::Dblk(Box::new(DblkJob {
            dblk: espb,
            role: Role::Plain,
            name_stream: None,
        })));
    }

    /// `TFDD` header; queues the stream's data from stream offset `from`: the spool entries, the
    /// `FEND` and the zeros up to the physical boundary (all framed as [`Job::Spool`]).
    ///
    /// A continuation (`from > 0` or `force_continue`) repeats the header with `STREAM_CONTINUE`
    /// and the bytes still to come, then zero fill to the next FLB boundary (mtf.md §9.3). Its
    /// ESET* is laid out so that this boundary falls where the split point fell modulo the
    /// physical block size (see [`MediaWriter::closing_continuation`]): the rest of the stream
    /// then ends on a physical boundary with the same `FEND` as before, and the remaining length
    /// is exactly the total minus `from`, which readers use to find where the data resume.
    pub(super) fn frame_fdd_header(
        &mut self,
        from: u64,
        force_continue: bool,
    ) -> Result<(), WriteError> {
        let spool_len = self.spool.len();
        let cont = force_continue || from > 0;
        let hdr_end = self.pos + to_u64(STREAM_HEADER_LEN);
        let data_start = if cont {
            align_up(hdr_end, self.flb)
        } else {
            hdr_end
        };
        // Where stream offset 0 would lie on this medium (shifted by whole physical blocks to
        // stay positive: only the position modulo the physical block size matters).
        let origin = data_start + from.div_ceil(self.phys) * self.phys - from;
        let fend_pos = origin + spool_len;
        let end = align_up(fend_pos + FEND_LEN, self.phys);
        let total = end - origin;
        let mut header = StreamHeader::new(StreamId::TFDD, total.saturating_sub(from));
        if cont {
            header.media_attributes |= StreamMediaAttributes::CONTINUE;
        } else {
            self.fdd_pba = (self.pos / self.phys, self.seq);
        }
        self.emit(
            &header.encode(),
            LogKind::Stream {
                header,
                written_before: from,
            },
        );
        let fend_len = u16::try_from(end - fend_pos).unwrap_or(36);
        let mut fend = Vec::with_capacity(64);
        FddEntry::end(fend_len).encode(&mut fend)?;
        self.fdd_end = (spool_len, fend);
        self.jobs.push_front(Job::EndStream);
        self.jobs.push_front(Job::Spool {
            next: from.min(total),
            end: total,
        });
        if cont {
            self.jobs.push_front(Job::Fill);
        }
        Ok(())
    }

    /// `TSMP` header and the whole Set Map (regenerated, so it is never split).
    pub(super) fn frame_set_map(&mut self) -> Result<(), WriteError> {
        let body = self.set_map()?.encode()?;
        self.tsmp_pba = self.pos / self.phys;
        let header = StreamHeader::new(StreamId::TSMP, to_u64(body.len()));
        self.emit(
            &header.encode(),
            LogKind::Stream {
                header,
                written_before: 0,
            },
        );
        self.jobs.push_front(Job::EndStream);
        self.jobs.push_front(Job::Bytes {
            data: body,
            done: 0,
        });
        Ok(())
    }

    /// The family's Set Map: earlier sets, then every SSET framed in this session.
    fn set_map(&mut self) -> Result<SetMap, WriteError> {
        let (fdd_pba, fdd_seq) = self.fdd_pba;
        if let Some(c) = &self.last_counts {
            for t in self
                .sm
                .iter_mut()
                .filter(|t| t.entry.set_number == c.info.set_number)
            {
                let e = &mut t.entry;
                e.fdd_pba = fdd_pba;
                e.fdd_media_sequence = fdd_seq;
                e.directories = c.dirs;
                e.files = c.files;
                e.corrupt_files = c.corrupt;
                e.displayable_size = c.size;
            }
        }
        let mut entries = self.prior_set_map.clone();
        for t in &self.sm {
            let mut e = t.entry.clone();
            e.volumes = t.volumes.iter().map(|(_, v)| v.clone()).collect();
            entries.push(e);
        }
        Ok(SetMap {
            media_family_id: self.opts.media_family_id,
            entries,
        })
    }

    /// Everything framed but not written is dropped: an ESPB among it no longer counts for the
    /// ESETs' Control Block ID (it takes the ESPB's ID again unless an ESPB is framed anew).
    pub(super) fn forget_unwritten_espb(&mut self) {
        self.eset_cbid = self.espb_cbid.wrapping_add(u32::from(self.espb_written));
    }
}
