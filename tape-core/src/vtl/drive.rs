//! [`VirtualDrive`]: a drive of the virtual library, behaving as an SSC drive in variable-block
//! mode (scsi-tape.md §3, §6.6), with the conditions normalised as [`TapeDrive`] documents.

use std::fs::{File, OpenOptions};
use std::io::Write;

use super::image::{Image, MAX_BLOCK, ObjectKind, ReadFailure};
use super::library::Stamp;
use super::state::{CartridgeState, DriveFaults, LibraryState};
use super::{VirtualLibrary, VtlError};
use crate::{
    BlockAddress, Capacity, DeviceError, DriveCapabilities, DriveStatus, MediumInfo, MediumKind,
    ReadStatus, SpaceStatus, TapeDrive, TapePosition, VolumeTag, WriteStatus,
};

/// One drive of a [`VirtualLibrary`], opened by this process.
///
/// Only one handle per drive exists at a time across all processes (as Linux st refuses a
/// second open with EBUSY). The handle notices changes other processes make to the library
/// (an operator inserting a cartridge, a changer moving one) at its next call, with one `stat`
/// of the state file per call. Drop the handle, or call [`close`](Self::close), to save the
/// position for the next process; after a crash the position is unknown until rewind, load or
/// locate.
#[derive(Debug)]
pub struct VirtualDrive {
    library: VirtualLibrary,
    index: usize,
    name: String,
    _lock: File,
    stamp: Option<Stamp>,
    cartridge: Option<(VolumeTag, CartridgeState)>,
    loaded: bool,
    faults: DriveFaults,
    image: Option<Image>,
    mount_error: Option<String>,
    position: Option<u64>,
    unit_attention: Option<String>,
}

impl VirtualDrive {
    pub(crate) fn open(library: VirtualLibrary, index: usize) -> Result<Self, DeviceError> {
        let name = format!("{}#{index}", library.name());
        let count = library.state()?.drives.len();
        if index >= count {
            return Err(VtlError::NoSuchDrive { index, count }.into());
        }
        let lock = lock_drive(&library, index)?;
        let pid = std::process::id();
        let (state, position) = library.modify(|s| {
            let d = &mut s.drives[index];
            let crashed = d.session.is_some();
            d.session = Some(pid);
            let position = if crashed { None } else { d.position };
            Ok((s.clone(), position))
        })?;
        let mut drive = Self {
            library,
            index,
            name,
            _lock: lock,
            stamp: None,
            cartridge: None,
            loaded: false,
            faults: DriveFaults::default(),
            image: None,
            mount_error: None,
            position: None,
            unit_attention: None,
        };
        drive.apply(&state, false);
        drive.position = if drive.loaded { position } else { None };
        Ok(drive)
    }

    /// Flushes, saves the position for the next user of the drive and releases it.
    pub fn close(mut self) -> Result<(), DeviceError> {
        self.release()
    }

    fn release(&mut self) -> Result<(), DeviceError> {
        let synced = self.image.as_mut().map_or(Ok(()), Image::sync);
        self.image = None;
        let (index, position) = (self.index, self.position);
        let tag = self.cartridge.as_ref().map(|(t, _)| t.clone());
        let saved = self.library.modify(|s| {
            let d = &mut s.drives[index];
            d.session = None;
            d.position = if d.cartridge == tag { position } else { None };
            Ok(())
        });
        synced.and(saved.map_err(DeviceError::from))
    }

    /// Re-reads the library state if another process changed it.
    fn refresh(&mut self) -> Result<(), DeviceError> {
        let stamp = self.library.stamp()?;
        if self.stamp != Some(stamp) {
            let state = self.library.state()?;
            self.apply(&state, true);
            self.stamp = Some(stamp);
        }
        Ok(())
    }

    /// Brings the cached view in line with `state`.
    fn apply(&mut self, state: &LibraryState, notice: bool) {
        let d = &state.drives[self.index];
        self.faults = d.faults;
        let now = d
            .cartridge
            .as_ref()
            .map(|t| (t.clone(), state.cartridges[t].clone()));
        let same = now.as_ref().map(|(t, _)| t) == self.cartridge.as_ref().map(|(t, _)| t);
        if !same || d.loaded != self.loaded {
            self.unmount();
            if notice && d.loaded {
                self.unit_attention = Some(
                    now.as_ref()
                        .map_or("nothing".into(), |(t, _)| t.to_string()),
                );
            }
            self.position = d.loaded.then_some(0);
            self.loaded = d.loaded;
        }
        self.cartridge = now;
    }

