//! Turning reader events into files under the restore root.

use tape_format::attrs::BlockAttributes;
use tape_format::ids::StreamId;
use tape_format::path::MtfPath;
use tape_format::reader::{ChecksumStatus, DirectoryEvent, Event, FileEvent};
use tape_format::stream::unix::{UnixFileType, UnixMeta};

use super::apply::{Applier, Done, STREAM_AT, gone, parent};
use super::names::{UnsafeName, checked, components, show};
use super::owners::Owners;
use super::prune::Restored;
use super::read::Consumer;
use super::target::{Meta, Refused};
use super::{RestoreReport, SetChoice};
use crate::walk::Timestamp;
use crate::{Detail, EventSink, JobEvent};
use tape_format::stream::dumpdir::DumpDir;

/// What the reading loop should do after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    Continue,
    /// The medium ended inside the set: the family continues on this medium.
    NextMedium {
        family: u32,
        sequence: u16,
    },
    /// Everything wanted is restored.
    Done,
}

/// A regular file being restored: its data gathered until its stream ends (then it is
/// created whole, on the file-system thread), or streamed there past [`STREAM_AT`] bytes.
struct Pending {
    buf: Vec<u8>,
    streaming: bool,
    comps: Vec<Vec<u8>>,
    shown: String,
    meta: Meta,
    size: u64,
    written: u64,
    receiving: bool,
    /// Its data stream ended whole.
    ended: bool,
    failed: Option<String>,
}

pub(crate) struct Extractor<'a> {
    pub(crate) root: Applier,
    pub(crate) report: RestoreReport,
    events: &'a mut dyn EventSink,
    choice: SetChoice,
    /// The set being read is one to restore.
    active: bool,
    /// A set to restore has ended (for single-set choices: stop).
    finished: bool,
    pending: Option<Pending>,
    /// Local − UTC of the set's dates, in seconds, when the SSET says.
    tz: Option<i64>,
    last_file: Option<String>,
    /// Directories restored under raw (non-UTF-8) names: their stored path → what was created.
    raw_dirs: std::collections::HashMap<MtfPath, Vec<Vec<u8>>>,
    /// Directories refused for their name (their contents are refused with them).
    refused_dirs: std::collections::HashSet<MtfPath>,
    /// Directories the file system refused (their listings are not applied).
    failed_dirs: std::collections::HashSet<Vec<Vec<u8>>>,
    /// Apply directory listings (a chain of sets): remove what a later set no longer lists.
    pub(crate) prune: bool,
    /// What this restore created.
    restored: Restored,
    /// The directory just restored (its listing stream follows).
    current_dir: Option<Vec<Vec<u8>>>,
    /// A listing being collected.
    listing: Option<Vec<u8>>,
    /// Only these objects and their subtrees (MTF device, path components); all when empty.
    pub(crate) select: Vec<(String, Vec<String>)>,
    /// Which of `select` were found (in any set read).
    pub(crate) found: Vec<bool>,
    /// Which of `select` were found in the set being read, and whether one is a directory.
    found_here: Vec<bool>,
    found_dir: bool,
    /// A selected object was met in the set being read (the next unselected one ends a
    /// subtree: objects of a subtree are contiguous in MTF order).
    matched: bool,
    /// User and group names already looked up (NSS reads /etc/passwd on every lookup: once
    /// per name, not once per file).
    owners: Owners,
}

impl<'a> Extractor<'a> {
    pub(crate) fn new(root: Applier, choice: SetChoice, events: &'a mut dyn EventSink) -> Self {
        Self {
            root,
            report: RestoreReport::default(),
            events,
            choice,
            active: false,
            finished: false,
            pending: None,
            tz: None,
            last_file: None,
            raw_dirs: std::collections::HashMap::new(),
            refused_dirs: std::collections::HashSet::new(),
            failed_dirs: std::collections::HashSet::new(),
            prune: false,
            restored: Restored::default(),
            current_dir: None,
            listing: None,
            select: Vec::new(),
            found: Vec::new(),
            found_here: Vec::new(),
            found_dir: false,
            matched: false,
            owners: Owners::default(),
        }
    }

