//! End of medium (mtf.md §9): the EOTM on the full medium and the continuation on the next.
//!
//! At the split point S (everything before it is on the medium) the committed context says where
//! the logical position is. What follows S — framed but unacknowledged items and queued jobs — is
//! turned back into jobs and re-framed on the new medium behind `TAPE*` + filemark and the
//! continuation DBLKs:
//!
//! * inside a set body (cases a–f): `SSET*`, `VOLB*`, `DIRB*` and the open DBLK (`FILE*`, or the
//!   VOLB/DIRB itself) if its streams are unfinished; a stream split in its data continues with a
//!   `STREAM_CONTINUE` header copy announcing the remaining bytes, zero fill to the next FLB and
//!   the rest (mtf.md §9.3); a stream header split in two is written again whole; a split `SPAD`
//!   is dropped. FLAs follow the span rule (mtf.md §9.2): the continuation DBLKs take the FLAs
//!   just below the FLA of S — of the end of the dropped `SPAD` if S falls in one, so that every
//!   DBLK keeps the FLA it has when the set fits on one medium.
//! * during or after end-of-set processing (cases g–j, k–q): `SSET*` with `MTF_EOS_AT_EOM`,
//!   filemark, the ESET again (`ESET*` if it was already written), the rest of the `TFDD` stream
//!   byte for byte (from the stream offset reached, on the same offset modulo the physical block)
//!   and always the whole Set Map, second ESET, filemark.
//!
//! The continuation DBLKs only re-establish the context of the split point: until all of them
//! (up to [`Marker::ContinuationDone`]) are on the new medium, that medium holds nothing of the
//! logical position. When it ends before that — a damaged cartridge refusing its very first
//! block, or early warning / physical end among the continuation blocks — the medium after it
//! gets the same continuation DBLKs, context and FLA anchor again, followed by what came after
//! them; a medium that took nothing at all is not part of the family, so its successor keeps its
//! sequence number.

use super::context::{Closing, Context};
use super::job::{DblkJob, Job, LogItem, LogKind, Marker, Role};
use super::tail::convert;
use super::{MediaWriter, MediumInfo, State, WriteError};
use crate::attrs::{BlockAttributes, TapeAttributes};
use crate::block::{Body, Dblk, Eotm, Tape};
use crate::catalog::{FddSpool, catalog_type};
use crate::ids::BlockType;
use crate::le::{align_up, to_u64, to_usize};
use crate::stream::{STREAM_HEADER_LEN, pad4};

/// What the next medium must start with.
#[derive(Debug, Clone)]
pub(super) struct Resume {
    ctx: Context,
    /// Jobs after `TAPE*` + filemark.
    jobs: Vec<Job>,
    /// FLA of the split point, and whether it anchors a set body (else end-of-set regeneration).
    fla_span: u64,
    in_body: bool,
    /// Number of leading jobs that form the continuation prefix (for the FLA anchor).
    prefix_len: usize,
    /// Nothing reached the previous medium: start it again with the same sequence number.
    restart: bool,
    /// The prefix only re-establishes `ctx` and the rest follows it unchanged, so while the
    /// prefix is not wholly on the next medium, that medium still holds nothing of the logical
    /// position: ending it then re-frames this same prefix and the rest behind it. `false` for
    /// unfinished end-of-set processing, which is regenerated from the committed context.
    replayable: bool,
}

