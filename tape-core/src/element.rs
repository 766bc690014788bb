//! Media-changer elements: storage slots, drives, import/export slots and the transport.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::VolumeTag;

/// An SMC element address (scsi-tape.md §5): what MOVE MEDIUM takes. Not a slot number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ElementAddress(pub u16);

impl fmt::Display for ElementAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#06x}", self.0)
    }
}

/// The four SMC element types (READ ELEMENT STATUS element type codes 1–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    /// Medium transport (the robot's picker), type 1.
    Transport,
    /// Storage slot, type 2.
    Storage,
    /// Import/export (mail) slot, type 3.
    ImportExport,
    /// Data transfer element (a drive), type 4.
    Drive,
}

impl ElementKind {
    /// The SMC element type code.
    pub fn code(self) -> u8 {
        match self {
            Self::Transport => 1,
            Self::Storage => 2,
            Self::ImportExport => 3,
            Self::Drive => 4,
        }
    }
}

/// One element as reported by the changer.
///
/// `number` is the user-facing number, as `mtx` shows it: storage slots 1-based, import/export
/// slots 1-based (counted separately), drives 0-based (scsi-tape.md §5.4 rule 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ElementStatus {
    /// Element type.
    pub kind: ElementKind,
    /// SMC address.
    pub address: ElementAddress,
    /// User-facing number.
    pub number: u16,
    /// Holds a cartridge.
    pub full: bool,
    /// The cartridge's barcode, if the library read one.
    pub volume_tag: Option<VolumeTag>,
    /// For a full element: where the cartridge came from (SVALID + source address), e.g. the
    /// home slot of a loaded cartridge.
    pub source: Option<ElementAddress>,
    /// Why the element is in an abnormal state (EXCEPT with its ASC/ASCQ), if it is.
    pub exception: Option<String>,
}

impl ElementStatus {
    /// An element with no cartridge.
    pub fn empty(kind: ElementKind, address: ElementAddress, number: u16) -> Self {
        Self {
            kind,
            address,
            number,
            full: false,
            volume_tag: None,
            source: None,
            exception: None,
        }
    }

    /// A human name such as "slot 3", "drive 0", "import/export slot 1".
    pub fn label(&self) -> String {
        match self.kind {
            ElementKind::Transport => format!("transport {}", self.number),
            ElementKind::Storage => format!("slot {}", self.number),
            ElementKind::ImportExport => format!("import/export slot {}", self.number),
            ElementKind::Drive => format!("drive {}", self.number),
        }
    }
}

/// A changer's inventory: every element, in address order within each kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Inventory {
    /// All elements.
    pub elements: Vec<ElementStatus>,
}

impl Inventory {
    /// An inventory of these elements.
    pub fn new(elements: Vec<ElementStatus>) -> Self {
        Self { elements }
    }

    /// Elements of one kind.
    pub fn of_kind(&self, kind: ElementKind) -> impl Iterator<Item = &ElementStatus> {
        self.elements.iter().filter(move |e| e.kind == kind)
    }

    /// The element of `kind` with user-facing `number`.
    pub fn find(&self, kind: ElementKind, number: u16) -> Option<&ElementStatus> {
        self.of_kind(kind).find(|e| e.number == number)
    }

    /// The element holding the cartridge with this barcode.
    pub fn find_volume(&self, tag: &VolumeTag) -> Option<&ElementStatus> {
        self.elements
            .iter()
            .find(|e| e.volume_tag.as_ref() == Some(tag))
    }

    /// The element at this address.
    pub fn at(&self, address: ElementAddress) -> Option<&ElementStatus> {
        self.elements.iter().find(|e| e.address == address)
    }
}
