//! The tape-catalog path: a family read from its Type 1 media-based catalog (mtf.md §10)
//! without reading a data block.
//!
//! 1. The last medium ends with `FM | ESET | TFDD … | TSMP … | ESET | FM` (§10.2): the region
//!    between its last two filemarks holds the family's Set Map, and usually the last set's end
//!    and FDD (unless the medium before filled up after them: §9.5 case o).
//! 2. The Set Map has one entry per SSET written, continuation SSETs included (§10.4, §7.3.3.1):
//!    each set's SSET PBA and FLA on every medium it touches, its FDD's PBA and medium.
//! 3. Each set's SSET block is read for its `LXJB` job stream; that read also settles how the
//!    PBAs count: our writer counts physical blocks only, a drive's address counts filemarks too
//!    (§6.1 says "the drive's block address"), so the address is tried both ways and must hold
//!    the SSET of that set.
//! 4. Each earlier set's end region (ESET + FDD) is read where the Set Map says its FDD is.
//! 5. Every DIRB/FILE is placed from its FDD entry: `PBA = (FLA − SSET.FLA) / (physical /
//!    FLB) + SSET.PBA` with the SSET of its set on its medium (§6.2), the bytes to skip being the
//!    remainder in FLBs.
//!
//! Anything unexpected — a damaged catalog, an FDD that spans media, counts that disagree with
//! the Set Map, a missing medium — is a reason to scan instead, never a guess.

use std::collections::BTreeMap;

use tape_core::ReadStatus;
use tape_format::attrs::{BlockAttributes, DirAttributes, FileAttributes, SetAttributes};
use tape_format::block::Eset;
use tape_format::catalog::{FddBody, FddEntry, FddKind, SetMap, SetMapEntry, catalog_type};
use tape_format::ids::StreamId;
use tape_format::os_nt::{NtObject, OS_ID_WINDOWS_NT, win_attr};
use tape_format::reader::{Event, MediaReader, ReaderOptions, SetEvent, StartContext};
use tape_format::stream::job::JobInfo;

use super::collect::{Collector, SetHead, catalog_path, local_to_unix, set_time};
use super::mount::{Medium, Mounter};
use super::{Ending, RebuildError, contiguous};
use crate::catalog::{ArchiveState, CatalogError, EntryRecord};

/// Why the tape catalog cannot be used (the family is then scanned).
type Why = String;

/// FDD entries kept from the last medium's closing region; a larger FDD is read again, set by
/// set, so memory stays bounded whatever the size of a set.
const TAIL_FDD: usize = 1 << 16;

/// How the Set Map's PBAs count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pbas {
    /// Physical blocks only (our writer): add the filemarks before.
    Blocks,
    /// The drive's address, filemarks included.
    Addresses,
}

/// What a region of a medium yielded.
#[derive(Default)]
struct Region {
    set: Option<Box<SetEvent>>,
    job: Option<Vec<u8>>,
    end: Option<(BlockAttributes, Eset)>,
    fdd: Vec<FddEntry>,
    /// More FDD entries than kept.
    overflow: bool,
    map: Option<SetMap>,
    damaged: Option<String>,
}

/// One set as the Set Map describes it.
struct Planned {
    head: SetHead,
    /// (SSET PBA, SSET FLA) on each medium the set touches.
    anchors: BTreeMap<u16, (u64, u64)>,
    sset: (u16, u64),
    fdd: (u16, u64),
    objects: u64,
    last_sequence: u16,
}

/// The family's catalog, found and checked.
struct Found {
    plans: Vec<Planned>,
    jobs: Vec<Option<JobInfo>>,
    pbas: Pbas,
    tail: Region,
}

/// Reads `media` (one family, in sequence order) through the tape catalog into `c`. `Ok(Err)`
/// says why it cannot be done; sets already written then are rewritten by the scan.
pub(crate) fn read_family(
    m: &mut Mounter<'_>,
    c: &mut Collector<'_>,
    media: &[Medium],
) -> Result<Result<(), Why>, RebuildError> {
    let found = match find(m, media, &mut c.warnings) {
        Ok(f) => f,
        Err(why) => return Ok(Err(why)),
    };
    for (p, job) in found.plans.iter().zip(found.jobs) {
        if let Err(why) = read_set(m, c, p, job, &found.tail, media, found.pbas)? {
            return Ok(Err(why));
        }
    }
    c.finish()?;
    Ok(Ok(()))
}

