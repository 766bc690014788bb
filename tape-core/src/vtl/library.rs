//! The library directory: creating and opening it, and its locked state file.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::image::{IMAGE_HEADER_LEN, Image};
use super::state::{CartridgeState, DriveState, LibraryState, STATE_FORMAT};
use super::{VirtualChanger, VirtualDrive, VtlError};
use crate::{DeviceError, MediumKind, VolumeTag};

const STATE_FILE: &str = "library.json";
const LOCK_FILE: &str = "lock";
const CARTRIDGE_DIR: &str = "cartridges";
const IMAGE_SUFFIX: &str = "vtape";

/// Parameters of a new library.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LibraryConfig {
    /// Number of drives (at least 1).
    pub drives: u16,
    /// Number of storage slots, each created holding a blank cartridge.
    pub slots: u16,
    /// Number of import/export slots, created empty.
    pub import_export: u16,
    /// Capacity of each cartridge in bytes (records cost their length plus 16 bytes).
    pub capacity: u64,
    /// Early-warning zone, bytes before the physical end.
    pub early_warning: u64,
    /// Barcode prefix; cartridges are named prefix + 4-digit serial (`VT0001`).
    pub barcode_prefix: String,
}

impl Default for LibraryConfig {
    fn default() -> Self {
        Self {
            drives: 1,
            slots: 6,
            import_export: 1,
            capacity: 1 << 30,
            early_warning: 16 << 20,
            barcode_prefix: "VT".into(),
        }
    }
}

impl LibraryConfig {
    fn validate(&self) -> Result<(), VtlError> {
        let bad = |m: &str| Err(VtlError::InvalidConfig(m.into()));
        if !(1..=64).contains(&self.drives) {
            return bad("the library needs 1 to 64 drives");
        }
        if self.slots > 4096 || self.import_export > 64 {
            return bad("at most 4096 slots and 64 import/export slots");
        }
        if self.capacity < 4096 {
            return bad("cartridge capacity must be at least 4 KiB");
        }
        if self.early_warning >= self.capacity {
            return bad("the early-warning zone must be smaller than the capacity");
        }
        let prefix_ok = self.barcode_prefix.len() <= 24
            && self
                .barcode_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
            && !self.barcode_prefix.starts_with("CLN");
        if !prefix_ok {
            return bad("barcode prefix: up to 24 letters and digits, not starting with CLN");
        }
        Ok(())
    }
}

/// Identity of one version of the state file, to notice changes cheaply with one `stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    ino: u64,
    mtime: i64,
    mtime_nsec: i64,
    size: u64,
}

/// A virtual tape library stored in a directory: drives, storage slots, import/export slots,
/// and cartridges (see the [module docs](super) for the layout and the guarantees).
///
/// The handle is cheap: it holds only the path. State changes take an exclusive lock on the
/// directory's `lock` file for the few milliseconds they last, so several processes can use one
/// library; each drive is used by one process at a time.
#[derive(Debug, Clone)]
pub struct VirtualLibrary {
    dir: PathBuf,
}

impl VirtualLibrary {
    /// Creates a library in `dir` (created if missing; must be empty), with a blank data
    /// cartridge in every storage slot.
    pub fn create(dir: impl AsRef<Path>, config: &LibraryConfig) -> Result<Self, VtlError> {
        config.validate()?;
        let dir = dir.as_ref();
        if dir.exists() {
            let mut entries = fs::read_dir(dir)
                .map_err(|e| VtlError::io(format!("reading {}", dir.display()), e))?;
            if entries.next().is_some() {
                return Err(VtlError::AlreadyExists(dir.to_owned()));
            }
        }
        let carts = dir.join(CARTRIDGE_DIR);
        fs::create_dir_all(&carts)
            .map_err(|e| VtlError::io(format!("creating {}", carts.display()), e))?;
        let lib = Self {
            dir: dir.to_owned(),
        };
        let mut state = LibraryState {
            format: STATE_FORMAT,
            barcode_prefix: config.barcode_prefix.clone(),
            next_serial: 1,
            default_capacity: config.capacity,
            default_early_warning: config.early_warning,
            drives: vec![DriveState::default(); usize::from(config.drives)],
            slots: vec![None; usize::from(config.slots)],
            import_export: vec![None; usize::from(config.import_export)],
            cartridges: Default::default(),
        };
        for _ in 0..config.slots {
            lib.new_cartridge(&mut state, MediumKind::Data)?;
        }
        // The state file comes last: a half-created directory is not a library.
        lib.write_state(&state)?;
        Ok(lib)
    }

