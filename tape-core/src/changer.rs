//! The [`MediaChanger`] trait: SMC vocabulary for tape libraries.

use crate::{DeviceError, ElementAddress, Inventory};

/// A media changer (tape library robot), in SMC terms.
///
/// # Call protocol
///
/// * [`inventory`](Self::inventory) reads element status (READ ELEMENT STATUS, one element type
///   per request on real hardware). Call it before deciding a move and again after a move fails
///   with [`DeviceError::DestinationFull`] or [`DeviceError::SourceEmpty`]: those mean the
///   caller's picture of the library was out of date.
/// * [`move_medium`](Self::move_medium) moves one cartridge between two elements (MOVE MEDIUM).
///   Before moving a cartridge **out of a drive**, unload it with
///   [`TapeDrive::unload`](crate::TapeDrive::unload): many libraries refuse to pull a threaded
///   cartridge ([`DeviceError::RemovalPrevented`]), and the virtual library does too.
/// * After a move **into a drive**, the drive loads the cartridge by itself, as real drives do;
///   the drive may report [`DeviceError::NotReady`] or [`DeviceError::MediumChanged`] once while
///   it becomes ready.
/// * Moves can take minutes on real robots; implementations wait for completion (with a bound)
///   before returning.
pub trait MediaChanger {
    /// A name for messages, e.g. `vtl:/srv/tapes` or `/dev/sg3`.
    fn name(&self) -> &str;

    /// Reads the status of every element.
    fn inventory(&mut self) -> Result<Inventory, DeviceError>;

    /// Moves the cartridge at `source` to `destination`.
    fn move_medium(
        &mut self,
        source: ElementAddress,
        destination: ElementAddress,
    ) -> Result<(), DeviceError>;
}

impl<C: MediaChanger + ?Sized> MediaChanger for &mut C {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn inventory(&mut self) -> Result<Inventory, DeviceError> {
        (**self).inventory()
    }
    fn move_medium(&mut self, s: ElementAddress, d: ElementAddress) -> Result<(), DeviceError> {
        (**self).move_medium(s, d)
    }
}

impl<C: MediaChanger + ?Sized> MediaChanger for Box<C> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn inventory(&mut self) -> Result<Inventory, DeviceError> {
        (**self).inventory()
    }
    fn move_medium(&mut self, s: ElementAddress, d: ElementAddress) -> Result<(), DeviceError> {
        (**self).move_medium(s, d)
    }
}
