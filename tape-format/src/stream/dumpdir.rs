//! `LXDD`: our vendor stream holding a directory's listing at backup time — the names of the
//! objects backed up under it, whether or not this set carries their data. An incremental or
//! differential set carries only what changed; its listings say what else existed, so a restore
//! of a chain of sets can leave out what was deleted (the idea of GNU tar's "dumpdir"). Other
//! readers skip the stream.
//!
//! Body (little-endian): `u16` version (1), `u32` count, then per entry `u8` kind (`b'D'`
//! directory, `b'F'` anything else), `u16` name length, name bytes. Every length is checked;
//! the body must be consumed exactly.

use crate::error::DecodeError;
use crate::le::{to_u64, u16_at, u32_at};

const VERSION: u16 = 1;

/// One name in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DumpEntry {
    /// The name's bytes (a Linux name: any bytes but `/` and NUL).
    pub name: Vec<u8>,
    /// It is a directory.
    pub directory: bool,
}

/// A directory's listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DumpDir {
    /// The entries, in the order written (sorted by name by our writer).
    pub entries: Vec<DumpEntry>,
}

impl DumpDir {
    /// Largest body accepted.
    pub const MAX_LEN: usize = 64 * 1024 * 1024;

    /// Encodes the body. Names longer than 65535 bytes cannot occur on Linux (NAME_MAX is 255)
    /// and are cut there.
    pub fn encode(&self) -> Vec<u8> {
        let size: usize = self.entries.iter().map(|e| 3 + e.name.len()).sum();
        let mut v = Vec::with_capacity(6 + size);
        v.extend(VERSION.to_le_bytes());
        v.extend(
            u32::try_from(self.entries.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        for e in &self.entries {
            let name = &e.name[..e.name.len().min(usize::from(u16::MAX))];
            v.push(if e.directory { b'D' } else { b'F' });
            v.extend(u16::try_from(name.len()).unwrap_or(u16::MAX).to_le_bytes());
            v.extend_from_slice(name);
        }
        v
    }

    /// Decodes a whole body.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        if b.len() > Self::MAX_LEN {
            return Err(DecodeError::FieldRange {
                field: "LXDD.length",
                value: to_u64(b.len()),
            });
        }
        if b.len() < 6 {
            return Err(DecodeError::MissingData("LXDD"));
        }
        let version = u16_at(b, 0);
        if version != VERSION {
            return Err(DecodeError::Version {
                structure: "LXDD",
                version: u64::from(version),
            });
        }
        let count = u32_at(b, 2);
        let mut pos = 6;
        let mut entries = Vec::with_capacity(usize::try_from(count).unwrap_or(0).min(b.len() / 3));
        for _ in 0..count {
            let Some(head) = b.get(pos..pos + 3) else {
                return Err(DecodeError::MissingData("LXDD entry"));
            };
            let directory = match head[0] {
                b'D' => true,
                b'F' => false,
                other => {
                    return Err(DecodeError::FieldRange {
                        field: "LXDD.kind",
                        value: u64::from(other),
                    });
                }
            };
            let len = usize::from(u16::from_le_bytes([head[1], head[2]]));
            let Some(name) = b.get(pos + 3..pos + 3 + len) else {
                return Err(DecodeError::MissingData("LXDD name"));
            };
            entries.push(DumpEntry {
                name: name.to_vec(),
                directory,
            });
            pos += 3 + len;
        }
        if pos != b.len() {
            return Err(DecodeError::TrailingData("LXDD"));
        }
        Ok(Self { entries })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn round_trip_and_every_prefix_is_refused(names in proptest::collection::vec((proptest::collection::vec(1u8..=255, 1..40), any::<bool>()), 0..20)) {
            let d = DumpDir { entries: names.into_iter().map(|(name, directory)| DumpEntry { name, directory }).collect() };
            let bytes = d.encode();
            prop_assert_eq!(DumpDir::decode(&bytes).unwrap(), d);
            for cut in 0..bytes.len() {
                prop_assert!(DumpDir::decode(&bytes[..cut]).is_err());
            }
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = DumpDir::decode(&bytes);
        }
    }
}
