//! `LXMD`: our vendor stream carrying Unix metadata of files written from Linux.
//!
//! The ID is not in the spec's stream table (mtf.md §5.2), so independent readers skip it as an
//! unknown stream; it sits before the DBLK's `SPAD` like any other stream. Body (little-endian):
//!
//! | off | size | field |
//! |---|---|---|
//! | 0 | 2 | version (1) |
//! | 2 | 2 | fixed part length (64 in v1; later versions may grow it, readers skip the extra) |
//! | 4 | 1 | file type ([`UnixFileType`]) |
//! | 5 | 3 | reserved (0) |
//! | 8 | 4 | mode (`st_mode`, type and permission bits) |
//! | 12 | 4 | uid |
//! | 16 | 4 | gid |
//! | 20 | 12 | atime: i64 seconds + u32 nanoseconds |
//! | 32 | 12 | mtime |
//! | 44 | 12 | ctime |
//! | 56 | 8 | rdev |
//! | 64 | … | five byte strings, each `u32 length` + bytes: user name, group name, raw name, symlink target, hard-link target |
//! | … | … | `u32 count`, then per xattr `u32` + name bytes, `u32` + value bytes |
//!
//! Every length is checked against what remains and against [`UnixMeta::MAX_LEN`]; v1 bodies
//! must be consumed exactly.

use crate::error::DecodeError;
use crate::le::{to_u64, u8_at, u16_at, u32_at, u64_at};

/// Type of a Unix file system object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UnixFileType {
    /// Regular file.
    #[default]
    Regular,
    /// Directory.
    Directory,
    /// Symbolic link (target in [`UnixMeta::symlink_target`]).
    Symlink,
    /// Hard link to an earlier entry (path in [`UnixMeta::hardlink_target`]).
    HardLink,
    /// Named pipe.
    Fifo,
    /// Character device.
    CharDevice,
    /// Block device.
    BlockDevice,
    /// Socket.
    Socket,
    /// A code from a newer writer.
    Other(u8),
}

impl UnixFileType {
    fn code(self) -> u8 {
        match self {
            UnixFileType::Regular => 0,
            UnixFileType::Directory => 1,
            UnixFileType::Symlink => 2,
            UnixFileType::HardLink => 3,
            UnixFileType::Fifo => 4,
            UnixFileType::CharDevice => 5,
            UnixFileType::BlockDevice => 6,
            UnixFileType::Socket => 7,
            UnixFileType::Other(c) => c,
        }
    }

    fn from_code(c: u8) -> Self {
        match c {
            0 => UnixFileType::Regular,
            1 => UnixFileType::Directory,
            2 => UnixFileType::Symlink,
            3 => UnixFileType::HardLink,
            4 => UnixFileType::Fifo,
            5 => UnixFileType::CharDevice,
            6 => UnixFileType::BlockDevice,
            7 => UnixFileType::Socket,
            o => UnixFileType::Other(o),
        }
    }
}

/// A point in time: seconds since the epoch (signed) plus nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct UnixTime {
    /// Seconds since 1970-01-01 UTC.
    pub secs: i64,
    /// Nanoseconds (0..1e9 when produced by a sane source; not enforced).
    pub nanos: u32,
}

/// The decoded `LXMD` body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnixMeta {
    /// Object type.
    pub file_type: UnixFileType,
    /// `st_mode`.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Owner name (bytes; may be empty).
    pub user: Vec<u8>,
    /// Group name.
    pub group: Vec<u8>,
    /// Access time.
    pub atime: UnixTime,
    /// Modification time.
    pub mtime: UnixTime,
    /// Status change time.
    pub ctime: UnixTime,
    /// Device number for devices.
    pub rdev: u64,
    /// The exact name bytes (the UTF-16 name in the DBLK is lossy for non-UTF-8 names).
    pub name: Vec<u8>,
    /// Symlink target bytes.
    pub symlink_target: Vec<u8>,
    /// Path bytes of the earlier entry this one is a hard link to.
    pub hardlink_target: Vec<u8>,
    /// Extended attributes: (name, value).
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

const VERSION: u16 = 1;
const FIXED: usize = 64;

impl UnixMeta {
    /// Largest body accepted or produced (bounds reader allocations).
    pub const MAX_LEN: usize = 16 * 1024 * 1024;

