//! The two MTF checksums: the 16-bit XOR over header words (DBLK header, stream header, frame
//! header; mtf.md §2, §5.1, §5.4) and the 32-bit XOR of a `CSUM` stream (mtf.md §5.3).

/// XOR of the little-endian `u16` words of `bytes` (an odd trailing byte counts as a low byte).
pub fn xor16(bytes: &[u8]) -> u16 {
    let mut chunks = bytes.chunks_exact(2);
    let mut acc = 0u16;
    for c in &mut chunks {
        acc ^= u16::from_le_bytes([c[0], c[1]]);
    }
    if let [last] = chunks.remainder() {
        acc ^= u16::from(*last);
    }
    acc
}

/// Incremental `CSUM` value: XOR of the data read as little-endian `u32` words, a trailing partial
/// word zero-extended; independent of how the data are segmented (mtf.md §5.3, go-mtf `Checksum32`).
///
/// Works eight bytes at a time on the aligned part, so it runs near memory speed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Csum32 {
    acc: u32,
    /// Number of bytes seen so far, modulo 4.
    phase: u8,
}

impl Csum32 {
    /// A fresh checksum (value 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `data`, which continues the bytes added before.
    pub fn update(&mut self, mut data: &[u8]) {
        while self.phase != 0 {
            let Some((&b, rest)) = data.split_first() else {
                return;
            };
            self.acc ^= u32::from(b) << (8 * u32::from(self.phase));
            self.phase = (self.phase + 1) & 3;
            data = rest;
        }
        let mut wide = data.chunks_exact(8);
        let mut acc64 = 0u64;
        for c in &mut wide {
            acc64 ^= u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        }
        // Both halves of a u64 are whole u32 words in phase 0.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "splitting a u64 into its two u32 halves"
        )]
        {
            self.acc ^= (acc64 as u32) ^ ((acc64 >> 32) as u32);
        }
        for &b in wide.remainder() {
            self.acc ^= u32::from(b) << (8 * u32::from(self.phase));
            self.phase = (self.phase + 1) & 3;
        }
    }

    /// The checksum of everything added so far.
    pub fn value(&self) -> u32 {
        self.acc
    }
}

/// One-shot `CSUM` of `data`.
pub fn csum32(data: &[u8]) -> u32 {
    let mut c = Csum32::new();
    c.update(data);
    c.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(data: &[u8]) -> u32 {
        data.iter()
            .enumerate()
            .fold(0u32, |s, (i, &b)| s ^ (u32::from(b) << (8 * (i % 4))))
    }

    #[test]
    fn csum_is_segmentation_independent() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3).to_le_bytes()[0]).collect();
        for split in [0, 1, 2, 3, 5, 8, 13, 999, 1000] {
            let mut c = Csum32::new();
            c.update(&data[..split]);
            c.update(&data[split..]);
            assert_eq!(c.value(), naive(&data), "split {split}");
        }
    }

    #[test]
    fn xor16_of_pairs() {
        assert_eq!(xor16(&[0x01, 0x02, 0x10, 0x20]), 0x2211);
        assert_eq!(xor16(&[0xFF]), 0x00FF);
    }
}
