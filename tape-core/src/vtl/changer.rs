//! [`VirtualChanger`]: the virtual library's robot, implementing [`MediaChanger`].
//!
//! Element addresses: transport `0x0000`; drive *n* at `0x0100 + n`; storage slot *n* at
//! `0x1000 + n − 1`; import/export slot *n* at `0x2000 + n − 1` (distinct ranges as on real
//! libraries, so a slot number is never mistaken for an address).

use super::state::{LibraryState, Location};
use super::{VirtualLibrary, VtlError};
use crate::{
    DeviceError, ElementAddress, ElementKind, ElementStatus, Inventory, MediaChanger, VolumeTag,
};

const DRIVE_BASE: u16 = 0x0100;
const SLOT_BASE: u16 = 0x1000;
const IE_BASE: u16 = 0x2000;

/// The robot of a [`VirtualLibrary`].
#[derive(Debug, Clone)]
pub struct VirtualChanger {
    library: VirtualLibrary,
    name: String,
}

impl VirtualChanger {
    pub(crate) fn new(library: VirtualLibrary) -> Self {
        let name = library.name();
        Self { library, name }
    }
}

fn place_of(state: &LibraryState, address: ElementAddress) -> Option<Location> {
    let a = address.0;
    let in_range =
        |base: u16, len: usize| a.checked_sub(base).map(usize::from).filter(|&i| i < len);
    if let Some(i) = in_range(DRIVE_BASE, state.drives.len()) {
        return Some(Location::Drive(i));
    }
    if let Some(i) = in_range(SLOT_BASE, state.slots.len()) {
        return Some(Location::Slot(i));
    }
    in_range(IE_BASE, state.import_export.len()).map(Location::ImportExport)
}

fn address_of(location: Location) -> ElementAddress {
    let offset = |i: usize| u16::try_from(i).unwrap_or(u16::MAX);
    ElementAddress(match location {
        Location::Drive(i) => DRIVE_BASE.saturating_add(offset(i)),
        Location::Slot(i) => SLOT_BASE.saturating_add(offset(i)),
        Location::ImportExport(i) => IE_BASE.saturating_add(offset(i)),
    })
}

fn label(location: Location) -> String {
    match location {
        Location::Drive(i) => format!("drive {i}"),
        Location::Slot(i) => format!("slot {}", i + 1),
        Location::ImportExport(i) => format!("import/export slot {}", i + 1),
    }
}

fn content(state: &mut LibraryState, location: Location) -> &mut Option<VolumeTag> {
    match location {
        Location::Drive(i) => &mut state.drives[i].cartridge,
        Location::Slot(i) => &mut state.slots[i],
        Location::ImportExport(i) => &mut state.import_export[i],
    }
}

fn element(state: &LibraryState, location: Location, tag: Option<&VolumeTag>) -> ElementStatus {
    let (kind, number) = match location {
        Location::Drive(i) => (ElementKind::Drive, i),
        Location::Slot(i) => (ElementKind::Storage, i + 1),
        Location::ImportExport(i) => (ElementKind::ImportExport, i + 1),
    };
    let number = u16::try_from(number).unwrap_or(u16::MAX);
    let mut e = ElementStatus::empty(kind, address_of(location), number);
    if let Some(tag) = tag {
        e.full = true;
        e.volume_tag = Some(tag.clone());
        let home = state
            .cartridges
            .get(tag)
            .and_then(|c| c.home)
            .and_then(|h| h.checked_sub(1));
        e.source = home.map(|h| address_of(Location::Slot(usize::from(h))));
    }
    e
}

impl MediaChanger for VirtualChanger {
    fn name(&self) -> &str {
        &self.name
    }

    fn inventory(&mut self) -> Result<Inventory, DeviceError> {
        let state = self.library.state()?;
        let mut elements = vec![ElementStatus::empty(
            ElementKind::Transport,
            ElementAddress(0),
            0,
        )];
        for (i, d) in state.drives.iter().enumerate() {
            elements.push(element(&state, Location::Drive(i), d.cartridge.as_ref()));
        }
        for (i, s) in state.slots.iter().enumerate() {
            elements.push(element(&state, Location::Slot(i), s.as_ref()));
        }
        for (i, s) in state.import_export.iter().enumerate() {
            elements.push(element(&state, Location::ImportExport(i), s.as_ref()));
        }
        Ok(Inventory::new(elements))
    }

    fn move_medium(
        &mut self,
        source: ElementAddress,
        destination: ElementAddress,
    ) -> Result<(), DeviceError> {
        crate::crashpoint::hit("vtl.changer.move");
        self.library
            .modify(|state| {
                let bad = |a: ElementAddress| {
                    VtlError::Device(DeviceError::NoSuchElement(format!("element address {a}")))
                };
                let from = place_of(state, source).ok_or_else(|| bad(source))?;
                let to = place_of(state, destination).ok_or_else(|| bad(destination))?;
                let tag = content(state, from)
                    .clone()
                    .ok_or_else(|| DeviceError::SourceEmpty(label(from)))?;
                if from == to {
                    return Ok(());
                }
                if content(state, to).is_some() {
                    return Err(DeviceError::DestinationFull(label(to)).into());
                }
                if let Location::Drive(i) = from {
                    if state.drives[i].loaded {
                        return Err(DeviceError::RemovalPrevented(format!(
                            "drive {i} still has {tag} loaded; unload it before moving it out"
                        ))
                        .into());
                    }
                    state.drives[i].position = None;
                }
                *content(state, from) = None;
                *content(state, to) = Some(tag);
                if let Location::Drive(i) = to {
                    // Drives load a cartridge as soon as it is inserted.
                    state.drives[i].loaded = true;
                    state.drives[i].position = Some(0);
                }
                Ok(())
            })
            .map_err(DeviceError::from)
    }
}
