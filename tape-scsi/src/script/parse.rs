//! Parsers of `mtx-changer` output (pure).

use tape_core::{ElementAddress, ElementKind, ElementStatus, VolumeTag};

use super::DRIVE_BASE;

/// One element as a script lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// `D:drive:F:slot:barcode` or `D:drive:E`.
    Drive {
        /// Drive index (0-based).
        index: u16,
        /// Slot the cartridge came from, if full.
        source: Option<u16>,
        /// Barcode, if full and labelled.
        barcode: Option<String>,
    },
    /// `S:slot:F:barcode`, `S:slot:E`, `I:slot:…`.
    Slot {
        /// Slot number (1-based, import/export slots continue the numbering).
        slot: u16,
        /// An import/export (mail) slot.
        import_export: bool,
        /// Holds a cartridge.
        full: bool,
        /// Barcode, if full and labelled.
        barcode: Option<String>,
    },
}

/// The first number on the first line (`loaded`, `slots`); tolerates `Slots=24`-style text.
pub fn parse_number(out: &str) -> Option<u32> {
    let line = out.lines().find(|l| !l.trim().is_empty())?;
    let digits: String = line
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn number(field: &str) -> Option<u16> {
    field.trim().parse().ok()
}

fn barcode(field: Option<&str>) -> Option<String> {
    field
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
}

/// Parses `list` output: `slot:barcode` per full slot. Returns the offending line on error.
pub fn parse_list(out: &str) -> Result<Vec<(u16, Option<String>)>, String> {
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (slot, tag) = line.split_once(':').unwrap_or((line, ""));
            let slot = number(slot).ok_or_else(|| line.to_owned())?;
            Ok((slot, barcode(Some(tag))))
        })
        .collect()
}

/// Parses `listall` output. Returns the offending line on error.
pub fn parse_listall(out: &str) -> Result<Vec<Listed>, String> {
    let mut listed = Vec::new();
    for line in out.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(':').collect();
        let bad = || line.to_owned();
        let entry = match f.as_slice() {
            ["D", d, "E", ..] => Listed::Drive {
                index: number(d).ok_or_else(bad)?,
                source: None,
                barcode: None,
            },
            ["D", d, "F", rest @ ..] => Listed::Drive {
                index: number(d).ok_or_else(bad)?,
                source: rest.first().and_then(|s| number(s)),
                barcode: barcode(rest.get(1).copied()),
            },
            [kind @ ("S" | "I"), s, state @ ("E" | "F"), rest @ ..] => Listed::Slot {
                slot: number(s).ok_or_else(bad)?,
                import_export: *kind == "I",
                full: *state == "F",
                barcode: if *state == "F" {
                    barcode(rest.first().copied())
                } else {
                    None
                },
            },
            _ => return Err(bad()),
        };
        listed.push(entry);
    }
    Ok(listed)
}

/// Storage slots 1..=slots from `list` output (slots not listed are empty).
pub(super) fn storage_from_list(slots: u16, full: &[(u16, Option<String>)]) -> Vec<Listed> {
    (1..=slots)
        .map(|slot| {
            let found = full.iter().find(|(s, _)| *s == slot);
            Listed::Slot {
                slot,
                import_export: false,
                full: found.is_some(),
                barcode: found.and_then(|(_, b)| b.clone()),
            }
        })
        .collect()
}

/// `tape-core` elements with the synthetic addresses of [`super::ScriptChanger`].
pub(super) fn to_elements(listed: &[Listed]) -> Vec<ElementStatus> {
    let tag = |b: &Option<String>| b.as_ref().and_then(|b| VolumeTag::new(b.clone()).ok());
    let mut ie_number = 0u16;
    let mut out: Vec<ElementStatus> = listed
        .iter()
        .map(|l| match l {
            Listed::Drive {
                index,
                source,
                barcode,
            } => {
                let address = ElementAddress(DRIVE_BASE.saturating_add(*index));
                let mut e = ElementStatus::empty(ElementKind::Drive, address, *index);
                e.full = source.is_some() || barcode.is_some();
                e.source = source.map(ElementAddress);
                e.volume_tag = tag(barcode);
                e
            }
            Listed::Slot {
                slot,
                import_export,
                full,
                barcode,
            } => {
                let (kind, number) = if *import_export {
                    ie_number += 1;
                    (ElementKind::ImportExport, ie_number)
                } else {
                    (ElementKind::Storage, *slot)
                };
                let mut e = ElementStatus::empty(kind, ElementAddress(*slot), number);
                e.full = *full;
                e.volume_tag = tag(barcode);
                e
            }
        })
        .collect();
    out.sort_by_key(|e| (e.kind, e.address));
    out
}