    fn unmount(&mut self) {
        if let Some(mut image) = self.image.take() {
            // Best effort: the cartridge was taken away under us; what was written is in the
            // file, and the next mount verifies anything unsynced.
            let _ = image.sync();
        }
        self.mount_error = None;
    }

    fn ensure_mounted(&mut self) -> Result<(), DeviceError> {
        if self.image.is_some() {
            return Ok(());
        }
        let Some((tag, _)) = &self.cartridge else {
            return Err(DeviceError::NoMedium);
        };
        match Image::open(&self.library.image_path(tag)) {
            Ok(image) => {
                self.image = Some(image);
                self.mount_error = None;
                Ok(())
            }
            Err(e) => {
                self.mount_error = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// Refreshes and checks that a medium is loaded and ready.
    fn ready(&mut self) -> Result<(), DeviceError> {
        self.refresh()?;
        if self.faults.not_ready {
            return Err(DeviceError::NotReady(
                "injected fault: drive not ready".into(),
            ));
        }
        if self.cartridge.is_none() {
            return Err(DeviceError::NoMedium);
        }
        if !self.loaded {
            return Err(DeviceError::NotReady("the cartridge is not loaded".into()));
        }
        self.ensure_mounted()
    }

    /// [`ready`](Self::ready), then reports a pending medium change once, then the position.
    fn ready_at(&mut self) -> Result<u64, DeviceError> {
        self.ready()?;
        if let Some(now) = self.unit_attention.take() {
            return Err(DeviceError::MediumChanged { now });
        }
        self.position.ok_or(DeviceError::PositionLost)
    }

    fn cart(&self) -> Result<&CartridgeState, DeviceError> {
        self.cartridge
            .as_ref()
            .map(|(_, c)| c)
            .ok_or(DeviceError::NoMedium)
    }

    fn image(&mut self) -> Result<&mut Image, DeviceError> {
        self.image.as_mut().ok_or(DeviceError::NoMedium)
    }

    fn check_writable(&self) -> Result<(), DeviceError> {
        let c = self.cart()?;
        if c.kind == MediumKind::Cleaning {
            return Err(DeviceError::IncompatibleMedium(
                "a cleaning cartridge is loaded".into(),
            ));
        }
        if c.write_protected {
            return Err(DeviceError::WriteProtected);
        }
        Ok(())
    }

    /// Writes one object at `address`, making it the new end of data.
    fn write_object(
        &mut self,
        address: u64,
        kind: ObjectKind,
        data: &[u8],
    ) -> Result<WriteStatus, DeviceError> {
        let c = self.cart()?.clone();
        if c.faults.write_error_at == Some(address) {
            return Err(DeviceError::MediumError {
                block: Some(address),
                detail: "injected write error".into(),
            });
        }
        let image = self.image()?;
        image.truncate(address)?;
        let need = super::image::RECORD_HEADER_LEN + data.len() as u64;
        let beyond_end = c.faults.physical_end_at.is_some_and(|n| address >= n);
        if beyond_end || image.used() + need > c.capacity {
            return Err(DeviceError::VolumeOverflow { written: 0 });
        }
        image.append(kind, data)?;
        let early = image.used() >= c.capacity - c.early_warning
            || c.faults.early_warning_at.is_some_and(|n| address >= n);
        self.position = Some(address + 1);
        Ok(if early {
            WriteStatus::EarlyWarning
        } else {
            WriteStatus::Written
        })
    }

    fn beyond_early_warning(&self, image: &Image, address: u64) -> bool {
        self.cart().is_ok_and(|c| {
            image.used_before(address) >= c.capacity - c.early_warning
                || c.faults.early_warning_at.is_some_and(|n| address > n)
        })
    }
}

/// How long opening a drive waits for a lock that is being released (see [`lock_drive`]).
const RELEASE_GRACE: std::time::Duration = std::time::Duration::from_millis(250);

fn lock_drive(library: &VirtualLibrary, index: usize) -> Result<File, DeviceError> {
    let path = library.drive_lock_path(index);
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| DeviceError::io(format!("opening {}", path.display()), e))?;
    // A handle that another thread or process is closing right now can hold the lock for a
    // moment after its close returned (the kernel drops a `flock` with the last reference to
    // the open file, which a concurrent fork or syscall elsewhere may briefly keep): one such
    // refusal was seen in CI between two handles of one thread. So a held lock is retried for
    // RELEASE_GRACE before the drive is reported busy; a real holder keeps it far longer.
    let deadline = std::time::Instant::now() + RELEASE_GRACE;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                // A device-level retry bounded at RELEASE_GRACE, not a wait a policy or an
                // operator decides: no outcome depends on the clock, only how soon it comes.
                #[allow(clippy::disallowed_methods)]
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = library
                    .drive_holder(index)
                    .unwrap_or_else(|| "unknown".into());
                return Err(DeviceError::Busy(format!(
                    "drive {index} of {} is in use by process {holder}",
                    library.name()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(DeviceError::io(format!("locking {}", path.display()), e));
            }
        }
    }
    let record = file
        .set_len(0)
        .and_then(|()| write!(file, "{}", std::process::id()));
    record.map_err(|e| DeviceError::io(format!("writing {}", path.display()), e))?;
    Ok(file)
}

impl Drop for VirtualDrive {
    fn drop(&mut self) {
        // Errors cannot be reported from here; `close` reports them.
        let _ = self.release();
    }
}

impl TapeDrive for VirtualDrive {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> DriveCapabilities {
        DriveCapabilities::new(1, MAX_BLOCK)
    }

    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        self.refresh()?;
        let mut status = DriveStatus::default();
        let Some((tag, c)) = self.cartridge.clone() else {
            return Ok(status);
        };
        if self.loaded && !self.faults.not_ready {
            let _ = self.ensure_mounted();
        }
        let used = match &self.image {
            Some(image) => image.used(),
            None => self.library.used_bytes(&tag)?,
        };
        status.medium = Some(MediumInfo {
            barcode: Some(tag),
            kind: c.kind,
            write_protected: c.write_protected,
            blank: Some(used == 0),
            capacity: Some(Capacity::new(c.capacity, c.early_warning, used)),
            notice: self
                .image
                .as_ref()
                .and_then(|i| i.damage())
                .map(|d| d.describe()),
        });
        status.not_ready_reason = if self.faults.not_ready {
            Some("injected fault: drive not ready".into())
        } else if !self.loaded {
            Some("the cartridge is not loaded".into())
        } else {
            self.mount_error.clone()
        };
        status.ready = status.not_ready_reason.is_none() && self.image.is_some();
        if let (Some(image), Some(p), true) = (&self.image, self.position, status.ready) {
            let mut pos = TapePosition::at(BlockAddress(p));
            let file = image.filemarks_before(p);
            let file_start = (0..p).rev().find(|&a| {
                image
                    .object(a)
                    .is_some_and(|o| o.kind == ObjectKind::Filemark)
            });
            pos.file = Some(file);
            pos.block_in_file = Some(p - file_start.map_or(0, |a| a + 1));
            pos.at_end_of_data = p == image.len();
            pos.beyond_early_warning = self.beyond_early_warning(image, p);
            status.position = Some(pos);
        }
        Ok(status)
    }

    fn load(&mut self) -> Result<(), DeviceError> {
        self.refresh()?;
        if self.faults.not_ready {
            return Err(DeviceError::NotReady(
                "injected fault: drive not ready".into(),
            ));
        }
        let Some((tag, _)) = self.cartridge.clone() else {
            return Err(DeviceError::NoMedium);
        };
        if !self.loaded {
            let index = self.index;
            self.library.modify(|s| {
                let d = &mut s.drives[index];
                if d.cartridge.as_ref() == Some(&tag) {
                    d.loaded = true;
                    d.position = Some(0);
                }
                Ok(())
            })?;
            self.loaded = true;
            self.stamp = None;
        }
        self.ensure_mounted()?;
        self.position = Some(0);
        self.unit_attention = None;
        Ok(())
    }

    fn unload(&mut self) -> Result<(), DeviceError> {
        self.refresh()?;
        let Some((tag, _)) = self.cartridge.clone() else {
            return Err(DeviceError::NoMedium);
        };
        if let Some(mut image) = self.image.take() {
            image.sync()?;
        }
        let index = self.index;
        self.library.modify(|s| {
            let d = &mut s.drives[index];
            if d.cartridge.as_ref() == Some(&tag) {
                d.loaded = false;
                d.position = None;
            }
            Ok(())
        })?;
        self.loaded = false;
        self.stamp = None;
        self.position = None;
        self.unit_attention = None;
        Ok(())
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.ready()?;
        self.image()?.sync()?;
        self.position = Some(0);
        self.unit_attention = None;
        Ok(())
    }

    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        self.ready_at().map(BlockAddress)
    }

    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError> {
        self.ready()?;
        if let Some(now) = self.unit_attention.take() {
            return Err(DeviceError::MediumChanged { now });
        }
        let end = self.image()?.len();
        if address.0 > end {
            self.position = Some(end);
            return Err(DeviceError::BeyondEndOfData {
                requested: address.0,
                end_of_data: end,
            });
        }
        self.position = Some(address.0);
        Ok(())
    }

    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        let start = self.ready_at()?;
        let (end, status) = super::space::blocks(self.image()?, start, count);
        self.position = Some(end);
        Ok(status)
    }

    fn space_filemarks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        let start = self.ready_at()?;
        let (end, status) = super::space::filemarks(self.image()?, start, count);
        self.position = Some(end);
        Ok(status)
    }

    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.ready()?;
        if let Some(now) = self.unit_attention.take() {
            return Err(DeviceError::MediumChanged { now });
        }
        self.position = Some(self.image()?.len());
        Ok(())
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        let at = self.ready_at()?;
        self.check_writable()?;
        if block.is_empty() || block.len() > MAX_BLOCK {
            return Err(DeviceError::BlockSize {
                size: block.len(),
                min: 1,
                max: MAX_BLOCK,
            });
        }
        self.write_object(at, ObjectKind::Block, block)
    }

    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        let at = self.ready_at()?;
        self.check_writable()?;
        let mut status = WriteStatus::Written;
        for i in 0..u64::from(count) {
            status = self.write_object(at + i, ObjectKind::Filemark, &[])?;
        }
        self.image()?.sync()?;
        crate::crashpoint::hit("vtl.filemark.synced");
        let image = self.image.as_ref().ok_or(DeviceError::NoMedium)?;
        if count == 0 && self.beyond_early_warning(image, at) {
            status = WriteStatus::EarlyWarning;
        }
        Ok(status)
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        let at = self.ready_at()?;
        if self.cart()?.kind == MediumKind::Cleaning {
            return Err(DeviceError::IncompatibleMedium(
                "a cleaning cartridge is loaded".into(),
            ));
        }
        let injected = self.cart()?.faults.read_error_at == Some(at);
        let image = self.image.as_ref().ok_or(DeviceError::NoMedium)?;
        let Some(object) = image.object(at) else {
            return match image.damage() {
                Some(d) => Err(DeviceError::MediumError {
                    block: Some(at),
                    detail: d.describe(),
                }),
                None => Ok(ReadStatus::EndOfData),
            };
        };
        if injected {
            self.position = Some(at + 1);
            return Err(DeviceError::MediumError {
                block: Some(at),
                detail: "injected read error".into(),
            });
        }
        if object.kind == ObjectKind::Filemark {
            self.position = Some(at + 1);
            return Ok(ReadStatus::Filemark);
        }
        let result = image.read_block(object, at, buf);
        match result {
            Ok(n) => {
                self.position = Some(at + 1);
                Ok(ReadStatus::Data(n))
            }
            Err(ReadFailure::TooLarge(len)) => {
                self.position = Some(at + 1);
                Err(DeviceError::BlockTooLarge {
                    block_len: Some(len),
                    buffer_len: buf.len(),
                })
            }
            Err(ReadFailure::Corrupt(detail)) => {
                self.position = Some(at + 1);
                Err(DeviceError::MediumError {
                    block: Some(at),
                    detail,
                })
            }
            Err(ReadFailure::Device(e)) => Err(e),
        }
    }
}
