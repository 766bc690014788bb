//! Media pools (NTBackup's `/P "4mm DDS"`): named groups of cartridges in a library, kept in
//! `$NTBACKUP_HOME/pools.json`:
//!
//! ```json
//! { "version": 1,
//!   "pools": { "4mm DDS": { "tape": "vtl:/srv/lib#0", "changer": "vtl:/srv/lib",
//!                           "barcodes": ["VT0001", "VT0002"] } } }
//! ```
//!
//! `tape` and `changer` are device strings (absent: the embedded library). A job with `/P` takes
//! only the pool's cartridges: the changer policy sees every other cartridge as unusable
//! ([`PoolDirectory`]), and a cartridge of another pool left in the drive is put back in its
//! slot before the job starts ([`clear_drive`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use backup_engine::policy::{MediaDirectory, MediumUsage};
use serde::{Deserialize, Serialize};
use tape_core::{ElementKind, MediaChanger, VolumeTag};

/// The barcodes of a pool.
pub(crate) type Members = BTreeSet<String>;

/// One pool.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct PoolDef {
    /// The library's drive (device string); absent: the embedded library.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tape: Option<String>,
    /// The library's changer (device string); absent: the embedded library's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) changer: Option<String>,
    /// The cartridges.
    pub(crate) barcodes: Members,
}

/// `pools.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct PoolsFile {
    pub(crate) version: u32,
    pub(crate) pools: BTreeMap<String, PoolDef>,
}

impl Default for PoolsFile {
    fn default() -> Self {
        Self {
            version: 1,
            pools: BTreeMap::new(),
        }
    }
}

fn path() -> anyhow::Result<PathBuf> {
    Ok(crate::home::home()?.join("pools.json"))
}

impl PoolsFile {
    pub(crate) fn load() -> anyhow::Result<Self> {
        Self::load_from(&path()?)
    }

    pub(crate) fn load_from(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("reading the media pools in {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub(crate) fn save(&self) -> anyhow::Result<()> {
        let path = path()?;
        let dir = path.parent().context("pools.json has no directory")?;
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".pools.json.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&PoolDef> {
        self.pools.get(name).or_else(|| {
            self.pools
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    }
}

/// The changer's view of a pool: the catalog's, with every non-member unusable.
pub(crate) struct PoolDirectory {
    inner: Box<dyn MediaDirectory>,
    members: Members,
}

impl PoolDirectory {
    pub(crate) fn new(inner: Box<dyn MediaDirectory>, members: Members) -> Self {
        Self { inner, members }
    }
}

impl MediaDirectory for PoolDirectory {
    fn usage(&self, barcode: &VolumeTag) -> MediumUsage {
        if self.members.contains(&barcode.to_string()) {
            self.inner.usage(barcode)
        } else {
            // Not ours: the changer treats it like a cartridge holding a live set.
            MediumUsage::Live { family: 0 }
        }
    }
}

/// Puts a cartridge that is not a member of the pool back from the drive into a slot, so the
/// job starts on a pool cartridge. Returns what it did, for the log.
pub(crate) fn clear_drive(
    changer: &mut dyn MediaChanger,
    drive: &mut dyn tape_core::TapeDrive,
    drive_number: u16,
    members: &Members,
) -> anyhow::Result<Option<String>> {
    let inv = changer
        .inventory()
        .context("reading the library's inventory")?;
    let Some(element) = inv.find(ElementKind::Drive, drive_number).cloned() else {
        bail!("the library has no drive {drive_number}");
    };
    if !element.full {
        return Ok(None);
    }
    let tag = element.volume_tag.as_ref().map(ToString::to_string);
    if tag.as_ref().is_some_and(|t| members.contains(t)) {
        return Ok(None);
    }
    match drive.unload() {
        Ok(()) | Err(tape_core::DeviceError::NoMedium) => {}
        Err(e) => bail!("could not unload the drive: {e}"),
    }
    let dest = element
        .source
        .filter(|s| inv.at(*s).is_some_and(|e| !e.full))
        .or_else(|| {
            inv.of_kind(ElementKind::Storage)
                .find(|e| !e.full)
                .map(|e| e.address)
        })
        .context("no empty slot to put the drive's cartridge back into")?;
    changer
        .move_medium(element.address, dest)
        .context("moving the drive's cartridge back to its slot")?;
    Ok(Some(format!(
        "{} is not in the pool: put back into its slot",
        tag.unwrap_or_else(|| "The cartridge in the drive".to_owned())
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_file_round_trips_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pools.json");
        assert_eq!(PoolsFile::load_from(&p).unwrap(), PoolsFile::default());
        let mut f = PoolsFile::default();
        f.pools.insert(
            "4mm DDS".into(),
            PoolDef {
                tape: None,
                changer: Some("vtl:/x".into()),
                barcodes: ["VT0001".to_owned()].into(),
            },
        );
        std::fs::write(&p, serde_json::to_vec(&f).unwrap()).unwrap();
        let back = PoolsFile::load_from(&p).unwrap();
        assert_eq!(back, f);
        assert!(back.get("4MM dds").is_some());
        std::fs::write(&p, b"{").unwrap();
        assert!(PoolsFile::load_from(&p).is_err());
    }

    #[test]
    fn non_members_are_unusable() {
        let d = PoolDirectory::new(
            Box::new(backup_engine::policy::NoDirectory),
            ["VT0001".to_owned()].into(),
        );
        let tag = |s: &str| VolumeTag::new(s).unwrap();
        assert_eq!(d.usage(&tag("VT0001")), MediumUsage::Unknown);
        assert!(matches!(d.usage(&tag("VT0002")), MediumUsage::Live { .. }));
    }
}
