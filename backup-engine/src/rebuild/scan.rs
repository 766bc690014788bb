//! The scan path: every block of a family's media through the reader, every object recorded
//! with the drive address its DBLK was read from.

use std::collections::{HashMap, HashSet};

use tape_core::{DeviceError, ReadStatus};
use tape_format::attrs::BlockAttributes;
use tape_format::ids::StreamId;
use tape_format::path::MtfPath;
use tape_format::reader::{DirectoryEvent, Event, FileEvent, MediaReader, ReaderOptions};
use tape_format::stream::dumpdir::DumpDir;
use tape_format::stream::job::JobInfo;
use tape_format::stream::unix::{UnixFileType, UnixMeta, UnixTime};

use super::address::Positions;
use super::collect::{Collector, SetHead, catalog_path, local_to_unix, set_time};
use super::mount::{Medium, Mounter};
use super::{Ending, RebuildError};
use crate::catalog::{ArchiveState, EntryRecord};

/// Unreadable blocks in a row after which a medium is given up (a drive that reports the same
/// error without moving must not keep the rebuild spinning).
const MAX_UNREADABLE: u32 = 64;

/// The DBLK whose streams are being read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    Set,
    Dir(Vec<u8>),
    Other,
}

/// A vendor stream being gathered.
enum Gather {
    Job(Vec<u8>),
    Listing(Vec<u8>, Vec<u8>),
}

/// Reading one family block by block.
pub(crate) struct Scanner {
    reader: MediaReader,
    family: u32,
    sequence: u16,
    /// Where the bytes of the current medium were read from.
    positions: Positions,
    /// The previous medium's, for a DBLK whose event comes after the change of medium (its
    /// name or metadata stream was split).
    previous: Option<(u16, Positions)>,
    /// Bytes given to the reader from the current medium.
    fed: u64,
    /// Drive address of the next object on the current medium.
    address: u64,
    /// Bytes per drive address on a `.bkf`; `None` on a tape (one block per address).
    unit: Option<u64>,
    owner: Owner,
    gather: Option<Gather>,
    /// Stored paths of directories with raw (non-UTF-8) names → their catalog path.
    raw_dirs: HashMap<MtfPath, Vec<u8>>,
    time_zone: i8,
    ours: bool,
    last_file: Option<u64>,
    /// After the medium: the sequence number the family continues on, if it does.
    continues: Option<u16>,
}

fn ns(t: UnixTime) -> i64 {
    t.secs
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(t.nanos))
}

fn unix_of(u: Option<&Result<UnixMeta, tape_format::error::DecodeError>>) -> Option<&UnixMeta> {
    u.and_then(|r| r.as_ref().ok())
}

impl Scanner {
    pub(crate) fn new(medium: &Medium, bytes_unit: Option<u64>) -> Self {
        Self {
            reader: MediaReader::new(ReaderOptions::default()),
            family: medium.family,
            sequence: medium.sequence,
            positions: Positions::default(),
            previous: None,
            fed: 0,
            address: 0,
            unit: bytes_unit,
            owner: Owner::Other,
            gather: None,
            raw_dirs: HashMap::new(),
            time_zone: tape_format::block::LOCAL_TZ,
            ours: false,
            last_file: None,
            continues: None,
        }
    }

    /// The next medium of the family continues what the reader was reading.
    pub(crate) fn next_medium(&mut self, medium: &Medium) {
        self.reader.next_medium();
        self.previous = Some((self.sequence, std::mem::take(&mut self.positions)));
        self.sequence = medium.sequence;
    }

