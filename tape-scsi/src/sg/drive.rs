//! [`SgDrive`]: a tape drive driven with SSC commands over SG_IO, bypassing st (as pbs-tape
//! does, §8.1), in variable-block mode. The command sequences are here; how each answer maps
//! to an outcome is in [`crate::map`], and the reading and writing paths are in `drive_io.rs`.

use std::path::Path;

use tape_core::{
    BlockAddress, DeviceError, DriveCapabilities, DriveStatus, MediumInfo, ReadStatus, SpaceStatus,
    TapeDrive, TapePosition, WriteStatus,
};

use crate::cdb::{spc, ssc};
use crate::map;
use crate::page::{self, BlockLimits, PeripheralType, Position};
use crate::timing::{RetryPolicy, Timeouts};
use crate::transport::{Completion, Data, Executor, ScsiTransport, SgDevice};

/// How to set up an [`SgDrive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SgDriveOptions {
    /// Retries while the drive becomes ready or is busy.
    pub retry: RetryPolicy,
    /// Command timeouts.
    pub timeouts: Timeouts,
    /// Turn hardware compression on or off (MODE SELECT page 0Fh); `None` leaves it.
    pub compression: Option<bool>,
}

/// A tape drive over SG_IO (or another [`ScsiTransport`]), in variable-block mode.
///
/// Implements [`TapeDrive`]. Early warning is latched: once a write reports it (NO SENSE + EOM,
/// or READ POSITION's BPEW), every later write reports [`WriteStatus::EarlyWarning`] until the
/// tape is repositioned. When a WRITE ends with EOM or VOLUME OVERFLOW, READ POSITION decides
/// whether the block reached the tape, so the outcome is right whatever INFORMATION says.
#[derive(Debug)]
pub struct SgDrive<T: ScsiTransport = SgDevice> {
    pub(super) exec: Executor<T>,
    pub(super) timeouts: Timeouts,
    pub(super) limits: BlockLimits,
    options: SgDriveOptions,
    name: String,
    /// Early warning has been reported since the last repositioning.
    pub(super) early_warning: bool,
    /// Where early warning was first reported on this medium: writes from there on are past
    /// it even when the drive does not say so again after a repositioning (scsi_debug reports
    /// it only once, §9.1.6 quirk 2; real drives on every write, where this changes nothing).
    pub(super) early_warning_from: Option<u64>,
    /// Logical object number, when known without asking the drive.
    pub(super) position: Option<u64>,
    /// A unit attention was consumed by a query; report it at the next tape operation.
    pub(super) pending_change: bool,
}

impl SgDrive<SgDevice> {
    /// Opens a tape drive's SCSI generic node (`/dev/sgN`) with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DeviceError> {
        Self::open_with(path, SgDriveOptions::default())
    }

    /// Opens a tape drive's SCSI generic node with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: SgDriveOptions) -> Result<Self, DeviceError> {
        Self::with_transport(SgDevice::open(path.as_ref())?, options)
    }
}

impl<T: ScsiTransport> SgDrive<T> {
    /// Uses `transport` to reach the drive: checks with INQUIRY that it is a tape drive, reads
    /// its block limits and selects variable-block mode (and compression, if asked).
    pub fn with_transport(transport: T, options: SgDriveOptions) -> Result<Self, DeviceError> {
        let name = transport.name().to_owned();
        let mut drive = Self {
            exec: Executor::new(transport, options.retry),
            timeouts: options.timeouts,
            limits: BlockLimits {
                granularity: 0,
                max: 0x00ff_ffff,
                min: 1,
            },
            options,
            name,
            early_warning: false,
            early_warning_from: None,
            position: None,
            pending_change: false,
        };
        let inquiry = drive.inquiry()?;
        if inquiry.device_type != PeripheralType::Tape {
            return Err(DeviceError::IllegalRequest(format!(
                "{} is not a tape drive ({:?} {} {})",
                drive.name, inquiry.device_type, inquiry.vendor, inquiry.product
            )));
        }
        if let Ok(limits) = drive.read_block_limits() {
            drive.limits = limits;
        }
        // Without a medium MODE SELECT may be refused; load() configures again.
        let _ = drive.configure();
        Ok(drive)
    }

    /// Standard INQUIRY data.
    pub fn inquiry(&mut self) -> Result<page::Inquiry, DeviceError> {
        let mut buf = [0u8; 96];
        let resid = self.query(&spc::inquiry(None, 96), &mut buf)?;
        page::decode_inquiry(&buf[..buf.len() - resid]).map_err(decode_error)
    }

