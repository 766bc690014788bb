//! Appending a set after the last set of a medium (NTBackup `/A`): find where the medium's
//! recorded data end, read its last `ESET` (and the Type 1 set map after it), and hand the
//! writer the position, so the new set continues the family's numbering and its set map.
//!
//! An MTF medium whose sets are all closed ends `… filemark, ESET (+ catalog), filemark`
//! (mtf.md §7.1, §10); every hardware filemark counts as an object in the drive's block
//! address but not in the writer's PBAs (mtf.md §6.1), so the writer's PBA at the end of data is
//! the drive address less the filemarks on the medium. A `.bkf` has soft filemarks instead:
//! its last block is an `SFMB` listing the earlier ones (mtf.md §4.10, §6.4).

use tape_core::{DeviceError, MediumKind, ReadStatus, SpaceStatus, TapeDrive, VolumeTag};
use tape_format::block::{Body, decode_dblk};
use tape_format::catalog::SetMapEntry;
use tape_format::decoded::Decoded;
use tape_format::ids::BlockType;
use tape_format::reader::{Event, MediaReader, ReaderOptions, StartContext, event_block};
use tape_format::writer::AppendPoint;

use super::check::{Contents, Layout, identify};
use crate::media::{MediumCheck, Verdict};
use crate::policy::MediaRequest;

/// Which medium a backup appends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AppendTo {
    /// Whatever MTF medium is in the drive (NTBackup's `/A` without `/T`).
    #[default]
    Loaded,
    /// The last medium of this family (the catalog says which cartridge that is).
    Family {
        /// The family.
        family: u32,
        /// Its last medium, when known.
        sequence: Option<u16>,
    },
}

/// A medium a set can be appended to.
#[derive(Debug, Clone)]
pub(crate) struct Appendable {
    pub(crate) barcode: Option<VolumeTag>,
    pub(crate) family: u32,
    pub(crate) sequence: u16,
    pub(crate) name: String,
    pub(crate) layout: Layout,
    /// The medium's physical block size.
    pub(crate) block_size: usize,
    /// The number of the last set on it.
    pub(crate) last_set: u16,
    /// The family's set map so far (empty if its last set has no catalog).
    pub(crate) set_map: Vec<SetMapEntry>,
    /// Where the writer continues.
    pub(crate) point: AppendPoint,
    /// Hardware filemarks already on the medium.
    pub(crate) filemarks: u64,
}

/// More filemarks than this on one medium is not a medium we wrote (and must not spin on).
const MAX_FILEMARKS: u64 = 1 << 20;

/// What the end of the medium holds, read from its last ESET on.
struct Tail {
    last_set: Option<u16>,
    continues: bool,
    set_map: Vec<SetMapEntry>,
}

/// Reads blocks from the drive's position until a filemark or the end of data, through a reader
/// started at writer offset `offset`.
fn read_tail(
    drive: &mut dyn TapeDrive,
    ctx: StartContext,
    buf: &mut [u8],
    max_blocks: u64,
) -> Result<Tail, String> {
    let mut reader = MediaReader::at_block(ReaderOptions::default(), ctx);
    let mut tail = Tail {
        last_set: None,
        continues: false,
        set_map: Vec::new(),
    };
    let on = |event: Event<'_>, tail: &mut Tail| match event {
        Event::SetEnd(end) => tail.last_set = Some(end.1.set_number),
        Event::SetMap(map) => tail.set_map = map.entries,
        Event::EndOfMedium { eotm: Some(_), .. } => tail.continues = true,
        _ => {}
    };
    for _ in 0..max_blocks {
        let n = match drive.read_block(buf) {
            Ok(ReadStatus::Data(n)) => n,
            Ok(ReadStatus::Filemark | ReadStatus::EndOfData) => break,
            Err(e) => return Err(format!("its last set cannot be read: {e}")),
        };
        let mut input = &buf[..n];
        while !input.is_empty() {
            let step = reader
                .step(input)
                .map_err(|e| format!("its last set cannot be read: {e}"))?;
            input = &input[step.consumed..];
            match step.event {
                Some(Event::Filemark) => return Ok(tail),
                // Not an ESET where the last one belongs: the set there was never closed.
                Some(e)
                    if tail.last_set.is_none()
                        && event_block(&e).is_some_and(|t| t != BlockType::ESET) =>
                {
                    return Ok(tail);
                }
                Some(e) => {
                    on(e, &mut tail);
                    if reader.medium_ended() {
                        return Ok(tail);
                    }
                }
                None if step.consumed == 0 => break,
                None => {}
            }
        }
    }
    for e in reader.end_of_data() {
        on(e, &mut tail);
    }
    Ok(tail)
}

