//! What a person does by hand at the library: insert and eject cartridges, flip the
//! write-protect tab, add cartridges, and (for tests) inject faults.

use serde::Serialize;

use super::state::{CartridgeFaults, DriveFaults, LibraryState, Location};
use super::{VirtualLibrary, VtlError};
use crate::{MediumKind, VolumeTag};

/// Which cartridge to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertSource {
    /// The first never-written, writable data cartridge, storage slots first, then
    /// import/export slots.
    NextBlank,
    /// The cartridge with this barcode.
    Barcode(VolumeTag),
}

/// A cartridge as `vtl status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CartridgeReport {
    /// Barcode.
    pub barcode: VolumeTag,
    /// Data or cleaning.
    pub kind: MediumKind,
    /// Capacity in bytes.
    pub capacity: u64,
    /// Early-warning zone in bytes.
    pub early_warning: u64,
    /// Bytes recorded (including 16 bytes per record).
    pub used: u64,
    /// Never written.
    pub blank: bool,
    /// Write-protect tab set.
    pub write_protected: bool,
    /// Home slot.
    pub home: Option<u16>,
    /// Injected faults.
    pub faults: CartridgeFaults,
}

/// A drive as `vtl status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DriveReport {
    /// Drive number, from 0.
    pub index: usize,
    /// The cartridge in it.
    pub cartridge: Option<CartridgeReport>,
    /// Threaded and ready.
    pub loaded: bool,
    /// Process that has the drive open.
    pub in_use_by: Option<String>,
    /// Injected faults.
    pub faults: DriveFaults,
}

/// A storage or import/export slot as `vtl status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SlotReport {
    /// Slot number, from 1.
    pub number: usize,
    /// The cartridge in it.
    pub cartridge: Option<CartridgeReport>,
}

/// The whole library as `vtl status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LibraryStatus {
    /// Drives.
    pub drives: Vec<DriveReport>,
    /// Storage slots.
    pub slots: Vec<SlotReport>,
    /// Import/export slots.
    pub import_export: Vec<SlotReport>,
}

impl VirtualLibrary {
    /// Everything about the library, with each cartridge's usage.
    pub fn status(&self) -> Result<LibraryStatus, VtlError> {
        let state = self.state()?;
        let report = |tag: &Option<VolumeTag>| {
            tag.as_ref()
                .map(|t| self.cartridge_report(&state, t))
                .transpose()
        };
        let drives = state
            .drives
            .iter()
            .enumerate()
            .map(|(index, d)| {
                Ok(DriveReport {
                    index,
                    cartridge: report(&d.cartridge)?,
                    loaded: d.loaded,
                    in_use_by: self.drive_holder(index),
                    faults: d.faults,
                })
            })
            .collect::<Result<_, VtlError>>()?;
        let slots = |list: &[Option<VolumeTag>]| {
            list.iter()
                .enumerate()
                .map(|(i, t)| {
                    Ok(SlotReport {
                        number: i + 1,
                        cartridge: report(t)?,
                    })
                })
                .collect::<Result<Vec<_>, VtlError>>()
        };
        Ok(LibraryStatus {
            drives,
            slots: slots(&state.slots)?,
            import_export: slots(&state.import_export)?,
        })
    }

    fn cartridge_report(
        &self,
        state: &LibraryState,
        tag: &VolumeTag,
    ) -> Result<CartridgeReport, VtlError> {
        let c = state
            .cartridges
            .get(tag)
            .ok_or_else(|| VtlError::NoSuchCartridge(tag.to_string()))?;
        let used = self.used_bytes(tag)?;
        Ok(CartridgeReport {
            barcode: tag.clone(),
            kind: c.kind,
            capacity: c.capacity,
            early_warning: c.early_warning,
            used,
            blank: used == 0,
            write_protected: c.write_protected,
            home: c.home,
            faults: c.faults,
        })
    }

    /// An operator puts a cartridge into drive `drive`; the drive loads it. A cartridge already
    /// in the drive is taken out first and put back in a slot — unless another process has the
    /// drive open with that cartridge loaded, in which case the drive refuses (eject it first, or
    /// let the job unload it). Returns the barcode inserted.
    pub fn insert(&self, drive: usize, source: InsertSource) -> Result<VolumeTag, VtlError> {
        let holder = self.drive_holder(drive);
        self.modify(|state| {
            check_drive(state, drive)?;
            let current = state.drives[drive].cartridge.clone();
            if let (Some(pid), Some(_), true) = (&holder, &current, state.drives[drive].loaded) {
                return Err(VtlError::DriveInUse {
                    drive,
                    pid: pid.clone(),
                });
            }
            let tag = match source {
                InsertSource::Barcode(tag) => tag,
                InsertSource::NextBlank => self.next_blank(state, current.as_ref())?,
            };
            if current.as_ref() != Some(&tag) {
                take_out(state, &tag)?;
                if let Some(old) = current {
                    state.drives[drive].cartridge = None;
                    put_away(state, &old)?;
                }
            }
            let d = &mut state.drives[drive];
            d.cartridge = Some(tag.clone());
            d.loaded = true;
            d.position = Some(0);
            Ok(tag)
        })
    }

