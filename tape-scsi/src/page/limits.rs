//! READ BLOCK LIMITS data (scsi-tape.md §4.1): 6 bytes.

use super::{DecodeError, be16, be24, need};

/// The block sizes a drive accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLimits {
    /// Granularity: block lengths should be multiples of 2^granularity.
    pub granularity: u8,
    /// Largest block (0 = no limit given).
    pub max: u32,
    /// Smallest block.
    pub min: u16,
}

/// Decodes READ BLOCK LIMITS data: byte 0 granularity (b4..0), 1–3 maximum, 4–5 minimum.
pub fn decode_block_limits(d: &[u8]) -> Result<BlockLimits, DecodeError> {
    need("READ BLOCK LIMITS data", d, 6)?;
    Ok(BlockLimits {
        granularity: d[0] & 0x1f,
        max: be24(d, 1),
        min: be16(d, 4),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn scsi_debug_and_tgt() {
        // scsi_debug: 512..1048576, granularity 4; tgt: 4..1048576, granularity 9 (§4.1).
        let sd = decode_block_limits(&hex!("04 10 00 00 02 00")).unwrap();
        assert_eq!(
            sd,
            BlockLimits {
                granularity: 4,
                max: 1 << 20,
                min: 512
            }
        );
        let tgt = decode_block_limits(&hex!("09 10 00 00 00 04")).unwrap();
        assert_eq!((tgt.granularity, tgt.min), (9, 4));
        assert!(decode_block_limits(&[0; 5]).is_err());
    }
}
