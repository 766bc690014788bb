//! [`Craft`]: a hand assembler for `.bkf` media whose every byte the caller controls.
//!
//! The writer refuses to produce what a hostile medium needs (a stream header announcing more
//! bytes than follow, a name that is not valid UTF-16, a checksum that lies), so crafted media are
//! laid out block by block here, in the layout our writer uses for files (mtf.md §11.1, §12):
//! 1 KiB format logical blocks, `TAPE` + `SPAD`, soft filemarks (`SFMB`) after the medium header
//! and around each set's `ESET`, every descriptor padded with `SPAD` to the next FLB. Headers
//! always carry correct checksums unless a case breaks one on purpose afterwards.

use crate::attrs::{
    BlockAttributes, DirAttributes, FileAttributes, SetAttributes, StreamMediaAttributes,
    TapeAttributes, VolumeAttributes,
};
use crate::block::{Body, Dblk, Dirb, Eset, File, Sfmb, Sset, Tape, Volb};
use crate::checksum::Csum32;
use crate::date::MtfDate;
use crate::ids::StreamId;
use crate::stream::StreamHeader;
use crate::stream::unix::UnixMeta;
use crate::strings::StringType;

/// The format logical block (and physical block) size of crafted media.
pub const FLB: usize = 1024;

/// A fixed date, so crafted media are identical on every run.
pub const DATE: MtfDate = MtfDate {
    year: 2024,
    month: 5,
    day: 17,
    hour: 13,
    minute: 45,
    second: 30,
};

/// One stream of a descriptor: its header as stored (the length may lie) and the bytes that
/// actually follow it.
pub type RawStream = (StreamHeader, Vec<u8>);

/// A `.bkf` medium being assembled.
#[derive(Debug, Clone)]
pub struct Craft {
    out: Vec<u8>,
    /// PBAs of the soft filemarks written so far, newest first.
    filemarks: Vec<u32>,
    cbid: u32,
    dir_id: u32,
    file_id: u32,
    set: u16,
}

/// UTF-16LE bytes of `s` (what our writer stores).
pub fn utf16(s: &str) -> Vec<u8> {
    StringType::Unicode.encode(s)
}

/// A DIRB name: the UTF-16 components each followed by a NUL (mtf.md §4.4).
pub fn utf16_path(components: &[&str]) -> Vec<u8> {
    StringType::Unicode.encode_path(components)
}

/// The streams of a file's data as our writer stores them: `STAN` marked checksummed, then a
/// `CSUM` of `csum` (the true value unless a case lies).
pub fn stan_with_csum(data: &[u8], csum: Option<u32>) -> Vec<RawStream> {
    let mut header = StreamHeader::new(StreamId::STAN, data.len() as u64);
    header.media_attributes |= StreamMediaAttributes::CHECKSUMED;
    let mut c = Csum32::new();
    c.update(data);
    let value = csum.unwrap_or(c.value());
    vec![
        (header, data.to_vec()),
        (
            StreamHeader::new(StreamId::CSUM, 4),
            value.to_le_bytes().to_vec(),
        ),
    ]
}

/// An `LXMD` stream carrying `meta`.
pub fn lxmd(meta: &UnixMeta) -> RawStream {
    let body = meta.encode();
    (StreamHeader::new(StreamId::LXMD, body.len() as u64), body)
}

impl Craft {
    /// Medium `sequence` of `family`: `TAPE`, `SPAD`, soft filemark.
    pub fn new(family: u32, sequence: u16) -> Self {
        let mut c = Craft {
            out: Vec::new(),
            filemarks: Vec::new(),
            cbid: 0,
            dir_id: 0,
            file_id: 0,
            set: 0,
        };
        let tape = Tape {
            media_family_id: family,
            attributes: TapeAttributes::SOFT_FILEMARK,
            media_sequence: sequence,
            soft_filemark_size: u16::try_from(FLB / 512).unwrap_or(2),
            media_name: utf16("Crafted medium"),
            software_name: utf16("ntbackup-rs hostile suite"),
            flb_size: u16::try_from(FLB).unwrap_or(1024),
            media_date: DATE,
            major_version: 1,
            ..Tape::default()
        };
        let mut d = Dblk::new(Body::Tape(tape));
        if sequence > 1 {
            d.header.attributes |= BlockAttributes::CONTINUATION;
        }
        c.put_at(d, 0, 0, &[]);
        c.soft_filemark();
        c
    }

    /// Position (physical block address) of the next block.
    pub fn pba(&self) -> u64 {
        (self.out.len() / FLB) as u64
    }

    /// The bytes so far.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    /// The medium as it stands (nothing is added).
    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    /// Overwrites bytes at `at` (a case breaking something on purpose).
    pub fn patch(&mut self, at: usize, bytes: &[u8]) {
        if let Some(dst) = self.out.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }

    /// Recomputes the header checksum of the DBLK at `at` (after a deliberate patch that must
    /// not be noticed as damage).
    pub fn fix_header_checksum(&mut self, at: usize) {
        if let Some(h) = self.out.get(at..at + 50) {
            let sum = crate::checksum::xor16(h).to_le_bytes();
            self.patch(at + 50, &sum);
        }
    }

    /// Offset of the first `needle` at or after `from`.
    pub fn find(&self, from: usize, needle: &[u8]) -> Option<usize> {
        self.out
            .get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    }

