//! A backup's media session: executes the writer's outputs on the drive and, when a medium
//! fills, ends it, gets the next one through the media policy, and continues the set there.

use tape_core::{DeviceError, TapeDrive, VolumeTag, WriteStatus};
use tape_format::catalog::FddSpool;
use tape_format::writer::{MediaWriter, MediumInfo, Outcome, Output, Placement, WriteError};

use super::BackupError;
use super::check::{BackupCheck, Overwrite};
use crate::catalog::{Catalog, MediumRecord};
use crate::media::acquire;
use crate::policy::{MediaDirectory, MediaPolicy, MediaRequest, MediumRelease, ReleaseError, Stop};
use crate::{Clock, Detail, EventSink, JobEvent, Purpose};

/// A medium the job wrote on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UsedMedium {
    /// Place in the family, from 1.
    pub sequence: u16,
    /// Its barcode, if the drive reports one.
    pub barcode: Option<VolumeTag>,
}

/// Whether the job can go on writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stopped,
}

pub(crate) struct Session<'a, S: FddSpool> {
    pub(crate) writer: MediaWriter<S>,
    pub(crate) drive: &'a mut dyn TapeDrive,
    pub(crate) policy: &'a mut dyn MediaPolicy,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) events: &'a mut dyn EventSink,
    pub(crate) directory: Option<&'a dyn MediaDirectory>,
    pub(crate) overwrite: Overwrite,
    pub(crate) job: String,
    pub(crate) family: u32,
    pub(crate) media: Vec<UsedMedium>,
    /// Drive addresses of what was written.
    pub(crate) tracker: Tracker,
    /// Every cartridge this job mounted (never offered again, even one that took nothing).
    pub(crate) tried: Vec<VolumeTag>,
    pub(crate) stopped: Option<Stop>,
    pub(crate) medium_name: String,
    /// The set was closed on the medium in the drive (ESET marked aborted) after a stop.
    pub(crate) closed_early: bool,
    /// Where each medium is recorded as soon as it is mounted.
    pub(crate) media_log: Option<MediaLog<'a>>,
}

/// The catalog's set being written: each medium is recorded in it as soon as the set has data
/// on it (never before, so a crash cannot leave a blank cartridge recorded as holding data), so
/// a set whose writer dies still names every medium it reached.
pub(crate) struct MediaLog<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) set: i64,
    /// The job's start: the date its media are recorded with.
    pub(crate) written_at: i64,
    /// The highest sequence recorded so far.
    pub(crate) recorded: u16,
}

/// Runs one output on the drive.
fn execute(drive: &mut dyn TapeDrive, out: Output<'_>) -> Result<Outcome, DeviceError> {
    let result = match out {
        Output::Block(bytes) => drive.write_block(bytes),
        Output::Filemark => drive.write_filemarks(1),
    };
    match result {
        Ok(WriteStatus::Written) => Ok(Outcome::Written),
        Ok(WriteStatus::EarlyWarning) => Ok(Outcome::EarlyWarning),
        Err(DeviceError::VolumeOverflow { .. }) => Ok(Outcome::Overflow),
        Err(e) => Err(e),
    }
}

/// Where DBLKs landed, as drive addresses: a catalog LOCATEs there for a single-file restore.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    /// The writer's physical block size.
    pub(crate) phys: u64,
    /// Hardware filemarks on the current medium: the writer's byte position at each (the drive
    /// counts them as objects, the writer does not).
    pub(crate) filemarks: Vec<u64>,
    /// Placements with their drive address and the bytes to skip in that block.
    pub(crate) placed: Vec<(Placement, u64, u64)>,
}

impl Tracker {
    fn take<S: FddSpool>(&mut self, writer: &mut MediaWriter<S>) {
        for p in writer.take_placements() {
            let before = self.filemarks.iter().filter(|&&f| f <= p.offset).count() as u64;
            let block = p.offset / self.phys + before;
            self.placed.push((p, block, p.offset % self.phys));
        }
    }
}

/// Executes outputs until none is pending or one ends the medium; returns that outcome.
fn pump<S: FddSpool>(
    writer: &mut MediaWriter<S>,
    drive: &mut dyn TapeDrive,
    tracker: &mut Tracker,
) -> Result<Option<Outcome>, BackupError> {
    loop {
        let (outcome, filemark) = match writer.poll()? {
            None => return Ok(None),
            Some(out) => {
                let filemark = matches!(out, Output::Filemark);
                (
                    execute(drive, out).map_err(|e| BackupError::device(drive, e))?,
                    filemark,
                )
            }
        };
        if filemark && outcome != Outcome::Overflow {
            tracker.filemarks.push(writer.position());
        }
        writer.complete(outcome)?;
        tracker.take(writer);
        if outcome != Outcome::Written {
            return Ok(Some(outcome));
        }
    }
}

/// Ends the full medium (filemark, EOTM, filemark) when a policy is about to take it away.
struct Releaser<'w, S: FddSpool> {
    writer: &'w mut MediaWriter<S>,
    tracker: &'w mut Tracker,
    released: bool,
    sequence: u16,
}

impl<S: FddSpool> MediumRelease for Releaser<'_, S> {
    fn release(
        &mut self,
        drive: &mut dyn TapeDrive,
        events: &mut dyn EventSink,
    ) -> Result<(), ReleaseError> {
        if self.released {
            return Ok(());
        }
        self.writer.end_of_medium().map_err(ReleaseError::Format)?;
        // Past early warning every write reports it; only a refusal at the physical end stops
        // the trailer, and the reader copes with a medium that ends without one.
        loop {
            match pump(self.writer, drive, self.tracker) {
                Ok(None) => break,
                Ok(Some(Outcome::EarlyWarning)) => continue,
                Ok(Some(_)) => break,
                Err(BackupError::Device { drive, source }) => {
                    return Err(ReleaseError::Device { drive, source });
                }
                Err(BackupError::Format(e)) => return Err(ReleaseError::Format(e)),
                Err(e) => return Err(ReleaseError::Other(Box::new(e))),
            }
        }
        self.released = true;
        events.event(&JobEvent::Message {
            detail: Detail::Summary,
            text: format!(
                "Media #{} is full: closed it with an end-of-medium marker",
                self.sequence
            ),
        });
        Ok(())
    }
}

