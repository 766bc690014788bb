//! Media read in the order given: the medium in the drive, then each next one the media policy
//! supplies (`.bkf` files named in order, an operator at a stand-alone drive). A family that
//! continues is followed onto its next medium whatever the count.

use super::collect::{Collector, local_to_unix};
use super::mount::{Found, Medium, Mounter};
use super::scan::{Scanner, bytes_unit};
use super::{Ending, MediumSummary, Method, Output, RebuildError, fast};

/// Reads `count` media (and the continuations of their families).
pub(crate) fn in_order(
    m: &mut Mounter<'_>,
    out: &mut Output<'_>,
    count: usize,
) -> Result<(), RebuildError> {
    m.mount(None, None, 1, true)
        .map_err(RebuildError::NoMedium)?;
    let mut remaining = count.saturating_sub(1);
    let mut next = survey(m, out)?;
    loop {
        let medium = match next.take() {
            Some(medium) => medium,
            None if remaining == 0 => break,
            None => {
                remaining -= 1;
                if let Err(stop) = m.mount(None, None, 1, false) {
                    out.report
                        .warnings
                        .push(format!("no further medium to read: {stop}"));
                    break;
                }
                match survey(m, out)? {
                    Some(medium) => medium,
                    None => continue,
                }
            }
        };
        next = family(m, out, medium, &mut remaining)?;
    }
    Ok(())
}

/// What the loaded medium is, reported; an MTF medium is returned.
fn survey(m: &mut Mounter<'_>, out: &mut Output<'_>) -> Result<Option<Medium>, RebuildError> {
    let barcode = m
        .drive
        .status()
        .ok()
        .and_then(|s| s.medium)
        .and_then(|x| x.barcode);
    Ok(match m.survey(barcode.clone())? {
        Found::Mtf(medium) => {
            m.message(format!(
                "{}: media #{} of family {:08X} (\"{}\")",
                m.drive.name(),
                medium.sequence,
                medium.family,
                medium.name
            ));
            out.report.media.push(MediumSummary {
                barcode,
                mtf: Some((medium.family, medium.sequence, medium.name.clone())),
                skipped: None,
            });
            Some(medium)
        }
        Found::Other(why) => {
            m.message(format!("{}: {why}; skipped", m.drive.name()));
            out.report.media.push(MediumSummary {
                barcode,
                mtf: None,
                skipped: Some(why),
            });
            None
        }
    })
}

/// Reads the family that starts with the loaded `first`: through the tape catalog when that
/// medium alone holds the family and ends it, else by scanning, asking for each next medium
/// it continues on. Returns a medium of another family supplied meanwhile.
fn family(
    m: &mut Mounter<'_>,
    out: &mut Output<'_>,
    first: Medium,
    remaining: &mut usize,
) -> Result<Option<Medium>, RebuildError> {
    let family = first.family;
    let date = local_to_unix(first.date);
    out.medium(&first, date)?;
    let mut c = Collector::new(out.catalog);
    let mut why = None;
    if out.options.use_tape_catalog {
        match fast::read_family(m, &mut c, std::slice::from_ref(&first))? {
            Ok(()) => {
                out.family(c, family, Method::TapeCatalog, None, vec![first.sequence]);
                return Ok(None);
            }
            Err(w) => {
                c.restart();
                why = Some(w);
            }
        }
    }
    let mut s = Scanner::new(&first, bytes_unit(m));
    let mut seqs = vec![first.sequence];
    let mut other = None;
    let mut continues = s.read_medium(m, &mut c)?;
    let mut last = first.sequence;
    // Asked for when the family continues; otherwise the next medium may still be the next of
    // this family (one ended by its physical end before its end-of-medium marker).
    while continues.is_some() || *remaining > 0 {
        let next = last.saturating_add(1);
        if let Err(stop) = m.mount(None, Some(family), next, false) {
            if continues.is_some() {
                c.warnings.push(format!(
                    "media #{next} of family {family:08X} was not supplied: {stop}"
                ));
            } else {
                out.report
                    .warnings
                    .push(format!("no further medium to read: {stop}"));
                *remaining = 0;
            }
            break;
        }
        *remaining = remaining.saturating_sub(1);
        match survey(m, out)? {
            Some(medium) if medium.family == family && medium.sequence == next => {
                out.medium(&medium, date)?;
                seqs.push(next);
                s.next_medium(&medium);
                continues = s.read_medium(m, &mut c)?;
                last = next;
            }
            found => {
                other = found;
                break;
            }
        }
    }
    if let Some(next) = continues
        && c.is_open()
    {
        c.ending(Ending::ContinuesOn(next), 0);
    }
    c.finish()?;
    out.family(c, family, Method::Scan, why, seqs);
    Ok(other)
}
