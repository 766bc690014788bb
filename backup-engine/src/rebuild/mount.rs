//! Getting each medium into the drive and learning what it is: its TAPE block and, on a tape,
//! where its hardware filemarks are (spacing over them reads no data).

use tape_core::{DeviceError, ReadStatus, SpaceStatus, TapeDrive, VolumeTag};
use tape_format::block::{Body, decode_dblk};
use tape_format::decoded::Decoded;

use super::address::FilemarkMap;
use super::{RebuildError, Tally};
use crate::policy::{MediaPolicy, MediaRequest, NothingToRelease, PolicyContext, Stop, Supply};
use crate::{Clock, Detail, EventSink, JobEvent, Purpose};

/// Largest block read (the restore's limit too).
const MAX_BLOCK: usize = 64 << 20;
/// More filemarks than any MTF medium holds (two per set): a medium that seems to have more is
/// not mapped, and is scanned instead.
const MAX_FILEMARKS: usize = 1 << 16;

/// What the rebuild works with: the drive and how media get into it.
pub(crate) struct Mounter<'a> {
    pub(crate) drive: &'a mut dyn TapeDrive,
    pub(crate) policy: &'a mut dyn MediaPolicy,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) events: &'a mut dyn EventSink,
    pub(crate) job: String,
    pub(crate) buf: Vec<u8>,
    pub(crate) tally: Tally,
    /// `(family, sequence)` of the medium surveyed last, while it stays loaded.
    pub(crate) current: Option<(u32, u16)>,
}

/// An MTF medium, from its TAPE block.
#[derive(Debug, Clone)]
pub(crate) struct Medium {
    pub(crate) barcode: Option<VolumeTag>,
    pub(crate) family: u32,
    pub(crate) sequence: u16,
    pub(crate) name: String,
    pub(crate) date: tape_format::date::MtfDate,
    pub(crate) flb: u16,
    /// The physical block size: the length of the TAPE block on a tape (the writer pads it to
    /// a physical block, mtf.md §7), 1 KiB for a `.bkf`.
    pub(crate) block_size: u64,
    pub(crate) catalog_type: u16,
    /// Hardware filemarks, when the drive records them and they could be mapped.
    pub(crate) filemarks: Option<FilemarkMap>,
}

/// What a loaded medium turned out to be.
pub(crate) enum Found {
    Mtf(Medium),
    Other(String),
}