fn dev(e: DeviceError) -> String {
    format!("the drive failed while looking for the end of its data: {e}")
}

/// Examines the loaded medium: where a set can be appended, or why not.
pub(crate) fn examine(drive: &mut dyn TapeDrive, buf: &mut [u8]) -> Result<Appendable, String> {
    let status = drive
        .status()
        .map_err(|e| format!("the drive cannot report its status: {e}"))?;
    let medium = status.medium.ok_or("no medium in the drive")?;
    if medium.kind == MediumKind::Cleaning {
        return Err("it is a cleaning cartridge".into());
    }
    if medium.write_protected {
        return Err("it is write-protected".into());
    }
    let (family, sequence, name, layout) =
        match identify(drive, buf).map_err(|e| format!("it cannot be read: {e}"))? {
            Contents::Mtf {
                family,
                sequence,
                name,
                layout,
            } => (family, sequence, name, layout),
            Contents::Blank => return Err("it is blank: there is nothing to append to".into()),
            Contents::Foreign(what) => return Err(format!("{what}: not an MTF medium")),
        };
    let flb = u64::from(layout.flb_size.max(512));
    let mut found = if layout.soft_filemark_size == 0 {
        hardware_end(drive, buf, family, sequence, layout)?
    } else {
        soft_end(drive, buf, family, sequence, layout)?
    };
    if !(found.block_size as u64).is_multiple_of(flb) {
        return Err(format!(
            "its blocks ({} bytes) are not whole logical blocks",
            found.block_size
        ));
    }
    found.barcode = medium.barcode;
    found.name = name;
    Ok(found)
}

fn hardware_end(
    drive: &mut dyn TapeDrive,
    buf: &mut [u8],
    family: u32,
    sequence: u16,
    layout: Layout,
) -> Result<Appendable, String> {
    drive.rewind().map_err(dev)?;
    // Where each filemark ends (the position just after it).
    let mut after_marks = Vec::new();
    while drive.space_filemarks(1).map_err(dev)? == SpaceStatus::Done {
        after_marks.push(drive.position().map_err(dev)?.0);
        if after_marks.len() as u64 > MAX_FILEMARKS {
            return Err(format!("it has more than {MAX_FILEMARKS} filemarks"));
        }
    }
    let filemarks = after_marks.len() as u64;
    let end = drive.position().map_err(dev)?.0;
    let not_closed = || {
        "its data do not end with a closed set (the last backup on it was interrupted)".to_owned()
    };
    let Some(&last_mark) = after_marks.last() else {
        return Err(not_closed());
    };
    if last_mark != end {
        // Data after the last filemark: an EOTM whose closing filemark did not fit before the
        // physical end (the family continues), or a set cut short.
        drive
            .locate(tape_core::BlockAddress(last_mark))
            .map_err(dev)?;
        let n = match drive.read_block(buf).map_err(dev)? {
            ReadStatus::Data(n) => n,
            _ => return Err(not_closed()),
        };
        return Err(match decode_dblk(&buf[..n]) {
            Ok(Decoded::Complete { value, .. }) if matches!(value.body, Body::Eotm(_)) => {
                format!(
                    "it is full: family {family:08X} continues on media #{}",
                    sequence + 1
                )
            }
            _ => not_closed(),
        });
    }
    // TAPE | filemark | a set: SSET … | filemark | ESET | filemark.
    if filemarks < 3 {
        return Err("no set on it was ever closed (the backup writing it was interrupted)".into());
    }
    let eset_at = after_marks[after_marks.len() - 2];
    drive
        .locate(tape_core::BlockAddress(eset_at))
        .map_err(dev)?;
    // The block size: the first block of the ESET, then back to it.
    let block_size = match drive.read_block(buf).map_err(dev)? {
        ReadStatus::Data(n) => n,
        _ => {
            return Err(
                "its data do not end with a closed set (the last backup on it was interrupted)"
                    .into(),
            );
        }
    };
    drive
        .locate(tape_core::BlockAddress(eset_at))
        .map_err(dev)?;
    let writer_pba = eset_at.saturating_sub(filemarks - 1);
    let tail = read_tail(
        drive,
        StartContext {
            offset: writer_pba * block_size as u64,
            flb_size: layout.flb_size,
            soft_filemark_size: 0,
            family,
            sequence,
            ..StartContext::default()
        },
        buf,
        1 << 16,
    )?;
    let appendable = finish(
        tail,
        family,
        sequence,
        layout,
        block_size,
        AppendPoint {
            media_sequence: sequence,
            pba: end - filemarks,
            next_sfmb_id: 0,
            filemark_pbas: Vec::new(),
        },
        filemarks,
    )?;
    drive.locate(tape_core::BlockAddress(end)).map_err(dev)?;
    Ok(appendable)
}

