//! Reading one family: mount its media in order through the media policy and feed their blocks
//! to the reader and the extractor.

use tape_core::{DeviceError, ReadStatus, TapeDrive};
use tape_format::reader::{MediaReader, ReaderOptions};

use super::RestoreError;
use super::check::RestoreCheck;
use super::extract::{Control, Extractor};
use super::plan::{Step, barcode_of};
use crate::catalog::Catalog;
use crate::media::acquire;
use crate::policy::{MediaPolicy, MediaRequest, NothingToRelease};
use crate::{Clock, JobEvent, Purpose};

/// What reading a family needs.
pub(crate) struct Reading<'a> {
    pub(crate) drive: &'a mut dyn TapeDrive,
    pub(crate) policy: &'a mut dyn MediaPolicy,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) catalog: Option<&'a Catalog>,
    pub(crate) job: &'a str,
}

/// Reads the sets of `step` into `x`. A medium that cannot be had ends the step with the set
/// reported incomplete; the first one missing is an error.
pub(crate) fn read_family(
    r: &mut Reading<'_>,
    step: &Step,
    x: &mut Extractor<'_>,
    first: bool,
) -> Result<(), RestoreError> {
    let mut request = MediaRequest::new(Purpose::Restore, r.job, step.family, step.first_sequence);
    request.barcode = barcode_of(r.catalog, step.family, step.first_sequence);
    let mut check = RestoreCheck {
        buf: vec![0; 1 << 20],
    };
    let mounted = acquire(
        &mut request,
        r.policy,
        &mut check,
        r.drive,
        r.clock,
        x.events_mut(),
        &mut NothingToRelease,
        first,
    );
    let mounted = match mounted {
        Ok((m, _)) => m,
        Err(stop) if first => return Err(RestoreError::NoMedium(stop)),
        Err(stop) => {
            x.report.incomplete = Some(format!(
                "media #{} is needed but {stop}",
                step.first_sequence
            ));
            return Ok(());
        }
    };
    x.report.family = Some(mounted.family);
    x.report.media.push(mounted.sequence);
    let mut reader = MediaReader::new(ReaderOptions::default());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match feed(r.drive, &mut reader, x, &mut buf)? {
            Control::Done | Control::Continue => return Ok(()),
            Control::NextMedium { family, sequence } => {
                let mut request =
                    MediaRequest::new(Purpose::Restore, r.job, Some(family), sequence);
                request.barcode = barcode_of(r.catalog, Some(family), sequence);
                let got = acquire(
                    &mut request,
                    r.policy,
                    &mut check,
                    r.drive,
                    r.clock,
                    x.events_mut(),
                    &mut NothingToRelease,
                    false,
                );
                match got {
                    Ok(_) => {
                        reader.next_medium();
                        x.report.media.push(sequence);
                    }
                    Err(stop) => {
                        x.finish_pending();
                        x.report.incomplete = Some(format!(
                            "media #{sequence} of family {family:08X} is needed but {stop}"
                        ));
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Reads the mounted medium until the extractor wants another or is done.
fn feed(
    drive: &mut dyn TapeDrive,
    reader: &mut MediaReader,
    x: &mut Extractor<'_>,
    buf: &mut Vec<u8>,
) -> Result<Control, RestoreError> {
    loop {
        let status = match drive.read_block(buf) {
            Ok(s) => s,
            Err(DeviceError::BlockTooLarge { block_len, .. }) if buf.len() < 64 << 20 => {
                let want = block_len
                    .unwrap_or(buf.len() * 2)
                    .max(buf.len() * 2)
                    .min(64 << 20);
                buf.resize(want, 0);
                let _ = drive
                    .space_blocks(-1)
                    .map_err(|source| RestoreError::Device {
                        drive: drive.name().into(),
                        source,
                    })?;
                continue;
            }
            Err(DeviceError::MediumError { block, detail }) => {
                let at = block.map_or_else(|| "?".into(), |b| b.to_string());
                x.events_mut().event(&JobEvent::Warning(format!(
                    "unreadable block {at}: {detail}; skipping it"
                )));
                x.report.damaged.push(format!("block {at}: {detail}"));
                continue;
            }
            Err(source) => {
                return Err(RestoreError::Device {
                    drive: drive.name().into(),
                    source,
                });
            }
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
