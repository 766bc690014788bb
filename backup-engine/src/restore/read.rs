//! Reading one family: mount its media in order through the media policy and feed their blocks
//! to the reader and the extractor.

use tape_core::{DeviceError, ReadStatus, TapeDrive};
use tape_format::reader::{Event, MediaReader, ReaderOptions, StartContext};

use super::RestoreError;
use super::check::{Mounted, RestoreCheck};
use super::extract::Control;
use super::plan::{Step, barcode_of};
use crate::catalog::Catalog;
use crate::media::acquire;
use crate::policy::{MediaPolicy, MediaRequest, NothingToRelease, Stop};
use crate::{Clock, EventSink, JobEvent, Purpose};

/// What takes the events of the media read: the extractor of a restore, or a verify.
pub(crate) trait Consumer {
    /// One reader event; says whether to go on.
    fn handle(&mut self, event: Event<'_>) -> Control;
    /// The object being received will get no more data (the reading stopped).
    fn finish_pending(&mut self);
    /// Where the job reports.
    fn events_mut(&mut self) -> &mut dyn EventSink;
    /// A medium was mounted and is being read.
    fn mounted(&mut self, family: u32, sequence: u16);
    /// A block could not be read.
    fn damaged(&mut self, what: String);
    /// The set cannot be read whole.
    fn incomplete(&mut self, why: String);
    /// Reading starts inside set `set_number` (after a LOCATE), without its SSET.
    fn entered(&mut self, set_number: u16);
}

/// Where to start reading a set instead of its beginning: the first wanted object's DBLK, as
/// the catalog recorded it (a single-file or single-directory restore LOCATEs there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Start {
    /// The medium holding it.
    pub(crate) sequence: u16,
    /// The drive address of the block holding its DBLK.
    pub(crate) block: u64,
    /// Bytes of that block before the DBLK.
    pub(crate) skip: u64,
    /// The DBLK's byte offset on the medium (writer count).
    pub(crate) offset: u64,
    /// The set it belongs to.
    pub(crate) set_number: u16,
    /// Its volume (MTF device name).
    pub(crate) device: String,
    /// Its path components: a DBLK found there with another path means the catalog is stale.
    pub(crate) path: Vec<String>,
}

/// What reading a family needs.
pub(crate) struct Reading<'a> {
    pub(crate) drive: &'a mut dyn TapeDrive,
    pub(crate) policy: &'a mut dyn MediaPolicy,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) catalog: Option<&'a Catalog>,
    pub(crate) job: &'a str,
}

impl Reading<'_> {
    fn mount(
        &mut self,
        family: Option<u32>,
        sequence: u16,
        x: &mut dyn Consumer,
        first: bool,
    ) -> Result<Mounted, Stop> {
        let mut request = MediaRequest::new(Purpose::Restore, self.job, family, sequence);
        request.barcode = barcode_of(self.catalog, family, sequence);
        let mut check = RestoreCheck {
            buf: vec![0; 1 << 20],
        };
        acquire(
            &mut request,
            self.policy,
            &mut check,
            self.drive,
            self.clock,
            x.events_mut(),
            &mut NothingToRelease,
            first,
        )
        .map(|(m, _)| m)
    }
}