impl<S: FddSpool> Session<'_, S> {
    /// Executes every pending output, changing media as they fill.
    pub(crate) fn drain(&mut self) -> Result<Flow, BackupError> {
        if self.stopped.is_some() {
            return Ok(Flow::Stopped);
        }
        loop {
            let outcome = pump(&mut self.writer, &mut *self.drive, &mut self.tracker)?;
            self.log_medium()?;
            match outcome {
                None => return Ok(Flow::Continue),
                Some(Outcome::EarlyWarning | Outcome::Overflow) => {
                    if self.change_medium()? == Flow::Stopped {
                        return Ok(Flow::Stopped);
                    }
                }
                Some(Outcome::Written) => {}
            }
        }
    }

    /// Records the medium in the drive in the catalog once the set has data on it.
    fn log_medium(&mut self) -> Result<(), BackupError> {
        let Some(log) = &mut self.media_log else {
            return Ok(());
        };
        let sequence = self.writer.media_sequence();
        if log.recorded >= sequence || self.writer.position() == 0 {
            return Ok(());
        }
        let barcode = self
            .media
            .iter()
            .find(|m| m.sequence == sequence)
            .and_then(|m| m.barcode.clone());
        let m = MediumRecord::new(
            self.family,
            sequence,
            barcode,
            &self.medium_name,
            log.written_at,
        );
        log.catalog.extend_set(log.set, &m)?;
        log.recorded = sequence;
        Ok(())
    }

    /// The medium is full: get the next one, or close the set where it is.
    fn change_medium(&mut self) -> Result<Flow, BackupError> {
        let sequence = self.writer.media_sequence();
        let overflow = self.writer.needs_medium();
        self.events.event(&JobEvent::Message {
            detail: Detail::Summary,
            text: if overflow {
                format!("Media #{sequence} reached its physical end without an early warning")
            } else {
                format!("Media #{sequence} reached its early-warning point")
            },
        });
        // A medium that took nothing at all (refused its very first block) is not part of the
        // family: its successor takes its sequence number.
        let next = if self.writer.position() == 0 {
            sequence
        } else {
            sequence + 1
        };
        let mut request =
            MediaRequest::new(Purpose::Backup, self.job.clone(), Some(self.family), next);
        request.exclude = self.tried.clone();
        let mut check = BackupCheck {
            overwrite: self.overwrite,
            directory: self.directory,
            buf: vec![0; 1 << 20],
        };
        let mut releaser = Releaser {
            writer: &mut self.writer,
            tracker: &mut self.tracker,
            released: overflow,
            sequence,
        };
        let result = acquire(
            &mut request,
            &mut *self.policy,
            &mut check,
            &mut *self.drive,
            self.clock,
            &mut *self.events,
            &mut releaser,
            false,
        );
        let released = releaser.released;
        match result {
            Ok((barcode, _)) if released => {
                let info = MediumInfo {
                    name: self.medium_name.clone(),
                    ..MediumInfo::default()
                };
                self.writer.continue_on_new_medium(info)?;
                self.tracker.filemarks.clear();
                let sequence = self.writer.media_sequence();
                self.media.retain(|m| m.sequence != sequence);
                self.tried.extend(barcode.clone());
                self.media.push(UsedMedium { sequence, barcode });
                Ok(Flow::Continue)
            }
            Ok(_) => Err(BackupError::Policy(format!(
                "the media policy \"{}\" loaded a new medium without closing the full one",
                self.policy.name()
            ))),
            Err(stop) => {
                let full = self
                    .media
                    .last()
                    .and_then(|m| m.barcode.as_ref())
                    .map_or_else(String::new, |b| format!(" ({b})"));
                self.events.event(&JobEvent::Warning(format!(
                    "media #{sequence}{full} in drive {} is full and media #{} is needed, but {stop}",
                    self.drive.name(),
                    sequence + 1
                )));
                if released {
                    self.events.event(&JobEvent::Message {
                        detail: Detail::Summary,
                        text: format!(
                            "Media #{sequence} already ends with an end-of-medium marker: the set continues on a medium that \
                             was never written, and a restore reports it incomplete; every file written completely on the \
                             media written can be restored"
                        ),
                    });
                } else {
                    self.close_here()?;
                    self.closed_early = true;
                }
                self.stopped = Some(stop);
                Ok(Flow::Stopped)
            }
        }
    }

    /// Closes the set on the medium in the drive, cut short (ESET marked aborted).
    fn close_here(&mut self) -> Result<(), BackupError> {
        self.writer.abort_set()?;
        loop {
            match pump(&mut self.writer, &mut *self.drive, &mut self.tracker)? {
                None => break,
                Some(Outcome::EarlyWarning) => {}
                Some(_) => break,
            }
        }
        let sequence = self.writer.media_sequence();
        self.events.event(&JobEvent::Message {
            detail: Detail::Summary,
            text: format!("The backup set was closed on media #{sequence}; every file written completely is restorable"),
        });
        Ok(())
    }
}

impl From<WriteError> for BackupError {
    fn from(e: WriteError) -> Self {
        BackupError::Format(e)
    }
}
