//! How what Linux st returned becomes a `tape-core` outcome: pure functions over the return
//! value of `write()`/`read()`/an ioctl, the drive position before and after (MTIOCPOS) and
//! st's status bits (MTIOCGET), so every row of scsi-tape.md §3.6 is tested without a drive.
//!
//! st does not pass sense data to user space; it folds it into return values and its own
//! state (§3.3). Three facts about that state are used here:
//! * after early warning, st answers every other `write()` with ENOSPC **without any I/O**
//!   (state `ST_EOD_1`, shown as GMT_EOD); the next `write()` goes to the drive;
//! * an ENOSPC that came from the drive leaves the state `ST_EOM_OK` (GMT_EOT);
//! * MTIOCPOS asks the drive (READ POSITION), so it tells whether a block reached the tape
//!   whatever st concluded from INFORMATION (§9.1.6 quirk 1).

use std::io;

use tape_core::{DeviceError, ReadStatus, WriteStatus};

/// GMT_* bits of `mt_gstat` (§2.4).
pub(crate) mod gmt {
    /// Driver state `ST_EOM_OK` or `ST_EOM_ERROR`.
    pub(crate) const EOT: i64 = 0x2000_0000;
    /// Driver state ≥ `ST_EOD_1`.
    pub(crate) const EOD: i64 = 0x0800_0000;
    /// Write protected.
    pub(crate) const WR_PROT: i64 = 0x0400_0000;
    /// Drive ready.
    pub(crate) const ONLINE: i64 = 0x0100_0000;
    /// No tape.
    pub(crate) const DR_OPEN: i64 = 0x0004_0000;
}

/// What to do after one `write()` through st.
#[derive(Debug)]
pub(crate) enum WriteStep {
    /// The outcome of the call.
    Done(Result<WriteStatus, DeviceError>),
    /// st answered ENOSPC without asking the drive: issue the same `write()` once more.
    Repeat,
}

/// What st said and what the drive and driver say now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observed {
    /// MTIOCPOS before the call, if known.
    pub(crate) before: Option<i64>,
    /// MTIOCPOS after the call, if it could be read.
    pub(crate) after: Option<i64>,
    /// `mt_gstat` after the call.
    pub(crate) gstat: i64,
    /// Early warning was reported before this call.
    pub(crate) latched: bool,
    /// This call is already the repeat of an ENOSPC without I/O.
    pub(crate) repeated: bool,
}

impl Observed {
    fn moved(&self) -> Option<i64> {
        Some(self.after? - self.before?)
    }

    fn warning(&self) -> WriteStatus {
        if self.latched || self.gstat & gmt::EOT != 0 {
            WriteStatus::EarlyWarning
        } else {
            WriteStatus::Written
        }
    }
}

/// One `write()` of `requested` bytes (`block_size` 0 = variable mode) returned `result`.
pub(crate) fn write(
    result: &io::Result<usize>,
    requested: usize,
    block_size: usize,
    seen: Observed,
) -> WriteStep {
    let done = WriteStep::Done;
    match result {
        Ok(n) if *n >= requested => done(Ok(seen.warning())),
        // Fixed mode at the physical end: a short count, the rest refused (§3.3).
        Ok(n) => done(Err(DeviceError::VolumeOverflow { written: *n })),
        Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => no_space(requested, block_size, seen),
        Err(e)
            if e.raw_os_error() == Some(libc::EIO)
                && (seen.latched || seen.gstat & gmt::EOT != 0) =>
        {
            done(Err(DeviceError::MediumError {
                block: seen.after.and_then(|a| u64::try_from(a).ok()),
                detail: "st reported end of medium with data buffered by the driver lost \
                         (EIO \"EOM with lost data\"); blocks acknowledged earlier are not on \
                         this tape"
                    .to_owned(),
            }))
        }
        Err(e) => done(Err(errno_error(e, "write"))),
    }
}

