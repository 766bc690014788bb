//! READ ELEMENT STATUS data and the Element Address Assignment page (scsi-tape.md §5.2, §5.3).
//!
//! Descriptors are parsed with the descriptor length each page header gives, never with an
//! assumed size; volume tags and device identifiers are located by the PVolTag/AVolTag flags
//! and the DVCID layout.

use tape_core::{ElementAddress, ElementKind, ElementStatus, VolumeTag};

use crate::page::{DecodeError, ascii, be16, be24, need};

/// One element descriptor of READ ELEMENT STATUS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementDescriptor {
    /// Element type.
    pub kind: ElementKind,
    /// Element address.
    pub address: u16,
    /// Holds a cartridge (FULL).
    pub full: bool,
    /// Abnormal state (EXCEPT), with ASC/ASCQ.
    pub exception: Option<(u8, u8)>,
    /// Accessible by the transport (ACCESS).
    pub accessible: bool,
    /// Import/export elements: the cartridge was put in by an operator (IMPEXP).
    pub imported: bool,
    /// Source element of the cartridge, if SVALID.
    pub source: Option<u16>,
    /// Primary volume tag (barcode), trimmed, if reported and not blank.
    pub volume_tag: Option<String>,
    /// Alternate volume tag, if reported and not blank.
    pub alternate_tag: Option<String>,
    /// Drive identifier from DVCID (type 1: vendor, product, serial), if reported.
    pub identifier: Option<String>,
}

/// Decoded READ ELEMENT STATUS data: the header and every descriptor of every page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ElementStatusData {
    /// First element address reported (header; wrong on some changers, §9.2.5 bug 2).
    pub first_address: u16,
    /// Number of elements available.
    pub available: u16,
    /// Bytes of report the device had (may exceed what was transferred).
    pub report_len: u32,
    /// All descriptors, in the order returned.
    pub descriptors: Vec<ElementDescriptor>,
}

fn kind_of(code: u8) -> Result<ElementKind, DecodeError> {
    Ok(match code & 0x0f {
        1 => ElementKind::Transport,
        2 => ElementKind::Storage,
        3 => ElementKind::ImportExport,
        4 => ElementKind::Drive,
        other => {
            return Err(DecodeError::Field {
                structure: "element status page",
                field: "ELEMENT TYPE CODE",
                value: u64::from(other),
            });
        }
    })
}

/// Decodes READ ELEMENT STATUS data. Pages and descriptors cut short by the allocation length
/// end the report: what was complete is returned.
pub fn decode_element_status(d: &[u8]) -> Result<ElementStatusData, DecodeError> {
    need("element status header", d, 8)?;
    let report_len = be24(d, 5);
    let end = d
        .len()
        .min(8 + usize::try_from(report_len).unwrap_or(usize::MAX));
    let mut out = ElementStatusData {
        first_address: be16(d, 0),
        available: be16(d, 2),
        report_len,
        descriptors: Vec::new(),
    };
    let mut at = 8;
    while at + 8 <= end {
        let page = &d[at..at + 8];
        let kind = kind_of(page[0])?;
        let pvoltag = page[1] & 0x80 != 0;
        let avoltag = page[1] & 0x40 != 0;
        let desc_len = usize::from(be16(page, 2));
        let page_bytes = usize::try_from(be24(page, 5)).unwrap_or(usize::MAX);
        let page_end = end.min((at + 8).saturating_add(page_bytes));
        if desc_len < 12 {
            return Err(DecodeError::Field {
                structure: "element status page",
                field: "ELEMENT DESCRIPTOR LENGTH",
                value: u64::try_from(desc_len).unwrap_or(u64::MAX),
            });
        }
        let mut p = at + 8;
        while p + desc_len <= page_end {
            let desc = &d[p..p + desc_len];
            out.descriptors
                .push(descriptor(kind, desc, pvoltag, avoltag));
            p += desc_len;
        }
        at = page_end;
    }
    Ok(out)
}