    /// Encodes the body.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(FIXED + 64 + self.name.len());
        v.extend(VERSION.to_le_bytes());
        v.extend(u16::try_from(FIXED).unwrap_or(0).to_le_bytes());
        v.extend([self.file_type.code(), 0, 0, 0]);
        for x in [self.mode, self.uid, self.gid] {
            v.extend(x.to_le_bytes());
        }
        for t in [self.atime, self.mtime, self.ctime] {
            v.extend(t.secs.to_le_bytes());
            v.extend(t.nanos.to_le_bytes());
        }
        v.extend(self.rdev.to_le_bytes());
        for s in [
            &self.user,
            &self.group,
            &self.name,
            &self.symlink_target,
            &self.hardlink_target,
        ] {
            put_bytes(&mut v, s);
        }
        v.extend(
            u32::try_from(self.xattrs.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        for (n, val) in &self.xattrs {
            put_bytes(&mut v, n);
            put_bytes(&mut v, val);
        }
        v
    }

    /// Decodes a whole body.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        if b.len() > Self::MAX_LEN {
            return Err(DecodeError::FieldRange {
                field: "LXMD.length",
                value: to_u64(b.len()),
            });
        }
        if b.len() < FIXED {
            return Err(DecodeError::MissingData("LXMD"));
        }
        let version = u16_at(b, 0);
        let fixed = usize::from(u16_at(b, 2));
        if version == 0 {
            return Err(DecodeError::Version {
                structure: "LXMD",
                version: 0,
            });
        }
        if fixed < FIXED || (version == VERSION && fixed != FIXED) || fixed > b.len() {
            return Err(DecodeError::FieldRange {
                field: "LXMD.fixed_length",
                value: to_u64(fixed),
            });
        }
        let time = |off: usize| UnixTime {
            secs: i64::from_le_bytes(crate::le::arr(b, off)),
            nanos: u32_at(b, off + 8),
        };
        let mut m = UnixMeta {
            file_type: UnixFileType::from_code(u8_at(b, 4)),
            mode: u32_at(b, 8),
            uid: u32_at(b, 12),
            gid: u32_at(b, 16),
            atime: time(20),
            mtime: time(32),
            ctime: time(44),
            rdev: u64_at(b, 56),
            ..UnixMeta::default()
        };
        let mut cur = Cursor { b, pos: fixed };
        m.user = cur.bytes("LXMD.user")?;
        m.group = cur.bytes("LXMD.group")?;
        m.name = cur.bytes("LXMD.name")?;
        m.symlink_target = cur.bytes("LXMD.symlink_target")?;
        m.hardlink_target = cur.bytes("LXMD.hardlink_target")?;
        let count = cur.u32("LXMD.xattr_count")?;
        for _ in 0..count {
            let n = cur.bytes("LXMD.xattr_name")?;
            let v = cur.bytes("LXMD.xattr_value")?;
            m.xattrs.push((n, v));
        }
        if version == VERSION && cur.pos != b.len() {
            return Err(DecodeError::TrailingData("LXMD"));
        }
        Ok(m)
    }
}

fn put_bytes(v: &mut Vec<u8>, s: &[u8]) {
    v.extend(u32::try_from(s.len()).unwrap_or(u32::MAX).to_le_bytes());
    v.extend_from_slice(s);
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        if self.b.len().saturating_sub(self.pos) < 4 {
            return Err(DecodeError::FieldRange {
                field,
                value: to_u64(self.pos),
            });
        }
        let v = u32_at(self.b, self.pos);
        self.pos += 4;
        Ok(v)
    }

    fn bytes(&mut self, field: &'static str) -> Result<Vec<u8>, DecodeError> {
        let n = usize::try_from(self.u32(field)?).unwrap_or(usize::MAX);
        let rest = self.b.get(self.pos..).unwrap_or(&[]);
        let out = rest.get(..n).ok_or(DecodeError::FieldRange {
            field,
            value: to_u64(n),
        })?;
        self.pos += n;
        Ok(out.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let m = UnixMeta {
            file_type: UnixFileType::Symlink,
            mode: 0o120_777,
            uid: 1000,
            gid: 100,
            user: b"alice".to_vec(),
            name: vec![0xFF, b'x'],
            symlink_target: b"../t".to_vec(),
            mtime: UnixTime {
                secs: -5,
                nanos: 999_999_999,
            },
            xattrs: vec![(b"user.a".to_vec(), vec![0, 1, 2])],
            ..UnixMeta::default()
        };
        let b = m.encode();
        assert_eq!(UnixMeta::decode(&b).unwrap(), m);
        for n in 0..b.len() {
            assert!(UnixMeta::decode(&b[..n]).is_err(), "prefix {n}");
        }
    }
}
