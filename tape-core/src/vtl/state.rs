//! The library's persistent state (`library.json`): where every cartridge is, and the faults
//! injected for tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{MediumKind, VolumeTag};

/// Version of the state file's layout.
pub(crate) const STATE_FORMAT: u32 = 1;

/// Everything the library remembers between commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LibraryState {
    /// Layout version of this file.
    pub format: u32,
    /// Barcode prefix for new cartridges (`VT` gives `VT0001`, `VT0002`, …).
    pub barcode_prefix: String,
    /// Serial number of the next cartridge created.
    pub next_serial: u32,
    /// Capacity of new cartridges, bytes.
    pub default_capacity: u64,
    /// Early-warning zone of new cartridges, bytes before the physical end.
    pub default_early_warning: u64,
    /// The drives, drive 0 first.
    pub drives: Vec<DriveState>,
    /// Storage slots, slot 1 first: the barcode of the cartridge in each.
    pub slots: Vec<Option<VolumeTag>>,
    /// Import/export (mail) slots, slot 1 first.
    pub import_export: Vec<Option<VolumeTag>>,
    /// Every cartridge of the library.
    pub cartridges: BTreeMap<VolumeTag, CartridgeState>,
}

/// One drive.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DriveState {
    /// The cartridge in the drive, loaded or ejected into the throat.
    pub cartridge: Option<VolumeTag>,
    /// The cartridge is threaded and ready.
    pub loaded: bool,
    /// Position saved when the last drive handle closed cleanly; `None` = unknown.
    pub position: Option<u64>,
    /// Process id of the drive handle that has the drive open; left set by a crash.
    pub session: Option<u32>,
    /// Injected faults.
    #[serde(default)]
    pub faults: DriveFaults,
}

/// One cartridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CartridgeState {
    /// Bytes up to the physical end (each record costs its length plus 16 bytes).
    pub capacity: u64,
    /// Early-warning zone, bytes before the physical end.
    pub early_warning: u64,
    /// Write-protect tab.
    pub write_protected: bool,
    /// Data or cleaning.
    pub kind: MediumKind,
    /// Storage slot the cartridge returns to.
    pub home: Option<u16>,
    /// Injected faults.
    #[serde(default)]
    pub faults: CartridgeFaults,
}

/// Faults injected into a cartridge (block addresses count blocks and filemarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CartridgeFaults {
    /// Writing the object at this address fails with a medium error; nothing is written.
    pub write_error_at: Option<u64>,
    /// Reading the block at this address fails with a medium error.
    pub read_error_at: Option<u64>,
    /// Writes of objects at this address and later report early warning, wherever the
    /// early-warning zone is.
    pub early_warning_at: Option<u64>,
    /// Writes at this address and later fail with volume overflow (physical end), with or
    /// without an early warning before.
    pub physical_end_at: Option<u64>,
}

/// Faults injected into a drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DriveFaults {
    /// The drive reports "not ready" to every command.
    pub not_ready: bool,
}

/// Where a cartridge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Drive(usize),
    Slot(usize),
    ImportExport(usize),
}

impl LibraryState {
    /// Where `tag` is, if anywhere.
    pub(crate) fn locate(&self, tag: &VolumeTag) -> Option<Location> {
        let is = |c: &Option<VolumeTag>| c.as_ref() == Some(tag);
        if let Some(i) = self.drives.iter().position(|d| is(&d.cartridge)) {
            return Some(Location::Drive(i));
        }
        if let Some(i) = self.slots.iter().position(is) {
            return Some(Location::Slot(i));
        }
        self.import_export
            .iter()
            .position(is)
            .map(Location::ImportExport)
    }

    /// Checks the invariants a hand-edited or damaged file could break: every cartridge is in
    /// exactly one place and every place names a known cartridge.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.format != STATE_FORMAT {
            return Err(format!("unsupported state format {}", self.format));
        }
        if self.drives.is_empty() {
            return Err("the library has no drives".into());
        }
        let places = self
            .drives
            .iter()
            .map(|d| &d.cartridge)
            .chain(self.slots.iter())
            .chain(self.import_export.iter())
            .flatten();
        let mut seen = BTreeMap::new();
        for tag in places {
            if !self.cartridges.contains_key(tag) {
                return Err(format!("cartridge {tag} is placed but not described"));
            }
            if seen.insert(tag, ()).is_some() {
                return Err(format!("cartridge {tag} is in two places"));
            }
        }
        for (tag, c) in &self.cartridges {
            if !seen.contains_key(tag) {
                return Err(format!("cartridge {tag} is nowhere in the library"));
            }
            if c.early_warning >= c.capacity {
                return Err(format!(
                    "cartridge {tag}: early-warning zone not below capacity"
                ));
            }
        }
        for (i, d) in self.drives.iter().enumerate() {
            if d.loaded && d.cartridge.is_none() {
                return Err(format!("drive {i} is loaded but empty"));
            }
        }
        Ok(())
    }

    /// The next unused barcode.
    pub(crate) fn new_barcode(&mut self, cleaning: bool) -> Result<VolumeTag, String> {
        loop {
            let serial = self.next_serial;
            self.next_serial = serial
                .checked_add(1)
                .ok_or("barcode serial numbers exhausted")?;
            let text = if cleaning {
                format!("CLN{serial:03}")
            } else {
                format!("{}{serial:04}", self.barcode_prefix)
            };
            let tag = VolumeTag::new(text).map_err(|e| e.to_string())?;
            if !self.cartridges.contains_key(&tag) {
                return Ok(tag);
            }
        }
    }
}
