//! Sense → `tape-core` outcomes and errors: the one place where a sense key, its flags and
//! ASC/ASCQ become a [`WriteStatus`](tape_core::WriteStatus)-like outcome or a
//! [`DeviceError`]. It follows the decision table of scsi-tape.md §6.6 row by row; the tests in
//! `map/tests.rs` have one case per row.
//!
//! The functions here see only the sense. Whether a block reached the tape is the drive's
//! business: [`crate::SgDrive`] checks READ POSITION when sense and position could disagree
//! (emulators report INFORMATION values real drives do not, §9.1.6), so nothing here encodes
//! an emulator's quirk.

use tape_core::{DeviceError, SpaceStatus};

use crate::sense::{Sense, key};

/// What a WRITE or WRITE FILEMARKS that ended in CHECK CONDITION means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteSense {
    /// Completed (RECOVERED ERROR, or NO SENSE without EOM).
    Written,
    /// Completed, and the medium is past early warning (NO SENSE + EOM 00/02, tgt's 00/00, or
    /// programmable early warning 00/07).
    EarlyWarning,
    /// Physical end (VOLUME OVERFLOW): the device did not take all of the command.
    /// `not_written` is INFORMATION: bytes (variable mode), blocks (fixed mode) or filemarks.
    PhysicalEnd {
        /// Amount not written, if the device said.
        not_written: Option<i64>,
    },
}

/// Meaning of sense returned by WRITE(6) or WRITE FILEMARKS(6).
pub fn write(sense: &Sense) -> Result<WriteSense, DeviceError> {
    if sense.deferred {
        return Err(error(sense));
    }
    match sense.key {
        key::VOLUME_OVERFLOW => Ok(WriteSense::PhysicalEnd {
            not_written: sense.information,
        }),
        key::NO_SENSE | key::RECOVERED_ERROR => {
            let warning = sense.eom || sense.is(0x00, 0x02) || sense.is(0x00, 0x07);
            Ok(if warning {
                WriteSense::EarlyWarning
            } else {
                WriteSense::Written
            })
        }
        _ => Err(error(sense)),
    }
}

/// What a variable-mode READ(6) that ended in CHECK CONDITION means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadSense {
    /// A block of this many bytes was read (shorter than the request, or recovered).
    Data(usize),
    /// A filemark was read; the position is after it.
    Filemark,
    /// End of recorded data (BLANK CHECK) or of the partition.
    EndOfData,
    /// The block is longer than the request; the drive is past it and the excess is lost.
    TooLarge {
        /// The block's length, when INFORMATION gives it.
        block_len: Option<usize>,
    },
}

/// Meaning of sense returned by a variable-mode READ(6) of `requested` bytes of which
/// `transferred` arrived (request length minus the transport's residual).
pub fn read(sense: &Sense, requested: usize, transferred: usize) -> Result<ReadSense, DeviceError> {
    if sense.deferred {
        return Err(error(sense));
    }
    match sense.key {
        // tgt reports EOD with EOM and 00/00 instead of 00/05: accept key 8 regardless of ASC.
        key::BLANK_CHECK => Ok(ReadSense::EndOfData),
        key::NO_SENSE | key::RECOVERED_ERROR => Ok(read_flags(sense, requested, transferred)),
        _ => Err(error(sense)),
    }
}

fn read_flags(sense: &Sense, requested: usize, transferred: usize) -> ReadSense {
    if sense.filemark {
        return ReadSense::Filemark;
    }
    if sense.ili {
        // INFORMATION = requested − actual: positive ⇒ short block, negative ⇒ long block.
        return match sense.information {
            Some(info) if info > 0 => {
                let short = usize::try_from(info).unwrap_or(usize::MAX);
                ReadSense::Data(requested.saturating_sub(short))
            }
            Some(info) if info < 0 => {
                let excess = usize::try_from(info.unsigned_abs()).unwrap_or(usize::MAX);
                ReadSense::TooLarge {
                    block_len: requested.checked_add(excess),
                }
            }
            _ if transferred < requested => ReadSense::Data(transferred),
            _ => ReadSense::TooLarge { block_len: None },
        };
    }
    if sense.eom && transferred == 0 {
        return ReadSense::EndOfData;
    }
    ReadSense::Data(transferred.min(requested))
}

/// Meaning of sense returned by SPACE(6) of `requested` blocks or filemarks (negative:
/// backwards). `remaining` comes from INFORMATION; without it, the whole count is reported as
/// not spaced.
pub fn space(sense: &Sense, requested: i64) -> Result<SpaceStatus, DeviceError> {
    if sense.deferred {
        return Err(error(sense));
    }
    let remaining = sense
        .information
        .map_or(requested.unsigned_abs(), i64::unsigned_abs);
    match sense.key {
        key::BLANK_CHECK => Ok(SpaceStatus::EndOfData { remaining }),
        key::NO_SENSE | key::RECOVERED_ERROR if sense.filemark => {
            Ok(SpaceStatus::Filemark { remaining })
        }
        key::NO_SENSE | key::RECOVERED_ERROR if sense.eom || sense.is(0x00, 0x04) => {
            if requested < 0 || sense.is(0x00, 0x04) {
                Ok(SpaceStatus::BeginningOfMedium { remaining })
            } else {
                Ok(SpaceStatus::EndOfData { remaining })
            }
        }
        key::NO_SENSE | key::RECOVERED_ERROR => Ok(SpaceStatus::Done),
        _ => Err(error(sense)),
    }
}

