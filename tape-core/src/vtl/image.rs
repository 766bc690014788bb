//! The cartridge image: one file per virtual cartridge.
//!
//! ```text
//! offset 0   image header, 64 bytes
//!   0  8  magic "NTBKVTI1"
//!   8  4  format version (u32 LE) = 1
//!  12  4  reserved, 0
//!  16  8  synced length (u64 LE): image bytes made durable by the last flush
//!  24 36  reserved, 0
//!  60  4  CRC-32C of bytes 0..60
//! offset 64  records, back to back, each:
//!   0  4  magic "VBLK" (data block) or "VFMK" (filemark)
//!   4  4  data length (u32 LE); 0 for a filemark
//!   8  4  object number (u32 LE, low 32 bits of the record's block address)
//!  12  4  CRC-32C of bytes 0..12 and of the data
//!  16  …  data
//! ```
//!
//! Crash safety: records are appended; a flush (filemark, rewind, unload, close) syncs the data
//! and then records the synced length in the header. On mount every record is checked for a
//! sane header that lies within the file, and every record past the synced length also has its
//! CRC verified, so a record torn by a crash is found and reported with what it cost; everything
//! before it stays readable. Records before the synced length are verified when read.
//!
//! Capacity: a record occupies its data length plus 16 bytes of the cartridge's capacity (the
//! inter-record gap of a real tape); a filemark occupies 16 bytes.

use std::fs::{File, OpenOptions};
use std::io::{IoSlice, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::DeviceError;

const IMAGE_HEADER: usize = 64;
const RECORD_HEADER: usize = 16;
/// Bytes before the first record.
pub(crate) const IMAGE_HEADER_LEN: u64 = IMAGE_HEADER as u64;
/// Bytes of header per record.
pub(crate) const RECORD_HEADER_LEN: u64 = RECORD_HEADER as u64;
/// Largest block the virtual drive accepts (and the largest record a scan believes).
pub(crate) const MAX_BLOCK: usize = 16 << 20;

const IMAGE_MAGIC: &[u8; 8] = b"NTBKVTI1";
const BLOCK_MAGIC: &[u8; 4] = b"VBLK";
const MARK_MAGIC: &[u8; 4] = b"VFMK";
const FORMAT_VERSION: u32 = 1;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectKind {
    Block,
    Filemark,
}

/// One record in the index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Object {
    pub(crate) offset: u64,
    pub(crate) len: u32,
    pub(crate) kind: ObjectKind,
}

/// The unreadable tail of an image found at mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Block address of the first damaged record.
    pub(crate) object: u64,
    /// Byte offset of the damaged record in the image.
    pub(crate) offset: u64,
    /// Bytes from there to the end of the image file.
    pub(crate) bytes: u64,
    /// What is wrong with it.
    pub(crate) reason: String,
}

impl Damage {
    pub(crate) fn describe(&self) -> String {
        format!(
            "record {} is damaged ({}); {} bytes from image offset {} are unreadable and will be \
             discarded by the next write there; earlier records are intact",
            self.object, self.reason, self.bytes, self.offset
        )
    }
}

/// An open cartridge image with its record index.
#[derive(Debug)]
pub(crate) struct Image {
    file: File,
    path: PathBuf,
    objects: Vec<Object>,
    end: u64,
    synced_len: u64,
    damage: Option<Damage>,
    cursor: Option<u64>,
}

fn io_err(path: &Path, what: &str, e: std::io::Error) -> DeviceError {
    DeviceError::io(format!("{what} cartridge image {}", path.display()), e)
}

fn header_bytes(synced_len: u64) -> [u8; IMAGE_HEADER] {
    let mut h = [0u8; IMAGE_HEADER];
    h[0..8].copy_from_slice(IMAGE_MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&synced_len.to_le_bytes());
    let crc = crc32c::crc32c(&h[0..60]);
    h[60..64].copy_from_slice(&crc.to_le_bytes());
    h
}

fn record_header(kind: ObjectKind, data: &[u8], object: u64) -> [u8; RECORD_HEADER] {
    let mut h = [0u8; RECORD_HEADER];
    h[0..4].copy_from_slice(match kind {
        ObjectKind::Block => BLOCK_MAGIC,
        ObjectKind::Filemark => MARK_MAGIC,
    });
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    h[4..8].copy_from_slice(&len.to_le_bytes());
    h[8..12].copy_from_slice(&object_tag(object).to_le_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&h[0..12]), data);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    h
}