    /// READ BLOCK LIMITS.
    pub fn read_block_limits(&mut self) -> Result<BlockLimits, DeviceError> {
        let mut buf = [0u8; 6];
        let resid = self.query(&ssc::read_block_limits(), &mut buf)?;
        page::decode_block_limits(&buf[..6 - resid]).map_err(decode_error)
    }

    /// MODE SENSE(6) of the block descriptor and the data compression page.
    pub fn mode_sense(&mut self) -> Result<page::ModeParameters, DeviceError> {
        let mut buf = [0u8; 255];
        let cdb = spc::mode_sense6(
            false,
            spc::PageControl::Current,
            page::COMPRESSION_PAGE,
            0,
            255,
        )
        .map_err(|e| DeviceError::IllegalRequest(e.to_string()))?;
        let resid = self.query(&cdb, &mut buf)?;
        page::decode_mode_sense6(&buf[..buf.len() - resid]).map_err(decode_error)
    }

    /// Selects variable-block mode and the compression of the options.
    pub fn configure(&mut self) -> Result<(), DeviceError> {
        let current = self.mode_sense()?;
        let compression = self.options.compression;
        if current.block_length == Some(0)
            && compression.is_none_or(|c| current.compression() == Some(c))
        {
            return Ok(());
        }
        self.mode_select(&current, Some(0), compression)
    }

    /// Turns hardware compression on or off (MODE SELECT of page 0Fh).
    pub fn set_compression(&mut self, on: bool) -> Result<(), DeviceError> {
        let current = self.mode_sense()?;
        if current.compression_page.is_none() {
            return Err(DeviceError::IllegalRequest(format!(
                "{}: no data compression mode page",
                self.name
            )));
        }
        self.options.compression = Some(on);
        self.mode_select(&current, None, Some(on))
    }

    fn mode_select(
        &mut self,
        current: &page::ModeParameters,
        block_length: Option<u32>,
        compression: Option<bool>,
    ) -> Result<(), DeviceError> {
        let data =
            page::encode_mode_select6(current, block_length, compression).map_err(decode_error)?;
        let len = u8::try_from(data.len())
            .map_err(|_| DeviceError::IllegalRequest("mode data".into()))?;
        let t = self.timeouts.query;
        self.exec
            .run_ok(&spc::mode_select6(false, len), &mut Data::Out(&data), t)
            .map(|_| ())
    }

    /// READ POSITION, short form.
    pub fn read_position(&mut self) -> Result<Position, DeviceError> {
        let mut buf = [0u8; 20];
        let cdb = ssc::read_position(ssc::ReadPositionForm::Short);
        let resid = self.query(&cdb, &mut buf)?;
        page::decode_short_position(&buf[..20 - resid]).map_err(decode_error)
    }

    /// LOG SENSE page 2Eh (TapeAlert). Many emulators do not have it (ILLEGAL REQUEST).
    pub fn tape_alert(&mut self) -> Result<page::TapeAlert, DeviceError> {
        let mut buf = [0u8; 512];
        let cdb =
            spc::log_sense(0x2e, 0, 512).map_err(|e| DeviceError::IllegalRequest(e.to_string()))?;
        let resid = self.query(&cdb, &mut buf)?;
        page::decode_tapealert(&buf[..buf.len() - resid]).map_err(decode_error)
    }

    /// Runs a query that returns data; returns the residual.
    pub(super) fn query(
        &mut self,
        cdb: &crate::cdb::Cdb,
        buf: &mut [u8],
    ) -> Result<usize, DeviceError> {
        let t = self.timeouts.query;
        match self.exec.run_ok(cdb, &mut Data::In(buf), t) {
            Err(DeviceError::MediumChanged { .. }) => {
                self.note_medium_change();
                let t = self.timeouts.query;
                self.exec.run_ok(cdb, &mut Data::In(buf), t)
            }
            other => other,
        }
    }

    /// Runs a command without data that must end GOOD (with the long timeout).
    pub(super) fn simple(&mut self, cdb: &crate::cdb::Cdb) -> Result<(), DeviceError> {
        let t = self.timeouts.long;
        self.exec.run_ok(cdb, &mut Data::None, t).map(|_| ())
    }

    pub(super) fn note_medium_change(&mut self) {
        self.pending_change = true;
        self.early_warning = false;
        self.early_warning_from = None;
        self.position = None;
    }

    /// Reports a unit attention consumed earlier, once.
    pub(super) fn check_change(&mut self) -> Result<(), DeviceError> {
        if std::mem::take(&mut self.pending_change) {
            return Err(DeviceError::MediumChanged {
                now: "unknown".to_owned(),
            });
        }
        Ok(())
    }

    /// The current logical object number from READ POSITION.
    pub(super) fn fresh_position(&mut self) -> Option<u64> {
        let p = self.read_position().ok()?;
        self.position = p.block;
        p.block
    }

