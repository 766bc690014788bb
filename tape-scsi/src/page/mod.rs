//! Decoders (and, for MODE SELECT, encoders) of the data pages SSC/SPC commands return.
//! Pure functions over byte slices; every length is checked before slicing.

mod inquiry;
mod limits;
mod mode;
mod position;
mod tapealert;

pub use inquiry::{Inquiry, PeripheralType, decode_inquiry, decode_unit_serial};
pub use limits::{BlockLimits, decode_block_limits};
pub use mode::{COMPRESSION_PAGE, ModeParameters, decode_mode_sense6, encode_mode_select6};
pub use position::{Position, decode_long_position, decode_short_position};
pub use tapealert::{TapeAlert, decode_tapealert};

/// Data that does not have the structure the standard gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the structure needs.
    #[error("{structure}: {needed} bytes needed, {available} available")]
    Truncated {
        /// What was being decoded.
        structure: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A field holds a value the structure does not allow.
    #[error("{structure}: {field} = {value:#x} is invalid")]
    Field {
        /// What was being decoded.
        structure: &'static str,
        /// The field.
        field: &'static str,
        /// The value found.
        value: u64,
    },
}

/// Checks that `data` has at least `needed` bytes.
pub(crate) fn need(structure: &'static str, data: &[u8], needed: usize) -> Result<(), DecodeError> {
    if data.len() < needed {
        Err(DecodeError::Truncated {
            structure,
            needed,
            available: data.len(),
        })
    } else {
        Ok(())
    }
}

pub(crate) fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

pub(crate) fn be24(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([0, d[at], d[at + 1], d[at + 2]])
}

pub(crate) fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

pub(crate) fn be64(d: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[at..at + 8]);
    u64::from_be_bytes(b)
}

/// ASCII field with trailing spaces and NULs removed.
pub(crate) fn ascii(d: &[u8]) -> String {
    String::from_utf8_lossy(d)
        .trim_end_matches([' ', '\0'])
        .trim_start()
        .to_owned()
}