impl<S: FddSpool> MediaWriter<S> {
    /// Ends the current medium after early warning: queues filemark, `EOTM` + `SPAD`, filemark.
    /// Drain the outputs, then call [`MediaWriter::continue_on_new_medium`]. May also be called
    /// without early warning to end a medium on purpose.
    pub fn end_of_medium(&mut self) -> Result<(), WriteError> {
        if self.ready.is_some() {
            return Err(WriteError::OutputPending);
        }
        if !matches!(self.state, State::Writing | State::EarlyWarning) {
            return Err(WriteError::Sequence {
                call: "end_of_medium",
                reason: "no medium being written",
            });
        }
        self.take_tail()?;
        let after_filemark = self.committed.after_filemark;
        if !after_filemark {
            self.jobs.push_back(Job::Filemark);
        }
        let mut eotm = Dblk::new(Body::Eotm(Eotm::default()));
        eotm.header.string_type = crate::strings::StringType::None;
        self.jobs.push_back(Job::Dblk(Box::new(DblkJob {
            dblk: eotm,
            role: Role::Eotm,
            name_stream: None,
        })));
        self.jobs.push_back(Job::Spad { physical: true });
        self.jobs.push_back(Job::Filemark);
        self.state = State::Closing;
        Ok(())
    }

    /// Starts the next medium of the family (sequence + 1) and re-frames everything that did not
    /// make it onto the previous one.
    pub fn continue_on_new_medium(&mut self, medium: MediumInfo) -> Result<(), WriteError> {
        if self.state != State::NeedMedium {
            return Err(WriteError::Sequence {
                call: "continue_on_new_medium",
                reason: "medium not ended",
            });
        }
        let resume = self.resume.take().ok_or(WriteError::Sequence {
            call: "continue_on_new_medium",
            reason: "nothing to resume",
        })?;
        let Resume {
            ctx,
            mut jobs,
            fla_span,
            in_body,
            prefix_len,
            restart,
            replayable,
        } = resume;
        if !restart {
            self.seq = self.seq.wrapping_add(1);
            self.tape_continuation = true;
        }
        self.medium = medium;
        self.reset_medium();
        self.front = ctx.clone();
        self.committed = ctx.clone();
        let tape = self.tape_job(self.tape_continuation);
        let head = vec![
            tape,
            Job::Spad { physical: true },
            Job::Filemark,
            Job::Marker(Marker::HeaderDone),
        ];
        let x = self.measure(&head, 0);
        let r = self.measure(&jobs[..prefix_len], x);
        self.anchor = if in_body {
            (x + (r - x) / self.flb * self.flb, fla_span)
        } else {
            (x + self.flb, fla_span)
        };
        // Until the prefix is acknowledged, a further end of medium starts over from it.
        self.continuation = replayable.then(|| Resume {
            ctx,
            jobs: jobs[..prefix_len].to_vec(),
            fla_span,
            in_body,
            prefix_len,
            restart: false,
            replayable,
        });
        if replayable {
            jobs.insert(prefix_len, Job::Marker(Marker::ContinuationDone));
        }
        self.jobs.extend(head);
        self.jobs.extend(jobs);
        self.state = State::Writing;
        Ok(())
    }

    fn reset_medium(&mut self) {
        self.pos = 0;
        self.acked = 0;
        self.buf.clear();
        self.log.clear();
        self.jobs.clear();
        self.ready = None;
        self.filemarks.clear();
        self.last_eset_pba = None;
    }

    /// The TAPE job for the current medium.
    pub(super) fn tape_job(&self, continuation: bool) -> Job {
        let st = crate::strings::StringType::Unicode;
        let mut attributes = TapeAttributes::empty();
        if self.opts.soft_filemarks {
            attributes |= TapeAttributes::SOFT_FILEMARK;
        }
        if self.medium.label_is_media_label && self.medium.label.is_some() {
            attributes |= TapeAttributes::MEDIA_LABEL;
        }
        let tape = Tape {
            media_family_id: self.opts.media_family_id,
            attributes,
            media_sequence: self.seq,
            soft_filemark_size: u16::try_from(self.phys / 512).unwrap_or(u16::MAX),
            catalog_type: if self.opts.catalog {
                catalog_type::TYPE1
            } else {
                catalog_type::NONE
            },
            media_name: st.encode(&self.medium.name),
            media_description: st.encode(self.medium.label.as_deref().unwrap_or("")),
            software_name: st.encode(&self.opts.software_name),
            flb_size: self.opts.flb_size,
            software_vendor: self.opts.software_vendor,
            media_date: self.medium.date,
            major_version: 1,
            ..Tape::default()
        };
        let mut dblk = Dblk::new(Body::Tape(tape));
        if continuation {
            dblk.header.attributes |= BlockAttributes::CONTINUATION;
        }
        if self.opts.catalog {
            dblk.header.attributes |=
                BlockAttributes::TAPE_SET_MAP_EXISTS | BlockAttributes::TAPE_FDD_ALLOWED;
        }
        Job::Dblk(Box::new(DblkJob {
            dblk,
            role: Role::Plain,
            name_stream: None,
        }))
    }

