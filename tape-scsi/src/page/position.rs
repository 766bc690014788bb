//! READ POSITION data, short and long forms (scsi-tape.md §4.2).

use super::{DecodeError, be32, be64, need};

/// Where the drive is, as READ POSITION reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Beginning of partition (BOP).
    pub beginning: bool,
    /// End of partition (EOP).
    pub end: bool,
    /// Beyond programmable early warning (BPEW).
    pub beyond_early_warning: bool,
    /// Partition number.
    pub partition: u32,
    /// Logical object number (blocks and filemarks from the beginning), if known.
    pub block: Option<u64>,
    /// Logical file number (filemarks before the position), long form only.
    pub file: Option<u64>,
    /// Objects in the drive's buffer (short form), if reported.
    pub buffered_blocks: Option<u32>,
}

/// Decodes the 20-byte short form: byte 0 BOP b7, EOP b6, BYCU b4, LOLU b2, PERR b1, BPEW b0;
/// byte 1 partition; 4–7 first block location; 13–15 blocks in buffer.
pub fn decode_short_position(d: &[u8]) -> Result<Position, DecodeError> {
    need("READ POSITION short form", d, 20)?;
    let flags = d[0];
    let location_unknown = flags & 0x04 != 0;
    let count_unknown = flags & 0x10 != 0;
    Ok(Position {
        beginning: flags & 0x80 != 0,
        end: flags & 0x40 != 0,
        beyond_early_warning: flags & 0x01 != 0,
        partition: u32::from(d[1]),
        block: (!location_unknown).then(|| u64::from(be32(d, 4))),
        file: None,
        buffered_blocks: (!count_unknown).then(|| u32::from_be_bytes([0, d[13], d[14], d[15]])),
    })
}

/// Decodes the 32-byte long form: byte 0 BOP b7, EOP b6, MPU b3, LONU b2, BPEW b0; 4–7
/// partition; 8–15 logical object number; 16–23 logical file identifier.
pub fn decode_long_position(d: &[u8]) -> Result<Position, DecodeError> {
    need("READ POSITION long form", d, 32)?;
    let flags = d[0];
    let unknown = flags & 0x04 != 0 || flags & 0x08 != 0;
    Ok(Position {
        beginning: flags & 0x80 != 0,
        end: flags & 0x40 != 0,
        beyond_early_warning: flags & 0x01 != 0,
        partition: be32(d, 4),
        block: (!unknown).then(|| be64(d, 8)),
        file: (!unknown).then(|| be64(d, 16)),
        buffered_blocks: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn short_form_at_bop_and_mid_tape() {
        let bop = hex!("80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
        let p = decode_short_position(&bop).unwrap();
        assert!(p.beginning && !p.end);
        assert_eq!((p.block, p.buffered_blocks), (Some(0), Some(0)));
        let mid = hex!("01 00 00 00 00 00 27 0f 00 00 27 0f 00 00 00 02 00 00 10 00");
        let p = decode_short_position(&mid).unwrap();
        assert!(p.beyond_early_warning && !p.beginning);
        assert_eq!((p.block, p.buffered_blocks), (Some(9999), Some(2)));
    }

    #[test]
    fn short_form_unknown_location() {
        // tgt's all-zero-with-length answer sets BYCU and LOLU (§9.2.5): position unknown.
        let tgt = hex!("14 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
        let p = decode_short_position(&tgt).unwrap();
        assert_eq!((p.block, p.buffered_blocks), (None, None));
        assert!(decode_short_position(&tgt[..19]).is_err());
    }

    #[test]
    fn long_form() {
        let mut d = [0u8; 32];
        d[0] = 0x01;
        d[7] = 1;
        d[8..16].copy_from_slice(&0x1_0000_0005u64.to_be_bytes());
        d[16..24].copy_from_slice(&3u64.to_be_bytes());
        let p = decode_long_position(&d).unwrap();
        assert_eq!(
            (p.partition, p.block, p.file),
            (1, Some(0x1_0000_0005), Some(3))
        );
        assert!(p.beyond_early_warning);
        d[0] = 0x04;
        assert_eq!(decode_long_position(&d).unwrap().block, None);
    }
}