/// The low 32 bits of a block address, as stored in a record header.
#[allow(clippy::cast_possible_truncation)] // the low 32 bits are what is stored
fn object_tag(object: u64) -> u32 {
    object as u32
}

/// A parsed record header.
struct RecordHeader {
    kind: ObjectKind,
    len: u32,
    tag: u32,
    crc: u32,
}

fn parse_record_header(h: &[u8; RECORD_HEADER]) -> Option<RecordHeader> {
    let word = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let kind = match &h[0..4] {
        m if m == BLOCK_MAGIC => ObjectKind::Block,
        m if m == MARK_MAGIC => ObjectKind::Filemark,
        _ => return None,
    };
    let len = word(4);
    let sane = match kind {
        ObjectKind::Block => len >= 1 && len as usize <= MAX_BLOCK,
        ObjectKind::Filemark => len == 0,
    };
    sane.then(|| RecordHeader {
        kind,
        len,
        tag: word(8),
        crc: word(12),
    })
}

fn crc_matches(h: &[u8; RECORD_HEADER], data: &[u8], stored: u32) -> bool {
    crc32c::crc32c_append(crc32c::crc32c(&h[0..12]), data) == stored
}

impl Image {
    /// Creates an empty image; fails if the file exists.
    pub(crate) fn create(path: &Path) -> Result<(), DeviceError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| io_err(path, "creating", e))?;
        file.write_all_at(&header_bytes(IMAGE_HEADER_LEN), 0)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_err(path, "writing", e))
    }

    /// Opens an image, locks it for this process and builds its index.
    pub(crate) fn open(path: &Path) -> Result<Self, DeviceError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io_err(path, "opening", e))?;
        if let Err(e) = file.try_lock() {
            return Err(match e {
                std::fs::TryLockError::WouldBlock => DeviceError::NotReady(format!(
                    "cartridge image {} is held by another drive handle",
                    path.display()
                )),
                std::fs::TryLockError::Error(e) => io_err(path, "locking", e),
            });
        }
        let mut header = [0u8; IMAGE_HEADER];
        file.read_exact_at(&mut header, 0)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => not_an_image(path, "shorter than its header"),
                _ => io_err(path, "reading", e),
            })?;
        let synced_len = parse_image_header(&header)
            .ok_or_else(|| not_an_image(path, "bad magic, version or header checksum"))?;
        let mut image = Self {
            file,
            path: path.to_owned(),
            objects: Vec::new(),
            end: IMAGE_HEADER_LEN,
            synced_len,
            damage: None,
            cursor: None,
        };
        image.scan()?;
        Ok(image)
    }

    fn scan(&mut self) -> Result<(), DeviceError> {
        let file_len = self
            .file
            .metadata()
            .map_err(|e| io_err(&self.path, "reading", e))?
            .len();
        let mut offset = IMAGE_HEADER_LEN;
        let mut data = Vec::new();
        while offset < file_len {
            let object = self.objects.len() as u64;
            match self.check_record(offset, file_len, object, &mut data)? {
                Ok(record) => {
                    self.objects.push(Object {
                        offset,
                        len: record.len,
                        kind: record.kind,
                    });
                    offset += RECORD_HEADER_LEN + u64::from(record.len);
                }
                Err(reason) => {
                    self.damage = Some(Damage {
                        object,
                        offset,
                        bytes: file_len - offset,
                        reason,
                    });
                    break;
                }
            }
        }
        self.end = offset;
        Ok(())
    }

    /// Checks the record at `offset`: `Ok(Err(reason))` when it is damaged.
    fn check_record(
        &self,
        offset: u64,
        file_len: u64,
        object: u64,
        data: &mut Vec<u8>,
    ) -> Result<Result<RecordHeader, String>, DeviceError> {
        if offset + RECORD_HEADER_LEN > file_len {
            return Ok(Err(
                "the image ends inside its header: torn by a crash".into()
            ));
        }
        let mut h = [0u8; RECORD_HEADER];
        self.read_at(&mut h, offset)?;
        let Some(record) = parse_record_header(&h) else {
            return Ok(Err("unrecognisable record header".into()));
        };
        if record.tag != object_tag(object) {
            return Ok(Err(format!(
                "record header names block {} (low 32 bits)",
                record.tag
            )));
        }
        let record_end = offset + RECORD_HEADER_LEN + u64::from(record.len);
        if record_end > file_len {
            return Ok(Err("the image ends inside its data: torn by a crash".into()));
        }
        if record_end > self.synced_len {
            data.resize(record.len as usize, 0);
            self.read_at(data, offset + RECORD_HEADER_LEN)?;
            if !crc_matches(&h, data, record.crc) {
                return Ok(Err(
                    "checksum mismatch in a record written after the last flush: \
                               torn by a crash"
                        .into(),
                ));
            }
        }
        Ok(Ok(record))
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<(), DeviceError> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| io_err(&self.path, "reading", e))
    }

    /// Number of objects (blocks and filemarks) up to the end of data.
    pub(crate) fn len(&self) -> u64 {
        self.objects.len() as u64
    }

    /// The object at `address`.
    pub(crate) fn object(&self, address: u64) -> Option<Object> {
        usize::try_from(address)
            .ok()
            .and_then(|i| self.objects.get(i))
            .copied()
    }

    /// Damage found at mount that has not been overwritten yet.
    pub(crate) fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    /// Capacity used by the objects before `address` (clamped to the end of data).
    pub(crate) fn used_before(&self, address: u64) -> u64 {
        self.object(address).map_or(self.end, |o| o.offset) - IMAGE_HEADER_LEN
    }

    /// Capacity used up to the end of data.
    pub(crate) fn used(&self) -> u64 {
        self.end - IMAGE_HEADER_LEN
    }

    /// Number of filemarks before `address`.
    pub(crate) fn filemarks_before(&self, address: u64) -> u64 {
        let n = usize::try_from(address)
            .unwrap_or(usize::MAX)
            .min(self.objects.len());
        self.objects[..n]
            .iter()
            .filter(|o| o.kind == ObjectKind::Filemark)
            .count() as u64
    }

    /// Makes `address` the end of data, discarding what follows (including damage).
    pub(crate) fn truncate(&mut self, address: u64) -> Result<(), DeviceError> {
        if address >= self.len() && self.damage.is_none() {
            return Ok(());
        }
        let keep = usize::try_from(address)
            .unwrap_or(usize::MAX)
            .min(self.objects.len());
        self.end = self.objects.get(keep).map_or(self.end, |o| o.offset);
        self.objects.truncate(keep);
        self.damage = None;
        self.file
            .set_len(self.end)
            .map_err(|e| io_err(&self.path, "truncating", e))?;
        self.cursor = None;
        if self.synced_len > self.end {
            // Records written later above this point have not been synced: make the next mount
            // verify them.
            self.synced_len = self.end;
            self.write_header()?;
        }
        Ok(())
    }

    /// Appends a record at the end of data.
    pub(crate) fn append(&mut self, kind: ObjectKind, data: &[u8]) -> Result<(), DeviceError> {
        let object = self.len();
        let header = record_header(kind, data, object);
        if self.cursor != Some(self.end) {
            self.file
                .seek(SeekFrom::Start(self.end))
                .map_err(|e| io_err(&self.path, "seeking in", e))?;
        }
        self.cursor = None;
        if crate::crashpoint::reached("vtl.record.torn") {
            // The power fails halfway through the record: its first half is in the image.
            let half = (header.len() + data.len()) / 2;
            let (h, d) = if half < header.len() {
                (&header[..half], &data[..0])
            } else {
                (&header[..], &data[..half - header.len()])
            };
            let _ = write_all_vectored(&mut self.file, h, d);
            crate::crashpoint::crash("vtl.record.torn");
        }
        write_all_vectored(&mut self.file, &header, data)
            .map_err(|e| io_err(&self.path, "writing", e))?;
        crate::crashpoint::hit("vtl.record.written");
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        self.objects.push(Object {
            offset: self.end,
            len,
            kind,
        });
        self.end += RECORD_HEADER_LEN + u64::from(len);
        self.cursor = Some(self.end);
        Ok(())
    }

    /// Reads the data block at `address` into `buf`, verifying its CRC; returns its length.
    pub(crate) fn read_block(
        &self,
        object: Object,
        address: u64,
        buf: &mut [u8],
    ) -> Result<usize, ReadFailure> {
        let len = object.len as usize;
        if len > buf.len() {
            return Err(ReadFailure::TooLarge(len));
        }
        let mut h = [0u8; RECORD_HEADER];
        self.read_at(&mut h, object.offset)
            .map_err(ReadFailure::Device)?;
        let header_ok = parse_record_header(&h).is_some_and(|r| {
            r.len == object.len && r.tag == object_tag(address) && r.kind == object.kind
        });
        if !header_ok {
            return Err(ReadFailure::Corrupt("record header damaged".into()));
        }
        let stored = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
        self.read_at(&mut buf[..len], object.offset + RECORD_HEADER_LEN)
            .map_err(ReadFailure::Device)?;
        if !crc_matches(&h, &buf[..len], stored) {
            return Err(ReadFailure::Corrupt(
                "record checksum mismatch: the data on the cartridge changed after it was written"
                    .into(),
            ));
        }
        Ok(len)
    }

    /// Makes everything written so far durable and records that in the header.
    pub(crate) fn sync(&mut self) -> Result<(), DeviceError> {
        if self.synced_len == self.end {
            return Ok(());
        }
        self.file
            .sync_data()
            .map_err(|e| io_err(&self.path, "syncing", e))?;
        self.synced_len = self.end;
        self.write_header()?;
        self.file
            .sync_data()
            .map_err(|e| io_err(&self.path, "syncing", e))
    }

    fn write_header(&mut self) -> Result<(), DeviceError> {
        self.file
            .write_all_at(&header_bytes(self.synced_len), 0)
            .map_err(|e| io_err(&self.path, "writing the header of", e))
    }
}

