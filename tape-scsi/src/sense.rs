//! Sense data decoding, fixed (70h/71h) and descriptor (72h/73h) formats (scsi-tape.md §6.1,
//! §6.2). Devices mix both (scsi_debug with `dsense=1` sends generic errors as descriptor sense
//! and tape conditions as fixed sense), so every caller goes through [`Sense::decode`].
//!
//! What the sense *means* for a tape operation is decided in one place, [`crate::map`].

use std::fmt;

/// The sense keys of SPC (§6.3).
pub mod key {
    /// NO SENSE: look at FM/EOM/ILI.
    pub const NO_SENSE: u8 = 0x0;
    /// RECOVERED ERROR: success.
    pub const RECOVERED_ERROR: u8 = 0x1;
    /// NOT READY.
    pub const NOT_READY: u8 = 0x2;
    /// MEDIUM ERROR.
    pub const MEDIUM_ERROR: u8 = 0x3;
    /// HARDWARE ERROR.
    pub const HARDWARE_ERROR: u8 = 0x4;
    /// ILLEGAL REQUEST.
    pub const ILLEGAL_REQUEST: u8 = 0x5;
    /// UNIT ATTENTION.
    pub const UNIT_ATTENTION: u8 = 0x6;
    /// DATA PROTECT.
    pub const DATA_PROTECT: u8 = 0x7;
    /// BLANK CHECK: end of data.
    pub const BLANK_CHECK: u8 = 0x8;
    /// ABORTED COMMAND.
    pub const ABORTED_COMMAND: u8 = 0xb;
    /// VOLUME OVERFLOW: physical end of partition.
    pub const VOLUME_OVERFLOW: u8 = 0xd;
}

/// Decoded sense data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sense {
    /// Descriptor format (72h/73h) rather than fixed (70h/71h).
    pub descriptor_format: bool,
    /// A deferred error (71h/73h): it belongs to an earlier command.
    pub deferred: bool,
    /// Sense key (low 4 bits).
    pub key: u8,
    /// Additional sense code.
    pub asc: u8,
    /// Additional sense code qualifier.
    pub ascq: u8,
    /// FILEMARK flag.
    pub filemark: bool,
    /// EOM flag (end or beginning of partition, early warning).
    pub eom: bool,
    /// ILI flag (incorrect length).
    pub ili: bool,
    /// The INFORMATION field, if the device marked it valid. Signed: negative for a READ of a
    /// block longer than the request (§6.4).
    pub information: Option<i64>,
    /// Sense-key specific bytes, if SKSV is set (field pointer, progress indication).
    pub key_specific: Option<[u8; 3]>,
}

/// Sense bytes that cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SenseError {
    /// Fewer bytes than the format's fixed part.
    #[error("sense data too short: {len} bytes")]
    Truncated {
        /// Bytes given.
        len: usize,
    },
    /// A response code other than 70h–73h (vendor-specific 7Fh included).
    #[error("unsupported sense response code {0:#04x}")]
    ResponseCode(u8),
}

impl Sense {
    /// Decodes fixed or descriptor sense data. Fields beyond the bytes given (or beyond the
    /// additional sense length) read as zero, as SPC requires of a short allocation.
    pub fn decode(bytes: &[u8]) -> Result<Self, SenseError> {
        let first = *bytes.first().ok_or(SenseError::Truncated { len: 0 })?;
        match first & 0x7f {
            0x70 | 0x71 => decode_fixed(bytes),
            0x72 | 0x73 => decode_descriptor(bytes),
            code => Err(SenseError::ResponseCode(code)),
        }
    }

    /// Sense key and ASC/ASCQ, the summary `tape-core` carries in its errors.
    pub fn summary(&self) -> tape_core::SenseSummary {
        tape_core::SenseSummary {
            key: self.key,
            asc: self.asc,
            ascq: self.ascq,
        }
    }

    /// True if ASC/ASCQ equal the pair.
    pub fn is(&self, asc: u8, ascq: u8) -> bool {
        self.asc == asc && self.ascq == ascq
    }
}

