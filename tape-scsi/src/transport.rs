//! How a CDB reaches a device: the [`ScsiTransport`] trait, its SG_IO implementation
//! [`SgDevice`], and [`Executor`], which adds the bounded retries of [`RetryPolicy`].
//!
//! [`SgDrive`](crate::SgDrive) and [`SgChanger`](crate::SgChanger) are generic over the
//! transport, so their SSC/SMC logic runs unchanged over SG_IO, over another initiator (an
//! iSCSI test client) or over a scripted transport in unit tests.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use tape_core::DeviceError;

use crate::cdb::Cdb;
use crate::map::{self, Retry};
use crate::sense::Sense;
use crate::sys::{self, SgData};
use crate::timing::{Attempts, RetryPolicy};

/// The data phase of a command.
#[derive(Debug)]
pub enum Data<'a> {
    /// No data.
    None,
    /// Data from the device into this buffer.
    In(&'a mut [u8]),
    /// Data from this buffer to the device.
    Out(&'a [u8]),
}

impl Data<'_> {
    fn len(&self) -> usize {
        match self {
            Self::None => 0,
            Self::In(b) => b.len(),
            Self::Out(b) => b.len(),
        }
    }
}

/// SCSI status byte values (SAM).
pub mod status {
    /// GOOD.
    pub const GOOD: u8 = 0x00;
    /// CHECK CONDITION: sense data describe what happened.
    pub const CHECK_CONDITION: u8 = 0x02;
    /// BUSY.
    pub const BUSY: u8 = 0x08;
    /// RESERVATION CONFLICT.
    pub const RESERVATION_CONFLICT: u8 = 0x18;
    /// TASK SET FULL.
    pub const TASK_SET_FULL: u8 = 0x28;
}

/// What a device answered to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// SCSI status byte.
    pub status: u8,
    /// Sense bytes, if any were returned.
    pub sense: Vec<u8>,
    /// Bytes of the data phase not transferred.
    pub residual: usize,
}

/// A command's outcome at the SCSI level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// GOOD status.
    Good,
    /// CHECK CONDITION with decodable sense.
    Check(Sense),
}

impl Reply {
    /// A GOOD reply with this residual.
    pub fn good(residual: usize) -> Self {
        Self {
            status: status::GOOD,
            sense: Vec::new(),
            residual,
        }
    }

    /// A CHECK CONDITION reply with these sense bytes.
    pub fn check(sense: &[u8], residual: usize) -> Self {
        Self {
            status: status::CHECK_CONDITION,
            sense: sense.to_vec(),
            residual,
        }
    }

    /// GOOD or CHECK CONDITION with sense; other statuses are errors.
    pub fn completion(&self) -> Result<Completion, DeviceError> {
        match self.status {
            status::GOOD => Ok(Completion::Good),
            status::CHECK_CONDITION => match Sense::decode(&self.sense) {
                Ok(sense) => Ok(Completion::Check(sense)),
                Err(e) => Err(DeviceError::io(
                    format!("CHECK CONDITION with unusable sense data: {e}"),
                    std::io::Error::from(std::io::ErrorKind::InvalidData),
                )),
            },
            status::BUSY | status::TASK_SET_FULL => Err(DeviceError::Busy("device busy".into())),
            status::RESERVATION_CONFLICT => {
                Err(DeviceError::Busy("reserved by another initiator".into()))
            }
            other => Err(DeviceError::io(
                format!("unexpected SCSI status {other:#04x}"),
                std::io::Error::from(std::io::ErrorKind::Other),
            )),
        }
    }
}

/// Something that runs CDBs on one logical unit.
pub trait ScsiTransport {
    /// A name for messages, e.g. `/dev/sg0`.
    fn name(&self) -> &str;

    /// Runs one command and returns the device's answer. Transport failures (the device is
    /// gone, the command timed out in the host) are errors; SCSI statuses are not.
    fn execute(
        &mut self,
        cdb: &Cdb,
        data: &mut Data<'_>,
        timeout: Duration,
    ) -> Result<Reply, DeviceError>;
}

impl<T: ScsiTransport + ?Sized> ScsiTransport for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn execute(&mut self, c: &Cdb, d: &mut Data<'_>, t: Duration) -> Result<Reply, DeviceError> {
        (**self).execute(c, d, t)
    }
}

/// A Linux SCSI generic device (`/dev/sgN`) driven with SG_IO.
#[derive(Debug)]
pub struct SgDevice {
    file: File,
    name: String,
}