    /// Restore only these objects (and what is under them).
    pub(crate) fn select(&mut self, paths: Vec<(String, Vec<String>)>) {
        self.found = vec![false; paths.len()];
        self.select = paths;
        self.new_set();
    }

    /// A set begins: nothing of the selection met in it yet.
    fn new_set(&mut self) {
        self.matched = false;
        self.found_dir = false;
        self.found_here = vec![false; self.select.len()];
    }

    /// Whether `path` is selected (recording which selection it matched).
    fn selected(&mut self, path: &MtfPath, dir: bool) -> bool {
        if self.select.is_empty() {
            return true;
        }
        let mut any = false;
        for (i, (device, comps)) in self.select.iter().enumerate() {
            if *device == path.device && path.components.starts_with(comps) {
                if path.components.len() == comps.len() {
                    self.found[i] = true;
                    self.found_here[i] = true;
                    self.found_dir |= dir;
                }
                any = true;
            }
        }
        any
    }

    /// Every selected path was a file and has been restored from this set: stop reading it.
    fn files_done(&mut self) -> bool {
        let done = !self.select.is_empty()
            && self.choice != SetChoice::All
            && !self.found_dir
            && self.pending.is_none()
            && self.found_here.iter().all(|&f| f);
        if done {
            self.finished = true;
            self.active = false;
        }
        done
    }

    /// Decides about the DIRB or FILE at `path`: `Some(control)` if it is not to be restored.
    fn gate(&mut self, path: &MtfPath, dir: bool) -> Option<Control> {
        self.commit_pending();
        if !self.active {
            return Some(Control::Continue);
        }
        if self.files_done() {
            return Some(Control::Done);
        }
        if self.selected(path, dir) {
            self.matched = true;
            return None;
        }
        self.current_dir = None;
        self.last_file = None;
        if self.matched && self.choice != SetChoice::All {
            // The selected subtrees are behind us: nothing more of this set is wanted.
            self.finished = true;
            self.active = false;
            return Some(Control::Done);
        }
        Some(Control::Continue)
    }

    /// Starts the next family of a chain: restore `choice` from it.
    pub(crate) fn begin(&mut self, choice: SetChoice) {
        self.choice = choice;
        self.active = false;
        self.finished = false;
        self.current_dir = None;
        self.listing = None;
        self.new_set();
    }

    fn refuse(&mut self, what: String, why: impl std::fmt::Display) {
        let why = why.to_string();
        self.events
            .event(&JobEvent::Warning(format!("{what}: {why}")));
        self.report.refused.push((what, why));
    }