/// The Set Map from the last medium, the way its PBAs count, each set's job.
fn find(m: &mut Mounter<'_>, media: &[Medium], warnings: &mut Vec<String>) -> Result<Found, Why> {
    let last = media.last().ok_or("no medium")?;
    if contiguous(media) != last.sequence {
        return Err(format!(
            "media #{} of the family was not given",
            contiguous(media) + 1
        ));
    }
    if last.catalog_type != catalog_type::TYPE1 {
        return Err("the family has no tape catalog".into());
    }
    let fm = last
        .filemarks
        .as_ref()
        .ok_or("the medium has no hardware filemarks to find the catalog by")?;
    let (start, end) = fm.last_region().ok_or(format!(
        "media #{} does not end with the end of a set",
        last.sequence
    ))?;
    if fm.data_after_last() {
        return Err(format!(
            "media #{} holds data after its tape catalog (a set begun there was cut off)",
            last.sequence
        ));
    }
    let mut tail = Region::default();
    read_blocks(m, last, start, end.saturating_sub(start), |e| {
        keep(&mut tail, e, false)
    })?;
    if let Some(d) = &tail.damaged {
        warnings.push(format!(
            "family {:08X}: the tape catalog on media #{} is damaged ({d}); the family is scanned instead",
            last.family, last.sequence
        ));
        return Err(format!("its tape catalog is damaged ({d})"));
    }
    // The Set Map ends the family's last medium (§9.5 case o: even when the medium before holds
    // the last set's end, its FDD and a first copy of the map).
    let map = tail.map.take().ok_or(format!(
        "media #{} does not end with the family's Set Map (the last set was written without the \
         tape catalog, or the family continues on a medium not given)",
        last.sequence
    ))?;
    if map.media_family_id != last.family {
        return Err(format!(
            "the Set Map names family {:08X}",
            map.media_family_id
        ));
    }
    let plans = plan(&map, last.family)?;
    let (pbas, first) = settle_pbas(m, media, plans.first().ok_or("the Set Map is empty")?)?;
    let mut first = Some(first);
    let mut jobs = Vec::with_capacity(plans.len());
    for p in &plans {
        let sset = match first.take() {
            Some(r) => r,
            None => {
                let medium = medium_of(media, p.sset.0)?;
                let at = address_of(pbas, medium, p.sset.1)?;
                let mut r = Region::default();
                read_blocks(m, medium, at, sset_blocks(medium), |e| {
                    keep(&mut r, e, true)
                })?;
                r
            }
        };
        if sset
            .set
            .as_ref()
            .is_none_or(|s| s.sset.set_number != p.head.number)
        {
            return Err(format!(
                "the SSET of set #{} is not where the Set Map says",
                p.head.number
            ));
        }
        jobs.push(match sset.job.map(|b| JobInfo::decode(&b)) {
            Some(Ok(j)) => Some(j),
            Some(Err(e)) => {
                return Err(format!(
                    "the job stream of set #{} is damaged ({e})",
                    p.head.number
                ));
            }
            None => None,
        });
    }
    Ok(Found {
        plans,
        jobs,
        pbas,
        tail,
    })
}

/// The sets of the Set Map, in order, with where their pieces are.
fn plan(map: &SetMap, family: u32) -> Result<Vec<Planned>, Why> {
    let mut out: Vec<Planned> = Vec::new();
    for e in &map.entries {
        let cont = BlockAttributes::from_bits_retain(e.block_attributes)
            .contains(BlockAttributes::CONTINUATION);
        let i = match out.iter().position(|p| p.head.number == e.set_number) {
            Some(i) => i,
            None if cont => {
                return Err(format!(
                    "set #{} starts before the first medium's Set Map entry",
                    e.set_number
                ));
            }
            None => {
                out.push(planned(e, family));
                out.len() - 1
            }
        };
        let p = &mut out[i];
        p.anchors.insert(e.media_sequence, (e.sset_pba, e.fla));
        p.last_sequence = p
            .last_sequence
            .max(e.media_sequence)
            .max(e.fdd_media_sequence);
        if e.fdd_media_sequence != 0 {
            p.fdd = (e.fdd_media_sequence, e.fdd_pba);
        }
    }
    if let Some(p) = out.iter().find(|p| p.fdd.0 == 0) {
        return Err(format!("set #{} has no FDD", p.head.number));
    }
    Ok(out)
}

