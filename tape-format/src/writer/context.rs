//! The logical position of the writer: which set, volume, directory and DBLK are current, which
//! stream is open and how much of it is written, how far end-of-set processing has got.
//!
//! Two copies are kept: the *front* context (after everything framed) validates input calls; the
//! *committed* context (after everything the caller acknowledged as written) tells the span logic
//! what the previous medium holds. Both are advanced by [`Context::apply`] over the same items.

use super::job::{DblkJob, LogKind, Marker, Role};
use crate::ids::{BlockType, StreamId};
use crate::stream::StreamHeader;

/// Progress of end-of-set processing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Closing {
    pub(crate) first_filemark: bool,
    pub(crate) eset1: Option<Box<DblkJob>>,
    /// The second ESET (Type 1 catalog) as written.
    pub(crate) eset2: Option<Box<DblkJob>>,
    /// Bytes of the `TFDD` stream written (spool entries, then `FEND` and its zeros).
    pub(crate) fdd_written: Option<u64>,
    /// Length of the whole `TFDD` stream.
    pub(crate) fdd_len: Option<u64>,
    pub(crate) closed: bool,
    /// FLA just after the set body (anchors continuation SSETs of cases g–q).
    pub(crate) body_end_fla: u64,
}

/// See the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Context {
    pub(crate) sset: Option<Box<DblkJob>>,
    pub(crate) volume: Option<Box<DblkJob>>,
    pub(crate) dir: Option<Box<DblkJob>>,
    /// The DBLK whose streams are being written (`None` once its SPAD started).
    pub(crate) owner: Option<Box<DblkJob>>,
    /// Open stream: header and bytes written so far.
    pub(crate) stream: Option<(StreamHeader, u64)>,
    pub(crate) closing: Option<Closing>,
    /// The last item was a filemark.
    pub(crate) after_filemark: bool,
}

impl Context {
    /// Advances over one framed item. `fla` is the FLA of the item's position.
    pub(crate) fn apply(&mut self, kind: &LogKind, len: u64, fla: u64) {
        if !matches!(kind, LogKind::Marker(_)) {
            self.after_filemark = matches!(kind, LogKind::HardFilemark | LogKind::SoftFilemark);
        }
        match kind {
            LogKind::Dblk(job) => self.apply_dblk(job),
            LogKind::Stream {
                header,
                written_before,
            } if header.id == StreamId::TFDD => {
                if let Some(c) = &mut self.closing {
                    c.fdd_written.get_or_insert(*written_before);
                    c.fdd_len = Some(header.length + written_before);
                }
            }
            LogKind::Stream { header, .. } if header.id == StreamId::TSMP => {}
            LogKind::Stream {
                header,
                written_before,
            } => self.stream = Some((*header, *written_before)),
            LogKind::Data => {
                if let Some((_, w)) = &mut self.stream {
                    *w += len;
                }
            }
            LogKind::Spool { .. } => {
                if let Some(Closing {
                    fdd_written: Some(w),
                    ..
                }) = &mut self.closing
                {
                    *w += len;
                }
            }
            LogKind::EndStream => self.stream = None,
            LogKind::Spad { .. } => self.owner = None,
            LogKind::HardFilemark | LogKind::SoftFilemark => {
                if let Some(c) = &mut self.closing {
                    c.first_filemark = true;
                }
            }
            LogKind::Marker(Marker::ClosingStart) => {
                self.owner = None;
                self.stream = None;
                self.closing = Some(Closing {
                    body_end_fla: fla,
                    ..Closing::default()
                });
            }
            LogKind::Marker(Marker::HeaderDone | Marker::ContinuationDone) => {}
            LogKind::Marker(Marker::SetClosed) => {
                if let Some(c) = &mut self.closing {
                    c.closed = true;
                }
            }
            LogKind::Fill | LogKind::Pad => {}
        }
    }

    fn apply_dblk(&mut self, job: &DblkJob) {
        let t = job.dblk.header.block_type;
        match (t, job.role) {
            (_, Role::Sfmb | Role::Eotm) => return,
            (BlockType::TAPE, _) => return,
            (_, Role::Eset1) => {
                if let Some(c) = &mut self.closing {
                    c.eset1 = Some(Box::new(job.clone()));
                }
            }
            (_, Role::Eset2) => {
                if let Some(c) = &mut self.closing {
                    c.eset2 = Some(Box::new(job.clone()));
                }
            }
            (_, Role::Sset) => {
                let continuation = job
                    .dblk
                    .header
                    .attributes
                    .contains(crate::attrs::BlockAttributes::CONTINUATION);
                if !continuation {
                    *self = Context::default();
                }
                self.sset = Some(Box::new(job.clone()));
            }
            (BlockType::VOLB, _) => {
                self.volume = Some(Box::new(job.clone()));
                self.dir = None;
            }
            (BlockType::DIRB, _) => self.dir = Some(Box::new(job.clone())),
            _ => {}
        }
        self.owner = Some(Box::new(job.clone()));
        self.stream = None;
    }

    /// The open stream is a name stream (`PNAM`/`FNAM`).
    pub(crate) fn in_name_stream(&self) -> bool {
        self.stream
            .is_some_and(|(h, _)| h.id == StreamId::PNAM || h.id == StreamId::FNAM)
    }
}
