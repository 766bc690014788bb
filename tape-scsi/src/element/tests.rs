//! Element status pages: reconstructions of tgt's answers for the library of scsi-tape.md
//! §9.2.2 (descriptor sizes 16/52/50/86 from `smc.c determine_element_sz`, header bug 2 kept),
//! plus synthetic edge cases.

use super::*;
use hex_literal::hex;

/// Builds an element status page: header, page header and descriptors of `desc_len` bytes.
fn page(kind: u8, flags: u8, first: u16, descs: &[Vec<u8>]) -> Vec<u8> {
    let desc_len = descs.first().map_or(16, Vec::len);
    let body: usize = descs.iter().map(Vec::len).sum();
    let mut d = Vec::new();
    d.extend_from_slice(&first.to_be_bytes());
    d.extend_from_slice(&u16::try_from(descs.len()).unwrap().to_be_bytes());
    d.push(0);
    d.extend_from_slice(&u32::try_from(body + 8).unwrap().to_be_bytes()[1..]);
    d.extend_from_slice(&[kind, flags]);
    d.extend_from_slice(&u16::try_from(desc_len).unwrap().to_be_bytes());
    d.push(0);
    d.extend_from_slice(&u32::try_from(body).unwrap().to_be_bytes()[1..]);
    for desc in descs {
        d.extend_from_slice(desc);
    }
    d
}

fn desc(address: u16, full: bool, tag: Option<&str>, source: Option<u16>) -> Vec<u8> {
    let mut d = vec![0u8; 12];
    d[0..2].copy_from_slice(&address.to_be_bytes());
    d[2] = u8::from(full) | 0x08;
    if let Some(s) = source {
        d[9] = 0x80;
        d[10..12].copy_from_slice(&s.to_be_bytes());
    }
    if let Some(t) = tag {
        let mut v = [b' '; 36];
        v[..t.len()].copy_from_slice(t.as_bytes());
        v[32..].fill(0);
        d.extend_from_slice(&v);
    } else {
        d.extend_from_slice(&[0; 4]);
    }
    d
}

#[test]
fn tgt_storage_page_with_volume_tags() {
    let slots = vec![
        desc(4, true, Some("TAPE0001"), None),
        desc(5, true, Some("TAPE0002"), None),
        desc(6, true, Some("TAPE0003"), None),
        desc(7, false, Some(""), None),
    ];
    assert_eq!(slots[0].len(), 48);
    let d = page(2, 0x80, 4, &slots);
    let r = decode_element_status(&d).unwrap();
    assert_eq!((r.first_address, r.available), (4, 4));
    assert_eq!(r.descriptors.len(), 4);
    assert_eq!(r.descriptors[0].volume_tag.as_deref(), Some("TAPE0001"));
    assert_eq!(r.descriptors[3].volume_tag, None);
    assert!(r.descriptors[2].full && !r.descriptors[3].full);
    let elements = to_elements(&r.descriptors);
    assert_eq!(elements[0].number, 1);
    assert_eq!(elements[3].label(), "slot 4");
    assert_eq!(
        elements[1].volume_tag.as_ref().unwrap().as_str(),
        "TAPE0002"
    );
}

#[test]
fn tgt_drive_page_after_move_with_wrong_first_address() {
    // After MOVE MEDIUM 4 → 1: drive full, SVALID with source 4. tgt reports first address 7.
    let d = page(4, 0x80, 7, &[desc(1, true, Some("TAPE0001"), Some(4))]);
    let r = decode_element_status(&d).unwrap();
    assert_eq!(r.first_address, 7);
    let e = &to_elements(&r.descriptors)[0];
    assert_eq!(
        (e.kind, e.address, e.number),
        (ElementKind::Drive, ElementAddress(1), 0)
    );
    assert_eq!(e.source, Some(ElementAddress(4)));
}

#[test]
fn descriptor_sizes_16_52_50_86() {
    // 16: no tags; 52: primary tag (12 + 36 + 4); 50: DVCID type 1 (12 + 4 + 34);
    // 86: tag and DVCID (12 + 36 + 4 + 34).
    let mut plain = desc(3, false, None, None);
    assert_eq!(plain.len(), 16);
    plain[2] |= 0x04;
    plain[4] = 0x3b;
    plain[5] = 0x12;
    let r = decode_element_status(&page(1, 0, 3, &[plain])).unwrap();
    assert_eq!(r.descriptors[0].exception, Some((0x3b, 0x12)));
    let e = &to_elements(&r.descriptors)[0];
    assert_eq!(
        e.exception.as_deref(),
        Some("medium magazine removed (3B/12)")
    );

    let mut tagged = desc(1, true, Some("ABC123L6"), Some(5));
    tagged.extend_from_slice(&[0; 4]);
    assert_eq!(tagged.len(), 52);
    let r = decode_element_status(&page(4, 0x80, 1, &[tagged])).unwrap();
    assert_eq!(r.descriptors[0].volume_tag.as_deref(), Some("ABC123L6"));

    let mut dvcid = desc(1, false, None, None);
    dvcid.truncate(12);
    dvcid.extend_from_slice(&[2, 1, 0, 34]);
    dvcid.extend_from_slice(b"IET     VIRTUAL-TAPE    SN00000001");
    assert_eq!(dvcid.len(), 50);
    let r = decode_element_status(&page(4, 0, 1, &[dvcid.clone()])).unwrap();
    let id = r.descriptors[0].identifier.as_deref();
    assert_eq!(id, Some("IET VIRTUAL-TAPE SN00000001"));
}