fn planned(e: &SetMapEntry, family: u32) -> Planned {
    Planned {
        head: SetHead {
            family,
            number: e.set_number,
            attributes: SetAttributes::from_bits_retain(e.set_attributes),
            name: e.string_type.decode(&e.name),
            description: e.string_type.decode(&e.description),
            date: e.media_write_date,
            time_zone: e.time_zone,
            first_sequence: e.media_sequence,
            whole: true,
        },
        anchors: BTreeMap::new(),
        sset: (e.media_sequence, e.sset_pba),
        fdd: (0, 0),
        objects: u64::from(e.directories) + u64::from(e.files),
        last_sequence: e.media_sequence,
    }
}

fn medium_of(media: &[Medium], sequence: u16) -> Result<&Medium, Why> {
    media
        .iter()
        .find(|m| m.sequence == sequence)
        .ok_or_else(|| format!("media #{sequence} was not given"))
}

fn address_of(pbas: Pbas, medium: &Medium, pba: u64) -> Result<u64, Why> {
    match pbas {
        Pbas::Addresses => Ok(pba),
        Pbas::Blocks => Ok(medium
            .filemarks
            .as_ref()
            .ok_or("no filemarks")?
            .address(pba)),
    }
}

fn sset_blocks(medium: &Medium) -> u64 {
    (JobInfo::MAX_LEN as u64).div_ceil(medium.block_size.max(1)) + 2
}

/// Finds how the PBAs count: the first set's SSET must be at the address they give. Returns
/// what was read there too (the SSET and its job stream).
fn settle_pbas(
    m: &mut Mounter<'_>,
    media: &[Medium],
    first: &Planned,
) -> Result<(Pbas, Region), Why> {
    let medium = medium_of(media, first.sset.0)?;
    for pbas in [Pbas::Blocks, Pbas::Addresses] {
        let at = address_of(pbas, medium, first.sset.1)?;
        let mut r = Region::default();
        if read_blocks(m, medium, at, sset_blocks(medium), |e| {
            keep(&mut r, e, true)
        })
        .is_err()
        {
            continue;
        }
        if r.set
            .as_ref()
            .is_some_and(|s| s.sset.set_number == first.head.number)
        {
            return Ok((pbas, r));
        }
    }
    Err("the Set Map's block addresses do not lead to the sets".into())
}

/// Places FDD entries of one set and hands them to the collector.
struct Placer<'p> {
    plan: &'p Planned,
    media: &'p [Medium],
    pbas: Pbas,
    ours: bool,
    device: String,
    dir: Vec<String>,
    objects: u64,
    last_sequence: u16,
}

impl Placer<'_> {
    /// One FDD entry: `Ok(Err)` when it cannot be placed.
    fn entry(
        &mut self,
        e: &FddEntry,
        c: &mut Collector<'_>,
    ) -> Result<Result<(), Why>, CatalogError> {
        let FddBody::Object {
            is_file,
            dates,
            attributes,
            name,
        } = &e.body
        else {
            if let FddBody::Volume { device_name, .. } = &e.body {
                self.device = e.string_type.decode(device_name);
                self.dir.clear();
            }
            return Ok(Ok(()));
        };
        let in_stream = if *is_file {
            FileAttributes::NAME_IN_STREAM.bits()
        } else {
            DirAttributes::PATH_IN_STREAM.bits()
        };
        if attributes & in_stream != 0 {
            return Ok(Err("the FDD lacks a name kept in a PNAM/FNAM stream".into()));
        }
        let comps = if *is_file {
            let mut c = self.dir.clone();
            c.push(e.string_type.decode(name));
            c
        } else {
            self.dir = e.string_type.decode_path(name);
            self.dir.clone()
        };
        let (block, skip, offset) = match place(e, self.plan, self.media, self.pbas) {
            Ok(at) => at,
            Err(why) => return Ok(Err(why)),
        };
        let time = |d| {
            if self.ours {
                local_to_unix(d)
            } else {
                set_time(d, self.plan.head.time_zone)
            }
            .unwrap_or(0)
        };
        let kind = if *is_file { kind_of(e) } else { 0 };
        let size = if kind == 1 { e.displayable_size } else { 0 };
        let (mtime, ctime) = (time(dates[0]), time(dates[1]));
        let path = catalog_path(&self.device, &comps, None, None);
        let mut rec = EntryRecord::new(path, kind, size, mtime, e.media_sequence, e.fla);
        rec.block = block;
        rec.skip = skip;
        rec.offset = offset;
        let ns = |s: i64| s.saturating_mul(1_000_000_000);
        let state =
            (self.ours && kind != 0).then(|| ArchiveState::new(0, 0, size, ns(mtime), ns(ctime)));
        self.objects += 1;
        self.last_sequence = self.last_sequence.max(e.media_sequence);
        c.entry(rec, state, None)?;
        Ok(Ok(()))
    }
}

