//! [`Tripwire`]: a drive that does something to the library (pulls the cartridge, makes the
//! drive not ready) just before its Nth block write or read, as an operator or a failing
//! drive would in the middle of a job.

use tape_core::{
    BlockAddress, DeviceError, DriveCapabilities, DriveStatus, ReadStatus, SpaceStatus, TapeDrive,
    WriteStatus,
};

/// What sets a tripwire off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    /// Just before the Nth block written (from 1).
    Write(u64),
    /// Just before the Nth data block read (from 1).
    Read(u64),
}

pub(crate) struct Tripwire<D> {
    pub(crate) inner: D,
    wire: Wire,
    writes: u64,
    reads: u64,
    action: Option<Box<dyn FnOnce()>>,
}

impl<D: TapeDrive> Tripwire<D> {
    pub(crate) fn new(inner: D, wire: Wire, action: impl FnOnce() + 'static) -> Self {
        Self {
            inner,
            wire,
            writes: 0,
            reads: 0,
            action: Some(Box::new(action)),
        }
    }

    /// Whether the action has run.
    pub(crate) fn fired(&self) -> bool {
        self.action.is_none()
    }

    fn fire(&mut self) {
        if let Some(a) = self.action.take() {
            a();
        }
    }
}

impl<D: TapeDrive> TapeDrive for Tripwire<D> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn capabilities(&self) -> DriveCapabilities {
        self.inner.capabilities()
    }
    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        self.inner.status()
    }
    fn load(&mut self) -> Result<(), DeviceError> {
        self.inner.load()
    }
    fn unload(&mut self) -> Result<(), DeviceError> {
        self.inner.unload()
    }
    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.inner.rewind()
    }
    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        self.inner.position()
    }
    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError> {
        self.inner.locate(address)
    }
    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.inner.space_blocks(count)
    }
    fn space_filemarks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.inner.space_filemarks(count)
    }
    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.inner.space_to_end_of_data()
    }
    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        self.writes += 1;
        if self.wire == Wire::Write(self.writes) {
            self.fire();
        }
        self.inner.write_block(block)
    }
    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        self.inner.write_filemarks(count)
    }
    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        self.reads += 1;
        if self.wire == Wire::Read(self.reads) {
            self.fire();
        }
        self.inner.read_block(buf)
    }
}