/// Reads the sets of `step` into `x`. A medium that cannot be had ends the step with the set
/// reported incomplete; the first one missing is an error.
pub(crate) fn read_family(
    r: &mut Reading<'_>,
    step: &Step,
    x: &mut dyn Consumer,
    first: bool,
) -> Result<(), RestoreError> {
    let sequence = step
        .start
        .as_ref()
        .map_or(step.first_sequence, |s| s.sequence);
    let mounted = match r.mount(step.family, sequence, x, first) {
        Ok(m) => m,
        Err(stop) if first => return Err(RestoreError::NoMedium(stop)),
        Err(stop) => {
            x.incomplete(format!("media #{sequence} is needed but {stop}"));
            return Ok(());
        }
    };
    x.mounted(mounted.family, mounted.sequence);
    let mut buf = vec![0u8; 1 << 20];
    let mut reader = MediaReader::new(ReaderOptions::default());
    let mut control = None;
    if let Some(start) = &step.start {
        match locate(r.drive, start, &mounted, &mut buf, x)? {
            Located::There(rd, c) => {
                reader = *rd;
                control = Some(c);
            }
            Located::Elsewhere(why) => {
                x.events_mut().event(&JobEvent::Warning(format!(
                    "{why}; reading the set from its start instead"
                )));
                if start.sequence != step.first_sequence {
                    let mut from_start = step.clone();
                    from_start.start = None;
                    return read_family(r, &from_start, x, false);
                }
                r.drive.rewind().map_err(|e| device(r.drive, e))?;
            }
        }
    }
    loop {
        let c = match control.take() {
            Some(c) if c != Control::Continue => c,
            _ => feed(r.drive, &mut reader, x, &mut buf)?,
        };
        match c {
            Control::Done | Control::Continue => return Ok(()),
            Control::NextMedium { family, sequence }
                if step.last_sequence.is_some_and(|last| sequence > last) =>
            {
                // The catalog knows the set ends on an earlier medium (its backup stopped there,
                // e.g. on a write error): asking for this one would wait for a medium that was
                // never written.
                x.finish_pending();
                x.incomplete(format!(
                    "the set was never completed: its backup stopped on media #{} of family \
                     {family:08X}, and no media #{sequence} of it was ever written",
                    sequence - 1
                ));
                return Ok(());
            }
            Control::NextMedium { family, sequence } => {
                match r.mount(Some(family), sequence, x, false) {
                    Ok(_) => {
                        reader.next_medium();
                        x.mounted(family, sequence);
                    }
                    Err(stop) => {
                        x.finish_pending();
                        x.incomplete(format!(
                            "media #{sequence} of family {family:08X} is needed but {stop}"
                        ));
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// The outcome of positioning at a catalogued DBLK.
enum Located {
    /// The wanted DBLK is there: a reader started on it, and what its first events said.
    There(Box<MediaReader>, Control),
    /// It is not (why): read from the start.
    Elsewhere(String),
}

/// LOCATEs to `start`, reads its block and checks the DBLK found there is the one wanted.
fn locate(
    drive: &mut dyn TapeDrive,
    start: &Start,
    mounted: &Mounted,
    buf: &mut Vec<u8>,
    x: &mut dyn Consumer,
) -> Result<Located, RestoreError> {
    let shown = start.path.join("/");
    if let Err(e) = drive.locate(tape_core::BlockAddress(start.block)) {
        return Ok(Located::Elsewhere(format!(
            "cannot position to block {} for {shown}: {e}",
            start.block
        )));
    }
    let n = match read_data_block(drive, buf) {
        Ok(Some(n)) => n,
        Ok(None) => {
            return Ok(Located::Elsewhere(format!(
                "block {} (where the catalog places {shown}) holds no data",
                start.block
            )));
        }
        Err(e) => {
            return Ok(Located::Elsewhere(format!(
                "block {} (where the catalog places {shown}) cannot be read: {e}",
                start.block
            )));
        }
    };
    let skip = usize::try_from(start.skip).unwrap_or(usize::MAX);
    if skip >= n {
        return Ok(Located::Elsewhere(format!(
            "block {} is shorter than the catalog says",
            start.block
        )));
    }
    let mut reader = MediaReader::at_block(
        ReaderOptions::default(),
        StartContext {
            offset: start.offset,
            flb_size: mounted.layout.flb_size,
            soft_filemark_size: mounted.layout.soft_filemark_size,
            family: mounted.family,
            sequence: mounted.sequence,
            set_number: Some(start.set_number),
            device: start.device.clone(),
            directory: start.path[..start.path.len().saturating_sub(1)].to_vec(),
        },
    );
    x.entered(start.set_number);
    let mut input = &buf[skip..n];
    let mut checked = false;
    let mut control = Control::Continue;
    while !input.is_empty() {
        let step = match reader.step(input) {
            Ok(s) => s,
            Err(e) => {
                return Ok(Located::Elsewhere(format!(
                    "block {} does not hold {shown} ({e})",
                    start.block
                )));
            }
        };
        input = &input[step.consumed..];
        if let Some(event) = step.event {
            if !checked {
                let found = match &event {
                    Event::File(f) => Some(&f.path),
                    Event::Directory(d) => Some(&d.path),
                    _ => None,
                };
                match found {
                    Some(p) if p.components == start.path && p.device == start.device => {
                        checked = true;
                    }
                    _ => {
                        return Ok(Located::Elsewhere(format!(
                            "block {} does not hold {shown} (the catalog is stale)",
                            start.block
                        )));
                    }
                }
            }
            control = x.handle(event);
            if control != Control::Continue {
                break;
            }
        } else if step.consumed == 0 {
            break;
        }
    }
    if !checked {
        return Ok(Located::Elsewhere(format!(
            "block {} does not start {shown}",
            start.block
        )));
    }
    Ok(Located::There(Box::new(reader), control))
}

/// Reads one block, growing the buffer for larger blocks; `None` at a filemark or end of data.
fn read_data_block(
    drive: &mut dyn TapeDrive,
    buf: &mut Vec<u8>,
) -> Result<Option<usize>, DeviceError> {
    loop {
        match drive.read_block(buf) {
            Ok(ReadStatus::Data(n)) => return Ok(Some(n)),
            Ok(_) => return Ok(None),
            Err(DeviceError::BlockTooLarge { block_len, .. }) if buf.len() < 64 << 20 => {
                grow(buf, block_len);
                let _ = drive.space_blocks(-1)?;
            }
            Err(e) => return Err(e),
        }
    }
}

fn grow(buf: &mut Vec<u8>, block_len: Option<usize>) {
    let want = block_len
        .unwrap_or(buf.len() * 2)
        .max(buf.len() * 2)
        .min(64 << 20);
    buf.resize(want, 0);
}

fn device(drive: &dyn TapeDrive, source: DeviceError) -> RestoreError {
    RestoreError::Device {
        drive: drive.name().into(),
        source,
    }
}

/// Reads the mounted medium until the consumer wants another or is done.
fn feed(
    drive: &mut dyn TapeDrive,
    reader: &mut MediaReader,
    x: &mut dyn Consumer,
    buf: &mut Vec<u8>,
) -> Result<Control, RestoreError> {
    // Where the last medium error left the drive: a drive that reports one again without
    // having moved cannot get past it (a record torn by a crash at the end of the data), and
    // what follows it is read as the end of the data — never an endless loop.
    let mut stuck_at: Option<u64> = None;
    loop {
        let status = match drive.read_block(buf) {
            Ok(s) => {
                stuck_at = None;
                s
            }
            Err(DeviceError::BlockTooLarge { block_len, .. }) if buf.len() < 64 << 20 => {
                grow(buf, block_len);
                let _ = drive.space_blocks(-1).map_err(|e| device(drive, e))?;
                continue;
            }
            Err(DeviceError::MediumError { .. })
                if stuck_at.is_some() && drive.position().ok().map(|b| b.0) == stuck_at =>
            {
                ReadStatus::EndOfData
            }
            Err(DeviceError::MediumError { block, detail }) => {
                stuck_at = drive.position().ok().map(|b| b.0);
                let at = block.map_or_else(|| "?".into(), |b| b.to_string());
                x.events_mut().event(&JobEvent::Warning(format!(
                    "unreadable block {at}: {detail}; skipping it"
                )));
                // What was due before the loss first (the object it cuts off among it), then
                // the loss, charged to that object.
                let mut control = Control::Continue;
                for event in reader.lost_block(None) {
                    control = x.handle(event);
                    if control != Control::Continue {
                        break;
                    }
                }
                x.damaged(format!("medium error at block {at}: {detail}"));
                if control != Control::Continue {
                    return Ok(control);
                }
                continue;
            }
            Err(source) => return Err(device(drive, source)),
        };
        let control = match status {
            ReadStatus::Data(n) => {
                let mut input = &buf[..n];
                let mut control = Control::Continue;
                while !input.is_empty() {
                    let step = reader.step(input)?;
                    input = &input[step.consumed..];
                    if let Some(event) = step.event {
                        control = x.handle(event);
                        if control != Control::Continue {
                            break;
                        }
                    } else if step.consumed == 0 {
                        break;
                    }
                }
                control
            }
            ReadStatus::Filemark => x.handle(reader.filemark()),
            ReadStatus::EndOfData => {
                let mut control = Control::Done;
                for event in reader.end_of_data() {
                    control = x.handle(event);
                    if control != Control::Continue {
                        break;
                    }
                }
                if control == Control::Continue {
                    Control::Done
                } else {
                    control
                }
            }
        };
        if control != Control::Continue {
            return Ok(control);
        }
    }
}
