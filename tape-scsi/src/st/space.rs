//! SPACE and LOCATE through st (MTFSF/MTBSF/MTFSR/MTBSR/MTSEEK), with what was not spaced
//! computed from MTIOCPOS before and after (st reports only EIO when it stops early).

use tape_core::{DeviceError, SpaceStatus};

use super::outcome::{self, gmt};
use super::{StDrive, op};

/// Largest count one MTIOCTOP takes.
const MAX_COUNT: i64 = i32::MAX as i64;

impl StDrive {
    pub(super) fn space(
        &mut self,
        filemarks: bool,
        count: i64,
    ) -> Result<SpaceStatus, DeviceError> {
        if count == 0 {
            return Ok(SpaceStatus::Done);
        }
        let code = match (filemarks, count > 0) {
            (true, true) => op::MTFSF,
            (true, false) => op::MTBSF,
            (false, true) => op::MTFSR,
            (false, false) => op::MTBSR,
        };
        let n = i32::try_from(count.unsigned_abs().min(MAX_COUNT.unsigned_abs()))
            .map_err(|_| DeviceError::IllegalRequest("space count".into()))?;
        let before = self.pos();
        let files_before = self.get().ok().map(|g| g.fileno).filter(|f| *f >= 0);
        let result = self.mt(code, n);
        self.repositioned();
        let unspaced = count.unsigned_abs() - u64::try_from(n).unwrap_or(0);
        let Err(e) = result else {
            return Ok(if unspaced == 0 {
                SpaceStatus::Done
            } else {
                SpaceStatus::EndOfData {
                    remaining: unspaced,
                }
            });
        };
        if e.raw_os_error() != Some(libc::EIO) {
            return Err(outcome::errno_error(&e, "space"));
        }
        let after = self.pos();
        let status = self.get().ok();
        let gstat = status.map_or(0, |g| g.gstat);
        let files_after = status.map(|g| g.fileno).filter(|f| *f >= 0);
        let files = match (files_before, files_after) {
            (Some(b), Some(a)) => Some(u64::from((a - b).unsigned_abs())),
            _ => None,
        };
        let seen = Seen {
            before,
            after,
            gstat,
            files,
        };
        Ok(stopped(filemarks, count, seen, unspaced))
    }

    pub(super) fn seek(&mut self, address: u64) -> Result<(), DeviceError> {
        let target = i32::try_from(address).map_err(|_| {
            DeviceError::IllegalRequest(format!("block {address} beyond MTSEEK's range"))
        })?;
        let result = self.mt(op::MTSEEK, target);
        self.repositioned();
        let Err(e) = result else { return Ok(()) };
        match self.pos().and_then(|p| u64::try_from(p).ok()) {
            Some(at) if at < address && e.raw_os_error() == Some(libc::EIO) => {
                Err(DeviceError::BeyondEndOfData {
                    requested: address,
                    end_of_data: at,
                })
            }
            _ => Err(outcome::errno_error(&e, "MTSEEK")),
        }
    }
}

/// What was observed around a SPACE that st ended with EIO.
#[derive(Debug, Clone, Copy)]
struct Seen {
    before: Option<i64>,
    after: Option<i64>,
    gstat: i64,
    /// Filemarks crossed, from st's file counters, when both were known.
    files: Option<u64>,
}

/// Why a SPACE stopped early, from the positions and status bits.
fn stopped(filemarks: bool, count: i64, seen: Seen, extra: u64) -> SpaceStatus {
    let Seen {
        before,
        after,
        gstat,
        files,
    } = seen;
    let moved = match (before, after) {
        (Some(b), Some(a)) => Some((a - b).unsigned_abs()),
        _ => None,
    };
    let wanted = count.unsigned_abs();
    let backwards = count < 0;
    let at_start = after == Some(0);
    if filemarks {
        // Objects moved over are not all filemarks: st's file counters tell how many were
        // crossed; without them the whole count is reported as not spaced.
        let remaining = wanted.saturating_sub(files.unwrap_or(0)) + extra;
        return if backwards && at_start {
            SpaceStatus::BeginningOfMedium { remaining }
        } else if backwards {
            SpaceStatus::Filemark { remaining }
        } else {
            SpaceStatus::EndOfData { remaining }
        };
    }
    let moved = moved.unwrap_or(0);
    if backwards && at_start {
        return SpaceStatus::BeginningOfMedium {
            remaining: wanted.saturating_sub(moved) + extra,
        };
    }
    if !backwards && gstat & gmt::EOD != 0 {
        return SpaceStatus::EndOfData {
            remaining: wanted.saturating_sub(moved) + extra,
        };
    }
    // Met a filemark: st moved over it (forwards) and counts it among the objects moved.
    SpaceStatus::Filemark {
        remaining: wanted.saturating_sub(moved.saturating_sub(1)) + extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(before: i64, after: i64, gstat: i64, files: Option<u64>) -> Seen {
        Seen {
            before: Some(before),
            after: Some(after),
            gstat,
            files,
        }
    }

    #[test]
    fn blocks_meet_filemark_forwards() {
        // 5 blocks asked, 2 blocks then the filemark: moved 3 objects.
        let s = stopped(false, 5, seen(10, 13, 0, None), 0);
        assert_eq!(s, SpaceStatus::Filemark { remaining: 3 });
    }

    #[test]
    fn blocks_meet_end_of_data_and_beginning() {
        let s = stopped(false, 5, seen(10, 12, gmt::EOD, None), 0);
        assert_eq!(s, SpaceStatus::EndOfData { remaining: 3 });
        let s = stopped(false, -5, seen(2, 0, 0, None), 0);
        assert_eq!(s, SpaceStatus::BeginningOfMedium { remaining: 3 });
    }

    #[test]
    fn filemarks_stop_at_end_or_beginning() {
        let s = stopped(true, 4, seen(0, 20, gmt::EOD, Some(3)), 0);
        assert_eq!(s, SpaceStatus::EndOfData { remaining: 1 });
        let s = stopped(true, 4, seen(0, 20, gmt::EOD, None), 2);
        assert_eq!(s, SpaceStatus::EndOfData { remaining: 6 });
        let s = stopped(true, -2, seen(7, 0, 0, Some(0)), 0);
        assert_eq!(s, SpaceStatus::BeginningOfMedium { remaining: 2 });
    }
}