    /// A soft filemark block.
    pub fn soft_filemark(&mut self) {
        let pba = self.pba();
        let entries = self.filemarks.clone();
        let mut d = Dblk::new(Body::Sfmb(Sfmb {
            capacity: Sfmb::capacity_for(FLB),
            entries,
        }));
        d.header.first_event = u16::try_from(FLB).unwrap_or(1024);
        d.header.fla = pba;
        d.header.cbid = u32::try_from(self.filemarks.len() + 1).unwrap_or(u32::MAX);
        let start = self.out.len();
        // An SFMB has no streams: its region is the whole block.
        let _ = d.encode(&mut self.out);
        self.out.resize(start + FLB, 0);
        self.filemarks
            .insert(0, u32::try_from(pba).unwrap_or(u32::MAX));
    }

    /// Appends `dblk` (its FLA and Control Block ID set here) with `streams` and a closing `SPAD`
    /// to the next FLB. Stream headers are written as given: a length that lies is kept.
    pub fn put(&mut self, dblk: Dblk, streams: &[RawStream]) {
        let fla = self.pba();
        let cbid = self.cbid;
        self.cbid += 1;
        self.put_at(dblk, fla, cbid, streams);
    }

    fn put_at(&mut self, mut dblk: Dblk, fla: u64, cbid: u32, streams: &[RawStream]) {
        dblk.header.fla = fla;
        dblk.header.cbid = cbid;
        let start = self.out.len();
        // Every body built here fits its DBLK limits; a failure would leave the block out,
        // which the suite's self-check (a clean control medium) would catch.
        let _ = dblk.encode(&mut self.out);
        for (header, data) in streams {
            self.out.extend_from_slice(&header.encode());
            self.out.extend_from_slice(data);
            self.align4(start);
        }
        let pos = (self.out.len() - start) as u64;
        let hdr = crate::stream::STREAM_HEADER_LEN as u64;
        let flb = FLB as u64;
        let spad = (pos + hdr).div_ceil(flb) * flb - pos - hdr;
        self.out
            .extend_from_slice(&StreamHeader::new(StreamId::SPAD, spad).encode());
        self.out
            .resize(self.out.len() + crate::le::to_usize(spad), 0);
    }

    fn align4(&mut self, start: usize) {
        let len = self.out.len() - start;
        self.out.resize(self.out.len() + (4 - len % 4) % 4, 0);
    }

    /// Starts data set `number` (`SSET`).
    pub fn begin_set(&mut self, number: u16) {
        self.set = number;
        self.cbid = 0;
        let sset = Sset {
            attributes: SetAttributes::NORMAL,
            set_number: number,
            name: utf16(&format!("Crafted set {number}")),
            description: utf16("hostile suite"),
            user_name: utf16("nobody"),
            pba: self.pba(),
            media_write_date: DATE,
            time_zone: 0,
            software_major: 1,
            ..Sset::default()
        };
        self.put(Dblk::new(Body::Sset(sset)), &[]);
    }

    /// A volume (`VOLB`) with this device name.
    pub fn volume(&mut self, device: &str) {
        let volb = Volb {
            attributes: VolumeAttributes::DEV_OS_SPEC,
            device_name: utf16(device),
            volume_name: utf16("crafted"),
            machine_name: utf16("HOSTILE"),
            media_write_date: DATE,
        };
        self.put(Dblk::new(Body::Volb(volb)), &[]);
    }

    /// A directory whose DIRB name is `name` exactly (UTF-16 components each ending in NUL, or
    /// anything a case needs), followed by `streams`.
    pub fn dir_raw(&mut self, name: Vec<u8>, attributes: DirAttributes, streams: &[RawStream]) {
        self.dir_id += 1;
        let dirb = Dirb {
            attributes,
            modified: DATE,
            created: DATE,
            backup: DATE,
            accessed: DATE,
            directory_id: self.dir_id,
            name,
        };
        self.put(Dblk::new(Body::Dirb(dirb)), streams);
    }

    /// A directory of these components, with our Unix metadata if given.
    pub fn dir(&mut self, components: &[&str], unix: Option<&UnixMeta>) {
        let streams: Vec<RawStream> = unix.map(lxmd).into_iter().collect();
        self.dir_raw(utf16_path(components), DirAttributes::empty(), &streams);
    }

    /// A file whose FILE name is `name` exactly, of displayable size `size`, with `streams`.
    pub fn file_raw(&mut self, name: Vec<u8>, size: u64, streams: &[RawStream]) {
        self.file_id += 1;
        let file = File {
            attributes: FileAttributes::MODIFIED,
            modified: DATE,
            created: DATE,
            backup: DATE,
            accessed: DATE,
            directory_id: self.dir_id,
            file_id: self.file_id,
            name,
        };
        let mut d = Dblk::new(Body::File(file));
        d.header.displayable_size = size;
        self.put(d, streams);
    }

    /// A regular file with `data` (checksummed) and our Unix metadata if given.
    pub fn file(&mut self, name: &str, data: &[u8], unix: Option<&UnixMeta>) {
        let mut streams: Vec<RawStream> = unix.map(lxmd).into_iter().collect();
        streams.extend(stan_with_csum(data, None));
        self.file_raw(utf16(name), data.len() as u64, &streams);
    }

    /// Ends the set: soft filemark, `ESET`, soft filemark.
    pub fn end_set(&mut self) {
        self.soft_filemark();
        let eset = Eset {
            attributes: SetAttributes::NORMAL,
            set_number: self.set,
            media_write_date: DATE,
            ..Eset::default()
        };
        let cbid = self.cbid;
        let fla = self.pba();
        self.put_at(Dblk::new(Body::Eset(eset)), fla, cbid, &[]);
        self.soft_filemark();
    }
}
