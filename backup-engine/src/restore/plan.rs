//! Deciding what to read: which family, which sets (one, every set, or the chain of sets that
//! gives a tree's state at a chosen backup), and which media, from the catalog and the medium in
//! the drive.

use tape_core::{TapeDrive, VolumeTag};

use super::{RestoreError, RestoreJob, SetChoice, SetSelection};
use crate::catalog::{Catalog, SetRecord, SetStatus};
use crate::{EventSink, JobEvent};

/// One family to read, and what to restore from it.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) family: Option<u32>,
    pub(crate) choice: SetChoice,
    pub(crate) first_sequence: u16,
    /// The last medium needed, when the catalog knows it.
    pub(crate) last_sequence: Option<u16>,
}

impl Step {
    fn of(set: &SetRecord) -> Self {
        Self {
            family: Some(set.family),
            choice: SetChoice::Number(set.number),
            first_sequence: set.first_sequence,
            last_sequence: Some(set.last_sequence),
        }
    }
}

/// The family of the medium loaded in the drive, if it is ours.
fn loaded_family(drive: &mut dyn TapeDrive) -> Option<u32> {
    if !drive.status().is_ok_and(|s| s.ready) {
        return None;
    }
    match crate::backup::identify(drive, &mut vec![0; 1 << 20]) {
        Ok(crate::backup::Contents::Mtf { family, .. }) => Some(family),
        _ => None,
    }
}

/// The families and sets a restore reads, in order.
pub(crate) fn steps(
    job: &RestoreJob,
    drive: &mut dyn TapeDrive,
    catalog: Option<&Catalog>,
) -> Result<Vec<Step>, RestoreError> {
    if let SetSelection::AsOf(id) = job.sets {
        let catalog = catalog.ok_or(RestoreError::Plan(
            "restoring the state as of a backup needs the catalog".into(),
        ))?;
        let chain = catalog.chain(id)?;
        if chain.is_empty() {
            return Err(RestoreError::Plan(format!(
                "the catalog has no set with id {id}"
            )));
        }
        return Ok(chain.iter().map(Step::of).collect());
    }
    let newest = catalog.map(Catalog::sets).transpose()?.and_then(|sets| {
        sets.into_iter()
            .rev()
            .find(|s| s.status != SetStatus::Running)
    });
    let family = job
        .family
        .or_else(|| loaded_family(drive))
        .or(newest.as_ref().map(|s| s.family));
    let sets = match (catalog, family) {
        (Some(c), Some(f)) => c.sets_of_family(f)?,
        _ => Vec::new(),
    };
    let chosen = match job.sets {
        SetSelection::Number(n) => sets.iter().find(|s| s.number == n),
        SetSelection::Latest => sets.last(),
        _ => sets.first(),
    };
    let choice = match (job.sets, chosen) {
        (SetSelection::Number(n), _) => SetChoice::Number(n),
        (SetSelection::Latest, Some(s)) => SetChoice::Number(s.number),
        _ => SetChoice::All,
    };
    let last_sequence = match job.sets {
        SetSelection::All => sets.iter().map(|s| s.last_sequence).max(),
        _ => chosen.map(|s| s.last_sequence),
    };
    Ok(vec![Step {
        family,
        choice,
        first_sequence: chosen.map_or(1, |s| s.first_sequence),
        last_sequence,
    }])
}

/// The barcode of medium `sequence` of `family`, from the catalog.
pub(crate) fn barcode_of(
    catalog: Option<&Catalog>,
    family: Option<u32>,
    sequence: u16,
) -> Option<VolumeTag> {
    let media = catalog?.media(family?).ok()?;
    media.into_iter().find(|m| m.sequence == sequence)?.barcode
}

/// The media a step needs, as `#seq BARCODE`, when the catalog knows them.
pub(crate) fn media_needed(
    step: &Step,
    catalog: Option<&Catalog>,
) -> Option<Vec<(u16, Option<VolumeTag>)>> {
    let (family, last) = (step.family?, step.last_sequence?);
    Some(
        (step.first_sequence..=last)
            .map(|seq| (seq, barcode_of(catalog, Some(family), seq)))
            .collect(),
    )
}

/// Says up front which media the restore will ask for.
pub(crate) fn announce(steps: &[Step], catalog: Option<&Catalog>, events: &mut dyn EventSink) {
    for step in steps {
        let (Some(family), Some(media)) = (step.family, media_needed(step, catalog)) else {
            continue;
        };
        let list: Vec<String> = media
            .iter()
            .map(|(seq, b)| {
                b.as_ref()
                    .map_or_else(|| format!("#{seq}"), |b| format!("#{seq} {b}"))
            })
            .collect();
        events.event(&JobEvent::Message {
            detail: crate::Detail::Summary,
            text: format!(
                "This restore needs media {} of family {family:08X}, in that order",
                list.join(", ")
            ),
        });
    }
}