fn soft_end(
    drive: &mut dyn TapeDrive,
    buf: &mut [u8],
    family: u32,
    sequence: u16,
    layout: Layout,
) -> Result<Appendable, String> {
    drive.space_to_end_of_data().map_err(dev)?;
    let end = drive.position().map_err(dev)?.0;
    let not_closed = || {
        "its data do not end with a closed set (the last backup on it was interrupted)".to_owned()
    };
    if end < 3 {
        return Err(not_closed());
    }
    drive
        .locate(tape_core::BlockAddress(end - 1))
        .map_err(dev)?;
    let n = match drive.read_block(buf).map_err(dev)? {
        ReadStatus::Data(n) => n,
        _ => return Err(not_closed()),
    };
    let (cbid, entries) = match decode_dblk(&buf[..n]) {
        Ok(Decoded::Complete { value, .. }) => match value.body {
            Body::Sfmb(s) => (value.header.cbid, s.entries),
            _ => return Err(not_closed()),
        },
        _ => return Err(not_closed()),
    };
    let earlier: Vec<u32> = entries.into_iter().filter(|&p| p != 0).collect();
    // The SFMB before the ESET is the newest earlier filemark; the ESET follows it.
    let eset_pba = u64::from(*earlier.first().ok_or_else(not_closed)?) + 1;
    let block_size = n;
    drive
        .locate(tape_core::BlockAddress(eset_pba))
        .map_err(dev)?;
    let tail = read_tail(
        drive,
        StartContext {
            offset: eset_pba * block_size as u64,
            flb_size: layout.flb_size,
            soft_filemark_size: layout.soft_filemark_size,
            family,
            sequence,
            ..StartContext::default()
        },
        buf,
        end - eset_pba,
    )?;
    let last = u32::try_from(end - 1).map_err(|_| "the medium is too long for MTF".to_owned())?;
    let mut filemark_pbas = vec![last];
    filemark_pbas.extend(earlier);
    let appendable = finish(
        tail,
        family,
        sequence,
        layout,
        block_size,
        AppendPoint {
            media_sequence: sequence,
            pba: end,
            next_sfmb_id: cbid.wrapping_add(1),
            filemark_pbas,
        },
        0,
    )?;
    drive.locate(tape_core::BlockAddress(end)).map_err(dev)?;
    Ok(appendable)
}

fn finish(
    tail: Tail,
    family: u32,
    sequence: u16,
    layout: Layout,
    block_size: usize,
    point: AppendPoint,
    filemarks: u64,
) -> Result<Appendable, String> {
    if tail.continues {
        return Err(format!(
            "it is full: family {family:08X} continues on media #{}",
            sequence + 1
        ));
    }
    let last_set = tail.last_set.ok_or_else(|| {
        "its data do not end with a closed set (the last backup on it was interrupted)".to_owned()
    })?;
    if last_set == u16::MAX {
        return Err("it already holds the most sets MTF can number".into());
    }
    Ok(Appendable {
        barcode: None,
        family,
        sequence,
        name: String::new(),
        layout,
        block_size,
        last_set,
        set_map: tail.set_map,
        point,
        filemarks,
    })
}

/// Accepts the medium a backup appends to.
pub(crate) struct AppendCheck {
    pub(crate) target: AppendTo,
    pub(crate) buf: Vec<u8>,
}

impl MediumCheck for AppendCheck {
    type Accepted = Appendable;

    fn check(&mut self, drive: &mut dyn TapeDrive, _request: &MediaRequest) -> Verdict<Appendable> {
        match examine(drive, &mut self.buf) {
            Ok(a) => match self.target {
                AppendTo::Family { family, .. } if a.family != family => Verdict::Refuse(format!(
                    "it is media #{} of family {:08X} (\"{}\"), not of family {family:08X}",
                    a.sequence, a.family, a.name
                )),
                _ => Verdict::Accept(a),
            },
            Err(why) => Verdict::Refuse(format!("{why}; nothing can be appended to it")),
        }
    }
}