    /// After any positioning: past early warning if the drive says BPEW or the position is at
    /// or after where early warning was first reported on this medium.
    pub(super) fn repositioned(&mut self) {
        self.position = None;
        let bpew = self
            .read_position()
            .map(|p| {
                self.position = p.block;
                p.beyond_early_warning
            })
            .unwrap_or(false);
        let learned =
            matches!((self.position, self.early_warning_from), (Some(p), Some(from)) if p >= from);
        self.early_warning = bpew || learned;
    }
}

pub(super) fn decode_error(e: page::DecodeError) -> DeviceError {
    DeviceError::io(
        e.to_string(),
        std::io::Error::from(std::io::ErrorKind::InvalidData),
    )
}

impl<T: ScsiTransport> TapeDrive for SgDrive<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> DriveCapabilities {
        let max = if self.limits.max == 0 {
            0x00ff_ffff
        } else {
            self.limits.max
        };
        let max = usize::try_from(max).unwrap_or(usize::MAX).min(0x00ff_ffff);
        DriveCapabilities::new(usize::from(self.limits.min.max(1)), max)
    }

    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        let mut status = DriveStatus::default();
        let t = self.timeouts.query;
        let mut tur = self
            .exec
            .run(&spc::test_unit_ready(), &mut Data::None, t, true)?;
        if let (Completion::Check(sense), _) = &tur
            && matches!(map::error(sense), DeviceError::MediumChanged { .. })
        {
            self.note_medium_change();
            tur = self
                .exec
                .run(&spc::test_unit_ready(), &mut Data::None, t, true)?;
        }
        match tur.0 {
            Completion::Good => status.ready = true,
            Completion::Check(sense) => match map::error(&sense) {
                DeviceError::NoMedium => return Ok(status),
                e => status.not_ready_reason = Some(e.to_string()),
            },
        }
        let mut medium = MediumInfo::default();
        if let Ok(mode) = self.mode_sense() {
            medium.write_protected = mode.write_protected;
        }
        status.medium = Some(medium);
        if status.ready
            && let Ok(p) = self.read_position()
        {
            status.position = p.block.map(|b| {
                let mut pos = TapePosition::at(BlockAddress(b));
                pos.at_beginning = p.beginning;
                pos.beyond_early_warning = p.beyond_early_warning || self.early_warning;
                pos
            });
        }
        Ok(status)
    }

    fn load(&mut self) -> Result<(), DeviceError> {
        let load = ssc::LoadUnload {
            load: true,
            ..ssc::LoadUnload::default()
        };
        match self.simple(&ssc::load_unload(load)) {
            Err(DeviceError::MediumChanged { .. }) => self.simple(&ssc::load_unload(load))?,
            other => other?,
        }
        // The unit attention that follows our own load is expected: consume it here.
        let t = self.timeouts.query;
        for _ in 0..2 {
            match self
                .exec
                .run_ok(&spc::test_unit_ready(), &mut Data::None, t)
            {
                Err(DeviceError::MediumChanged { .. }) => {}
                other => {
                    other?;
                    break;
                }
            }
        }
        self.pending_change = false;
        let _ = self.configure();
        self.early_warning = false;
        self.early_warning_from = None;
        self.position = Some(0);
        Ok(())
    }

    fn unload(&mut self) -> Result<(), DeviceError> {
        self.simple(&ssc::load_unload(ssc::LoadUnload::default()))?;
        self.position = None;
        self.early_warning = false;
        self.early_warning_from = None;
        Ok(())
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        match self.simple(&ssc::rewind(false)) {
            Err(DeviceError::MediumChanged { .. }) => self.simple(&ssc::rewind(false))?,
            other => other?,
        }
        self.pending_change = false;
        self.early_warning = false;
        self.position = Some(0);
        Ok(())
    }

    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        self.check_change()?;
        let p = self.read_position()?;
        p.block.map(BlockAddress).ok_or(DeviceError::PositionLost)
    }

    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError> {
        self.locate_to(address.0)
    }

    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.space(ssc::SpaceCode::Blocks, count)
    }

    fn space_filemarks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.space(ssc::SpaceCode::Filemarks, count)
    }

    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.check_change()?;
        let t = self.timeouts.long;
        let cdb = ssc::space6(ssc::SpaceCode::EndOfData, 0).map_err(cdb_error)?;
        let result = self.exec.run_ok(&cdb, &mut Data::None, t);
        self.repositioned();
        result.map(|_| ())
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        self.write_one(block)
    }

    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        self.write_marks(count)
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        self.read_one(buf)
    }
}

pub(super) fn cdb_error(e: crate::cdb::CdbError) -> DeviceError {
    DeviceError::IllegalRequest(e.to_string())
}
