//! Re-framing a split set body: the continuation DBLKs (`SSET*`, `VOLB*`, `DIRB*`, the open
//! DBLK), the `STREAM_CONTINUE` copy of a split stream, and logged items turned back into jobs.

use super::MediaWriter;
use super::context::Context;
use super::job::{DblkJob, Job, LogItem, LogKind, Marker};
use crate::attrs::BlockAttributes;
use crate::catalog::FddSpool;
use crate::ids::BlockType;
use crate::le::{align_up, to_u64};
use crate::stream::STREAM_HEADER_LEN;

impl<S: FddSpool> MediaWriter<S> {
    /// Continuation DBLKs for a split inside a set body, the re-framed rest, and the position of
    /// the old medium the rest logically starts at: the split point, or the end of the open
    /// DBLK's SPAD when that is dropped (its FLA is the FLA of the next DBLK, as on one medium).
    pub(super) fn body_prefix(
        &self,
        ctx: &Context,
        s: u64,
        items: &[LogItem],
        data: &dyn Fn(&LogItem, u64) -> Vec<u8>,
    ) -> (Vec<Job>, Vec<Job>, u64) {
        let espb = self.espb_cbid;
        let straddle = items.first().filter(|i| i.pos < s);
        let mut rest: &[LogItem] = if straddle.is_some() {
            &items[1..]
        } else {
            items
        };
        let first_is_spad = |i: Option<&LogItem>| {
            i.is_some_and(|i| matches!(i.kind, LogKind::Spad { .. } | LogKind::Pad))
        };
        let owner_open =
            ctx.owner.is_some() && !first_is_spad(straddle) && !first_is_spad(rest.first());
        // Where a SPAD header at `it` pads to.
        let spad_end = |it: &LogItem| match it.kind {
            LogKind::Spad { physical } => {
                let boundary = if physical { self.phys } else { self.flb };
                align_up(it.pos + to_u64(STREAM_HEADER_LEN), boundary)
            }
            _ => s,
        };
        let mut resume_at = s;
        if !owner_open {
            // The open DBLK is finished: drop its (split) SPAD.
            if let Some(it) = straddle {
                resume_at = resume_at.max(spad_end(it));
            }
            while first_is_spad(rest.first()) {
                resume_at = resume_at.max(spad_end(&rest[0]));
                rest = &rest[1..];
            }
        }
        let mut chain: Vec<&DblkJob> = Vec::new();
        chain.extend(ctx.sset.as_deref());
        chain.extend(ctx.volume.as_deref());
        chain.extend(ctx.dir.as_deref());
        let owner = ctx.owner.as_deref().filter(|_| owner_open);
        if let Some(o) = owner
            && !matches!(
                o.dblk.header.block_type,
                BlockType::SSET | BlockType::VOLB | BlockType::DIRB
            )
        {
            chain.push(o);
        }
        let mut jobs = Vec::new();
        for (i, j) in chain.iter().enumerate() {
            let mut j = (*j).clone();
            j.dblk.header.attributes |= BlockAttributes::CONTINUATION;
            let name = j.name_stream.clone();
            jobs.push(Job::Dblk(Box::new(j)));
            if let Some((id, bytes)) = name {
                let header = crate::stream::StreamHeader::new(id, to_u64(bytes.len()));
                jobs.push(Job::Stream {
                    header,
                    written_before: 0,
                    force_continue: false,
                });
                jobs.push(Job::Bytes {
                    data: bytes,
                    done: 0,
                });
                jobs.push(Job::EndStream);
            }
            if i + 1 < chain.len() || owner.is_none() {
                jobs.push(Job::Spad { physical: false });
            }
        }
        let mut tail = Vec::new();
        if owner.is_some() {
            let in_name = ctx.in_name_stream()
                || straddle.is_some_and(|i| matches!(&i.kind, LogKind::Stream { header, .. } if header.id == crate::ids::StreamId::PNAM || header.id == crate::ids::StreamId::FNAM));
            if in_name {
                // The name stream was repeated whole with the DBLK: skip its remainder.
                let mut k = 0;
                while k < rest.len() && rest[k].kind != LogKind::EndStream {
                    k += 1;
                }
                rest = rest.get(k + 1..).unwrap_or(&[]);
            } else {
                match (straddle, ctx.stream) {
                    (Some(it), Some((header, w))) if it.kind == LogKind::Data => {
                        let written = w + (s - it.pos);
                        jobs.push(Job::Stream {
                            header,
                            written_before: written,
                            force_continue: true,
                        });
                        jobs.push(Job::Fill);
                        tail.push(Job::Bytes {
                            data: data(it, s),
                            done: 0,
                        });
                    }
                    (Some(it), _) => tail.extend(convert(it, data, espb)),
                    (None, Some((header, w))) => {
                        jobs.push(Job::Stream {
                            header,
                            written_before: w,
                            force_continue: true,
                        });
                        jobs.push(Job::Fill);
                    }
                    (None, None) => {}
                }
            }
        }
        tail.extend(rest.iter().flat_map(|i| convert(i, data, espb)));
        (jobs, tail, resume_at)
    }
}

/// A logged item as jobs to frame again. The start of end-of-set processing re-checks the
/// physical alignment (an ESPB may be needed at the new position).
pub(super) fn convert(
    it: &LogItem,
    data: &dyn Fn(&LogItem, u64) -> Vec<u8>,
    espb: u32,
) -> Vec<Job> {
    if it.kind == LogKind::Marker(Marker::ClosingStart) {
        return vec![
            Job::AlignPhysical { cbid: espb },
            Job::Marker(Marker::ClosingStart),
        ];
    }
    convert_one(it, data).into_iter().collect()
}

fn convert_one(it: &LogItem, data: &dyn Fn(&LogItem, u64) -> Vec<u8>) -> Option<Job> {
    Some(match &it.kind {
        LogKind::Dblk(j) => Job::Dblk(j.clone()),
        LogKind::Stream {
            header,
            written_before,
        } => Job::Stream {
            header: *header,
            written_before: *written_before,
            force_continue: false,
        },
        LogKind::Data => Job::Bytes {
            data: data(it, it.pos),
            done: 0,
        },
        LogKind::Spool { from } => Job::Spool {
            next: *from,
            end: *from + (it.end - it.pos),
        },
        LogKind::EndStream => Job::EndStream,
        LogKind::Spad { physical } => Job::Spad {
            physical: *physical,
        },
        LogKind::Pad => return None,
        LogKind::Fill => Job::Fill,
        LogKind::HardFilemark | LogKind::SoftFilemark => Job::Filemark,
        LogKind::Marker(m) => Job::Marker(*m),
    })
}
