//! Verify (NTBackup `/V:yes`): read a set back from its media, in order and through the media
//! policy like a restore, and compare every file's data with the CRC-32C kept while it was read
//! for the backup. Nothing is written to disk.

use std::collections::{HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use tape_format::attrs::BlockAttributes;
use tape_format::ids::StreamId;
use tape_format::reader::{ChecksumStatus, Event};

use super::extract::Control;
use super::plan::Step;
use super::read::{Consumer, Reading, read_family};
use super::{RestoreContext, RestoreError, SetChoice};
use crate::backup::{BackupReport, device_of, text_components};
use crate::catalog::Catalog;
use crate::{Detail, EventSink, JobEvent};

/// What to verify: one set, and the checksums of its files as read at backup time.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifyJob {
    /// The job's name (operator requests and logs).
    pub name: String,
    /// The media family.
    pub family: u32,
    /// The set's number in the family.
    pub set_number: u16,
    /// The medium the set starts on.
    pub first_sequence: u16,
    /// The medium it ends on, when known.
    pub last_sequence: Option<u16>,
    /// Each regular file (as backed up) and the CRC-32C of its data.
    pub expected: Vec<(PathBuf, u32)>,
}

impl VerifyJob {
    /// Verify the set a backup just wrote (it must have kept checksums).
    pub fn after(name: impl Into<String>, report: &BackupReport) -> Self {
        Self {
            name: name.into(),
            family: report.family,
            set_number: report.set_number,
            first_sequence: report.media.first().map_or(1, |m| m.sequence),
            last_sequence: report.media.last().map(|m| m.sequence),
            expected: report.checksums.clone(),
        }
    }

    /// Verify a catalogued set against the checksums the catalog kept.
    pub fn from_catalog(
        name: impl Into<String>,
        catalog: &Catalog,
        set_id: i64,
    ) -> Result<Self, RestoreError> {
        let set = catalog.set(set_id)?.ok_or_else(|| {
            RestoreError::Plan(format!("the catalog has no set with id {set_id}"))
        })?;
        let expected = catalog
            .entries(set_id)?
            .into_iter()
            .filter_map(|e| {
                let sum = e.checksum?;
                Some((PathBuf::from(std::ffi::OsStr::from_bytes(&e.path)), sum))
            })
            .collect();
        Ok(Self {
            name: name.into(),
            family: set.family,
            set_number: set.number,
            first_sequence: set.first_sequence,
            last_sequence: Some(set.last_sequence),
            expected,
        })
    }
}

/// The result of a verify.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Media read, by sequence number.
    pub media: Vec<u16>,
    /// Files whose data were read back and compared.
    pub files: u64,
    /// Bytes read back.
    pub bytes: u64,
    /// Files that differ from what was backed up, or could not be read back, with why.
    pub different: Vec<(String, String)>,
    /// Blocks or structures the media could not give back.
    pub damaged: Vec<String>,
    /// Why the verify could not read the whole set, if it could not.
    pub incomplete: Option<String>,
}

impl VerifyReport {
    /// True if every file was read back and matched.
    pub fn is_clean(&self) -> bool {
        self.different.is_empty() && self.damaged.is_empty() && self.incomplete.is_none()
    }
}

type Key = (String, Vec<String>);

fn key_of(path: &Path) -> Key {
    (device_of(path).to_owned(), text_components(path))
}

struct Open {
    key: Key,
    shown: String,
    /// CRC-32C so far: the same checksum the backup keeps.
    crc: u32,
    bytes: u64,
    size: u64,
    receiving: bool,
    failed: Option<String>,
}

struct Verifier<'a> {
    events: &'a mut dyn EventSink,
    set_number: u16,
    active: bool,
    expected: HashMap<Key, (String, u32)>,
    seen: HashSet<Key>,
    open: Option<Open>,
    report: VerifyReport,
}

impl Verifier<'_> {
    fn differ(&mut self, shown: String, why: String) {
        self.events
            .event(&JobEvent::Warning(format!("Verify: {shown}: {why}")));
        self.report.different.push((shown, why));
    }

    fn close(&mut self) {
        let Some(o) = self.open.take() else { return };
        let Some((_, want)) = self.expected.get(&o.key).cloned() else {
            return;
        };
        let got = o.crc;
        let why = o.failed.or_else(|| {
            if o.bytes != o.size {
                Some(format!(
                    "{} of its {} bytes were read back",
                    o.bytes, o.size
                ))
            } else if got != want {
                Some(format!(
                    "its data differ from what was backed up (CRC-32C {want:08X} at backup, {got:08X} read back)"
                ))
            } else {
                None
            }
        });
        self.report.files += 1;
        self.report.bytes += o.bytes;
        if let Some(why) = why {
            self.differ(o.shown, why);
        }
    }
}

