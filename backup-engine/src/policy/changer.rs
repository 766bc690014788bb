//! [`ChangerPolicy`]: a library robot supplies the next medium.

use tape_core::{ElementAddress, ElementKind, ElementStatus, Inventory, MediaChanger, VolumeTag};

use super::{MediaPolicy, MediaRequest, PolicyContext, Supply};
use crate::{JobEvent, Purpose};

/// What the catalog knows about a cartridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediumUsage {
    /// Never seen: maybe blank, maybe foreign; the engine checks it once loaded.
    Unknown,
    /// Known to be blank.
    Blank,
    /// Holds only expired sets: may be overwritten.
    Expired,
    /// Holds live sets of a family: never overwritten by the changer.
    Live {
        /// The family.
        family: u32,
    },
    /// A cleaning cartridge.
    Cleaning,
}

/// The changer policy's view of the catalog.
pub trait MediaDirectory {
    /// What is known about the cartridge with this barcode.
    fn usage(&self, barcode: &VolumeTag) -> MediumUsage;
}

/// A directory that knows nothing (every cartridge is checked once loaded).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDirectory;

impl MediaDirectory for NoDirectory {
    fn usage(&self, barcode: &VolumeTag) -> MediumUsage {
        if barcode.is_cleaning() {
            MediumUsage::Cleaning
        } else {
            MediumUsage::Unknown
        }
    }
}

/// Loads media with a changer: for a backup the next usable cartridge (blank or expired, never
/// one holding a live set, never a cleaning cartridge, never one already refused or used by
/// the job); for a restore the wanted barcode. When none is available it declines, so the next
/// policy of the chain (typically prompt) gets its turn.
pub struct ChangerPolicy<C> {
    changer: C,
    drive: u16,
    directory: Box<dyn MediaDirectory>,
}

impl<C: MediaChanger> ChangerPolicy<C> {
    /// A policy using `changer`, whose drive number `drive` (0-based) is the job's drive.
    pub fn new(changer: C, drive: u16, directory: Box<dyn MediaDirectory>) -> Self {
        Self {
            changer,
            drive,
            directory,
        }
    }

    /// Takes the cartridge out of the drive and puts it back in a slot.
    fn clear_drive(
        &mut self,
        inv: &Inventory,
        drive: &ElementStatus,
        cx: &mut PolicyContext<'_>,
    ) -> Result<(), String> {
        match cx.drive.unload() {
            Ok(()) | Err(tape_core::DeviceError::NoMedium) => {}
            Err(e) => return Err(format!("could not unload {}: {e}", cx.drive.name())),
        }
        let home = drive.source.filter(|s| inv.at(*s).is_some_and(|e| !e.full));
        let dest = home
            .or_else(|| first_empty(inv, ElementKind::Storage))
            .or_else(|| first_empty(inv, ElementKind::ImportExport))
            .ok_or("no empty slot to put the cartridge in the drive back into")?;
        self.changer
            .move_medium(drive.address, dest)
            .map_err(|e| format!("could not move the cartridge out of the drive: {e}"))
    }

    fn candidate(&self, inv: &Inventory, request: &MediaRequest) -> Result<ElementStatus, String> {
        let in_slots = inv.elements.iter().filter(|e| {
            matches!(e.kind, ElementKind::Storage | ElementKind::ImportExport) && e.full
        });
        let usable = |e: &&ElementStatus| {
            e.volume_tag
                .as_ref()
                .is_some_and(|t| !request.exclude.contains(t))
        };
        match request.purpose {
            Purpose::Restore | Purpose::Append => {
                let wanted = request.barcode.as_ref().ok_or_else(|| {
                    format!(
                        "the catalog does not say which cartridge holds media #{}",
                        request.sequence
                    )
                })?;
                if request.exclude.contains(wanted) {
                    return Err(format!("{wanted} was loaded and refused"));
                }
                in_slots
                    .filter(usable)
                    .find(|e| e.volume_tag.as_ref() == Some(wanted))
                    .cloned()
                    .ok_or_else(|| format!("{wanted} is not in the library"))
            }
            Purpose::Backup => {
                let usage =
                    |e: &ElementStatus| e.volume_tag.as_ref().map(|t| self.directory.usage(t));
                let all: Vec<&ElementStatus> = in_slots.filter(usable).collect();
                let with = |wanted: &dyn Fn(MediumUsage) -> bool| {
                    all.iter()
                        .find(|e| usage(e).is_some_and(wanted))
                        .map(|e| (*e).clone())
                };
                with(&|u| matches!(u, MediumUsage::Blank | MediumUsage::Expired))
                    .or_else(|| with(&|u| u == MediumUsage::Unknown))
                    .ok_or_else(|| "no blank or expired cartridge left in the library".to_owned())
            }
        }
    }

    fn try_supply(
        &mut self,
        request: &MediaRequest,
        cx: &mut PolicyContext<'_>,
    ) -> Result<(), String> {
        let name = self.changer.name().to_owned();
        let inv = self
            .changer
            .inventory()
            .map_err(|e| format!("{name}: reading the inventory: {e}"))?;
        let drive = inv
            .find(ElementKind::Drive, self.drive)
            .cloned()
            .ok_or_else(|| format!("{name} has no drive {}", self.drive))?;
        if matches!(request.purpose, Purpose::Restore | Purpose::Append)
            && drive.full
            && drive.volume_tag == request.barcode
            && request
                .barcode
                .as_ref()
                .is_none_or(|b| !request.exclude.contains(b))
        {
            return cx
                .drive
                .load()
                .map_err(|e| format!("{}: {e}", cx.drive.name()));
        }
        // Pick before clearing the drive, so a library with nothing to offer is left alone.
        let pick = self.candidate(&inv, request)?;
        if drive.full {
            cx.release_medium()
                .map_err(|why| format!("the medium in the drive could not be closed: {why}"))?;
            self.clear_drive(&inv, &drive, cx)?;
        }
        let tag = pick
            .volume_tag
            .clone()
            .map_or_else(|| "?".to_owned(), |t| t.to_string());
        cx.events.event(&JobEvent::Message {
            detail: crate::Detail::Summary,
            text: format!(
                "Changer {name}: loading {tag} from {} into drive {}",
                pick.label(),
                self.drive
            ),
        });
        self.changer
            .move_medium(pick.address, drive.address)
            .map_err(|e| format!("could not load {tag}: {e}"))?;
        cx.drive
            .load()
            .map_err(|e| format!("{tag} was moved into the drive but did not load: {e}"))
    }
}

fn first_empty(inv: &Inventory, kind: ElementKind) -> Option<ElementAddress> {
    inv.of_kind(kind).find(|e| !e.full).map(|e| e.address)
}

impl<C: MediaChanger> MediaPolicy for ChangerPolicy<C> {
    fn name(&self) -> &str {
        "changer"
    }

    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        match self.try_supply(request, cx) {
            Ok(()) => Supply::Loaded,
            Err(why) => {
                cx.events.event(&JobEvent::Message {
                    detail: crate::Detail::Summary,
                    text: format!("Changer: {why}"),
                });
                Supply::Declined(why)
            }
        }
    }
}