fn descriptor(kind: ElementKind, d: &[u8], pvoltag: bool, avoltag: bool) -> ElementDescriptor {
    let flags = d[2];
    let mut at = 12;
    let mut tag = |present: bool| -> Option<String> {
        if !present || at + 36 > d.len() {
            return None;
        }
        let t = ascii(&d[at..at + 32]);
        at += 36;
        (!t.is_empty()).then_some(t)
    };
    let volume_tag = tag(pvoltag);
    let alternate_tag = tag(avoltag);
    let identifier = identifier(d.get(at..).unwrap_or(&[]));
    ElementDescriptor {
        kind,
        address: be16(d, 0),
        full: flags & 0x01 != 0,
        exception: (flags & 0x04 != 0).then_some((d[4], d[5])),
        accessible: flags & 0x08 != 0,
        imported: flags & 0x02 != 0,
        source: (d[9] & 0x80 != 0).then(|| be16(d, 10)),
        volume_tag,
        alternate_tag,
        identifier,
    }
}

/// DVCID identification descriptor: code set, identifier type, reserved, length, identifier.
fn identifier(d: &[u8]) -> Option<String> {
    if d.len() < 4 || d[3] == 0 {
        return None;
    }
    let end = (4 + usize::from(d[3])).min(d.len());
    let id = &d[4..end];
    let text = match d[1] & 0x0f {
        // Type 1: vendor (8), product (16), serial (rest).
        1 if id.len() > 24 => {
            let (v, p, s) = (ascii(&id[..8]), ascii(&id[8..24]), ascii(&id[24..]));
            format!("{v} {p} {s}")
        }
        _ => ascii(id),
    };
    (!text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// First address and count of each element type (MODE SENSE page 1Dh, §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressAssignment {
    /// Medium transport elements (first, count).
    pub transport: (u16, u16),
    /// Storage elements.
    pub storage: (u16, u16),
    /// Import/export elements.
    pub import_export: (u16, u16),
    /// Data transfer elements (drives).
    pub drive: (u16, u16),
}

impl AddressAssignment {
    /// (first, count) of one kind.
    pub fn range(&self, kind: ElementKind) -> (u16, u16) {
        match kind {
            ElementKind::Transport => self.transport,
            ElementKind::Storage => self.storage,
            ElementKind::ImportExport => self.import_export,
            ElementKind::Drive => self.drive,
        }
    }
}

/// Decodes MODE SENSE(6) data holding page 1Dh: 4-byte header plus block descriptors, then
/// `1D 12` and eight 2-byte fields.
pub fn decode_address_assignment(d: &[u8]) -> Result<AddressAssignment, DecodeError> {
    need("mode parameter header", d, 4)?;
    let at = 4 + usize::from(d[3]);
    need("element address assignment page", d, at + 18)?;
    let p = &d[at..];
    if p[0] & 0x3f != 0x1d {
        return Err(DecodeError::Field {
            structure: "element address assignment page",
            field: "PAGE CODE",
            value: u64::from(p[0] & 0x3f),
        });
    }
    let f = |i: usize| be16(p, 2 + 2 * i);
    Ok(AddressAssignment {
        transport: (f(0), f(1)),
        storage: (f(2), f(3)),
        import_export: (f(4), f(5)),
        drive: (f(6), f(7)),
    })
}

/// Turns descriptors into `tape-core` elements, numbered as mtx does (§5.4 rule 8): storage and
/// import/export slots 1-based in address order, drives and transports 0-based.
pub fn to_elements(descriptors: &[ElementDescriptor]) -> Vec<ElementStatus> {
    let mut sorted: Vec<&ElementDescriptor> = descriptors.iter().collect();
    sorted.sort_by_key(|d| (d.kind, d.address));
    sorted.dedup_by_key(|d| (d.kind, d.address));
    let mut counters = [0u16; 4];
    sorted
        .into_iter()
        .map(|d| {
            let i = usize::from(d.kind.code() - 1);
            let base = match d.kind {
                ElementKind::Storage | ElementKind::ImportExport => 1,
                ElementKind::Transport | ElementKind::Drive => 0,
            };
            let number = counters[i] + base;
            counters[i] = counters[i].saturating_add(1);
            element(d, number)
        })
        .collect()
}

fn element(d: &ElementDescriptor, number: u16) -> ElementStatus {
    let mut e = ElementStatus::empty(d.kind, ElementAddress(d.address), number);
    e.full = d.full;
    e.volume_tag = d
        .volume_tag
        .as_ref()
        .and_then(|t| VolumeTag::new(t.clone()).ok());
    e.source = if d.full {
        d.source.map(ElementAddress)
    } else {
        None
    };
    e.exception = d.exception.map(|(asc, ascq)| {
        let meaning = crate::map::asc_meaning(asc, ascq);
        format!("{meaning} ({asc:02X}/{ascq:02X})")
    });
    e
}

#[cfg(test)]
mod tests;
