//! [`NullDrive`]: a drive that keeps nothing, for measuring what feeds a drive (benches, and
//! `ntbackup backup --tape null:`), the way `/dev/null` measures a writer.

use crate::{
    BlockAddress, Capacity, DeviceError, DriveCapabilities, DriveStatus, MediumInfo, ReadStatus,
    SpaceStatus, TapeDrive, TapePosition, WriteStatus,
};

/// A blank medium of unlimited capacity that forgets what is written to it: it counts blocks,
/// filemarks and bytes, and every read finds the end of data.
#[derive(Debug, Default, Clone)]
pub struct NullDrive {
    /// Objects (blocks and filemarks) written since the beginning, i.e. the end of data.
    end: u64,
    position: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Blocks written.
    pub blocks: u64,
    /// Filemarks written.
    pub filemarks: u64,
}

impl NullDrive {
    /// A new, blank null drive.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TapeDrive for NullDrive {
    fn name(&self) -> &str {
        "null:"
    }

    fn capabilities(&self) -> DriveCapabilities {
        DriveCapabilities::new(1, 64 << 20)
    }

    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        let mut pos = TapePosition::at(BlockAddress(self.position));
        pos.at_end_of_data = self.position >= self.end;
        Ok(DriveStatus {
            medium: Some(MediumInfo {
                blank: Some(self.end == 0),
                capacity: Some(Capacity::new(u64::MAX, 0, self.bytes)),
                ..MediumInfo::default()
            }),
            ready: true,
            position: Some(pos),
            ..DriveStatus::default()
        })
    }

    fn load(&mut self) -> Result<(), DeviceError> {
        self.position = 0;
        Ok(())
    }

    fn unload(&mut self) -> Result<(), DeviceError> {
        self.position = 0;
        Ok(())
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.position = 0;
        Ok(())
    }

    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        Ok(BlockAddress(self.position))
    }

    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError> {
        if address.0 > self.end {
            self.position = self.end;
            return Err(DeviceError::BeyondEndOfData {
                requested: address.0,
                end_of_data: self.end,
            });
        }
        self.position = address.0;
        Ok(())
    }

    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.space(count)
    }

    fn space_filemarks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.space(count)
    }

    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.position = self.end;
        Ok(())
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        if block.is_empty() || block.len() > 64 << 20 {
            return Err(DeviceError::BlockSize {
                size: block.len(),
                min: 1,
                max: 64 << 20,
            });
        }
        self.bytes += block.len() as u64;
        self.blocks += 1;
        self.position += 1;
        self.end = self.position;
        Ok(WriteStatus::Written)
    }

    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        self.filemarks += u64::from(count);
        self.position += u64::from(count);
        if count > 0 {
            self.end = self.position;
        }
        Ok(WriteStatus::Written)
    }

    fn read_block(&mut self, _buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        // What was written is gone: reading anywhere finds the end of data.
        Ok(ReadStatus::EndOfData)
    }
}

impl NullDrive {
    /// Nothing is kept, so spacing forwards always meets the end of data at once.
    fn space(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        let target = self.position.saturating_add_signed(count);
        if count < 0 && count.unsigned_abs() > self.position {
            let remaining = count.unsigned_abs() - self.position;
            self.position = 0;
            return Ok(SpaceStatus::BeginningOfMedium { remaining });
        }
        if target > self.end {
            let remaining = target - self.end;
            self.position = self.end;
            return Ok(SpaceStatus::EndOfData { remaining });
        }
        self.position = target;
        Ok(SpaceStatus::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_forgets() {
        let mut d = NullDrive::new();
        assert_eq!(d.status().unwrap().medium.unwrap().blank, Some(true));
        assert_eq!(d.write_block(&[1; 100]).unwrap(), WriteStatus::Written);
        assert_eq!(d.write_filemarks(1).unwrap(), WriteStatus::Written);
        assert_eq!((d.bytes, d.blocks, d.filemarks), (100, 1, 1));
        assert_eq!(d.position().unwrap(), BlockAddress(2));
        assert_eq!(d.status().unwrap().medium.unwrap().blank, Some(false));
        d.rewind().unwrap();
        assert_eq!(d.read_block(&mut [0; 8]).unwrap(), ReadStatus::EndOfData);
        assert!(matches!(
            d.locate(BlockAddress(3)),
            Err(DeviceError::BeyondEndOfData { end_of_data: 2, .. })
        ));
        assert!(d.write_block(&[]).is_err());
    }
}