    fn on_event(&mut self, event: Event<'_>) -> Control {
        match event {
            Event::SetStart(s) => {
                if s.header.attributes.contains(BlockAttributes::CONTINUATION) {
                    return Control::Continue;
                }
                self.commit_pending();
                if self.finished && self.choice != SetChoice::All {
                    return Control::Done;
                }
                let number = s.sset.set_number;
                self.active = match self.choice {
                    SetChoice::All => true,
                    SetChoice::Number(n) => n == number,
                };
                self.tz = (s.sset.time_zone != tape_format::block::LOCAL_TZ)
                    .then(|| i64::from(s.sset.time_zone) * 900);
                self.new_set();
                if self.active {
                    self.second_set();
                    self.report.sets.push(number);
                    self.events.event(&JobEvent::Message {
                        detail: Detail::Summary,
                        text: format!("Restoring set #{number} \"{}\" ({})", s.name, s.description),
                    });
                }
            }
            Event::Directory(d) if !d.header.attributes.contains(BlockAttributes::CONTINUATION) => {
                if let Some(control) = self.gate(&d.path, true) {
                    return control;
                }
                self.directory(&d);
            }
            Event::File(f) if !f.header.attributes.contains(BlockAttributes::CONTINUATION) => {
                if let Some(control) = self.gate(&f.path, false) {
                    return control;
                }
                self.file(&f);
            }
            Event::StreamStart { header, .. } => {
                if let Some(p) = &mut self.pending {
                    p.receiving = header.id == StreamId::STAN;
                }
                let wanted = self.prune && self.active && header.id == StreamId::LXDD;
                self.listing = (wanted && self.current_dir.is_some()).then(Vec::new);
            }
            Event::Data(bytes) if self.listing.is_some() => {
                if let Some(l) = &mut self.listing
                    && l.len() + bytes.len() <= DumpDir::MAX_LEN
                {
                    l.extend_from_slice(bytes);
                }
            }
            Event::Data(bytes) => self.data(bytes),
            Event::StreamEnd { id, .. } if id == StreamId::LXDD => self.listing_end(),
            Event::StreamEnd { id, checksum, .. } if id == StreamId::STAN => {
                self.stan_end(checksum);
                if self.files_done() {
                    return Control::Done;
                }
            }
            Event::StreamCut {
                id,
                delivered,
                expected,
            } if id == StreamId::STAN => {
                self.fail_pending(format!(
                    "the backup set was closed early while it was being written: only {delivered} of its \
                     {expected} bytes are on the media (cut short); not restored"
                ));
            }
            // Its name or metadata stream was cut (the reader reports the object first): what
            // it is, its name or its data cannot be known.
            Event::StreamCut {
                id,
                delivered,
                expected,
            } => {
                self.fail_pending(format!(
                    "the set ends inside its {id} stream: {delivered} of the {expected} bytes it announces are \
                     on the media; not restored"
                ));
            }
            Event::Corrupt(cfil) => {
                if let Some(name) = self.last_file.clone().filter(|_| self.active) {
                    let why = format!(
                        "the file changed or could not be read during the backup: from byte {} on it was saved as zeros",
                        cfil.stream_offset
                    );
                    self.events
                        .event(&JobEvent::Warning(format!("{name}: {why}")));
                    self.report.corrupt.push((name, why));
                }
            }
            Event::SetEnd(end) => {
                self.commit_pending();
                if self.active {
                    if end.0.attributes.contains(BlockAttributes::ESET_ABORTED_SET) {
                        self.report.incomplete.get_or_insert_with(|| {
                            "the backup stopped early (no further medium); the set was closed on its last medium".into()
                        });
                    }
                    self.finished = true;
                    self.active = false;
                }
                if self.finished && self.choice != SetChoice::All {
                    return Control::Done;
                }
            }
            Event::Damaged { error, offset } => {
                self.fail_pending(format!(
                    "damaged data on the medium at offset {offset}: {error}"
                ));
                self.report
                    .damaged
                    .push(format!("offset {offset}: {error}"));
                self.events.event(&JobEvent::Warning(format!(
                    "damaged structure at offset {offset}: {error}; reading resumes after it"
                )));
            }
            Event::EndOfMedium {
                family,
                next_sequence,
                in_set,
                eotm,
            } => {
                // The family goes on: inside the set, or (after an EOTM) before it started.
                if (in_set && (self.active || !self.finished)) || (eotm.is_some() && !self.finished)
                {
                    return Control::NextMedium {
                        family,
                        sequence: next_sequence,
                    };
                }
                self.commit_pending();
                return Control::Done;
            }
            _ => {}
        }
        Control::Continue
    }

    fn meta_of(
        &mut self,
        unix: Option<&UnixMeta>,
        modified: tape_format::date::MtfDate,
        dir: bool,
    ) -> Meta {
        match unix {
            Some(u) => Meta {
                mode: Some(u.mode & 0o7777),
                uid: Some(self.owners.uid(u)),
                gid: Some(self.owners.gid(u)),
                atime: Some(Timestamp {
                    secs: u.atime.secs,
                    nanos: u.atime.nanos,
                }),
                mtime: Some(Timestamp {
                    secs: u.mtime.secs,
                    nanos: u.mtime.nanos,
                }),
                xattrs: u.xattrs.clone(),
            },
            None => {
                let mtime = modified.to_unix().map(|local| {
                    let offset = self
                        .tz
                        .unwrap_or_else(|| crate::backup::local_offset(local));
                    Timestamp {
                        secs: local - offset,
                        nanos: 0,
                    }
                });
                Meta {
                    mode: Some(if dir { 0o755 } else { 0o644 }),
                    mtime,
                    ..Meta::default()
                }
            }
        }
    }