/// True for the sense of LOCATE past the end of data (BLANK CHECK).
pub fn is_blank_check(sense: &Sense) -> bool {
    sense.key == key::BLANK_CHECK
}

/// Why a command may be worth repeating after a pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// NOT READY 04/01 "becoming ready", 04/07 "operation in progress" or 00/16: the drive or
    /// robot is busy with something that finishes by itself.
    BecomingReady,
    /// ABORTED COMMAND: a transport-level abort.
    Aborted,
}

/// Whether `sense` describes a condition that clears by itself (§5.4 rule 7).
pub fn retry(sense: &Sense) -> Option<Retry> {
    match sense.key {
        key::NOT_READY if sense.is(0x04, 0x01) || sense.is(0x04, 0x07) => {
            Some(Retry::BecomingReady)
        }
        key::NOT_READY if sense.is(0x00, 0x16) => Some(Retry::BecomingReady),
        key::ABORTED_COMMAND => Some(Retry::Aborted),
        _ => None,
    }
}

/// The error for sense that is not a tape condition of the command that got it.
pub fn error(sense: &Sense) -> DeviceError {
    let what = || describe(sense);
    match (sense.key, sense.asc) {
        (key::NOT_READY, 0x3a) => DeviceError::NoMedium,
        (key::NOT_READY | key::MEDIUM_ERROR, 0x30) => DeviceError::IncompatibleMedium(what()),
        (key::NOT_READY, _) => DeviceError::NotReady(what()),
        (key::UNIT_ATTENTION, 0x28 | 0x29) => DeviceError::MediumChanged {
            now: "unknown".to_owned(),
        },
        (key::DATA_PROTECT, 0x27) => DeviceError::WriteProtected,
        (key::MEDIUM_ERROR, _) => DeviceError::MediumError {
            block: None,
            detail: what(),
        },
        (key::HARDWARE_ERROR, _) => DeviceError::Hardware(what()),
        (key::ILLEGAL_REQUEST, 0x3b) if sense.ascq == 0x0d => DeviceError::DestinationFull(what()),
        (key::ILLEGAL_REQUEST, 0x3b) if sense.ascq == 0x0e => DeviceError::SourceEmpty(what()),
        (key::ILLEGAL_REQUEST, 0x21) => DeviceError::NoSuchElement(what()),
        (key::ILLEGAL_REQUEST, 0x53) if sense.ascq == 0x02 => DeviceError::RemovalPrevented(what()),
        (key::ILLEGAL_REQUEST, _) => DeviceError::IllegalRequest(what()),
        (key::VOLUME_OVERFLOW, _) => DeviceError::VolumeOverflow { written: 0 },
        _ => DeviceError::Sense(sense.summary()),
    }
}

/// A short description: the ASC/ASCQ meaning of §6.5 when known, then the codes.
pub fn describe(sense: &Sense) -> String {
    let meaning = asc_meaning(sense.asc, sense.ascq);
    format!("{meaning} ({sense})")
}

/// The meaning of an ASC/ASCQ pair (scsi-tape.md §6.5).
pub fn asc_meaning(asc: u8, ascq: u8) -> &'static str {
    match (asc, ascq) {
        (0x00, 0x00) => "no additional sense information",
        (0x00, 0x01) => "filemark detected",
        (0x00, 0x02) => "end of partition/medium detected",
        (0x00, 0x03) => "setmark detected",
        (0x00, 0x04) => "beginning of partition/medium detected",
        (0x00, 0x05) => "end of data detected",
        (0x00, 0x07) => "programmable early warning detected",
        (0x00, 0x16) => "operation in progress",
        (0x00, 0x17) => "cleaning requested",
        (0x04, 0x01) => "not ready, becoming ready",
        (0x04, 0x02) => "not ready, initializing command required",
        (0x04, _) => "logical unit not ready",
        (0x0c, 0x00) => "write error",
        (0x11, 0x00) => "unrecovered read error",
        (0x14, 0x03) => "end of data not found",
        (0x20, 0x00) => "invalid command operation code",
        (0x21, 0x01) => "invalid element address",
        (0x24, 0x00) => "invalid field in CDB",
        (0x26, _) => "invalid field in parameter list",
        (0x27, _) => "write protected",
        (0x28, 0x00) => "not ready to ready change, medium may have changed",
        (0x29, _) => "power on, reset, or bus device reset occurred",
        (0x30, _) => "incompatible medium installed",
        (0x3a, _) => "medium not present",
        (0x3b, 0x00) => "sequential positioning error",
        (0x3b, 0x0d) => "medium destination element full",
        (0x3b, 0x0e) => "medium source element empty",
        (0x3b, 0x11) => "medium magazine not accessible",
        (0x3b, 0x12) => "medium magazine removed",
        (0x50, 0x00) => "write append error",
        (0x53, 0x00) => "media load or eject failed",
        (0x53, 0x02) => "medium removal prevented",
        (0x5d, _) => "failure prediction threshold exceeded",
        _ => "unlisted condition",
    }
}

#[cfg(test)]
mod tests;