#[test]
fn tag_plus_dvcid_86_bytes() {
    let mut d86 = desc(1, true, Some("TAPE0004"), None);
    d86.extend_from_slice(&[2, 1, 0, 34]);
    d86.extend_from_slice(b"IET     VIRTUAL-TAPE    SN00000002");
    d86.truncate(86);
    let r = decode_element_status(&page(4, 0x80, 1, &[d86])).unwrap();
    let x = &r.descriptors[0];
    assert_eq!(x.volume_tag.as_deref(), Some("TAPE0004"));
    assert!(
        x.identifier
            .as_deref()
            .unwrap()
            .starts_with("IET VIRTUAL-TAPE")
    );
}

#[test]
fn empty_import_export_answer_is_just_a_header() {
    let r = decode_element_status(&hex!("00 00 00 00 00 00 00 00")).unwrap();
    assert!(r.descriptors.is_empty());
}

#[test]
fn truncated_report_keeps_complete_descriptors() {
    let d = page(
        2,
        0x80,
        4,
        &[
            desc(4, true, Some("A"), None),
            desc(5, true, Some("B"), None),
        ],
    );
    let r = decode_element_status(&d[..d.len() - 10]).unwrap();
    assert_eq!(r.descriptors.len(), 1);
    assert!(decode_element_status(&d[..7]).is_err());
}

#[test]
fn bad_type_and_descriptor_length() {
    let mut d = page(2, 0, 4, &[desc(4, false, None, None)]);
    d[8] = 9;
    assert!(decode_element_status(&d).is_err());
    let mut d = page(2, 0, 4, &[desc(4, false, None, None)]);
    d[10..12].copy_from_slice(&[0, 0]);
    assert!(decode_element_status(&d).is_err());
}

#[test]
fn numbering_and_duplicates() {
    let descs = vec![
        ElementDescriptor {
            address: 0x1001,
            ..blank(ElementKind::Storage)
        },
        ElementDescriptor {
            address: 0x1000,
            ..blank(ElementKind::Storage)
        },
        ElementDescriptor {
            address: 0x1000,
            ..blank(ElementKind::Storage)
        },
        ElementDescriptor {
            address: 0x0100,
            ..blank(ElementKind::Drive)
        },
        ElementDescriptor {
            address: 0x0010,
            ..blank(ElementKind::ImportExport)
        },
    ];
    let e = to_elements(&descs);
    let got: Vec<_> = e.iter().map(|e| (e.kind, e.address.0, e.number)).collect();
    assert_eq!(
        got,
        vec![
            (ElementKind::Storage, 0x1000, 1),
            (ElementKind::Storage, 0x1001, 2),
            (ElementKind::ImportExport, 0x0010, 1),
            (ElementKind::Drive, 0x0100, 0),
        ]
    );
}

fn blank(kind: ElementKind) -> ElementDescriptor {
    ElementDescriptor {
        kind,
        address: 0,
        full: false,
        exception: None,
        accessible: true,
        imported: false,
        source: None,
        volume_tag: None,
        alternate_tag: None,
        identifier: None,
    }
}

#[test]
fn address_assignment_tgt() {
    // tgt (§9.2.4): MT 3/1, ST 4/4, IE 0/0, DT 1/1; mode data length 23.
    let d = hex!("17 00 00 00 1d 12 00 03 00 01 00 04 00 04 00 00 00 00 00 01 00 01 00 00");
    let a = decode_address_assignment(&d).unwrap();
    assert_eq!(a.transport, (3, 1));
    assert_eq!(a.storage, (4, 4));
    assert_eq!(a.range(ElementKind::ImportExport), (0, 0));
    assert_eq!(a.range(ElementKind::Drive), (1, 1));
    assert!(decode_address_assignment(&d[..20]).is_err());
    let mut wrong = d;
    wrong[4] = 0x1e;
    assert!(decode_address_assignment(&wrong).is_err());
}

proptest::proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = decode_element_status(&bytes);
        let _ = decode_address_assignment(&bytes);
    }
}