const DRIVER_SENSE: u16 = 0x08;

impl SgDevice {
    /// Opens `/dev/sgN` read-write (O_NONBLOCK, as SG_IO is synchronous regardless).
    pub fn open(path: &Path) -> Result<Self, DeviceError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| DeviceError::io(format!("opening {}", path.display()), e))?;
        Ok(Self {
            file,
            name: path.display().to_string(),
        })
    }

    /// SG_IO also works on other SCSI nodes (the st device itself, as root): wrap an open file.
    pub fn from_file(file: File, name: impl Into<String>) -> Self {
        Self {
            file,
            name: name.into(),
        }
    }
}

impl ScsiTransport for SgDevice {
    fn name(&self) -> &str {
        &self.name
    }

    fn execute(
        &mut self,
        cdb: &Cdb,
        data: &mut Data<'_>,
        timeout: Duration,
    ) -> Result<Reply, DeviceError> {
        let mut sense = [0u8; 64];
        let requested = data.len();
        let sg_data = match data {
            Data::None => SgData::None,
            Data::In(b) => SgData::In(b),
            Data::Out(b) => SgData::Out(b),
        };
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let r = sys::sg_io(&self.file, cdb.as_bytes(), sg_data, &mut sense, ms)
            .map_err(|e| DeviceError::io(format!("SG_IO {cdb:?} on {}", self.name), e))?;
        if r.host_status != 0 || (r.driver_status & !DRIVER_SENSE) != 0 {
            return Err(DeviceError::io(
                format!(
                    "{cdb:?} on {}: host status {:#x}, driver status {:#x}",
                    self.name, r.host_status, r.driver_status
                ),
                std::io::Error::from(std::io::ErrorKind::TimedOut),
            ));
        }
        Ok(Reply {
            status: r.status,
            sense: sense[..r.sense_len].to_vec(),
            residual: usize::try_from(r.resid).unwrap_or(0).min(requested),
        })
    }
}

/// A transport plus the retry policy: runs commands and repeats those the device could not
/// start yet (BUSY, NOT READY 04/01), within the policy's bounds.
#[derive(Debug)]
pub struct Executor<T> {
    pub(crate) transport: T,
    pub(crate) policy: RetryPolicy,
}

impl<T: ScsiTransport> Executor<T> {
    /// Wraps a transport.
    pub fn new(transport: T, policy: RetryPolicy) -> Self {
        Self { transport, policy }
    }

    /// Runs `cdb`, repeating it while the device is becoming ready or busy. `idempotent`
    /// commands are also repeated after ABORTED COMMAND (never a WRITE: it may have moved
    /// the tape). Returns the completion and the residual.
    pub fn run(
        &mut self,
        cdb: &Cdb,
        data: &mut Data<'_>,
        timeout: Duration,
        idempotent: bool,
    ) -> Result<(Completion, usize), DeviceError> {
        let attempts = Attempts::new(self.policy);
        loop {
            let reply = self.transport.execute(cdb, data, timeout)?;
            let completion = match reply.completion() {
                Err(DeviceError::Busy(_)) if attempts.again(self.policy.busy) => continue,
                other => other?,
            };
            if let Completion::Check(sense) = &completion {
                let budget = match map::retry(sense) {
                    Some(Retry::BecomingReady) => self.policy.not_ready,
                    Some(Retry::Aborted) if idempotent => self.policy.busy,
                    _ => Duration::ZERO,
                };
                if attempts.again(budget) {
                    continue;
                }
            }
            return Ok((completion, reply.residual));
        }
    }

    /// Runs a command that must end GOOD; sense becomes an error through [`map::error`].
    pub fn run_ok(
        &mut self,
        cdb: &Cdb,
        data: &mut Data<'_>,
        timeout: Duration,
    ) -> Result<usize, DeviceError> {
        match self.run(cdb, data, timeout, true)? {
            (Completion::Good, residual) => Ok(residual),
            (Completion::Check(sense), residual) if is_benign(&sense) => Ok(residual),
            (Completion::Check(sense), _) => Err(map::error(&sense)),
        }
    }

    /// The transport's name.
    pub fn name(&self) -> &str {
        self.transport.name()
    }
}

/// RECOVERED ERROR, or NO SENSE without any flag: the command succeeded.
fn is_benign(sense: &Sense) -> bool {
    use crate::sense::key;
    !sense.deferred
        && (sense.key == key::RECOVERED_ERROR
            || (sense.key == key::NO_SENSE && !sense.filemark && !sense.eom && !sense.ili))
}