/// Reads one set's end region (its ESET and FDD) into the collector.
fn read_set(
    m: &mut Mounter<'_>,
    c: &mut Collector<'_>,
    p: &Planned,
    job: Option<JobInfo>,
    tail: &Region,
    media: &[Medium],
    pbas: Pbas,
) -> Result<Result<(), Why>, RebuildError> {
    let n = p.head.number;
    c.begin(p.head.clone())?;
    let mut placer = Placer {
        plan: p,
        media,
        pbas,
        ours: job.is_some(),
        device: String::new(),
        dir: Vec::new(),
        objects: 0,
        last_sequence: p.last_sequence,
    };
    if let Some(j) = job {
        c.job(j);
    }
    let in_tail = !tail.overflow && tail.end.as_ref().is_some_and(|(_, e)| e.set_number == n);
    let mut failed: Option<Why> = None;
    let mut broke: Option<CatalogError> = None;
    let end = if in_tail {
        for e in &tail.fdd {
            match placer.entry(e, c)? {
                Ok(()) => {}
                Err(why) => return Ok(Err(why)),
            }
        }
        tail.end.as_ref().map(|(a, _)| *a)
    } else {
        let at = medium_of(media, p.fdd.0).and_then(|medium| {
            let at = address_of(pbas, medium, p.fdd.1)?;
            let fm = medium.filemarks.as_ref().ok_or("no filemarks")?;
            Ok((medium, fm.region_of(at)))
        });
        let (medium, (from, to)) = match at {
            Ok(x) => x,
            Err(why) => return Ok(Err(why)),
        };
        let blocks = to.map_or(u64::MAX, |t| t.saturating_sub(from));
        let mut end = None;
        let read = read_blocks(m, medium, from, blocks, |event| match event {
            Event::SetEnd(e) if e.1.set_number == n => {
                end = Some(e.0.attributes);
                false
            }
            Event::FddEntry(e) if end.is_some() && e.kind() != FddKind::End => {
                match placer.entry(&e, c) {
                    Ok(Ok(())) => false,
                    Ok(Err(why)) => {
                        failed = Some(why);
                        true
                    }
                    Err(err) => {
                        broke = Some(err);
                        true
                    }
                }
            }
            Event::Damaged { error, offset } => {
                failed = Some(format!(
                    "the FDD of set #{n} is damaged at {offset}: {error}"
                ));
                true
            }
            _ => false,
        });
        if let Some(err) = broke {
            return Err(err.into());
        }
        if let Err(why) = read.and(failed.map_or(Ok(()), Err)) {
            return Ok(Err(why));
        }
        end
    };
    let Some(attrs) = end else {
        return Ok(Err(format!(
            "the end of set #{n} is not where the Set Map says"
        )));
    };
    if placer.objects != p.objects {
        return Ok(Err(format!(
            "the FDD of set #{n} lists {} objects, the Set Map {}",
            placer.objects, p.objects
        )));
    }
    let ending = if attrs.contains(BlockAttributes::ESET_ABORTED_SET) {
        Ending::ClosedEarly
    } else {
        Ending::Complete
    };
    c.ending(ending, placer.last_sequence);
    Ok(Ok(()))
}

/// Directory 0, file 1, symbolic link 2 (NT reparse point), hard link 3 (NT link flag).
fn kind_of(e: &FddEntry) -> u8 {
    if e.os_id != OS_ID_WINDOWS_NT {
        return 1;
    }
    match NtObject::decode(&e.os_data, e.os_version, true) {
        Some(nt) if nt.flags & 1 != 0 => 3,
        Some(nt) if nt.attributes & win_attr::REPARSE_POINT != 0 => 2,
        _ => 1,
    }
}