/// Why a read failed.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    TooLarge(usize),
    Corrupt(String),
    Device(DeviceError),
}

fn not_an_image(path: &Path, why: &str) -> DeviceError {
    DeviceError::IncompatibleMedium(format!(
        "{} is not a virtual cartridge image ({why})",
        path.display()
    ))
}

fn parse_image_header(h: &[u8; IMAGE_HEADER]) -> Option<u64> {
    let crc = u32::from_le_bytes([h[60], h[61], h[62], h[63]]);
    let version = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    let mut synced = [0u8; 8];
    synced.copy_from_slice(&h[16..24]);
    let ok =
        &h[0..8] == IMAGE_MAGIC && version == FORMAT_VERSION && crc32c::crc32c(&h[0..60]) == crc;
    ok.then(|| u64::from_le_bytes(synced).max(IMAGE_HEADER_LEN))
}

/// Writes header and data with as few system calls as possible (one `writev` normally).
fn write_all_vectored(file: &mut File, header: &[u8], data: &[u8]) -> std::io::Result<()> {
    let total = header.len() + data.len();
    let mut done = 0;
    while done < total {
        let n = if done < header.len() {
            file.write_vectored(&[IoSlice::new(&header[done..]), IoSlice::new(data)])?
        } else {
            file.write(&data[done - header.len()..])?
        };
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        done += n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_with(path: &Path, blocks: &[&[u8]], sync: bool) {
        Image::create(path).unwrap();
        let mut image = Image::open(path).unwrap();
        for b in blocks {
            image.append(ObjectKind::Block, b).unwrap();
        }
        if sync {
            image.sync().unwrap();
        }
    }

    #[test]
    fn garbage_in_an_unsynced_last_record_is_found_at_mount() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.vtape");
        image_with(&path, &[b"first", b"second", b"third!"], false);
        // A crash can leave a record of the right length whose bytes never reached the disk.
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 2] ^= 0xFF;
        std::fs::write(&path, &bytes).unwrap();
        let image = Image::open(&path).unwrap();
        assert_eq!(image.len(), 2);
        let damage = image.damage().unwrap();
        assert_eq!((damage.object, damage.bytes), (2, 16 + 6));
        assert!(damage.reason.contains("checksum"));
    }

    #[test]
    fn synced_records_are_trusted_at_mount_and_verified_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.vtape");
        image_with(&path, &[b"first", b"second"], true);
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let image = Image::open(&path).unwrap();
        assert_eq!((image.len(), image.damage()), (2, None));
        let mut buf = [0u8; 16];
        let obj = image.object(1).unwrap();
        assert!(matches!(
            image.read_block(obj, 1, &mut buf),
            Err(ReadFailure::Corrupt(_))
        ));
    }

    #[test]
    fn a_record_header_naming_the_wrong_block_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.vtape");
        image_with(&path, &[b"a", b"b"], true);
        let mut bytes = std::fs::read(&path).unwrap();
        // The second record's object number field.
        bytes[64 + 16 + 1 + 8] = 7;
        std::fs::write(&path, &bytes).unwrap();
        let image = Image::open(&path).unwrap();
        assert_eq!(image.len(), 1);
        assert!(image.damage().unwrap().reason.contains("names block 7"));
    }
}
