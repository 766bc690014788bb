//! Acknowledgements: what happens when the caller reports the outcome of an output. Items of the
//! log that are now on the medium advance the committed context and produce their FDD entries.

use super::job::{DblkJob, LogItem, LogKind, Role};
use super::{MediaWriter, Outcome, Ready, State, WriteError};
use crate::attrs::{BlockAttributes, DirAttributes, FileAttributes};
use crate::block::{Body, Dblk};
use crate::catalog::{FddBody, FddEntry, FddSpool};
use crate::ids::BlockType;
use crate::le::to_u64;

/// The FDD entry describing a VOLB, DIRB or FILE written on medium `seq`.
pub(super) fn fdd_entry(d: &Dblk, seq: u16) -> FddEntry {
    let h = &d.header;
    let body = match &d.body {
        Body::Volb(v) => FddBody::Volume {
            attributes: v.attributes.bits(),
            device_name: v.device_name.clone(),
            volume_name: v.volume_name.clone(),
            machine_name: v.machine_name.clone(),
            media_write_date: v.media_write_date,
        },
        Body::Dirb(x) => FddBody::Object {
            is_file: false,
            dates: [x.modified, x.created, x.backup, x.accessed],
            attributes: x.attributes.bits(),
            name: x.name.clone(),
        },
        Body::File(x) => FddBody::Object {
            is_file: true,
            dates: [x.modified, x.created, x.backup, x.accessed],
            attributes: x.attributes.bits(),
            name: x.name.clone(),
        },
        _ => FddBody::End { length: 0 },
    };
    FddEntry {
        media_sequence: seq,
        block_attributes: h.attributes.bits(),
        fla: h.fla,
        displayable_size: h.displayable_size,
        link: 0,
        os_id: h.os_id,
        os_version: h.os_version,
        string_type: h.string_type,
        os_data: d.os_data.clone(),
        body,
    }
}

/// Puts a name the DBLK moved to a `PNAM`/`FNAM` stream back into its FDD entry: the FDD has no
/// streams (mtf.md §10.3), and a catalog read from it must know every path. A name too long for
/// the entry's 16-bit LENGTH stays out (the entry then keeps the DBLK's attribute saying the
/// name is in a stream).
fn with_full_name(entry: &mut FddEntry, name: &[u8]) {
    const ROOM: usize = 65_535 - 256; // less the fixed part, OS data and padding
    let FddBody::Object {
        name: slot,
        attributes,
        is_file,
        ..
    } = &mut entry.body
    else {
        return;
    };
    if name.len() + entry.os_data.len() > ROOM {
        return;
    }
    *slot = name.to_vec();
    *attributes &= !if *is_file {
        FileAttributes::NAME_IN_STREAM.bits()
    } else {
        DirAttributes::PATH_IN_STREAM.bits()
    };
}

impl<S: FddSpool> MediaWriter<S> {
    /// Reports the outcome of the output returned by the last [`MediaWriter::poll`].
    pub fn complete(&mut self, outcome: Outcome) -> Result<(), WriteError> {
        let ready = self.ready.take().ok_or(WriteError::NoPendingOutput)?;
        if outcome == Outcome::Overflow {
            if self.state == State::Closing {
                // The end-of-medium blocks do not fit: the medium simply ends here.
                self.jobs.clear();
                self.discard_unacked();
                self.state = State::NeedMedium;
                return Ok(());
            }
            self.ready = Some(ready);
            self.take_tail()?;
            self.state = State::NeedMedium;
            return Ok(());
        }
        match ready {
            Ready::Block(n) => {
                self.buf.drain(..n);
                self.acked += to_u64(n);
                self.commit()?;
            }
            Ready::Filemark => {
                self.commit()?;
                if let Some(LogItem {
                    kind: LogKind::HardFilemark,
                    fla,
                    ..
                }) = self.log.front()
                {
                    let fla = *fla;
                    self.log.pop_front();
                    self.committed.apply(&LogKind::HardFilemark, 0, fla);
                }
                // Zero-length items right after the filemark (markers) are on the medium too.
                self.commit()?;
            }
        }
        if outcome == Outcome::EarlyWarning && self.state == State::Writing && !self.aborting {
            self.state = State::EarlyWarning;
        }
        Ok(())
    }

    /// Moves fully acknowledged items from the log into the committed context.
    pub(super) fn commit(&mut self) -> Result<(), WriteError> {
        while let Some(item) = self.log.front() {
            if item.kind == LogKind::HardFilemark || item.end > self.acked {
                break;
            }
            let Some(item) = self.log.pop_front() else {
                break;
            };
            self.committed
                .apply(&item.kind, item.end - item.pos, item.fla);
            if let LogKind::Dblk(job) = &item.kind {
                self.on_dblk_written(job, item.pos)?;
            }
        }
        Ok(())
    }

    /// Side effects of a DBLK reaching the medium: FDD entry, last ESET PBA.
    fn on_dblk_written(&mut self, job: &DblkJob, pos: u64) -> Result<(), WriteError> {
        let (d, role) = (&job.dblk, job.role);
        let t = d.header.block_type;
        let continuation = d.header.attributes.contains(BlockAttributes::CONTINUATION);
        let last_eset = if self.opts.catalog {
            role == Role::Eset2
        } else {
            role == Role::Eset1
        };
        if last_eset {
            self.last_eset_pba = Some(pos / self.phys);
        }
        if t == BlockType::ESPB {
            self.espb_written = true;
        }
        let in_catalog = matches!(t, BlockType::VOLB | BlockType::DIRB | BlockType::FILE);
        if (in_catalog || t == BlockType::SSET) && !continuation {
            self.placements.push_back(super::Placement {
                block_type: t,
                media_sequence: self.seq,
                fla: d.header.fla,
                pba: pos / self.phys,
                offset: pos,
            });
        }
        if self.opts.catalog && in_catalog && !continuation {
            let mut entry = fdd_entry(d, self.seq);
            if let Some((_, name)) = &job.name_stream {
                with_full_name(&mut entry, name);
            }
            let mut bytes = Vec::with_capacity(128);
            entry.encode(&mut bytes)?;
            self.spool.append(&bytes)?;
        }
        Ok(())
    }

    /// Drops everything framed but not acknowledged (the medium ended during EOM processing).
    pub(super) fn discard_unacked(&mut self) {
        self.forget_unwritten_filemarks();
        self.forget_unwritten_espb();
        self.log.clear();
        self.buf.clear();
        self.pos = self.acked;
    }

    /// The filemarks framed but not acknowledged (the log after [`MediaWriter::commit`]) are not
    /// on the medium: drop their PBAs from the SFMB list and give their SFMB Control Block IDs
    /// back, so that the SFMBs actually written stay numbered 1, 2, … (mtf.md §4.10).
    pub(super) fn forget_unwritten_filemarks(&mut self) {
        let mut soft = 0u32;
        let mut all = 0usize;
        for item in &self.log {
            match item.kind {
                LogKind::SoftFilemark => {
                    soft += 1;
                    all += 1;
                }
                LogKind::HardFilemark => all += 1,
                _ => {}
            }
        }
        self.next_sfmb_id = self.next_sfmb_id.wrapping_sub(soft);
        self.filemarks.drain(..all.min(self.filemarks.len()));
    }
}
