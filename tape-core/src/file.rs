//! [`FileDrive`]: `.bkf` files as tape media.
//!
//! A `.bkf` file is an MTF medium without hardware filemarks (MTF soft filemarks, SFMB blocks,
//! take their place: mtf.md §4.10). The drive addresses the file in 1 KiB blocks (the MTF
//! format logical block): writes must be whole blocks, a block address is the byte offset
//! divided by 1024, so `locate` jumps straight to a DBLK, and reads return as many whole blocks
//! as fit the buffer. Several files given in order form a magazine: [`TapeDrive::unload`] ejects
//! the current file and loads the next, as an operator feeding a stand-alone drive would.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::{
    BlockAddress, Capacity, DeviceError, DriveCapabilities, DriveStatus, MediumInfo, ReadStatus,
    SpaceStatus, TapeDrive, TapePosition, WriteStatus,
};

/// The block unit of a `.bkf`.
pub const BKF_BLOCK: usize = 1024;

/// A drive whose media are `.bkf` files.
#[derive(Debug)]
pub struct FileDrive {
    name: String,
    paths: Vec<PathBuf>,
    index: usize,
    writable: bool,
    file: Option<File>,
    len: u64,
    offset: u64,
}

fn io(path: &Path, what: &str, e: std::io::Error) -> DeviceError {
    DeviceError::io(format!("{what} {}", path.display()), e)
}

impl FileDrive {
    /// A drive reading (or, if `writable`, also writing) the files in `paths`, the first loaded.
    /// A writable drive creates its file if it does not exist; nothing is truncated until a write
    /// at a position before the end makes that position the new end, as on a tape.
    pub fn open(paths: Vec<PathBuf>, writable: bool) -> Result<Self, DeviceError> {
        let name = match paths.as_slice() {
            [one] => format!("file:{}", one.display()),
            _ => format!(
                "file:{} (+{} more)",
                paths
                    .first()
                    .map_or_else(String::new, |p| p.display().to_string()),
                paths.len().saturating_sub(1)
            ),
        };
        let mut drive = Self {
            name,
            paths,
            index: 0,
            writable,
            file: None,
            len: 0,
            offset: 0,
        };
        drive.mount()?;
        Ok(drive)
    }

    fn mount(&mut self) -> Result<(), DeviceError> {
        self.file = None;
        self.offset = 0;
        self.len = 0;
        let Some(path) = self.paths.get(self.index) else {
            return Ok(());
        };
        let file = OpenOptions::new()
            .read(true)
            .write(self.writable)
            .create(self.writable)
            .truncate(false)
            .open(path)
            .map_err(|e| io(path, "opening", e))?;
        self.len = file.metadata().map_err(|e| io(path, "reading", e))?.len();
        self.file = Some(file);
        Ok(())
    }

    fn path(&self) -> &Path {
        self.paths
            .get(self.index)
            .map_or(Path::new(""), PathBuf::as_path)
    }

    fn file(&self) -> Result<&File, DeviceError> {
        self.file.as_ref().ok_or(DeviceError::NoMedium)
    }

    fn address(&self) -> BlockAddress {
        BlockAddress(self.offset / BKF_BLOCK as u64)
    }

    fn no_filemarks() -> DeviceError {
        DeviceError::IllegalRequest(
            "a .bkf file has no hardware filemarks (MTF soft filemarks are blocks)".into(),
        )
    }
}

impl TapeDrive for FileDrive {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> DriveCapabilities {
        let mut caps = DriveCapabilities::new(BKF_BLOCK, 64 << 20);
        caps.hardware_filemarks = false;
        caps
    }

    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        let mut status = DriveStatus::default();
        if self.file.is_none() {
            return Ok(status);
        }
        status.medium = Some(MediumInfo {
            blank: Some(self.len == 0),
            write_protected: !self.writable,
            capacity: Some(Capacity::new(u64::MAX, 0, self.len)),
            ..MediumInfo::default()
        });
        status.ready = true;
        let mut pos = TapePosition::at(self.address());
        pos.at_end_of_data = self.offset >= self.len;
        status.position = Some(pos);
        Ok(status)
    }

    fn load(&mut self) -> Result<(), DeviceError> {
        self.file()?;
        self.offset = 0;
        Ok(())
    }

    fn unload(&mut self) -> Result<(), DeviceError> {
        if let (Some(file), true) = (&self.file, self.writable) {
            file.sync_data()
                .map_err(|e| io(self.path(), "syncing", e))?;
        }
        self.index += 1;
        self.mount()
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.file()?;
        self.offset = 0;
        Ok(())
    }

    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        self.file()?;
        Ok(self.address())
    }

    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError> {
        self.file()?;
        let end = self.len.div_ceil(BKF_BLOCK as u64);
        if address.0 > end {
            self.offset = self.len;
            return Err(DeviceError::BeyondEndOfData {
                requested: address.0,
                end_of_data: end,
            });
        }
        self.offset = address.0 * BKF_BLOCK as u64;
        Ok(())
    }

    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.file()?;
        let block = BKF_BLOCK as u64;
        let here = self.offset / block;
        let end = self.len.div_ceil(block);
        let target = here.saturating_add_signed(count);
        if count > 0 && target > end {
            self.offset = self.len;
            return Ok(SpaceStatus::EndOfData {
                remaining: target - end,
            });
        }
        if count < 0 && count.unsigned_abs() > here {
            self.offset = 0;
            return Ok(SpaceStatus::BeginningOfMedium {
                remaining: count.unsigned_abs() - here,
            });
        }
        self.offset = (target * block).min(self.len);
        Ok(SpaceStatus::Done)
    }

    fn space_filemarks(&mut self, _count: i64) -> Result<SpaceStatus, DeviceError> {
        Err(Self::no_filemarks())
    }

    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.file()?;
        self.offset = self.len;
        Ok(())
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        if !self.writable {
            return Err(DeviceError::WriteProtected);
        }
        if block.is_empty() || !block.len().is_multiple_of(BKF_BLOCK) {
            return Err(DeviceError::BlockSize {
                size: block.len(),
                min: BKF_BLOCK,
                max: 64 << 20,
            });
        }
        let path = self.path().to_owned();
        let offset = self.offset;
        let file = self.file()?;
        if offset < self.len {
            file.set_len(offset)
                .map_err(|e| io(&path, "truncating", e))?;
        }
        file.write_all_at(block, offset).map_err(|e| match e {
            _ if e.kind() == std::io::ErrorKind::StorageFull => {
                DeviceError::VolumeOverflow { written: 0 }
            }
            _ => io(&path, "writing", e),
        })?;
        self.offset = offset + block.len() as u64;
        self.len = self.offset;
        Ok(WriteStatus::Written)
    }

    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        if count > 0 {
            return Err(Self::no_filemarks());
        }
        let path = self.path().to_owned();
        let mut file = self.file()?;
        file.flush()
            .and_then(|()| file.sync_data())
            .map_err(|e| io(&path, "syncing", e))?;
        Ok(WriteStatus::Written)
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        let file = self.file()?;
        if self.offset >= self.len {
            return Ok(ReadStatus::EndOfData);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.len - self.offset).unwrap_or(usize::MAX));
        let whole = if want >= BKF_BLOCK {
            want - want % BKF_BLOCK
        } else {
            want
        };
        file.read_exact_at(&mut buf[..whole], self.offset)
            .map_err(|e| io(self.path(), "reading", e))?;
        self.offset += whole as u64;
        Ok(ReadStatus::Data(whole))
    }
}