impl Consumer for Verifier<'_> {
    fn handle(&mut self, event: Event<'_>) -> Control {
        match event {
            Event::SetStart(s) if !s.header.attributes.contains(BlockAttributes::CONTINUATION) => {
                self.close();
                if self.active {
                    return Control::Done;
                }
                self.active = s.sset.set_number == self.set_number;
            }
            Event::File(f) if !f.header.attributes.contains(BlockAttributes::CONTINUATION) => {
                self.close();
                let key = (f.path.device.clone(), f.path.components.clone());
                let shown = self.expected.get(&key).map(|(shown, _)| shown.clone());
                if let Some(shown) = shown.filter(|_| self.active) {
                    self.seen.insert(key.clone());
                    self.open = Some(Open {
                        key,
                        shown,
                        crc: 0,
                        bytes: 0,
                        size: f.header.displayable_size,
                        receiving: false,
                        failed: None,
                    });
                }
            }
            Event::Directory(d) if !d.header.attributes.contains(BlockAttributes::CONTINUATION) => {
                self.close();
            }
            Event::StreamStart { header, .. } => {
                if let Some(o) = &mut self.open {
                    o.receiving = header.id == StreamId::STAN;
                }
            }
            Event::Data(bytes) => {
                if let Some(o) = self.open.as_mut().filter(|o| o.receiving) {
                    o.crc = crc32c::crc32c_append(o.crc, bytes);
                    o.bytes += bytes.len() as u64;
                }
            }
            Event::StreamEnd { id, checksum, .. } if id == StreamId::STAN => {
                if let Some(o) = &mut self.open {
                    o.receiving = false;
                    if let ChecksumStatus::Mismatch { stored, computed } = checksum {
                        o.failed.get_or_insert(format!(
                            "its data do not match their MTF checksum (stored {stored:08X}, read {computed:08X})"
                        ));
                    }
                }
                self.close();
            }
            Event::StreamCut { id, .. } if id == StreamId::STAN => {
                if let Some(o) = &mut self.open {
                    o.failed
                        .get_or_insert("the set was closed before its data were whole".into());
                }
                self.close();
            }
            Event::Damaged { error, offset } => {
                if let Some(o) = &mut self.open {
                    o.failed.get_or_insert(format!(
                        "damaged data on the medium at offset {offset}: {error}"
                    ));
                }
                self.close();
                self.report
                    .damaged
                    .push(format!("offset {offset}: {error}"));
            }
            Event::SetEnd(_) if self.active => {
                self.close();
                return Control::Done;
            }
            Event::EndOfMedium {
                family,
                next_sequence,
                in_set,
                eotm,
            } => {
                if (in_set && self.active) || (eotm.is_some() && !self.active) {
                    return Control::NextMedium {
                        family,
                        sequence: next_sequence,
                    };
                }
                self.close();
                return Control::Done;
            }
            _ => {}
        }
        Control::Continue
    }

    fn finish_pending(&mut self) {
        if let Some(o) = &mut self.open {
            o.failed
                .get_or_insert("the rest of it could not be read back".into());
        }
        self.close();
    }

    fn events_mut(&mut self) -> &mut dyn EventSink {
        &mut *self.events
    }

    fn mounted(&mut self, _family: u32, sequence: u16) {
        self.report.media.push(sequence);
    }

    fn damaged(&mut self, what: String) {
        if let Some(o) = &mut self.open {
            o.failed
                .get_or_insert(format!("part of it could not be read back ({what})"));
        }
        self.report.damaged.push(what);
    }

    fn incomplete(&mut self, why: String) {
        self.report.incomplete = Some(why);
    }

    fn entered(&mut self, set_number: u16) {
        self.active = set_number == self.set_number;
    }
}

/// Reads the set back and compares it with the checksums kept at backup time. Every
/// difference is reported (and logged as a warning); the NTBackup-style "Verify completed"
/// line ends a verify that read the whole set.
pub fn run_verify(job: &VerifyJob, cx: RestoreContext<'_>) -> Result<VerifyReport, RestoreError> {
    let RestoreContext {
        drive,
        policy,
        clock,
        events,
        catalog,
    } = cx;
    let expected: HashMap<Key, (String, u32)> = job
        .expected
        .iter()
        .map(|(p, sum)| (key_of(p), (p.display().to_string(), *sum)))
        .collect();
    let mut v = Verifier {
        events,
        set_number: job.set_number,
        active: false,
        expected,
        seen: HashSet::new(),
        open: None,
        report: VerifyReport::default(),
    };
    v.events.event(&JobEvent::Message {
        detail: Detail::Summary,
        text: format!(
            "Verify of set #{} of family {:08X} started: {} files to compare",
            job.set_number,
            job.family,
            v.expected.len()
        ),
    });
    let step = Step {
        family: Some(job.family),
        choice: SetChoice::Number(job.set_number),
        first_sequence: job.first_sequence,
        last_sequence: job.last_sequence,
        start: None,
        set_id: None,
    };
    let mut reading = Reading {
        drive,
        policy,
        clock,
        catalog,
        job: &job.name,
    };
    read_family(&mut reading, &step, &mut v, true)?;
    v.finish_pending();
    let mut missing: Vec<String> = v
        .expected
        .iter()
        .filter(|(k, _)| !v.seen.contains(*k))
        .map(|(_, (shown, _))| shown.clone())
        .collect();
    missing.sort();
    if v.report.incomplete.is_none() {
        for shown in missing {
            v.differ(shown, "it was not found on the media".into());
        }
    }
    let when = crate::backup::ntbackup_time(crate::backup::timestamp(clock.now()));
    let text = match &v.report.incomplete {
        None => format!(
            "Verify completed on {when}. Files: {}, bytes: {}, different files: {}",
            v.report.files,
            v.report.bytes,
            v.report.different.len()
        ),
        Some(why) => format!("Verify did not complete on {when}: {why}"),
    };
    v.events.event(&JobEvent::Message {
        detail: Detail::Summary,
        text,
    });
    Ok(v.report)
}
