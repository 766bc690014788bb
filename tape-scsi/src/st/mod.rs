//! [`StDrive`]: a tape drive through the Linux st driver (`/dev/nstN`, non-rewinding):
//! `read()`/`write()` for data, MTIOCTOP/MTIOCGET/MTIOCPOS for the rest (scsi-tape.md §2, §3).

mod outcome;
mod space;

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use tape_core::{
    BlockAddress, DeviceError, DriveCapabilities, DriveStatus, MediumInfo, ReadStatus, SpaceStatus,
    TapeDrive, TapePosition, WriteStatus,
};

use crate::sys::{self, MtGet};
use outcome::{Observed, WriteStep, gmt};

/// MTIOCTOP operation codes (§2.2).
mod op {
    pub(super) const MTFSF: i16 = 1;
    pub(super) const MTBSF: i16 = 2;
    pub(super) const MTFSR: i16 = 3;
    pub(super) const MTBSR: i16 = 4;
    pub(super) const MTWEOF: i16 = 5;
    pub(super) const MTREW: i16 = 6;
    pub(super) const MTOFFL: i16 = 7;
    pub(super) const MTEOM: i16 = 12;
    pub(super) const MTSETBLK: i16 = 20;
    pub(super) const MTSEEK: i16 = 22;
    pub(super) const MTSETDRVBUFFER: i16 = 24;
    pub(super) const MTLOAD: i16 = 30;
    pub(super) const MTCOMPRESSION: i16 = 32;
}

/// MTSETDRVBUFFER option words (§2.5).
const MT_ST_SETBOOLEANS: i32 = 0x3000_0000;
const MT_ST_CLEARBOOLEANS: i32 = 0x4000_0000;
const MT_ST_BUFFER_WRITES: i32 = 0x1;
const MT_ST_ASYNC_WRITES: i32 = 0x2;
const MT_ST_SCSI2LOGICAL: i32 = 0x800;

/// How to set up an [`StDrive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StOptions {
    /// Fixed block size in bytes; `None` (the default) selects variable-block mode, where one
    /// `write_block` is one tape block.
    pub block_size: Option<u32>,
    /// Turn hardware compression on or off (MTCOMPRESSION); `None` leaves it.
    pub compression: Option<bool>,
}

/// A tape drive through Linux st. Implements [`TapeDrive`].
///
/// At open it selects variable-block mode (MTSETBLK 0), and — as root, through MTSETDRVBUFFER,
/// which changes the st options of the device for every later user until reboot — clears
/// BUFFER_WRITES and ASYNC_WRITES (so early warning is reported on the write that reached it
/// and no acknowledged data can be lost at the end of the tape, §3.3) and sets SCSI2LOGICAL
/// (so MTIOCPOS and MTSEEK use logical object numbers, as [`BlockAddress`] does).
///
/// st hides sense data behind return values (§3.6); the mapping back to the [`TapeDrive`]
/// protocol (ENOSPC/success alternation after early warning, ENOSPC for a block that was
/// written, short counts and EIO at the physical end, "0 then EIO" at end of data) uses
/// MTIOCPOS and MTIOCGET around the call and is in `st/outcome.rs`.
#[derive(Debug)]
pub struct StDrive {
    file: File,
    name: String,
    block_size: usize,
    early_warning: bool,
    /// Where early warning was first reported on this medium (see `SgDrive`): writes from
    /// there on are past it even after repositioning.
    early_warning_from: Option<i64>,
    limits: (usize, usize),
}