    /// Reads the loaded medium from its beginning; returns the sequence number the family
    /// continues on, if it does.
    pub(crate) fn read_medium(
        &mut self,
        m: &mut Mounter<'_>,
        c: &mut Collector<'_>,
    ) -> Result<Option<u16>, RebuildError> {
        m.drive.rewind().map_err(|e| m.device(e))?;
        self.positions.clear();
        self.fed = 0;
        self.address = 0;
        self.continues = None;
        let mut buf = vec![0u8; 1 << 20];
        let mut unreadable = 0;
        // As in a restore: a drive that reports a medium error again without having moved
        // cannot get past it (a record torn by a crash ends the data).
        let mut stuck_at: Option<u64> = None;
        loop {
            let status = match m.read(&mut buf) {
                Ok(s) => s,
                Err(RebuildError::Device {
                    source: DeviceError::MediumError { .. },
                    ..
                }) if stuck_at.is_some() && m.drive.position().ok().map(|b| b.0) == stuck_at => {
                    ReadStatus::EndOfData
                }
                Err(RebuildError::Device {
                    source: DeviceError::MediumError { block, detail },
                    ..
                }) => {
                    stuck_at = m.drive.position().ok().map(|b| b.0);
                    let at = block.map_or(self.address, |b| b);
                    unreadable += 1;
                    if unreadable > MAX_UNREADABLE {
                        c.warnings.push(format!(
                            "media #{} of family {:08X}: {MAX_UNREADABLE} unreadable blocks in a row; the rest of it is not read",
                            self.sequence, self.family
                        ));
                        break;
                    }
                    c.warnings.push(format!(
                        "media #{} of family {:08X}: block {at} cannot be read ({detail}); skipped",
                        self.sequence, self.family
                    ));
                    self.address += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            unreadable = 0;
            stuck_at = None;
            match status {
                ReadStatus::Data(n) => {
                    let len = n as u64;
                    let unit = self.unit.unwrap_or(len);
                    self.positions.read(self.fed, self.address, len, unit);
                    self.address += len.div_ceil(unit.max(1));
                    self.fed += len;
                    if !self.feed(&buf[..n], c)? {
                        break;
                    }
                }
                ReadStatus::Filemark => {
                    self.address += 1;
                    let e = self.reader.filemark();
                    self.handle(e, c)?;
                }
                ReadStatus::EndOfData => {
                    for e in self.reader.end_of_data() {
                        self.handle(e, c)?;
                    }
                    break;
                }
            }
            if self.reader.medium_ended() {
                break;
            }
        }
        Ok(self.continues)
    }

    /// Gives one block to the reader; `false` when the medium cannot be read further.
    fn feed(&mut self, mut input: &[u8], c: &mut Collector<'_>) -> Result<bool, RebuildError> {
        while !input.is_empty() && !self.reader.medium_ended() {
            let step = match self.reader.step(input) {
                Ok(s) => s,
                Err(e) => {
                    c.warnings.push(format!(
                        "media #{} of family {:08X}: {e}; the rest of it is not read",
                        self.sequence, self.family
                    ));
                    return Ok(false);
                }
            };
            input = &input[step.consumed..];
            match step.event {
                Some(e) => self.handle(e, c)?,
                None if step.consumed == 0 => break,
                None => {}
            }
        }
        Ok(true)
    }

    fn handle(&mut self, event: Event<'_>, c: &mut Collector<'_>) -> Result<(), RebuildError> {
        match event {
            Event::SetStart(s) => {
                let whole = !s.header.attributes.contains(BlockAttributes::CONTINUATION);
                c.begin(SetHead {
                    family: self.family,
                    number: s.sset.set_number,
                    attributes: s.sset.attributes,
                    name: s.name.clone(),
                    description: s.description.clone(),
                    date: s.sset.media_write_date,
                    time_zone: s.sset.time_zone,
                    first_sequence: self.sequence,
                    whole,
                })?;
                self.time_zone = s.sset.time_zone;
                self.ours = false;
                self.owner = Owner::Set;
                self.raw_dirs.clear();
            }
            Event::StreamStart { header, .. } => {
                self.gather = match (&self.owner, header.id) {
                    (Owner::Set, StreamId::LXJB) => Some(Gather::Job(Vec::new())),
                    (Owner::Dir(path), StreamId::LXDD)
                        if c.wants_archive() && c.incremental() =>
                    {
                        Some(Gather::Listing(path.clone(), Vec::new()))
                    }
                    _ => None,
                };
            }
            Event::Data(bytes) => self.gathered(bytes),
            Event::StreamEnd { .. } => self.gather_end(c),
            Event::StreamCut {
                id,
                delivered,
                expected,
            } => {
                self.gather = None;
                if id == StreamId::STAN {
                    // The set was closed in the middle of this file: only part of it is on tape.
                    c.not_read(expected.saturating_sub(delivered));
                    self.last_file = None;
                }
            }
            // A medium the reader continued onto holds the rest of the set being read (if only
            // its SSET* and ESET*, or a rewritten Set Map: mtf.md §9.4 g–j, §9.5).
            Event::Medium(_) => c.touch(self.sequence),
            Event::Volume(_) => {
                self.owner = Owner::Other;
                self.raw_dirs.clear();
            }
            Event::Directory(d) => self.directory(&d, c)?,
            Event::File(f) => self.file(&f, c)?,
            Event::Corrupt(cfil) => {
                if let Some(size) = self.last_file.take() {
                    c.not_read(size.saturating_sub(cfil.stream_offset));
                }
            }
            Event::SetEnd(end) => {
                let aborted = end.0.attributes.contains(BlockAttributes::ESET_ABORTED_SET);
                let ending = if aborted {
                    Ending::ClosedEarly
                } else {
                    Ending::Complete
                };
                c.ending(ending, self.sequence);
                self.owner = Owner::Other;
            }
            Event::FddEntry(_) | Event::SetMap(_) => c.touch(self.sequence),
            Event::Damaged { error, offset } => c.warnings.push(format!(
                "media #{} of family {:08X}: damaged structure at offset {offset}: {error}; reading resumes after it",
                self.sequence, self.family
            )),
            Event::EndOfMedium {
                eotm,
                next_sequence,
                in_set,
                ..
            } if in_set || eotm.is_some() => self.continues = Some(next_sequence),
            _ => {}
        }
        Ok(())
    }

    fn gathered(&mut self, bytes: &[u8]) {
        let (buf, cap) = match &mut self.gather {
            Some(Gather::Job(b)) => (b, JobInfo::MAX_LEN),
            Some(Gather::Listing(_, b)) => (b, DumpDir::MAX_LEN),
            None => return,
        };
        if buf.len() + bytes.len() <= cap {
            buf.extend_from_slice(bytes);
        } else {
            self.gather = None;
        }
    }

    fn gather_end(&mut self, c: &mut Collector<'_>) {
        match self.gather.take() {
            Some(Gather::Job(bytes)) => match JobInfo::decode(&bytes) {
                Ok(job) => {
                    self.ours = true;
                    c.job(job);
                }
                Err(e) => c.warnings.push(format!(
                    "media #{} of family {:08X}: the set's job stream (LXJB) cannot be read ({e}); its name stands in for the job",
                    self.sequence, self.family
                )),
            },
            Some(Gather::Listing(dir, bytes)) => match DumpDir::decode(&bytes) {
                Ok(l) => {
                    let names: HashSet<Vec<u8>> = l.entries.into_iter().map(|e| e.name).collect();
                    c.listing(dir, names);
                }
                Err(e) => c.warnings.push(format!(
                    "media #{} of family {:08X}: a directory listing (LXDD) cannot be read ({e}); files deleted there stay in the archive state",
                    self.sequence, self.family
                )),
            },
            None => {}
        }
    }

    /// Medium, drive address and skip of the DBLK at `offset`. An event of the current medium
    /// always lies before what was fed of it; one at or beyond that is from the previous one.
    fn place(&self, offset: u64) -> (u16, u64, u64) {
        if offset < self.fed
            && let Some((b, s)) = self.positions.locate(offset)
        {
            return (self.sequence, b, s);
        }
        if let Some((seq, p)) = &self.previous
            && let Some((b, s)) = p.locate(offset)
        {
            return (*seq, b, s);
        }
        (self.sequence, 0, 0)
    }

    /// A date of an object without Unix metadata (another program's, or a bare directory).
    fn date(&self, d: tape_format::date::MtfDate) -> i64 {
        if self.ours {
            local_to_unix(d)
        } else {
            set_time(d, self.time_zone)
        }
        .unwrap_or(0)
    }

    /// The catalog path of an object: a raw last name from `LXMD` replaces the UTF-16 one, and
    /// a parent recorded under a raw name is used as recorded.
    fn path(&self, p: &MtfPath, raw: Option<&[u8]>) -> Vec<u8> {
        let parent = p.components.split_last().and_then(|(_, parent)| {
            self.raw_dirs.get(&MtfPath {
                device: p.device.clone(),
                components: parent.to_vec(),
            })
        });
        catalog_path(&p.device, &p.components, parent.map(Vec::as_slice), raw)
    }

    fn directory(&mut self, d: &DirectoryEvent, c: &mut Collector<'_>) -> Result<(), RebuildError> {
        let unix = unix_of(d.unix.as_ref());
        let raw = unix
            .filter(|u| !u.name.is_empty())
            .map(|u| u.name.as_slice());
        let path = self.path(&d.path, raw);
        if raw.is_some() {
            self.raw_dirs.insert(d.path.clone(), path.clone());
        }
        let (seq, block, skip) = self.place(d.offset);
        let mtime = unix.map_or_else(|| self.date(d.dirb.modified), |u| u.mtime.secs);
        let mut e = EntryRecord::new(path.clone(), 0, 0, mtime, seq, d.header.fla);
        e.block = block;
        e.skip = skip;
        e.offset = d.offset;
        c.entry(e, None, None)?;
        self.owner = Owner::Dir(path);
        self.last_file = None;
        Ok(())
    }

    fn file(&mut self, f: &FileEvent, c: &mut Collector<'_>) -> Result<(), RebuildError> {
        let unix = unix_of(f.unix.as_ref());
        let raw = unix
            .filter(|u| !u.name.is_empty())
            .map(|u| u.name.as_slice());
        let path = self.path(&f.path, raw);
        let (kind, size, link_to) = match unix.map(|u| (u.file_type, u)) {
            // The walk gives a symbolic link no size (`walk::FileInfo::size`).
            Some((UnixFileType::Symlink, _)) => (2, 0, None),
            Some((UnixFileType::HardLink, u)) => {
                let target = catalog_path(&f.path.device, &[], None, Some(&u.hardlink_target));
                (3, 0, Some(target))
            }
            _ => (1, f.header.displayable_size, None),
        };
        let (seq, block, skip) = self.place(f.offset);
        let mtime = unix.map_or_else(|| self.date(f.file.modified), |u| u.mtime.secs);
        let state = unix.map(|u| ArchiveState::new(0, 0, size, ns(u.mtime), ns(u.ctime)));
        let mut e = EntryRecord::new(path, kind, size, mtime, seq, f.header.fla);
        e.block = block;
        e.skip = skip;
        e.offset = f.offset;
        self.last_file = (kind == 1).then_some(size);
        self.owner = Owner::Other;
        c.entry(e, state, link_to)?;
        Ok(())
    }
}

/// Bytes per drive address when the drive addresses bytes (a `.bkf`), not records.
pub(crate) fn bytes_unit(m: &mut Mounter<'_>) -> Option<u64> {
    (!m.drive.capabilities().hardware_filemarks).then_some(tape_core::BKF_BLOCK as u64)
}

/// Scans a family from its cartridges, in sequence order. Consecutive media are read as one
/// stream, as the family was written — also when a medium ends without an end-of-medium marker
/// (the physical end came first, and the next medium rewrites the Set Map: mtf.md §9.5 case o).
pub(crate) fn by_barcode(
    m: &mut Mounter<'_>,
    c: &mut Collector<'_>,
    media: &[Medium],
) -> Result<(), RebuildError> {
    let unit = bytes_unit(m);
    let mut scanner: Option<Scanner> = None;
    let mut continues: Option<u16> = None;
    let mut previous: Option<u16> = None;
    for medium in media {
        if let Err(why) = m.load(medium) {
            c.warnings.push(format!(
                "media #{} of family {:08X} was not read: {why}",
                medium.sequence, medium.family
            ));
            continue;
        }
        let follows = previous.is_some_and(|p| p.checked_add(1) == Some(medium.sequence));
        match (&mut scanner, follows) {
            (Some(s), true) => s.next_medium(medium),
            _ => {
                if let Some(next) = continues
                    && c.is_open()
                {
                    c.ending(Ending::ContinuesOn(next), 0);
                }
                scanner = Some(Scanner::new(medium, unit));
            }
        }
        if let Some(s) = &mut scanner {
            continues = s.read_medium(m, c)?;
            previous = Some(medium.sequence);
        }
    }
    if let Some(next) = continues
        && c.is_open()
    {
        c.ending(Ending::ContinuesOn(next), 0);
    }
    Ok(())
}
