//! Bodies of the small standard streams (mtf.md §5.2–5.3):
//! `CSUM` (the `u32` checksum), `ADAT` (`u32` name size + UTF-16 name + data), `SPAR`
//! (`u64` offset + data). `PNAM`/`FNAM` bodies are plain strings of the DBLK's String Type and
//! `SPAD`/`CRPT` carry no meaning in their data.

use crate::decoded::{Decoded, need};
use crate::error::DecodeError;
use crate::le::{u32_at, u64_at};

/// Length of a `CSUM` stream's data.
pub const CSUM_LEN: u64 = 4;

/// Decodes the `CSUM` value (exactly 4 bytes).
pub fn decode_csum(data: &[u8]) -> Result<u32, DecodeError> {
    match data.len() {
        4 => Ok(u32_at(data, 0)),
        n if n < 4 => Err(DecodeError::MissingData("CSUM")),
        _ => Err(DecodeError::TrailingData("CSUM")),
    }
}

/// The prefix of an `ADAT` (alternate data stream) body: the stream name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdatName {
    /// The name as stored (UTF-16LE bytes, no NUL).
    pub raw: Vec<u8>,
}

impl AdatName {
    /// Longest name accepted (bytes).
    pub const MAX: usize = 64 * 1024;

    /// Decodes the name prefix; `consumed` is where the stream's own data begin.
    pub fn decode(data: &[u8]) -> Result<Decoded<Self>, DecodeError> {
        if let Some(needed) = need(data, 4) {
            return Ok(Decoded::Incomplete { needed });
        }
        let n = usize::try_from(u32_at(data, 0)).unwrap_or(usize::MAX);
        if n > Self::MAX {
            return Err(DecodeError::FieldRange {
                field: "ADAT.name_size",
                value: crate::le::to_u64(n),
            });
        }
        if let Some(needed) = need(data, 4 + n) {
            return Ok(Decoded::Incomplete { needed });
        }
        Ok(Decoded::Complete {
            value: AdatName {
                raw: data[4..4 + n].to_vec(),
            },
            consumed: 4 + n,
        })
    }

    /// Encodes the prefix for the UTF-16 name `name`.
    pub fn encode(name: &str) -> Vec<u8> {
        let raw = crate::strings::StringType::Unicode.encode(name);
        let mut v = u32::try_from(raw.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes()
            .to_vec();
        v.extend(raw);
        v
    }

    /// The name as text.
    pub fn name(&self) -> String {
        crate::strings::StringType::Unicode.decode(&self.raw)
    }
}

/// Decodes the `SPAR` prefix: the offset within the file of the data that follow (8 bytes).
pub fn decode_spar_offset(data: &[u8]) -> Decoded<u64> {
    match need(data, 8) {
        Some(needed) => Decoded::Incomplete { needed },
        None => Decoded::Complete {
            value: u64_at(data, 0),
            consumed: 8,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csum_body_is_exactly_four_bytes() {
        assert_eq!(decode_csum(&[1, 2, 3, 4]), Ok(0x0403_0201));
        assert_eq!(
            decode_csum(&[1, 2, 3]),
            Err(DecodeError::MissingData("CSUM"))
        );
        assert_eq!(decode_csum(&[0; 5]), Err(DecodeError::TrailingData("CSUM")));
    }

    #[test]
    fn adat_name_round_trips_and_is_capped() {
        let b = AdatName::encode("Zone.Identifier");
        let Decoded::Complete { value, consumed } = AdatName::decode(&b).unwrap() else {
            panic!()
        };
        assert_eq!(
            (value.name().as_str(), consumed),
            ("Zone.Identifier", b.len())
        );
        for n in 0..b.len() {
            assert!(AdatName::decode(&b[..n]).unwrap().is_incomplete());
        }
        assert!(AdatName::decode(&[0xFF, 0xFF, 0xFF, 0xFF]).is_err());
    }

    #[test]
    fn spar_offset_prefix() {
        assert_eq!(
            decode_spar_offset(&7u64.to_le_bytes()),
            Decoded::Complete {
                value: 7,
                consumed: 8
            }
        );
        assert!(decode_spar_offset(&[0; 7]).is_incomplete());
    }
}
