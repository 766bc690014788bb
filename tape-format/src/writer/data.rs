//! The input calls inside a DBLK: streams, their data (taken only as far as the output unit has
//! room), CSUM, and corrupt-object marking.

use super::job::{Job, LogKind, Role};
use super::options::{CorruptInfo, StreamInfo};
use super::{MediaWriter, Ready, WriteError};
use crate::attrs::StreamMediaAttributes;
use crate::block::{Body, Cfil, Dblk};
use crate::catalog::FddSpool;
use crate::checksum::Csum32;
use crate::ids::StreamId;
use crate::le::to_u64;
use crate::stream::StreamHeader;
use crate::strings::StringType;

impl<S: FddSpool> MediaWriter<S> {
    /// Begins a data stream of the current DBLK; exactly `info.length` bytes must follow.
    pub fn begin_stream(&mut self, info: StreamInfo) -> Result<(), WriteError> {
        self.check_input("begin_stream")?;
        if self.front.owner.is_none() || self.front.stream.is_some() || self.set.is_none() {
            return Err(WriteError::Sequence {
                call: "begin_stream",
                reason: "no DBLK without an open stream",
            });
        }
        let mut header = StreamHeader::new(info.id, info.length);
        header.fs_attributes = info.fs_attributes;
        if info.checksum {
            header.media_attributes |= StreamMediaAttributes::CHECKSUMED;
        }
        self.csum = info.checksum.then(Csum32::new);
        self.jobs.push_back(Job::Stream {
            header,
            written_before: 0,
            force_continue: false,
        });
        self.pump()
    }

    /// Frames as much of `data` as fits in the current output unit and the open stream; returns
    /// how many bytes were taken (drain the outputs, then call again with the rest).
    pub fn write_data(&mut self, data: &[u8]) -> Result<usize, WriteError> {
        let n = self.data_room("write_data", data.len())?;
        self.buf.extend_from_slice(&data[..n]);
        if let Some(c) = &mut self.csum {
            c.update(&data[..n]);
        }
        self.after_data(n);
        Ok(n)
    }

    /// Frames up to `n` zero bytes (the fill of an unreadable range, mtf.md §4.6); returns how many.
    pub fn fill_zeros(&mut self, n: u64) -> Result<u64, WriteError> {
        let len = usize::try_from(n).unwrap_or(usize::MAX);
        let k = self.data_room("fill_zeros", len)?;
        self.buf.resize(self.buf.len() + k, 0);
        self.after_data(k);
        Ok(to_u64(k))
    }

    fn data_room(&mut self, call: &'static str, want: usize) -> Result<usize, WriteError> {
        self.check_input(call)?;
        let Some((h, w)) = self.front.stream else {
            return Err(WriteError::Sequence {
                call,
                reason: "no open stream",
            });
        };
        let left = usize::try_from(h.length - w).unwrap_or(usize::MAX);
        if want > 0 && left == 0 {
            return Err(WriteError::Sequence {
                call,
                reason: "stream already complete",
            });
        }
        Ok(want.min(left).min(self.room()))
    }

    fn after_data(&mut self, n: usize) {
        let start = self.pos;
        self.pos += to_u64(n);
        self.log_item(start, LogKind::Data);
        if self.buf.len() >= self.unit {
            self.ready = Some(Ready::Block(self.unit));
        }
    }

    /// Ends the open stream (all its bytes written); appends its `CSUM` stream if requested.
    pub fn end_stream(&mut self) -> Result<(), WriteError> {
        self.check_input("end_stream")?;
        let Some((h, w)) = self.front.stream else {
            return Err(WriteError::Sequence {
                call: "end_stream",
                reason: "no open stream",
            });
        };
        if w < h.length {
            return Err(WriteError::StreamIncomplete {
                expected: h.length,
                written: w,
            });
        }
        self.jobs.push_back(Job::EndStream);
        if let Some(c) = self.csum.take() {
            let header = StreamHeader::new(StreamId::CSUM, 4);
            self.jobs.push_back(Job::Stream {
                header,
                written_before: 0,
                force_continue: false,
            });
            self.jobs.push_back(Job::Bytes {
                data: c.value().to_le_bytes().to_vec(),
                done: 0,
            });
            self.jobs.push_back(Job::EndStream);
        }
        self.pump()
    }

    /// Marks the stream just ended as corrupt with an empty `CRPT` stream (mtf.md §4.6).
    pub fn mark_stream_corrupt(&mut self) -> Result<(), WriteError> {
        self.check_input("mark_stream_corrupt")?;
        if self.front.owner.is_none() || self.front.stream.is_some() {
            return Err(WriteError::Sequence {
                call: "mark_stream_corrupt",
                reason: "no ended stream",
            });
        }
        let header = StreamHeader::new(StreamId::CRPT, 0);
        self.jobs.push_back(Job::Stream {
            header,
            written_before: 0,
            force_continue: false,
        });
        self.jobs.push_back(Job::EndStream);
        self.pump()
    }

    /// Writes a `CFIL` after the current FILE: its data could not be read completely and the
    /// missing range was zero-filled ([`fill_zeros`](Self::fill_zeros)) to keep the stream length.
    pub fn mark_corrupt(&mut self, info: CorruptInfo) -> Result<(), WriteError> {
        self.check_input("mark_corrupt")?;
        self.close_owner("mark_corrupt")?;
        let cbid = self.next_cbid("mark_corrupt")?;
        self.open_set("mark_corrupt")?.corrupt += 1;
        let cfil = Cfil {
            attributes: info.attributes,
            stream_offset: info.stream_offset,
            stream_number: info.stream_number,
        };
        let mut dblk = Dblk::new(Body::Cfil(cfil));
        dblk.header.cbid = cbid;
        dblk.header.string_type = StringType::None;
        self.push_dblk(dblk, Role::Plain, None, None);
        self.pump()
    }
}