impl Mounter<'_> {
    /// Gets a medium into the drive through the media policy: the cartridge `barcode`, or
    /// (without) the one loaded when `loaded` is set, else the next the policy supplies for
    /// medium `sequence` of `family`. What the medium is, is decided after, by reading it.
    pub(crate) fn mount(
        &mut self,
        barcode: Option<&VolumeTag>,
        family: Option<u32>,
        sequence: u16,
        loaded: bool,
    ) -> Result<Option<VolumeTag>, Stop> {
        let status = self.drive.status().ok();
        let ready = status.as_ref().is_some_and(|s| s.ready);
        let here = status.and_then(|s| s.medium).and_then(|m| m.barcode);
        match barcode {
            Some(want) if ready && here.as_ref() == Some(want) => return Ok(here),
            None if ready && loaded => return Ok(here),
            _ => {}
        }
        self.current = None;
        let mut request = MediaRequest::new(Purpose::Restore, self.job.clone(), family, sequence);
        request.barcode = barcode.cloned();
        let mut cx = PolicyContext {
            drive: &mut *self.drive,
            clock: self.clock,
            events: &mut *self.events,
            release: &mut NothingToRelease,
        };
        match self.policy.supply(&request, &mut cx) {
            Supply::Loaded => {}
            Supply::Declined(why) => return Err(Stop::NoMedium(why)),
            Supply::Stop(stop) => return Err(stop),
        }
        let got = self
            .drive
            .status()
            .ok()
            .and_then(|s| s.medium)
            .and_then(|m| m.barcode);
        match barcode {
            Some(want) if got.as_ref() != Some(want) => Err(Stop::NoMedium(format!(
                "{want} was asked for and {} was loaded",
                got.map_or_else(|| "another cartridge".to_owned(), |g| g.to_string())
            ))),
            _ => Ok(got.or_else(|| barcode.cloned())),
        }
    }

    /// Makes sure `medium` is in the drive (by its barcode, unless it is the one surveyed
    /// last and still loaded).
    pub(crate) fn load(&mut self, medium: &Medium) -> Result<(), String> {
        if self.current == Some((medium.family, medium.sequence)) {
            return Ok(());
        }
        let Some(tag) = medium.barcode.clone() else {
            return Err(format!(
                "media #{} has no barcode to load it by",
                medium.sequence
            ));
        };
        self.mount(Some(&tag), Some(medium.family), medium.sequence, false)
            .map_err(|stop| format!("{tag} could not be loaded: {stop}"))?;
        self.current = Some((medium.family, medium.sequence));
        Ok(())
    }

    pub(crate) fn device(&self, source: DeviceError) -> RebuildError {
        RebuildError::Device {
            drive: self.drive.name().to_owned(),
            source,
        }
    }

    /// A progress line.
    pub(crate) fn message(&mut self, text: String) {
        self.events.event(&JobEvent::Message {
            detail: Detail::Summary,
            text,
        });
    }

    /// Reads the next block into `buf`, growing it for blocks larger than it (as Linux st, the
    /// drive moves past a block too large for the buffer: space back over it and read again).
    pub(crate) fn read(&mut self, buf: &mut Vec<u8>) -> Result<ReadStatus, RebuildError> {
        loop {
            match self.drive.read_block(buf) {
                Ok(status) => {
                    if let ReadStatus::Data(n) = status {
                        self.tally.blocks += 1;
                        self.tally.bytes += n as u64;
                    }
                    return Ok(status);
                }
                Err(DeviceError::BlockTooLarge { block_len, .. }) if buf.len() < MAX_BLOCK => {
                    let want = block_len
                        .unwrap_or(buf.len() * 2)
                        .max(buf.len() * 2)
                        .min(MAX_BLOCK);
                    buf.resize(want, 0);
                    let _ = self.drive.space_blocks(-1).map_err(|e| self.device(e))?;
                }
                Err(e) => return Err(self.device(e)),
            }
        }
    }

    /// Positions at drive address `address`.
    pub(crate) fn locate(&mut self, address: u64) -> Result<(), RebuildError> {
        self.tally.locates += 1;
        self.drive
            .locate(tape_core::BlockAddress(address))
            .map_err(|e| self.device(e))
    }

    /// Rewinds and reads the TAPE block; on a tape, also maps the filemarks.
    pub(crate) fn survey(&mut self, barcode: Option<VolumeTag>) -> Result<Found, RebuildError> {
        self.drive.rewind().map_err(|e| self.device(e))?;
        let mut buf = std::mem::take(&mut self.buf);
        let read = self.read(&mut buf);
        self.buf = buf;
        let n = match read {
            Ok(ReadStatus::Data(n)) => n,
            Ok(ReadStatus::EndOfData) => return Ok(Found::Other("it is blank".into())),
            Ok(ReadStatus::Filemark) => {
                return Ok(Found::Other("it starts with a filemark (not MTF)".into()));
            }
            Err(RebuildError::Device {
                source: DeviceError::BlockTooLarge { .. },
                ..
            }) => {
                return Ok(Found::Other(
                    "its first block is larger than any MTF block".into(),
                ));
            }
            Err(RebuildError::Device {
                source: DeviceError::MediumError { detail, .. },
                ..
            }) => {
                return Ok(Found::Other(format!(
                    "its first block cannot be read ({detail})"
                )));
            }
            Err(e) => return Err(e),
        };
        let dblk = match decode_dblk(&self.buf[..n]) {
            Ok(Decoded::Complete { value, .. }) => value,
            _ => return Ok(Found::Other("it holds no MTF data (no TAPE block)".into())),
        };
        let Body::Tape(tape) = &dblk.body else {
            return Ok(Found::Other(
                "its MTF data does not start with a TAPE block".into(),
            ));
        };
        let caps = self.drive.capabilities();
        let filemarks = if caps.hardware_filemarks {
            self.map_filemarks()?
        } else {
            None
        };
        self.current = Some((tape.media_family_id, tape.media_sequence));
        Ok(Found::Mtf(Medium {
            barcode,
            family: tape.media_family_id,
            sequence: tape.media_sequence,
            name: dblk.text(&tape.media_name),
            date: tape.media_date,
            flb: tape.flb_size,
            block_size: if caps.hardware_filemarks {
                n as u64
            } else {
                tape_core::BKF_BLOCK as u64
            },
            catalog_type: tape.catalog_type,
            filemarks,
        }))
    }

    /// The addresses of every filemark after the current position, by spacing over them.
    fn map_filemarks(&mut self) -> Result<Option<FilemarkMap>, RebuildError> {
        let mut marks = Vec::new();
        while marks.len() < MAX_FILEMARKS {
            self.tally.spaces += 1;
            match self.drive.space_filemarks(1).map_err(|e| self.device(e))? {
                SpaceStatus::Done => {
                    let here = self.drive.position().map_err(|e| self.device(e))?.0;
                    marks.push(here.saturating_sub(1));
                }
                _ => {
                    let end = self.drive.position().ok().map(|b| b.0);
                    return Ok(Some(FilemarkMap::new(marks).ending_at(end)));
                }
            }
        }
        Ok(None)
    }
}