impl fmt::Display for Sense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key {:#x} {:02X}/{:02X}", self.key, self.asc, self.ascq)?;
        for (set, name) in [(self.filemark, "FM"), (self.eom, "EOM"), (self.ili, "ILI")] {
            if set {
                write!(f, " {name}")?;
            }
        }
        if let Some(info) = self.information {
            write!(f, " info {info}")?;
        }
        if self.deferred {
            write!(f, " (deferred)")?;
        }
        Ok(())
    }
}

fn byte(bytes: &[u8], limit: usize, i: usize) -> u8 {
    if i < limit {
        bytes.get(i).copied().unwrap_or(0)
    } else {
        0
    }
}

/// Fixed format, §6.1: byte 0 VALID|code, 2 FM|EOM|ILI|key, 3–6 INFORMATION, 7 additional
/// length, 12/13 ASC/ASCQ, 15–17 SKSV + sense-key specific.
fn decode_fixed(bytes: &[u8]) -> Result<Sense, SenseError> {
    if bytes.len() < 3 {
        return Err(SenseError::Truncated { len: bytes.len() });
    }
    let limit = if bytes.len() >= 8 {
        bytes.len().min(8 + usize::from(bytes[7]))
    } else {
        bytes.len()
    };
    let b = |i| byte(bytes, limit, i);
    let flags = bytes[2];
    let info_bytes = [b(3), b(4), b(5), b(6)];
    let valid = bytes[0] & 0x80 != 0 && limit >= 7;
    let sks = [b(15), b(16), b(17)];
    Ok(Sense {
        descriptor_format: false,
        deferred: bytes[0] & 0x7f == 0x71,
        key: flags & 0x0f,
        asc: b(12),
        ascq: b(13),
        filemark: flags & 0x80 != 0,
        eom: flags & 0x40 != 0,
        ili: flags & 0x20 != 0,
        information: valid.then(|| i64::from(i32::from_be_bytes(info_bytes))),
        key_specific: (sks[0] & 0x80 != 0).then_some(sks),
    })
}

/// Descriptor format, §6.2: 1 key, 2/3 ASC/ASCQ, 7 additional length, descriptors from 8.
fn decode_descriptor(bytes: &[u8]) -> Result<Sense, SenseError> {
    if bytes.len() < 4 {
        return Err(SenseError::Truncated { len: bytes.len() });
    }
    let mut sense = Sense {
        descriptor_format: true,
        deferred: bytes[0] & 0x7f == 0x73,
        key: bytes[1] & 0x0f,
        asc: bytes[2],
        ascq: bytes[3],
        ..Sense::default()
    };
    let end = match bytes.get(7) {
        Some(&len) => bytes.len().min(8 + usize::from(len)),
        None => return Ok(sense),
    };
    let mut at = 8;
    while at + 2 <= end {
        let kind = bytes[at];
        let body_end = (at + 2 + usize::from(bytes[at + 1])).min(end);
        let d = &bytes[at..body_end];
        apply_descriptor(&mut sense, kind, d);
        at = body_end;
    }
    Ok(sense)
}

fn apply_descriptor(sense: &mut Sense, kind: u8, d: &[u8]) {
    match kind {
        // Information: byte 2 VALID b7, bytes 4–11 INFORMATION.
        0x00 if d.len() >= 12 && d[2] & 0x80 != 0 => {
            let mut v = [0u8; 8];
            v.copy_from_slice(&d[4..12]);
            sense.information = Some(i64::from_be_bytes(v));
        }
        // Sense-key specific: bytes 4–6 with SKSV in byte 4.
        0x02 if d.len() >= 7 && d[4] & 0x80 != 0 => {
            sense.key_specific = Some([d[4], d[5], d[6]]);
        }
        // Stream commands: byte 3 FILEMARK b7, EOM b6, ILI b5.
        0x04 if d.len() >= 4 => {
            sense.filemark = d[3] & 0x80 != 0;
            sense.eom = d[3] & 0x40 != 0;
            sense.ili = d[3] & 0x20 != 0;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
