//! SPACE over blocks and filemarks on a cartridge's record index (SSC semantics: a filemark met
//! while spacing over blocks is crossed and stops the command, scsi-tape.md §6.6).

use super::image::{Image, ObjectKind};
use crate::SpaceStatus;

fn kind_at(image: &Image, address: u64) -> Option<ObjectKind> {
    image.object(address).map(|o| o.kind)
}

/// Spaces over `count` blocks from `start`; returns the new position and the outcome.
pub(crate) fn blocks(image: &Image, start: u64, count: i64) -> (u64, SpaceStatus) {
    let wanted = count.unsigned_abs();
    let mut pos = start;
    for done in 0..wanted {
        let remaining = wanted - done;
        if count > 0 {
            match kind_at(image, pos) {
                None => return (pos, SpaceStatus::EndOfData { remaining }),
                Some(ObjectKind::Filemark) => {
                    return (pos + 1, SpaceStatus::Filemark { remaining });
                }
                Some(ObjectKind::Block) => pos += 1,
            }
        } else {
            if pos == 0 {
                return (0, SpaceStatus::BeginningOfMedium { remaining });
            }
            pos -= 1;
            if kind_at(image, pos) == Some(ObjectKind::Filemark) {
                return (pos, SpaceStatus::Filemark { remaining });
            }
        }
    }
    (pos, SpaceStatus::Done)
}

/// Spaces over `count` filemarks from `start`: forwards ends just after the last one crossed,
/// backwards just before it.
pub(crate) fn filemarks(image: &Image, start: u64, count: i64) -> (u64, SpaceStatus) {
    let mut remaining = count.unsigned_abs();
    let mut pos = start;
    while remaining > 0 {
        if count > 0 {
            match kind_at(image, pos) {
                None => return (pos, SpaceStatus::EndOfData { remaining }),
                Some(kind) => {
                    pos += 1;
                    if kind == ObjectKind::Filemark {
                        remaining -= 1;
                    }
                }
            }
        } else {
            if pos == 0 {
                return (0, SpaceStatus::BeginningOfMedium { remaining });
            }
            pos -= 1;
            if kind_at(image, pos) == Some(ObjectKind::Filemark) {
                remaining -= 1;
            }
        }
    }
    (pos, SpaceStatus::Done)
}