impl StDrive {
    /// Opens `/dev/nstN` read-write in variable-block mode.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DeviceError> {
        Self::open_with(path, StOptions::default())
    }

    /// Opens an st device with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: StOptions) -> Result<Self, DeviceError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::EACCES) | Some(libc::EROFS) => DeviceError::WriteProtected,
                Some(libc::EBUSY) => DeviceError::Busy(format!("{name} is open elsewhere")),
                _ => DeviceError::io(format!("opening {name}"), e),
            })?;
        sys::clear_nonblock(&file).map_err(|e| DeviceError::io(format!("{name}: fcntl"), e))?;
        let block_size = options.block_size.unwrap_or(0);
        let mut drive = Self {
            file,
            name,
            block_size: usize::try_from(block_size).unwrap_or(0),
            early_warning: false,
            early_warning_from: None,
            limits: (1, 0x00ff_ffff),
        };
        drive.limits = probe_limits(&drive.file, &drive.name);
        // Root only; without them st still works, with the caveats of §3.3.
        let _ = drive.mt(
            op::MTSETDRVBUFFER,
            MT_ST_CLEARBOOLEANS | MT_ST_BUFFER_WRITES | MT_ST_ASYNC_WRITES,
        );
        let _ = drive.mt(op::MTSETDRVBUFFER, MT_ST_SETBOOLEANS | MT_ST_SCSI2LOGICAL);
        // Needs a loaded medium on some drives; load() sets it again.
        let _ = drive.set_block_size();
        if let Some(on) = options.compression {
            drive.set_compression(on)?;
        }
        Ok(drive)
    }

    /// Turns hardware compression on or off (MTCOMPRESSION, mode page 0Fh).
    pub fn set_compression(&mut self, on: bool) -> Result<(), DeviceError> {
        self.mt(op::MTCOMPRESSION, i32::from(on))
            .map_err(|e| outcome::errno_error(&e, "MTCOMPRESSION"))
    }

    fn set_block_size(&mut self) -> Result<(), DeviceError> {
        let size = i32::try_from(self.block_size)
            .map_err(|_| DeviceError::IllegalRequest("block size".into()))?;
        self.mt(op::MTSETBLK, size)
            .map_err(|e| outcome::errno_error(&e, "MTSETBLK"))
    }

    fn mt(&self, code: i16, count: i32) -> std::io::Result<()> {
        sys::mt_op(&self.file, code, count)
    }

    fn get(&self) -> Result<MtGet, DeviceError> {
        sys::mt_get(&self.file).map_err(|e| outcome::errno_error(&e, "MTIOCGET"))
    }

    fn pos(&self) -> Option<i64> {
        sys::mt_pos(&self.file).ok()
    }

    fn observe(&self, before: Option<i64>, repeated: bool) -> Observed {
        Observed {
            before,
            after: self.pos(),
            gstat: self.get().map_or(0, |g| g.gstat),
            latched: self.early_warning,
            repeated,
        }
    }

    /// Runs a positioning ioctl, then re-derives the early-warning latch from the position.
    fn position_op(&mut self, code: i16, count: i32, what: &str) -> Result<(), DeviceError> {
        let r = self.mt(code, count);
        self.repositioned();
        r.map_err(|e| outcome::errno_error(&e, what))
    }

    /// Past early warning iff at or after where it was first reported on this medium.
    fn repositioned(&mut self) {
        self.early_warning = match (self.pos(), self.early_warning_from) {
            (Some(p), Some(from)) => p >= from,
            _ => false,
        };
    }

    fn note_early_warning(&mut self, before: Option<i64>) {
        self.early_warning = true;
        if self.early_warning_from.is_none() {
            self.early_warning_from = before;
        }
    }

    fn check_block(&self, len: usize) -> Result<(), DeviceError> {
        if self.block_size > 0 && !len.is_multiple_of(self.block_size) {
            return Err(DeviceError::BlockSize {
                size: len,
                min: self.block_size,
                max: self.block_size,
            });
        }
        self.capabilities().check_block_size(len)
    }
}

/// READ BLOCK LIMITS through SG_IO on the open st descriptor (st allows one open, so a
/// duplicate of it; SG_IO there needs root); st applies these limits to every variable-mode
/// `read()`/`write()` (§3.1). Falls back to 1..=16 MiB − 1.
fn probe_limits(file: &File, name: &str) -> (usize, usize) {
    let fallback = (1, 0x00ff_ffff);
    let Ok(file) = file.try_clone() else {
        return fallback;
    };
    let mut dev = crate::transport::SgDevice::from_file(file, name);
    let mut buf = [0u8; 6];
    let cdb = crate::cdb::ssc::read_block_limits();
    use crate::transport::ScsiTransport;
    let reply = dev.execute(
        &cdb,
        &mut crate::transport::Data::In(&mut buf),
        std::time::Duration::from_secs(30),
    );
    match reply.map(|r| (r.status, r.residual)) {
        Ok((0, 0)) => match crate::page::decode_block_limits(&buf) {
            Ok(l) if l.max > 0 => (
                usize::from(l.min.max(1)),
                usize::try_from(l.max).unwrap_or(fallback.1),
            ),
            _ => fallback,
        },
        _ => fallback,
    }
}