/// Drive address and skip of an object's DBLK (mtf.md §6.2).
/// Where an FDD entry's DBLK lies: its drive address, the bytes before it in that block, and
/// its byte offset on the medium as the writer counts (filemarks excluded).
fn place(e: &FddEntry, p: &Planned, media: &[Medium], pbas: Pbas) -> Result<(u64, u64, u64), Why> {
    let (sset_pba, sset_fla) = *p.anchors.get(&e.media_sequence).ok_or_else(|| {
        format!(
            "the Set Map has no SSET of set #{} on media #{}",
            p.head.number, e.media_sequence
        )
    })?;
    let medium = medium_of(media, e.media_sequence)?;
    let flb = u64::from(medium.flb);
    if flb == 0 || medium.block_size < flb || medium.block_size % flb != 0 || e.fla < sset_fla {
        return Err(format!(
            "an FDD entry of set #{} cannot be placed",
            p.head.number
        ));
    }
    let per_block = medium.block_size / flb;
    let into = e.fla - sset_fla;
    let pba = sset_pba.saturating_add(into / per_block);
    let skip = into % per_block * flb;
    let offset = pba.saturating_mul(medium.block_size).saturating_add(skip);
    Ok((address_of(pbas, medium, pba)?, skip, offset))
}

/// Reads from `address` on `medium`, at most `blocks` blocks and never past a filemark, giving
/// each event to `sink` until it returns `true`.
fn read_blocks(
    m: &mut Mounter<'_>,
    medium: &Medium,
    address: u64,
    blocks: u64,
    mut sink: impl FnMut(Event<'_>) -> bool,
) -> Result<(), Why> {
    m.load(medium)?;
    m.locate(address).map_err(|e| e.to_string())?;
    let fm = medium.filemarks.as_ref().ok_or("no filemarks")?;
    let ctx = StartContext {
        offset: fm.pba(address).saturating_mul(medium.block_size),
        flb_size: medium.flb,
        soft_filemark_size: 0,
        family: medium.family,
        sequence: medium.sequence,
        set_number: None,
        device: String::new(),
        directory: Vec::new(),
    };
    let mut reader = MediaReader::at_block(ReaderOptions::default(), ctx);
    let mut buf = vec![0u8; 1 << 20];
    for _ in 0..blocks {
        let n = match m.read(&mut buf).map_err(|e| e.to_string())? {
            ReadStatus::Data(n) => n,
            ReadStatus::Filemark | ReadStatus::EndOfData => return Ok(()),
        };
        let mut input = &buf[..n];
        while !input.is_empty() {
            let step = reader.step(input).map_err(|e| e.to_string())?;
            input = &input[step.consumed..];
            let Some(event) = step.event else {
                if step.consumed == 0 {
                    break;
                }
                continue;
            };
            if sink(event) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Keeps what a region read is for; `true` when it has it all. With `sset`, only an SSET and
/// its job stream are wanted.
fn keep(r: &mut Region, event: Event<'_>, sset: bool) -> bool {
    match event {
        Event::SetStart(s) => r.set = Some(s),
        Event::StreamStart { header, .. } if header.id == StreamId::LXJB => {
            r.job = Some(Vec::new());
        }
        Event::Data(d) => {
            if let Some(g) = &mut r.job
                && g.len() + d.len() <= JobInfo::MAX_LEN
            {
                g.extend_from_slice(d);
            }
        }
        Event::StreamEnd { id, .. } if id == StreamId::LXJB => return sset,
        Event::Volume(_) | Event::Directory(_) | Event::File(_) => return sset,
        Event::SetEnd(e) => r.end = Some((e.0.attributes, e.1)),
        Event::FddEntry(e) if e.kind() != FddKind::End => {
            if r.fdd.len() < TAIL_FDD {
                r.fdd.push(*e);
            } else {
                r.overflow = true;
                r.fdd.clear();
            }
        }
        Event::SetMap(map) => r.map = Some(*map),
        Event::Damaged { error, offset } => {
            r.damaged = Some(format!("at offset {offset}: {error}"));
            return true;
        }
        _ => {}
    }
    false
}