    /// Our Unix metadata of an object. Present but undecodable, the damage is reported and the
    /// object restored without them (as a plain file or directory).
    fn unix_of<'u>(
        &mut self,
        path: &MtfPath,
        unix: Option<&'u Result<UnixMeta, tape_format::error::DecodeError>>,
    ) -> Option<&'u UnixMeta> {
        match unix? {
            Ok(m) => Some(m),
            Err(e) => {
                let what = format!(
                    "{path}: its Unix metadata (LXMD) cannot be read ({e}); restored without them"
                );
                self.events.event(&JobEvent::Warning(what.clone()));
                self.report.damaged.push(what);
                None
            }
        }
    }

    /// Components of a path whose last name may be given raw (a Linux name that is not UTF-8,
    /// from our Unix-metadata stream); a parent directory restored under its raw name is used
    /// as it was restored. What lies in a directory refused for its name is refused too.
    fn resolve(&self, path: &MtfPath, raw_name: Option<&[u8]>) -> Result<Vec<Vec<u8>>, UnsafeName> {
        let Some((last, parent)) = path.components.split_last() else {
            return checked(&path.device, Vec::new());
        };
        let parent_path = MtfPath {
            device: path.device.clone(),
            components: parent.to_vec(),
        };
        let name = raw_name.map_or_else(|| last.as_bytes().to_vec(), <[u8]>::to_vec);
        let comps = match self.raw_dirs.get(&parent_path) {
            Some(dir) => {
                super::names::check_component(&name)?;
                let mut out = dir.clone();
                out.push(name);
                super::names::check_depth(out.len())?;
                out
            }
            None => {
                let mut parts: Vec<Vec<u8>> =
                    parent.iter().map(|c| c.as_bytes().to_vec()).collect();
                parts.push(name);
                checked(&path.device, parts)?
            }
        };
        if self.refused_dirs.contains(&parent_path) {
            return Err(UnsafeName(format!(
                "its directory {parent_path} was refused"
            )));
        }
        Ok(comps)
    }

    /// A directory's listing of the set being applied: remove what it no longer names.
    fn listing_end(&mut self) {
        let (Some(bytes), Some(dir)) = (self.listing.take(), self.current_dir.clone()) else {
            return;
        };
        let listing = match DumpDir::decode(&bytes) {
            Ok(l) => l,
            Err(e) => {
                return self.refuse(
                    show(&dir),
                    format!("its listing cannot be read ({e}); deleted files may remain"),
                );
            }
        };
        let names: std::collections::HashSet<Vec<u8>> =
            listing.entries.into_iter().map(|e| e.name).collect();
        // Everything restored so far is in place and recorded before the listing is applied.
        if self.root.call_after_all(&dir, |_| ()).is_none() {
            return self.refuse(show(&dir), "the restore's file-system thread stopped");
        }
        self.absorb();
        if self.failed_dirs.contains(&dir) {
            // Not created (already reported): nothing in it to leave out.
            return;
        }
        let mut restored = std::mem::take(&mut self.restored);
        let shown = dir.clone();
        let answer = self.root.call(&shown, move |w| {
            let result = restored.prune(&mut w.root, &dir, &names);
            (restored, result)
        });
        let Some((restored, (removed, failed))) = answer else {
            return self.refuse(show(&shown), "the restore's file-system thread stopped");
        };
        self.restored = restored;
        let dir = shown;
        for path in removed {
            self.report.removed += 1;
            self.events.event(&JobEvent::Message {
                detail: Detail::Full,
                text: format!("{} (deleted before this set: removed)", show(&path)),
            });
        }
        for Refused(why) in failed {
            self.refuse(show(&dir), why);
        }
    }

    fn directory(&mut self, d: &DirectoryEvent) {
        let unix = self.unix_of(&d.path, d.unix.as_ref());
        let raw = unix
            .filter(|u| !u.name.is_empty())
            .map(|u| u.name.as_slice());
        let comps = match self.resolve(&d.path, raw) {
            Ok(c) => c,
            Err(UnsafeName(why)) => {
                // Its contents follow under its stored (UTF-16) path: refuse them too rather
                // than create the directory under a name it does not have.
                self.refused_dirs.insert(d.path.clone());
                return self.refuse(d.path.to_string(), format!("refused: {why}"));
            }
        };
        // Restored under a name other than its stored path says (a raw name here or above):
        // what lies in it goes where it went.
        let parent = MtfPath {
            device: d.path.device.clone(),
            components: d.path.components[..d.path.components.len().saturating_sub(1)].to_vec(),
        };
        let under_raw = !d.path.components.is_empty() && self.raw_dirs.contains_key(&parent);
        if raw.is_some() || under_raw {
            self.raw_dirs.insert(d.path.clone(), comps.clone());
        }
        let meta = self.meta_of(unix, d.dirb.modified, true);
        // Created on its lane; counted (or refused) when the lane says how it went.
        let shown = show(&comps);
        self.root.directory(comps.clone(), shown.clone(), meta);
        self.current_dir = Some(comps);
        self.events.event(&JobEvent::Message {
            detail: Detail::Full,
            text: format!("{shown}/"),
        });
        self.absorb();
    }

    fn file(&mut self, f: &FileEvent) {
        let unix = self.unix_of(&f.path, f.unix.as_ref());
        let raw = unix
            .filter(|u| !u.name.is_empty())
            .map(|u| u.name.as_slice());
        let comps = match self.resolve(&f.path, raw) {
            Ok(c) => c,
            Err(UnsafeName(why)) => {
                return self.refuse(f.path.to_string(), format!("refused: {why}"));
            }
        };
        let shown = show(&comps);
        self.last_file = Some(shown.clone());
        let meta = self.meta_of(unix, f.file.modified, false);
        let result = match unix.map(|u| u.file_type) {
            Some(UnixFileType::Symlink) => {
                // Made on its directory's lane; counted (or refused) when the lane says.
                let target = unix.map(|u| u.symlink_target.clone()).unwrap_or_default();
                self.root
                    .symlink(comps.clone(), shown.clone(), target, meta);
                self.absorb();
                Ok(())
            }
            Some(UnixFileType::HardLink) => {
                let target = unix.map(|u| u.hardlink_target.clone()).unwrap_or_default();
                let device = MtfPath {
                    device: f.path.device.clone(),
                    components: Vec::new(),
                };
                match components(&device, Some(&target)) {
                    Ok(t) => {
                        let at = comps.clone();
                        // Its target may be any lane's: after all of them.
                        let result = self
                            .root
                            .call_after_all(parent(&comps), move |w| w.root.hard_link(&at, &t))
                            .unwrap_or_else(|| Err(gone(&comps)));
                        self.absorb();
                        result.map(|()| {
                            self.restored.record(&comps);
                            self.report.files += 1;
                        })
                    }
                    Err(UnsafeName(why)) => {
                        Err(Refused(format!("{shown}: hard link refused: {why}")))
                    }
                }
            }
            Some(UnixFileType::Regular) | None => {
                let size = f.header.displayable_size;
                let cap = usize::try_from(size).unwrap_or(STREAM_AT).min(STREAM_AT);
                self.pending = Some(Pending {
                    buf: Vec::with_capacity(cap),
                    streaming: false,
                    comps: comps.clone(),
                    shown: shown.clone(),
                    meta,
                    size,
                    written: 0,
                    receiving: false,
                    ended: false,
                    failed: None,
                });
                Ok(())
            }
            Some(other) => Err(Refused(format!("{shown}: a {other:?} is not restored"))),
        };
        match result {
            Ok(()) => self.events.event(&JobEvent::Message {
                detail: Detail::Full,
                text: shown,
            }),
            Err(Refused(why)) => self.refuse(shown, why),
        }
    }

    fn data(&mut self, bytes: &[u8]) {
        let Some(p) = &mut self.pending else { return };
        if !p.receiving || p.failed.is_some() {
            return;
        }
        p.written += bytes.len() as u64;
        let mut bytes = bytes;
        while !bytes.is_empty() {
            let room = STREAM_AT - p.buf.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            p.buf.extend_from_slice(now);
            bytes = rest;
            if p.buf.len() == STREAM_AT {
                if !p.streaming {
                    p.streaming = true;
                    self.root.begin(p.comps.clone());
                }
                let chunk = std::mem::replace(&mut p.buf, Vec::with_capacity(STREAM_AT));
                self.root.chunk(chunk);
            }
        }
    }

    fn stan_end(&mut self, checksum: ChecksumStatus) {
        let Some(p) = &mut self.pending else { return };
        p.receiving = false;
        p.ended = true;
        if let ChecksumStatus::Mismatch { stored, computed } = checksum {
            p.failed = Some(format!(
                "the data do not match their checksum (stored {stored:08X}, read {computed:08X})"
            ));
        }
        self.commit_pending();
    }

    fn fail_pending(&mut self, why: String) {
        if let Some(p) = &mut self.pending {
            p.failed.get_or_insert(why);
        }
        self.commit_pending();
    }

    /// Commits the pending file if it is whole, else removes it and reports why.
    pub(crate) fn commit_pending(&mut self) {
        let Some(p) = self.pending.take() else { return };
        let why = p.failed.or_else(|| {
            (p.written != p.size).then(|| {
                if p.ended {
                    // The data stream is whole: the FILE block's size is what lies.
                    format!(
                        "its data stream holds {} bytes but its FILE block says {}; not restored",
                        p.written, p.size
                    )
                } else {
                    format!("only {} of its {} bytes are on the media (the set was cut short there); not restored", p.written, p.size)
                }
            })
        });
        match why {
            None if p.streaming => {
                if !p.buf.is_empty() {
                    self.root.chunk(p.buf);
                }
                self.root.end(p.comps, p.shown, p.written, p.meta);
            }
            None => self.root.file(p.comps, p.shown, p.buf, p.meta),
            Some(why) => {
                if p.streaming {
                    self.root.abandon();
                }
                self.refuse(p.shown, why);
            }
        }
        self.absorb();
    }

    /// Before a further set is restored: one lane from here on, since a later set may reuse
    /// a name for another kind of object (a file where a directory was), and which of the two
    /// a name ends up as must follow the medium's order, not the lanes' timing.
    fn second_set(&mut self) {
        if !self.report.sets.is_empty() {
            self.root.one_lane();
        }
    }

    /// Reports the files the file-system thread has finished.
    pub(crate) fn absorb(&mut self) {
        for Done {
            comps,
            shown,
            bytes,
            directory,
            result,
        } in self.root.take_done()
        {
            match result {
                Ok(()) if directory => {
                    self.failed_dirs.remove(&comps);
                    self.restored.record(&comps);
                    self.report.directories += 1;
                }
                Err(Refused(why)) if directory => {
                    self.failed_dirs.insert(comps);
                    self.refuse(shown, why);
                }
                Ok(()) => {
                    self.restored.record(&comps);
                    self.report.files += 1;
                    self.report.bytes += bytes;
                }
                Err(Refused(why)) => self.refuse(shown, why),
            }
        }
    }
}

impl Consumer for Extractor<'_> {
    fn handle(&mut self, event: Event<'_>) -> Control {
        self.on_event(event)
    }

    fn finish_pending(&mut self) {
        self.commit_pending();
    }

    fn events_mut(&mut self) -> &mut dyn EventSink {
        &mut *self.events
    }

    fn mounted(&mut self, family: u32, sequence: u16) {
        self.report.family = Some(family);
        self.report.media.push(sequence);
    }

    fn damaged(&mut self, what: String) {
        self.fail_pending(format!("part of it could not be read ({what})"));
        self.report.damaged.push(what);
    }

    fn incomplete(&mut self, why: String) {
        self.report.incomplete = Some(why);
    }

    fn entered(&mut self, set_number: u16) {
        self.active = match self.choice {
            SetChoice::All => true,
            SetChoice::Number(n) => n == set_number,
        };
        self.new_set();
        if self.active && !self.report.sets.contains(&set_number) {
            self.second_set();
            self.report.sets.push(set_number);
        }
    }
}
