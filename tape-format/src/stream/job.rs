//! `LXJB`: our vendor stream on a set's `SSET`, naming the job that wrote the set and the paths it
//! selected. MTF has no field for either (the SSET's Data Set Name is NTBackup's "Set created …"
//! text), yet a catalog rebuilt from the tapes needs both: a chain of incremental sets is the last
//! normal set *of the same job* and what follows it, and the archive state is kept per selected
//! root. Other readers skip the stream as unknown (mtf.md §5.1: unknown stream IDs are carried
//! as opaque data), like `LXMD` and `LXDD`.
//!
//! Body (little-endian), every length checked against what remains:
//!
//! | off | size | field |
//! |---|---|---|
//! | 0 | 2 | version (1) |
//! | 2 | 2 | reserved (0; readers ignore it) |
//! | 4 | 4 | job name length `n` |
//! | 8 | n | job name, UTF-8 |
//! | 8 + n | 4 | number of roots `k` |
//! | … | … | `k` × (`u32` length + raw path bytes, as given to the job) |
//!
//! A v1 body must be consumed exactly.

use crate::error::DecodeError;
use crate::le::{to_u64, u16_at, u32_at};

const VERSION: u16 = 1;

/// The job of a data set, as the `LXJB` stream carries it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobInfo {
    /// The job's name (NTBackup `/J`).
    pub name: String,
    /// The paths the job selected, raw bytes (a Linux path may be any bytes but NUL).
    pub roots: Vec<Vec<u8>>,
}

/// Reads a `u32` length and that many bytes at `*pos`, advancing it.
fn take<'b>(b: &'b [u8], pos: &mut usize, what: &'static str) -> Result<&'b [u8], DecodeError> {
    let head = b
        .get(*pos..*pos + 4)
        .ok_or(DecodeError::MissingData(what))?;
    let len = u32_at(head, 0);
    let start = *pos + 4;
    let body = usize::try_from(len)
        .ok()
        .and_then(|l| b.get(start..start.checked_add(l)?))
        .ok_or(DecodeError::MissingData(what))?;
    *pos = start + body.len();
    Ok(body)
}

/// Writes a `u32` length and the bytes (cut at 4 GiB, far beyond anything a job selects).
fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend(len.to_le_bytes());
    out.extend_from_slice(&bytes[..usize::try_from(len).unwrap_or(bytes.len())]);
}

impl JobInfo {
    /// Largest body accepted (a selection of many long roots still fits with room to spare).
    pub const MAX_LEN: usize = 16 * 1024 * 1024;

    /// Encodes the body.
    pub fn encode(&self) -> Vec<u8> {
        let size: usize = self.roots.iter().map(|r| 4 + r.len()).sum();
        let mut v = Vec::with_capacity(12 + self.name.len() + size);
        v.extend(VERSION.to_le_bytes());
        v.extend(0u16.to_le_bytes());
        put(&mut v, self.name.as_bytes());
        v.extend(
            u32::try_from(self.roots.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        for r in &self.roots {
            put(&mut v, r);
        }
        v
    }

    /// Decodes a whole body.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        if b.len() > Self::MAX_LEN {
            return Err(DecodeError::FieldRange {
                field: "LXJB.length",
                value: to_u64(b.len()),
            });
        }
        if b.len() < 4 {
            return Err(DecodeError::MissingData("LXJB"));
        }
        let version = u16_at(b, 0);
        if version != VERSION {
            return Err(DecodeError::Version {
                structure: "LXJB",
                version: u64::from(version),
            });
        }
        let mut pos = 4;
        let name = take(b, &mut pos, "LXJB job name")?;
        let name = std::str::from_utf8(name)
            .map_err(|e| DecodeError::FieldRange {
                field: "LXJB.name (not UTF-8)",
                value: to_u64(e.valid_up_to()),
            })?
            .to_owned();
        let count = b
            .get(pos..pos + 4)
            .map(|h| u32_at(h, 0))
            .ok_or(DecodeError::MissingData("LXJB root count"))?;
        pos += 4;
        // Each root takes at least its 4-byte length: a count beyond that is damage, and
        // nothing is allocated for it.
        let room = (b.len() - pos) / 4;
        let count = match usize::try_from(count) {
            Ok(c) if c <= room => c,
            _ => {
                return Err(DecodeError::FieldRange {
                    field: "LXJB.roots",
                    value: u64::from(count),
                });
            }
        };
        let mut roots = Vec::with_capacity(count);
        for _ in 0..count {
            roots.push(take(b, &mut pos, "LXJB root")?.to_vec());
        }
        if pos != b.len() {
            return Err(DecodeError::TrailingData("LXJB"));
        }
        Ok(Self { name, roots })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn layout_is_as_documented() {
        let j = JobInfo {
            name: "nightly".into(),
            roots: vec![b"/home".to_vec(), b"rel\xff".to_vec()],
        };
        let b = j.encode();
        assert_eq!(&b[..4], &[1, 0, 0, 0], "version 1, reserved 0");
        assert_eq!(&b[4..8], &7u32.to_le_bytes());
        assert_eq!(&b[8..15], b"nightly");
        assert_eq!(&b[15..19], &2u32.to_le_bytes());
        assert_eq!(&b[19..23], &5u32.to_le_bytes());
        assert_eq!(&b[23..28], b"/home");
        assert_eq!(b.len(), 28 + 4 + 4);
        assert_eq!(JobInfo::decode(&b).unwrap(), j);
    }

    #[test]
    fn damage_is_an_error_naming_the_stream() {
        let mut b = JobInfo {
            name: "j".into(),
            roots: vec![b"/".to_vec()],
        }
        .encode();
        b[0] = 2;
        assert!(matches!(
            JobInfo::decode(&b),
            Err(DecodeError::Version {
                structure: "LXJB",
                ..
            })
        ));
        let mut huge = JobInfo::default().encode();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(JobInfo::decode(&huge).is_err(), "an absurd root count");
        let mut bad_name = JobInfo {
            name: "ab".into(),
            roots: Vec::new(),
        }
        .encode();
        bad_name[8] = 0xFF;
        assert!(
            JobInfo::decode(&bad_name).is_err(),
            "a name that is not UTF-8"
        );
        let mut trailing = JobInfo::default().encode();
        trailing.push(0);
        assert_eq!(
            JobInfo::decode(&trailing),
            Err(DecodeError::TrailingData("LXJB"))
        );
    }

    proptest! {
        #[test]
        fn round_trip_and_every_prefix_is_refused(
            name in ".{0,40}",
            roots in proptest::collection::vec(proptest::collection::vec(1u8..=255, 0..60), 0..8),
        ) {
            let j = JobInfo { name, roots };
            let bytes = j.encode();
            prop_assert_eq!(JobInfo::decode(&bytes).unwrap(), j);
            for cut in 0..bytes.len() {
                prop_assert!(JobInfo::decode(&bytes[..cut]).is_err());
            }
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = JobInfo::decode(&bytes);
        }

        #[test]
        fn decoding_a_damaged_body_never_panics(
            roots in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..4),
            at in any::<prop::sample::Index>(),
            value in any::<u8>(),
        ) {
            let mut bytes = JobInfo { name: "job".into(), roots }.encode();
            let i = at.index(bytes.len());
            bytes[i] = value;
            let _ = JobInfo::decode(&bytes);
        }
    }
}