    /// An operator presses eject on drive `drive` and puts the cartridge back in its home
    /// slot (or the first empty slot, or an import/export slot). A drive that another process
    /// has open refuses to eject a loaded cartridge unless `force` (a test of a tape pulled out
    /// mid-job). Returns the barcode ejected.
    pub fn eject(&self, drive: usize, force: bool) -> Result<VolumeTag, VtlError> {
        let holder = self.drive_holder(drive);
        self.modify(|state| {
            check_drive(state, drive)?;
            let d = &mut state.drives[drive];
            let tag = d.cartridge.clone().ok_or(VtlError::DriveEmpty(drive))?;
            if let (Some(pid), true, false) = (&holder, d.loaded, force) {
                return Err(VtlError::DriveInUse {
                    drive,
                    pid: pid.clone(),
                });
            }
            d.cartridge = None;
            d.loaded = false;
            d.position = None;
            put_away(state, &tag)?;
            Ok(tag)
        })
    }

    /// Sets or clears a cartridge's write-protect tab.
    pub fn set_write_protect(&self, tag: &VolumeTag, protect: bool) -> Result<(), VtlError> {
        self.modify(|state| {
            cartridge_mut(state, tag)?.write_protected = protect;
            Ok(())
        })
    }

    /// Adds `count` new blank cartridges of `kind` to empty slots, adding slots as needed.
    pub fn add_cartridges(
        &self,
        count: usize,
        kind: MediumKind,
    ) -> Result<Vec<VolumeTag>, VtlError> {
        self.modify(|state| {
            (0..count)
                .map(|_| self.new_cartridge(state, kind))
                .collect()
        })
    }

    /// Replaces the faults injected into a cartridge.
    pub fn set_cartridge_faults(
        &self,
        tag: &VolumeTag,
        faults: CartridgeFaults,
    ) -> Result<(), VtlError> {
        self.modify(|state| {
            cartridge_mut(state, tag)?.faults = faults;
            Ok(())
        })
    }

    /// Replaces the faults injected into a drive.
    pub fn set_drive_faults(&self, drive: usize, faults: DriveFaults) -> Result<(), VtlError> {
        self.modify(|state| {
            check_drive(state, drive)?;
            state.drives[drive].faults = faults;
            Ok(())
        })
    }

    fn next_blank(
        &self,
        state: &LibraryState,
        except: Option<&VolumeTag>,
    ) -> Result<VolumeTag, VtlError> {
        for tag in state
            .slots
            .iter()
            .chain(state.import_export.iter())
            .flatten()
        {
            let c = &state.cartridges[tag];
            let usable = c.kind == MediumKind::Data && !c.write_protected && Some(tag) != except;
            if usable && self.used_bytes(tag)? == 0 {
                return Ok(tag.clone());
            }
        }
        Err(VtlError::NoBlankCartridge)
    }
}

fn check_drive(state: &LibraryState, drive: usize) -> Result<(), VtlError> {
    if drive < state.drives.len() {
        Ok(())
    } else {
        Err(VtlError::NoSuchDrive {
            index: drive,
            count: state.drives.len(),
        })
    }
}

fn cartridge_mut<'a>(
    state: &'a mut LibraryState,
    tag: &VolumeTag,
) -> Result<&'a mut super::state::CartridgeState, VtlError> {
    state
        .cartridges
        .get_mut(tag)
        .ok_or_else(|| VtlError::NoSuchCartridge(tag.to_string()))
}

/// Removes `tag` from wherever it is; a cartridge loaded in a drive cannot be taken.
fn take_out(state: &mut LibraryState, tag: &VolumeTag) -> Result<(), VtlError> {
    match state.locate(tag) {
        None => Err(VtlError::NoSuchCartridge(tag.to_string())),
        Some(Location::Drive(i)) if state.drives[i].loaded => Err(VtlError::CartridgeInDrive {
            barcode: tag.to_string(),
            drive: i,
        }),
        Some(Location::Drive(i)) => {
            state.drives[i].cartridge = None;
            state.drives[i].position = None;
            Ok(())
        }
        Some(Location::Slot(i)) => {
            state.slots[i] = None;
            Ok(())
        }
        Some(Location::ImportExport(i)) => {
            state.import_export[i] = None;
            Ok(())
        }
    }
}

/// Puts a cartridge that is nowhere into its home slot, else the first empty slot, else an
/// empty import/export slot.
fn put_away(state: &mut LibraryState, tag: &VolumeTag) -> Result<(), VtlError> {
    let home = state
        .cartridges
        .get(tag)
        .and_then(|c| c.home)
        .map(usize::from);
    let free_home = home
        .and_then(|h| h.checked_sub(1))
        .filter(|&i| state.slots.get(i).is_some_and(Option::is_none));
    if let Some(i) = free_home {
        state.slots[i] = Some(tag.clone());
        return Ok(());
    }
    if let Some(s) = state.slots.iter_mut().find(|s| s.is_none()) {
        *s = Some(tag.clone());
        return Ok(());
    }
    if let Some(s) = state.import_export.iter_mut().find(|s| s.is_none()) {
        *s = Some(tag.clone());
        return Ok(());
    }
    Err(VtlError::NoFreeSlot(tag.to_string()))
}