    /// Position after framing `jobs` from `start` (a dry run).
    fn measure(&self, jobs: &[Job], start: u64) -> u64 {
        let hdr = to_u64(STREAM_HEADER_LEN);
        jobs.iter().fold(start, |p, j| match j {
            Job::Dblk(d) => {
                let mut v = Vec::new();
                p + d.dblk.encode(&mut v).map(to_u64).unwrap_or(0)
            }
            Job::Stream { .. } => p + hdr,
            Job::Bytes { data, done } => p + to_u64(data.len() - done),
            Job::Zeros { remaining } => p + remaining,
            Job::EndStream => p + pad4(p),
            Job::Spad { physical } => {
                align_up(p + hdr, if *physical { self.phys } else { self.flb })
            }
            Job::Fill => align_up(p, self.flb),
            Job::Filemark if self.opts.soft_filemarks => p + self.phys,
            _ => p,
        })
    }

    /// Cuts the medium at the acknowledged position and prepares what the next medium re-frames.
    pub(super) fn take_tail(&mut self) -> Result<(), WriteError> {
        // Zero-length items framed at the split point (markers) are part of the old medium.
        self.commit()?;
        self.forget_unwritten_filemarks();
        self.forget_unwritten_espb();
        let s = self.acked;
        let espb = self.espb_cbid;
        let mut items: Vec<LogItem> = self.log.drain(..).collect();
        let mut pending: Vec<Job> = self.jobs.drain(..).collect();
        // Padding zeros not yet framed are the rest of the SPAD data (or SFMB tail) logged just
        // before them: re-framing that SPAD/SFMB pads anew at its new position, and a split SPAD
        // is dropped with its padding. Kept, they would shift everything after them off the FLB
        // grid (the next DBLK unreadable).
        if matches!(pending.first(), Some(Job::Zeros { .. })) {
            pending.remove(0);
        }
        // The old medium's header is not re-framed: the new medium gets its own.
        if let Some(i) = items
            .iter()
            .position(|i| i.kind == LogKind::Marker(Marker::HeaderDone))
        {
            items.drain(..=i);
        } else if let Some(i) = pending
            .iter()
            .position(|j| *j == Job::Marker(Marker::HeaderDone))
        {
            items.clear();
            pending.drain(..=i);
        }
        // The continuation prefix framed on this medium is not wholly on it: this medium holds
        // nothing of the logical position yet, and the next one starts over from that prefix
        // (and its context and FLA anchor) with whatever followed it.
        let marker = Marker::ContinuationDone;
        let replay = self.continuation.take().filter(|_| {
            if let Some(i) = items.iter().position(|i| i.kind == LogKind::Marker(marker)) {
                items.drain(..=i);
            } else if let Some(i) = pending.iter().position(|j| *j == Job::Marker(marker)) {
                items.clear();
                pending.drain(..=i);
            } else {
                return false;
            }
            true
        });
        let restart = s == 0;
        // End-of-set processing that had not started re-checks the physical alignment.
        let pending: Vec<Job> = pending
            .into_iter()
            .flat_map(|j| match j {
                Job::Marker(Marker::ClosingStart) => {
                    vec![Job::AlignPhysical { cbid: espb }, j]
                }
                j => vec![j],
            })
            .collect();
        let buf = std::mem::take(&mut self.buf);
        self.ready = None;
        self.pos = s;
        let ctx = self.committed.clone();
        let fla_span = self.fla_at(s);
        self.sm.retain_mut(|t| {
            t.volumes.retain(|(p, _)| !(t.seq == self.seq && *p >= s));
            !(t.seq == self.seq && t.pos >= s)
        });
        let data = |it: &LogItem, from: u64| -> Vec<u8> {
            let a = to_usize(from.saturating_sub(s));
            let b = to_usize(it.end.saturating_sub(s));
            buf.get(a..b).map(<[u8]>::to_vec).unwrap_or_default()
        };
        if let Some(prefix) = replay {
            let mut jobs = prefix.jobs;
            let prefix_len = jobs.len();
            jobs.extend(items.iter().flat_map(|i| convert(i, &data, espb)));
            jobs.extend(pending);
            self.resume = Some(Resume {
                jobs,
                prefix_len,
                restart,
                ..prefix
            });
            return Ok(());
        }
        let mut ctx = ctx;
        if ctx.closing.is_none() && ctx.sset.is_some() && body_done(&ctx, &items, &pending) {
            // All data of the set are on the old medium (EOM cases g/h): the new medium gets
            // SSET* with MTF_EOS_AT_EOM and the end-of-set blocks only.
            ctx.closing = Some(Closing {
                body_end_fla: fla_span,
                ..Closing::default()
            });
        }
        let resume = match &ctx.closing {
            Some(c) => {
                let fla = c.body_end_fla;
                let closed = c.closed;
                let mut jobs = self.closing_continuation(&ctx);
                let prefix_len = jobs.len();
                if closed {
                    jobs.extend(
                        items
                            .iter()
                            .filter(|i| i.end > s)
                            .flat_map(|i| convert(i, &data, espb)),
                    );
                    jobs.extend(pending);
                }
                Resume {
                    ctx,
                    jobs,
                    fla_span: fla,
                    in_body: false,
                    prefix_len,
                    restart,
                    replayable: closed,
                }
            }
            None if ctx.sset.is_some() => {
                let (mut jobs, rest, resume_at) = self.body_prefix(&ctx, s, &items, &data);
                let prefix_len = jobs.len();
                jobs.extend(rest);
                jobs.extend(pending);
                Resume {
                    ctx,
                    jobs,
                    fla_span: self.fla_at(resume_at),
                    in_body: true,
                    prefix_len,
                    restart,
                    replayable: true,
                }
            }
            None => {
                let mut jobs: Vec<Job> =
                    items.iter().flat_map(|i| convert(i, &data, espb)).collect();
                jobs.extend(pending);
                Resume {
                    ctx,
                    jobs,
                    fla_span,
                    in_body: false,
                    prefix_len: 0,
                    restart,
                    replayable: true,
                }
            }
        };
        self.resume = Some(resume);
        Ok(())
    }
}

/// `true` when nothing of the set body follows the split point: only padding, an ESPB, and then
/// the start of end-of-set processing.
fn body_done(ctx: &Context, items: &[LogItem], pending: &[Job]) -> bool {
    let closing = LogKind::Marker(Marker::ClosingStart);
    let padding = |k: &LogKind| match k {
        LogKind::Spad { .. } | LogKind::Pad => true,
        LogKind::Dblk(j) => j.dblk.header.block_type == BlockType::ESPB,
        _ => false,
    };
    let owner_done = ctx
        .owner
        .as_ref()
        .is_none_or(|o| o.dblk.header.block_type == BlockType::ESPB);
    if let Some(i) = items.iter().position(|i| i.kind == closing) {
        return owner_done && items[..i].iter().all(|i| padding(&i.kind));
    }
    owner_done
        && items.iter().all(|i| padding(&i.kind))
        && pending
            .iter()
            .find(|j| !matches!(j, Job::AlignPhysical { .. }))
            .is_some_and(|j| *j == Job::Marker(Marker::ClosingStart))
}
