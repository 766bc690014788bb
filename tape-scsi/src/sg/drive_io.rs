//! The data and positioning paths of [`SgDrive`]: WRITE(6), WRITE FILEMARKS(6), READ(6),
//! SPACE(6) and LOCATE, with the early-warning and physical-end handling of scsi-tape.md §3.3
//! and §6.6.

use tape_core::{DeviceError, ReadStatus, SpaceStatus, TapeDrive, WriteStatus};

use super::drive::{SgDrive, cdb_error};
use crate::cdb::ssc;
use crate::map::{self, ReadSense, WriteSense};
use crate::transport::{Completion, Data, ScsiTransport};

/// Largest count SPACE(6) takes in one command.
const SPACE6_MAX: i64 = 0x007f_ffff;

impl<T: ScsiTransport> SgDrive<T> {
    fn written(&self) -> WriteStatus {
        if self.early_warning {
            WriteStatus::EarlyWarning
        } else {
            WriteStatus::Written
        }
    }

    fn advance(&mut self, objects: u64) {
        self.position = self.position.map(|p| p + objects);
    }

    /// The position before a write, asked of the drive if not known: needed to tell whether a
    /// write that ended with EOM or VOLUME OVERFLOW reached the tape.
    fn position_before_write(&mut self) -> Option<u64> {
        if self.position.is_none() {
            self.fresh_position();
        }
        self.position
    }

    pub(super) fn write_one(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        self.check_change()?;
        self.capabilities().check_block_size(block.len())?;
        let len =
            u32::try_from(block.len()).map_err(|_| DeviceError::IllegalRequest("block".into()))?;
        let cdb = ssc::write6(false, len).map_err(cdb_error)?;
        let before = self.position_before_write();
        let t = self.timeouts.io;
        let outcome = self.exec.run(&cdb, &mut Data::Out(block), t, false);
        self.after_write(outcome, before, 1)
    }

