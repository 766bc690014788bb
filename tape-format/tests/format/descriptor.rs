//! The worked example of mtf.md §8, decoded field by field and re-encoded byte-exact.

use hex_literal::hex;
use tape_format::attrs::{BlockAttributes, FileAttributes};
use tape_format::block::Body;
use tape_format::date::MtfDate;
use tape_format::decoded::Decoded;
use tape_format::descriptor::{decode_descriptor, encode_descriptor};
use tape_format::ids::{BlockType, StreamId};
use tape_format::os_nt::NtObject;
use tape_format::strings::StringType;

/// The FILE DBLK `hello.txt` of mtf.md §8 ("Worked example: one FILE DBLK in hex"), transcribed
/// from the hex listing there; the SPAD data (846 zero bytes) are appended by `example()`.
const EXAMPLE_HEAD: [u8; 0xB2] = hex!(
    "46494C45 00000000 7800 0E01 0D00000000000000 0400000000000000 0000 000000000000"
    "04000000 00000000 0C006A00 0200 150D"
    "00080000 1FA162DB5E 1FA162DB5E 1FA162DB5E 1FA162DB5E 01000000 02000000 12005800"
    "680065006C006C006F002E00740078007400"
    "20000000 0000 0000 00000000 0000"
    "5354414E 0000 0000 0D00000000000000 0000 0000 1F1A"
    "48656C6C6F2C204D5446210D0A 00"
    "53504144 0000 0000 4E03000000000000 0000 0000 5C17"
);

fn example() -> Vec<u8> {
    let mut v = EXAMPLE_HEAD.to_vec();
    v.resize(1024, 0);
    v
}

#[test]
fn worked_file_example_decodes_field_by_field() {
    let bytes = example();
    let Decoded::Complete { value: d, consumed } = decode_descriptor(&bytes).unwrap() else {
        panic!("incomplete")
    };
    assert_eq!(consumed, 1024);
    let h = &d.dblk.header;
    assert_eq!(h.block_type, BlockType::FILE);
    assert_eq!(h.attributes, BlockAttributes::empty());
    assert_eq!(h.first_event, 0x78);
    assert_eq!((h.os_id, h.os_version), (14, 1));
    assert_eq!(h.displayable_size, 13);
    assert_eq!(h.fla, 4);
    assert_eq!(h.cbid, 4);
    assert_eq!(h.string_type, StringType::Unicode);
    let Body::File(f) = &d.dblk.body else {
        panic!("not a FILE")
    };
    assert_eq!(f.attributes, FileAttributes::MODIFIED);
    let date = MtfDate {
        year: 2024,
        month: 5,
        day: 17,
        hour: 13,
        minute: 45,
        second: 30,
    };
    assert_eq!([f.modified, f.created, f.backup, f.accessed], [date; 4]);
    assert_eq!((f.directory_id, f.file_id), (1, 2));
    assert_eq!(d.dblk.text(&f.name), "hello.txt");
    let nt = NtObject::decode(&d.dblk.os_data, 1, true).unwrap();
    assert_eq!(
        nt,
        NtObject {
            attributes: 0x20,
            short_name_offset: 0,
            short_name_size: 0,
            flags: 0
        }
    );
    assert_eq!(d.streams.len(), 2);
    assert_eq!(d.streams[0].0.id, StreamId::STAN);
    assert_eq!(d.streams[0].1, b"Hello, MTF!\r\n");
    assert_eq!(
        (d.streams[1].0.id, d.streams[1].0.length),
        (StreamId::SPAD, 846)
    );
}

#[test]
fn worked_file_example_reencodes_byte_exact() {
    let bytes = example();
    let Decoded::Complete { value: d, .. } = decode_descriptor(&bytes).unwrap() else {
        panic!()
    };
    let mut out = Vec::new();
    encode_descriptor(&d.dblk, &d.streams[..1], 1024, &mut out).unwrap();
    assert_eq!(out, bytes);
}

#[test]
fn every_strict_prefix_of_the_example_is_incomplete() {
    let bytes = example();
    for n in 0..bytes.len() {
        assert!(
            decode_descriptor(&bytes[..n]).unwrap().is_incomplete(),
            "prefix {n}"
        );
    }
}

#[test]
fn every_single_byte_corruption_of_the_example_is_handled() {
    let bytes = example();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x5A;
        if let Ok(Decoded::Complete { value, .. }) = decode_descriptor(&b) {
            // Bytes covered by a header checksum never decode silently.
            let covered = i < 0x34 || (0x78..0x8E).contains(&i) || (0x9C..0xB2).contains(&i);
            assert!(!covered, "byte {i}: {value:?}");
        }
    }
}