    /// Opens the library in `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, VtlError> {
        let dir = dir.as_ref();
        if !dir.join(STATE_FILE).is_file() {
            return Err(VtlError::NotALibrary(dir.to_owned()));
        }
        let lib = Self {
            dir: dir.to_owned(),
        };
        lib.state()?;
        Ok(lib)
    }

    /// The library's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A name for messages: `vtl:DIR`.
    pub fn name(&self) -> String {
        format!("vtl:{}", self.dir.display())
    }

    /// Opens drive `index` for this process.
    pub fn drive(&self, index: usize) -> Result<VirtualDrive, DeviceError> {
        VirtualDrive::open(self.clone(), index)
    }

    /// The library's robot.
    pub fn changer(&self) -> VirtualChanger {
        VirtualChanger::new(self.clone())
    }

    /// Reads the state under a shared lock.
    pub fn state(&self) -> Result<LibraryState, VtlError> {
        let lock = self.lock_file()?;
        lock.lock_shared()
            .map_err(|e| VtlError::io("locking the library", e))?;
        self.read_state()
    }

    /// Applies `change` to the state under the exclusive lock and saves it if it succeeds.
    pub(crate) fn modify<T>(
        &self,
        change: impl FnOnce(&mut LibraryState) -> Result<T, VtlError>,
    ) -> Result<T, VtlError> {
        let lock = self.lock_file()?;
        lock.lock()
            .map_err(|e| VtlError::io("locking the library", e))?;
        let mut state = self.read_state()?;
        let value = change(&mut state)?;
        state.validate().map_err(|detail| VtlError::CorruptState {
            path: self.state_path(),
            detail,
        })?;
        self.write_state(&state)?;
        self.remove_stale_state_files();
        Ok(value)
    }

    /// Removes the temporary state files a process killed while writing one left behind
    /// (called under the exclusive lock, when no other writer can have one in progress).
    fn remove_stale_state_files(&self) {
        let prefix = format!("{STATE_FILE}.tmp.");
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                // What cannot be removed now is tried again at the next change.
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    pub(crate) fn stamp(&self) -> Result<Stamp, DeviceError> {
        let m = fs::metadata(self.state_path())
            .map_err(|e| DeviceError::io(format!("reading {}", self.state_path().display()), e))?;
        Ok(Stamp {
            ino: m.ino(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
            size: m.size(),
        })
    }

    /// Path of a cartridge's image file.
    pub fn image_path(&self, tag: &VolumeTag) -> PathBuf {
        self.dir
            .join(CARTRIDGE_DIR)
            .join(format!("{tag}.{IMAGE_SUFFIX}"))
    }

    /// Bytes recorded on a cartridge (from the image size; no need to mount it).
    pub(crate) fn used_bytes(&self, tag: &VolumeTag) -> Result<u64, VtlError> {
        let path = self.image_path(tag);
        let m = fs::metadata(&path)
            .map_err(|e| VtlError::io(format!("reading {}", path.display()), e))?;
        Ok(m.len().saturating_sub(IMAGE_HEADER_LEN))
    }

    pub(crate) fn drive_lock_path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("drive{index}.lock"))
    }

    /// The process that has drive `index` open, if any (as it recorded itself).
    pub fn drive_holder(&self, index: usize) -> Option<String> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.drive_lock_path(index))
            .ok()?;
        match file.try_lock() {
            Ok(()) => None,
            Err(_) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                Some(if pid.is_empty() {
                    "unknown".to_owned()
                } else {
                    pid.to_owned()
                })
            }
        }
    }

    /// Creates a cartridge image and places the cartridge in the first empty slot (adding a
    /// slot if all are full).
    pub(crate) fn new_cartridge(
        &self,
        state: &mut LibraryState,
        kind: MediumKind,
    ) -> Result<VolumeTag, VtlError> {
        let tag = state
            .new_barcode(kind == MediumKind::Cleaning)
            .map_err(VtlError::InvalidConfig)?;
        Image::create(&self.image_path(&tag))?;
        // An empty slot that is no cartridge's home (a loaded cartridge's home stays free).
        let homes: Vec<usize> = state
            .cartridges
            .values()
            .filter_map(|c| c.home)
            .map(usize::from)
            .collect();
        let free =
            (0..state.slots.len()).find(|&i| state.slots[i].is_none() && !homes.contains(&(i + 1)));
        let slot = match free {
            Some(i) => i,
            None => {
                state.slots.push(None);
                state.slots.len() - 1
            }
        };
        state.slots[slot] = Some(tag.clone());
        let home = u16::try_from(slot + 1)
            .map_err(|_| VtlError::InvalidConfig("too many slots".into()))?;
        state.cartridges.insert(
            tag.clone(),
            CartridgeState {
                capacity: state.default_capacity,
                early_warning: state.default_early_warning,
                write_protected: false,
                kind,
                home: Some(home),
                faults: Default::default(),
            },
        );
        Ok(tag)
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    fn lock_file(&self) -> Result<File, VtlError> {
        let path = self.dir.join(LOCK_FILE);
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| VtlError::io(format!("opening {}", path.display()), e))
    }

    fn read_state(&self) -> Result<LibraryState, VtlError> {
        let path = self.state_path();
        let text = fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => VtlError::NotALibrary(self.dir.clone()),
            _ => VtlError::io(format!("reading {}", path.display()), e),
        })?;
        let state: LibraryState =
            serde_json::from_slice(&text).map_err(|e| VtlError::CorruptState {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        state
            .validate()
            .map_err(|detail| VtlError::CorruptState { path, detail })?;
        Ok(state)
    }

    /// Replaces the state file atomically (write a temporary file, sync, rename).
    fn write_state(&self, state: &LibraryState) -> Result<(), VtlError> {
        let path = self.state_path();
        let tmp = self
            .dir
            .join(format!("{STATE_FILE}.tmp.{}", std::process::id()));
        let text = serde_json::to_vec_pretty(state).map_err(|e| VtlError::CorruptState {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            crate::crashpoint::hit("vtl.state.written");
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| VtlError::io(format!("writing {}", path.display()), e))
    }
}
