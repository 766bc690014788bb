//! Command descriptor block builders: pure functions from arguments to CDB bytes.
//!
//! One module per command set: [`spc`] (commands every device has), [`ssc`] (tape drives,
//! scsi-tape.md §4.1) and [`smc`] (media changers, §5.1). Every builder returns a [`Cdb`] and
//! checks its arguments against the field widths, so a count that does not fit is an error
//! rather than a silently truncated command.

pub mod smc;
pub mod spc;
pub mod ssc;

use std::fmt;

/// A command descriptor block of 6, 10, 12 or 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cdb {
    bytes: [u8; 16],
    len: u8,
}

impl Cdb {
    /// A CDB from its bytes. Lengths other than 6, 10, 12 and 16 are rejected.
    pub fn new(bytes: &[u8]) -> Result<Self, CdbError> {
        let len = match bytes.len() {
            6 => 6,
            10 => 10,
            12 => 12,
            16 => 16,
            n => return Err(CdbError::Length(n)),
        };
        let mut b = [0u8; 16];
        b[..bytes.len()].copy_from_slice(bytes);
        Ok(Self { bytes: b, len })
    }

    pub(crate) fn from_array<const N: usize>(bytes: [u8; N]) -> Self {
        let mut b = [0u8; 16];
        b[..N].copy_from_slice(&bytes);
        // N is one of 6, 10, 12, 16 at every call site (all builders are in this module).
        Self {
            bytes: b,
            len: u8::try_from(N).unwrap_or(16),
        }
    }

    /// The CDB bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The operation code.
    pub fn opcode(&self) -> u8 {
        self.bytes[0]
    }
}

impl fmt::Debug for Cdb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cdb[")?;
        for (i, b) in self.as_bytes().iter().enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            write!(f, "{b:02x}")?;
        }
        write!(f, "]")
    }
}

impl AsRef<[u8]> for Cdb {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// An argument that does not fit the CDB field it goes into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdbError {
    /// A value exceeds the field's width.
    #[error("{field} = {value} does not fit the CDB field (maximum {max})")]
    FieldRange {
        /// Field name, as in the standard.
        field: &'static str,
        /// The value asked for.
        value: i64,
        /// The largest value the field holds.
        max: i64,
    },
    /// A CDB of an impossible length.
    #[error("a CDB is 6, 10, 12 or 16 bytes, not {0}")]
    Length(usize),
}

/// Big-endian 24-bit field for an unsigned value.
pub(crate) fn be24(field: &'static str, value: u32) -> Result<[u8; 3], CdbError> {
    if value > 0x00ff_ffff {
        return Err(CdbError::FieldRange {
            field,
            value: i64::from(value),
            max: 0x00ff_ffff,
        });
    }
    let b = value.to_be_bytes();
    Ok([b[1], b[2], b[3]])
}

/// Big-endian 24-bit two's-complement field (SPACE(6) count).
pub(crate) fn be24_signed(field: &'static str, value: i32) -> Result<[u8; 3], CdbError> {
    if !(-0x0080_0000..=0x007f_ffff).contains(&value) {
        return Err(CdbError::FieldRange {
            field,
            value: i64::from(value),
            max: 0x007f_ffff,
        });
    }
    let b = value.to_be_bytes();
    Ok([b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(Cdb::new(&[0; 6]).unwrap().as_bytes().len(), 6);
        assert_eq!(Cdb::new(&[0; 16]).unwrap().as_bytes().len(), 16);
        assert_eq!(Cdb::new(&[0; 7]), Err(CdbError::Length(7)));
    }

    #[test]
    fn signed_24() {
        assert_eq!(be24_signed("c", -1).unwrap(), [0xff, 0xff, 0xff]);
        assert_eq!(be24_signed("c", 0x7f_ffff).unwrap(), [0x7f, 0xff, 0xff]);
        assert_eq!(be24_signed("c", -0x80_0000).unwrap(), [0x80, 0, 0]);
        assert!(be24_signed("c", 0x80_0000).is_err());
        assert!(be24("c", 0x100_0000).is_err());
    }

    #[test]
    fn debug_is_hex() {
        let c = Cdb::new(&[0x12, 0, 0, 0, 0x60, 0]).unwrap();
        assert_eq!(format!("{c:?}"), "Cdb[12 00 00 00 60 00]");
    }
}