    pub(super) fn write_marks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        self.check_change()?;
        let cdb = ssc::write_filemarks6(false, count).map_err(cdb_error)?;
        let before = self.position_before_write();
        let t = self.timeouts.io;
        let outcome = self.exec.run(&cdb, &mut Data::None, t, false);
        self.after_write(outcome, before, u64::from(count))
    }

    fn after_write(
        &mut self,
        outcome: Result<(Completion, usize), DeviceError>,
        before: Option<u64>,
        objects: u64,
    ) -> Result<WriteStatus, DeviceError> {
        let completion = match outcome {
            Ok((completion, _)) => completion,
            Err(e) => return Err(self.failed(e)),
        };
        let sense = match completion {
            Completion::Good => {
                self.advance(objects);
                return Ok(self.written());
            }
            Completion::Check(sense) => sense,
        };
        match map::write(&sense).map_err(|e| self.failed(e))? {
            WriteSense::Written => {
                self.advance(objects);
                Ok(self.written())
            }
            meaning => self.resolve_end_of_medium(meaning, before, objects),
        }
    }

    /// EOM or VOLUME OVERFLOW on a write: READ POSITION tells whether the objects reached the
    /// tape (emulators report INFORMATION values real drives do not, §9.1.6). Without a usable
    /// position the sense decides: NO SENSE means written, VOLUME OVERFLOW means not.
    fn resolve_end_of_medium(
        &mut self,
        meaning: WriteSense,
        before: Option<u64>,
        objects: u64,
    ) -> Result<WriteStatus, DeviceError> {
        self.early_warning = true;
        if self.early_warning_from.is_none() {
            self.early_warning_from = before;
        }
        let after = self.fresh_position();
        let written = match (before, after) {
            (Some(b), Some(a)) => a >= b + objects,
            _ => meaning == WriteSense::EarlyWarning,
        };
        if written {
            Ok(WriteStatus::EarlyWarning)
        } else {
            Err(DeviceError::VolumeOverflow { written: 0 })
        }
    }

    /// Forget the position after an error; note a medium change.
    fn failed(&mut self, e: DeviceError) -> DeviceError {
        self.position = None;
        if matches!(e, DeviceError::MediumChanged { .. }) {
            self.early_warning = false;
            self.early_warning_from = None;
        }
        e
    }

    pub(super) fn read_one(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        self.check_change()?;
        let max = self.capabilities().max_block;
        let len = buf.len().min(max);
        let len32 = u32::try_from(len).map_err(|_| DeviceError::IllegalRequest("buffer".into()))?;
        let cdb = ssc::read6(false, false, len32).map_err(cdb_error)?;
        let t = self.timeouts.io;
        let (completion, residual) = self
            .exec
            .run(&cdb, &mut Data::In(&mut buf[..len]), t, false)
            .map_err(|e| self.failed(e))?;
        let transferred = len - residual.min(len);
        let sense = match completion {
            Completion::Good => {
                self.advance(1);
                return Ok(ReadStatus::Data(transferred));
            }
            Completion::Check(sense) => sense,
        };
        match map::read(&sense, len, transferred).map_err(|e| self.failed(e))? {
            ReadSense::Data(n) => {
                self.advance(1);
                Ok(ReadStatus::Data(n))
            }
            ReadSense::Filemark => {
                self.advance(1);
                Ok(ReadStatus::Filemark)
            }
            ReadSense::EndOfData => Ok(ReadStatus::EndOfData),
            ReadSense::TooLarge { block_len } => {
                self.advance(1);
                Err(DeviceError::BlockTooLarge {
                    block_len,
                    buffer_len: buf.len(),
                })
            }
        }
    }

    pub(super) fn space(
        &mut self,
        code: ssc::SpaceCode,
        count: i64,
    ) -> Result<SpaceStatus, DeviceError> {
        self.check_change()?;
        let mut left = count;
        let mut status = SpaceStatus::Done;
        while left != 0 && status == SpaceStatus::Done {
            let chunk = left.clamp(-SPACE6_MAX, SPACE6_MAX);
            left -= chunk;
            status = self.space_chunk(code, chunk)?;
        }
        self.repositioned();
        Ok(add_remaining(status, left.unsigned_abs()))
    }

    fn space_chunk(
        &mut self,
        code: ssc::SpaceCode,
        chunk: i64,
    ) -> Result<SpaceStatus, DeviceError> {
        let n = i32::try_from(chunk).map_err(|_| DeviceError::IllegalRequest("count".into()))?;
        let cdb = ssc::space6(code, n).map_err(cdb_error)?;
        let t = self.timeouts.io;
        match self.exec.run(&cdb, &mut Data::None, t, false) {
            Ok((Completion::Good, _)) => Ok(SpaceStatus::Done),
            Ok((Completion::Check(sense), _)) => {
                map::space(&sense, chunk).map_err(|e| self.failed(e))
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    pub(super) fn locate_to(&mut self, address: u64) -> Result<(), DeviceError> {
        self.check_change()?;
        let cdb = match u32::try_from(address) {
            Ok(a) => ssc::locate10(a, None, false),
            Err(_) => ssc::locate16(ssc::LocateDestination::Object, address, None, false),
        };
        let t = self.timeouts.long;
        let result = self.exec.run(&cdb, &mut Data::None, t, true);
        self.repositioned();
        match result.map_err(|e| self.failed(e))? {
            (Completion::Good, _) => Ok(()),
            (Completion::Check(sense), _) if map::is_blank_check(&sense) => {
                Err(DeviceError::BeyondEndOfData {
                    requested: address,
                    end_of_data: self.position.unwrap_or(0),
                })
            }
            (Completion::Check(sense), _) => Err(self.failed(map::error(&sense))),
        }
    }
}

fn add_remaining(status: SpaceStatus, more: u64) -> SpaceStatus {
    match status {
        SpaceStatus::Done => SpaceStatus::Done,
        SpaceStatus::Filemark { remaining } => SpaceStatus::Filemark {
            remaining: remaining + more,
        },
        SpaceStatus::EndOfData { remaining } => SpaceStatus::EndOfData {
            remaining: remaining + more,
        },
        SpaceStatus::BeginningOfMedium { remaining } => SpaceStatus::BeginningOfMedium {
            remaining: remaining + more,
        },
    }
}