fn no_space(requested: usize, block_size: usize, seen: Observed) -> WriteStep {
    let objects = requested.checked_div(block_size).map_or(1, |n| n.max(1));
    let objects = i64::try_from(objects).unwrap_or(i64::MAX);
    match seen.moved() {
        // The drive took the whole request although st reported ENOSPC.
        Some(m) if m >= objects => WriteStep::Done(Ok(WriteStatus::EarlyWarning)),
        // Fixed mode: part of the request reached the tape.
        Some(m) if m > 0 => {
            let bytes = usize::try_from(m).unwrap_or(0) * block_size.max(1);
            WriteStep::Done(Err(DeviceError::VolumeOverflow { written: bytes }))
        }
        // Nothing written. If st did not even ask the drive, ask it once.
        _ if seen.gstat & gmt::EOD != 0 && !seen.repeated => WriteStep::Repeat,
        _ => WriteStep::Done(Err(DeviceError::VolumeOverflow { written: 0 })),
    }
}

/// MTWEOF returned `result`.
pub(crate) fn filemarks(
    result: &io::Result<()>,
    seen: Observed,
) -> Result<WriteStatus, DeviceError> {
    match result {
        Ok(()) => Ok(seen.warning()),
        Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => {
            Err(DeviceError::VolumeOverflow { written: 0 })
        }
        // st reports a filemark refused at the physical end as EIO (§3.3).
        Err(e)
            if e.raw_os_error() == Some(libc::EIO)
                && (seen.latched || seen.gstat & gmt::EOT != 0) =>
        {
            Err(DeviceError::VolumeOverflow { written: 0 })
        }
        Err(e) => Err(errno_error(e, "write filemarks")),
    }
}

/// One `read()` into a buffer of `buffer_len` bytes returned `result`.
pub(crate) fn read(
    result: &io::Result<usize>,
    buffer_len: usize,
    seen: Observed,
) -> Result<ReadStatus, DeviceError> {
    match result {
        Ok(n) if *n > 0 => Ok(ReadStatus::Data(*n)),
        // 0 is a filemark (consumed: the position moved) or st's "0 once at EOD" (§3.4).
        Ok(_) => match seen.moved() {
            Some(m) if m > 0 => Ok(ReadStatus::Filemark),
            Some(_) => Ok(ReadStatus::EndOfData),
            None if seen.gstat & gmt::EOD != 0 => Ok(ReadStatus::EndOfData),
            None => Ok(ReadStatus::Filemark),
        },
        Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => Err(DeviceError::BlockTooLarge {
            block_len: None,
            buffer_len,
        }),
        // The EIO after the first 0 at EOD, or EOD without a filemark before it.
        Err(e) if e.raw_os_error() == Some(libc::EIO) && seen.gstat & gmt::EOD != 0 => {
            Ok(ReadStatus::EndOfData)
        }
        Err(e) => Err(errno_error(e, "read")),
    }
}

/// A `read()` EIO that st's state bits did not explain, after probing whether the tape is at
/// the end of data (`Some(true)`), over a readable position (`Some(false)`), or unknown.
pub(crate) fn read_eio(at_end_of_data: Option<bool>) -> Result<ReadStatus, DeviceError> {
    match at_end_of_data {
        Some(true) => Ok(ReadStatus::EndOfData),
        _ => Err(DeviceError::MediumError {
            block: None,
            detail: "st read failed (EIO) before the end of data".to_owned(),
        }),
    }
}

/// The error for an errno that is not a tape condition.
pub(crate) fn errno_error(e: &io::Error, what: &str) -> DeviceError {
    let context = || format!("st {what}");
    let copy = || io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO));
    match e.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EROFS) => DeviceError::WriteProtected,
        Some(libc::ENOMEDIUM) => DeviceError::NoMedium,
        Some(libc::EBUSY) => DeviceError::Busy(format!("{what}: device busy")),
        Some(libc::ENOSPC) => DeviceError::VolumeOverflow { written: 0 },
        Some(_) => DeviceError::io(context(), copy()),
        None => DeviceError::io(context(), io::Error::new(e.kind(), e.to_string())),
    }
}

#[cfg(test)]
mod tests;
