//! The [`TapeDrive`] trait: a sequential-access device in SSC / Linux st vocabulary.

use crate::{
    BlockAddress, DeviceError, DriveCapabilities, DriveStatus, ReadStatus, SpaceStatus, WriteStatus,
};

/// A tape drive (or anything that behaves like one: a virtual drive, a `.bkf` file).
///
/// # Call protocol
///
/// **Positions.** A [`BlockAddress`] counts blocks *and* filemarks from the beginning of the
/// medium (SCSI logical object number; st `MTIOCPOS` with `MT_ST_SCSI2LOGICAL`). Address 0 is
/// the beginning of the medium; the end of data is the address just after the last object.
///
/// **Writing.** [`write_block`](Self::write_block) writes one block (a tape record) of the
/// given length; [`write_filemarks`](Self::write_filemarks) writes filemarks. A write at a
/// position before the end of data makes that position the new end of data: everything after
/// it is lost, as on a real tape. Drives do not fragment or merge blocks.
///
/// **Early warning.** When a write leaves the medium inside its early-warning zone, the write
/// still succeeds and returns [`WriteStatus::EarlyWarning`]. Every later write reports it too
/// (real drives flag every write past early warning; implementations over Linux st normalise
/// st's ENOSPC/success alternation into this). The caller should stop writing data, write its
/// trailer (MTF: filemark, EOTM, filemark) and change media; only a few MiB remain.
///
/// **Physical end.** A write that does not fit before the physical end fails with
/// [`DeviceError::VolumeOverflow`]. A *partial write* is reported there: `written` is how many
/// bytes of the refused block nevertheless reached the medium (0 for variable-block drives,
/// whose blocks are written whole or not at all). The caller must treat the refused block as
/// not written, write it again in full on the next medium, and expect a reader of this medium to
/// find at most a truncated copy of it as the last block. A filemark that does not fit fails the
/// same way with `written: 0`. Physical end can come without any early warning (a short or
/// damaged medium); callers must handle both.
///
/// **Reading.** [`read_block`](Self::read_block) returns [`ReadStatus::Data`] with the
/// block's length (the block is read whole; a block longer than the buffer fails with
/// [`DeviceError::BlockTooLarge`] and the drive moves past it, as Linux st does),
/// [`ReadStatus::Filemark`] after consuming a filemark, or [`ReadStatus::EndOfData`] at the end
/// of recorded data, where the position does not move and every further read says so again
/// (st's "0 then EIO" is normalised).
///
/// **Spacing.** [`space_blocks`](Self::space_blocks) stops at a filemark: forwards just after
/// it, backwards just before it. [`space_filemarks`](Self::space_filemarks) forwards ends just
/// after the n-th filemark; backwards just before it (st `MTBSF` semantics). Both stop at the end
/// of data or the beginning of the medium, reporting what was not spaced over.
///
/// **Medium changes.** [`load`](Self::load) threads a cartridge that is in the drive and
/// positions at the beginning; [`unload`](Self::unload) rewinds and ejects it (it stays in the
/// drive's throat until a changer or an operator takes it). When the medium is changed by
/// someone else, the next positioning-sensitive call fails once with
/// [`DeviceError::MediumChanged`] and the drive is then at the beginning of the new medium.
///
/// **Durability.** `write_filemarks(0)` flushes the drive's buffer without writing a filemark
/// (SCSI WRITE FILEMARKS with count 0). Filemarks, rewind and unload also flush.
pub trait TapeDrive {
    /// A name for messages, e.g. `vtl:/srv/tapes#0` or `/dev/nst0`.
    fn name(&self) -> &str;

    /// What the drive can do.
    fn capabilities(&self) -> DriveCapabilities;

    /// Reports medium presence, readiness and position without moving.
    fn status(&mut self) -> Result<DriveStatus, DeviceError>;

    /// Loads (threads) the cartridge in the drive and positions at the beginning.
    fn load(&mut self) -> Result<(), DeviceError>;

    /// Rewinds and ejects the cartridge.
    fn unload(&mut self) -> Result<(), DeviceError>;

    /// Positions at the beginning of the medium.
    fn rewind(&mut self) -> Result<(), DeviceError>;

    /// The current logical block address.
    fn position(&mut self) -> Result<BlockAddress, DeviceError>;

    /// Positions at `address` (SCSI LOCATE). Past the end of data this fails with
    /// [`DeviceError::BeyondEndOfData`] and leaves the drive at the end of data.
    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError>;

    /// Spaces over `count` blocks, forwards if positive, backwards if negative.
    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError>;

    /// Spaces over `count` filemarks, forwards if positive, backwards if negative.
    fn space_filemarks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError>;

    /// Positions at the end of recorded data (where appending starts).
    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError>;

    /// Writes one block at the current position.
    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError>;

    /// Writes `count` filemarks at the current position; `0` only flushes.
    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError>;

    /// Reads the next block into `buf`.
    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError>;
}

macro_rules! forward_tape_drive {
    ($($ty:ty),*) => {$(
        impl<D: TapeDrive + ?Sized> TapeDrive for $ty {
            fn name(&self) -> &str { (**self).name() }
            fn capabilities(&self) -> DriveCapabilities { (**self).capabilities() }
            fn status(&mut self) -> Result<DriveStatus, DeviceError> { (**self).status() }
            fn load(&mut self) -> Result<(), DeviceError> { (**self).load() }
            fn unload(&mut self) -> Result<(), DeviceError> { (**self).unload() }
            fn rewind(&mut self) -> Result<(), DeviceError> { (**self).rewind() }
            fn position(&mut self) -> Result<BlockAddress, DeviceError> { (**self).position() }
            fn locate(&mut self, a: BlockAddress) -> Result<(), DeviceError> { (**self).locate(a) }
            fn space_blocks(&mut self, n: i64) -> Result<SpaceStatus, DeviceError> {
                (**self).space_blocks(n)
            }
            fn space_filemarks(&mut self, n: i64) -> Result<SpaceStatus, DeviceError> {
                (**self).space_filemarks(n)
            }
            fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
                (**self).space_to_end_of_data()
            }
            fn write_block(&mut self, b: &[u8]) -> Result<WriteStatus, DeviceError> {
                (**self).write_block(b)
            }
            fn write_filemarks(&mut self, n: u32) -> Result<WriteStatus, DeviceError> {
                (**self).write_filemarks(n)
            }
            fn read_block(&mut self, b: &mut [u8]) -> Result<ReadStatus, DeviceError> {
                (**self).read_block(b)
            }
        }
    )*};
}

forward_tape_drive!(&mut D, Box<D>);
