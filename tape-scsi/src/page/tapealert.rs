//! LOG SENSE page 2Eh, TapeAlert (scsi-tape.md §4.1): up to 64 parameters 0001h–0040h, one flag
//! byte each.

use super::{DecodeError, be16, need};

/// The TapeAlert flags that are set, as parameter codes 1..=64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TapeAlert {
    /// Bit `n - 1` is flag `n`.
    pub flags: u64,
}

impl TapeAlert {
    /// Flag numbers that are set.
    pub fn active(&self) -> impl Iterator<Item = u8> + '_ {
        (1..=64u8).filter(|n| self.flags & (1u64 << (n - 1)) != 0)
    }

    /// True if any flag the TapeAlert specification marks critical is set (3 hard error,
    /// 4 media, 5 read failure, 6 write failure, 20 clean now, 31 hardware B, ...).
    pub fn critical(&self) -> bool {
        const CRITICAL: [u8; 12] = [3, 4, 5, 6, 7, 13, 14, 15, 16, 20, 30, 31];
        CRITICAL.iter().any(|n| self.flags & (1u64 << (n - 1)) != 0)
    }
}

/// Decodes LOG SENSE page 2Eh: 4-byte header (page code, page length at 2–3), then parameters
/// of `code(2) control(1) length(1) value`.
pub fn decode_tapealert(d: &[u8]) -> Result<TapeAlert, DecodeError> {
    need("TapeAlert log page", d, 4)?;
    if d[0] & 0x3f != 0x2e {
        return Err(DecodeError::Field {
            structure: "TapeAlert log page",
            field: "PAGE CODE",
            value: u64::from(d[0] & 0x3f),
        });
    }
    let end = (4 + usize::from(be16(d, 2))).min(d.len());
    let mut alert = TapeAlert::default();
    let mut at = 4;
    while at + 4 <= end {
        let code = be16(d, at);
        let len = usize::from(d[at + 3]);
        if len >= 1 && at + 4 < end && (1..=64).contains(&code) && d[at + 4] & 1 != 0 {
            alert.flags |= 1u64 << (code - 1);
        }
        at += 4 + len;
    }
    Ok(alert)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn flags_and_critical() {
        // Parameters 0003h (set), 0014h clean now (set), 0002h (clear).
        let d = hex!("2e 00 00 0f  00 03 00 01 01  00 14 00 01 01  00 02 00 01 00");
        let a = decode_tapealert(&d).unwrap();
        assert_eq!(a.active().collect::<Vec<_>>(), vec![3, 20]);
        assert!(a.critical());
        let calm = hex!("2e 00 00 05  00 25 00 01 01");
        let a = decode_tapealert(&calm).unwrap();
        assert_eq!(a.active().collect::<Vec<_>>(), vec![37]);
        assert!(!a.critical());
    }

    #[test]
    fn wrong_page_and_truncation() {
        assert!(decode_tapealert(&hex!("0d 00 00 00")).is_err());
        assert!(decode_tapealert(&hex!("2e 00")).is_err());
        // Length claims more than present: stops at the data.
        let a = decode_tapealert(&hex!("2e 00 00 ff 00 01 00 01")).unwrap();
        assert_eq!(a.flags, 0);
    }
}