impl TapeDrive for StDrive {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> DriveCapabilities {
        DriveCapabilities::new(self.limits.0, self.limits.1)
    }

    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        let g = self.get()?;
        let mut status = DriveStatus::default();
        if g.gstat & gmt::DR_OPEN != 0 {
            return Ok(status);
        }
        let mut medium = MediumInfo::default();
        medium.write_protected = g.gstat & gmt::WR_PROT != 0;
        status.medium = Some(medium);
        status.ready = g.gstat & gmt::ONLINE != 0;
        if !status.ready {
            status.not_ready_reason = Some("st reports the drive offline".to_owned());
        }
        if let Some(block) = self.pos().and_then(|p| u64::try_from(p).ok()) {
            let mut p = TapePosition::at(BlockAddress(block));
            p.file = u64::try_from(g.fileno).ok();
            p.block_in_file = u64::try_from(g.blkno).ok();
            p.at_end_of_data = g.gstat & gmt::EOD != 0;
            p.beyond_early_warning = self.early_warning || g.gstat & gmt::EOT != 0;
            status.position = Some(p);
        }
        Ok(status)
    }

    fn load(&mut self) -> Result<(), DeviceError> {
        self.early_warning_from = None;
        self.position_op(op::MTLOAD, 1, "MTLOAD")?;
        self.set_block_size()
    }

    fn unload(&mut self) -> Result<(), DeviceError> {
        self.early_warning_from = None;
        self.position_op(op::MTOFFL, 1, "MTOFFL")
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.position_op(op::MTREW, 1, "MTREW")
    }

    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        let p = sys::mt_pos(&self.file).map_err(|e| outcome::errno_error(&e, "MTIOCPOS"))?;
        u64::try_from(p)
            .map(BlockAddress)
            .map_err(|_| DeviceError::PositionLost)
    }

    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError> {
        self.seek(address.0)
    }

    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.space(false, count)
    }

    fn space_filemarks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.space(true, count)
    }

    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.position_op(op::MTEOM, 1, "MTEOM")
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        self.check_block(block.len())?;
        let before = self.pos();
        let mut repeated = false;
        loop {
            let result = self.file.write(block);
            let seen = self.observe(before, repeated);
            match outcome::write(&result, block.len(), self.block_size, seen) {
                WriteStep::Repeat => repeated = true,
                WriteStep::Done(r) => {
                    if matches!(
                        r,
                        Ok(WriteStatus::EarlyWarning) | Err(DeviceError::VolumeOverflow { .. })
                    ) {
                        self.note_early_warning(before);
                    }
                    return r;
                }
            }
        }
    }

    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        let n = i32::try_from(count)
            .map_err(|_| DeviceError::IllegalRequest("filemark count".into()))?;
        let before = self.pos();
        let result = self.mt(op::MTWEOF, n);
        let r = outcome::filemarks(&result, self.observe(before, false));
        if matches!(
            r,
            Ok(WriteStatus::EarlyWarning) | Err(DeviceError::VolumeOverflow { .. })
        ) {
            self.note_early_warning(before);
        }
        r
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        let len = buf.len().min(self.limits.1);
        if self.block_size == 0 && len < self.limits.0 {
            return Err(DeviceError::BlockSize {
                size: len,
                min: self.limits.0,
                max: self.limits.1,
            });
        }
        let before = self.pos();
        let result = self.file.read(&mut buf[..len]);
        let read = outcome::read(&result, buf.len(), self.observe(before, false));
        match (&read, &result) {
            (Err(DeviceError::Io { .. }), Err(e)) if e.raw_os_error() == Some(libc::EIO) => {
                outcome::read_eio(self.probe_end_of_data())
            }
            _ => read,
        }
    }
}

impl StDrive {
    /// After a `read()` EIO that st's state does not explain: is the tape at the end of data?
    /// st does not pass the sense on, so space one block forward: at the end of data that is
    /// refused without moving (BLANK CHECK); over a block it moves, and we space back.
    fn probe_end_of_data(&mut self) -> Option<bool> {
        let before = self.pos()?;
        let _ = self.mt(op::MTFSR, 1);
        let after = self.pos()?;
        if after == before {
            return Some(true);
        }
        let _ = self.mt(op::MTBSR, 1);
        Some(false)
    }
}
