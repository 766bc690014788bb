//! Property tests: every block, stream body and catalog structure round-trips; every strict
//! prefix of an encoding is `Incomplete`; corrupt input never panics.

use proptest::prelude::*;
use tape_format::attrs::*;
use tape_format::block::{
    Body, Cfil, Dblk, Dirb, Eotm, Eset, File, Header, Sfmb, Sset, Tape, Unknown, Volb, decode_dblk,
};
use tape_format::catalog::{FddBody, FddEntry, SetMap, SetMapEntry, decode_fdd_entry};
use tape_format::date::MtfDate;
use tape_format::decoded::Decoded;
use tape_format::ids::{BlockType, StreamId};
use tape_format::stream::StreamHeader;
use tape_format::stream::frame::{COMPRESSION_FRAME, FrameHeader};
use tape_format::stream::unix::{UnixFileType, UnixMeta, UnixTime};
use tape_format::strings::StringType;

fn date() -> impl Strategy<Value = MtfDate> {
    any::<[u8; 5]>().prop_map(MtfDate::from_bytes)
}

fn text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..40)
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        (
            any::<(u32, u32, u16, u16, u16, u16)>(),
            text(),
            text(),
            text(),
            text(),
            any::<(u16, u16, u8)>(),
            date()
        )
            .prop_map(
                |((fam, at, seq, pw, sf, ct), a, b, c, d, (flb, v, mj), md)| Body::Tape(Tape {
                    media_family_id: fam,
                    attributes: TapeAttributes::from_bits_retain(at),
                    media_sequence: seq,
                    password_encryption: pw,
                    soft_filemark_size: sf,
                    catalog_type: ct,
                    media_name: a,
                    media_description: b,
                    media_password: c,
                    software_name: d,
                    flb_size: flb,
                    software_vendor: v,
                    media_date: md,
                    major_version: mj,
                })
            ),
        (
            any::<(u32, u16, u16, u16, u16, u64)>(),
            text(),
            text(),
            text(),
            text(),
            date(),
            any::<(u8, u8, i8, u8, u8)>()
        )
            .prop_map(
                |((at, pw, ca, v, n, pba), a, b, c, d, md, (mj, mi, tz, mm, cv))| Body::Sset(
                    Sset {
                        attributes: SetAttributes::from_bits_retain(at),
                        password_encryption: pw,
                        compression_algorithm: ca,
                        software_vendor: v,
                        set_number: n,
                        name: a,
                        description: b,
                        password: c,
                        user_name: d,
                        pba,
                        media_write_date: md,
                        software_major: mj,
                        software_minor: mi,
                        time_zone: tz,
                        mtf_minor: mm,
                        catalog_version: cv,
                    }
                )
            ),
        (any::<u32>(), text(), text(), text(), date()).prop_map(|(at, a, b, c, d)| Body::Volb(
            Volb {
                attributes: VolumeAttributes::from_bits_retain(at),
                device_name: a,
                volume_name: b,
                machine_name: c,
                media_write_date: d,
            }
        )),
        (
            any::<(u32, u32)>(),
            [date(), date(), date(), date()],
            text()
        )
            .prop_map(|((at, id), d, n)| Body::Dirb(Dirb {
                attributes: DirAttributes::from_bits_retain(at),
                modified: d[0],
                created: d[1],
                backup: d[2],
                accessed: d[3],
                directory_id: id,
                name: n,
            })),
        (
            any::<(u32, u32, u32)>(),
            [date(), date(), date(), date()],
            text()
        )
            .prop_map(|((at, di, fi), d, n)| Body::File(File {
                attributes: FileAttributes::from_bits_retain(at),
                modified: d[0],
                created: d[1],
                backup: d[2],
                accessed: d[3],
                directory_id: di,
                file_id: fi,
                name: n,
            })),
        any::<(u32, u64, u16)>().prop_map(|(a, o, n)| Body::Cfil(Cfil {
            attributes: CorruptAttributes::from_bits_retain(a),
            stream_offset: o,
            stream_number: n,
        })),
        Just(Body::Espb),
        (any::<(u32, u32, u64, u64, u16, u16)>(), date()).prop_map(|((a, c, f, s, q, n), d)| {
            Body::Eset(Eset {
                attributes: SetAttributes::from_bits_retain(a),
                corrupt_files: c,
                fdd_pba: f,
                set_map_pba: s,
                fdd_media_sequence: q,
                set_number: n,
                media_write_date: d,
            })
        }),
        any::<u64>().prop_map(|p| Body::Eotm(Eotm { last_eset_pba: p })),
        proptest::collection::vec(any::<u32>(), 0..20).prop_map(|e| Body::Sfmb(Sfmb {
            capacity: 20,
            entries: e
        })),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|raw| Body::Unknown(Unknown {
            raw,
            os_data_offset: 0
        })),
    ]
}

fn dblk() -> impl Strategy<Value = Dblk> {
    (
        body(),
        any::<(u32, u8, u8, u64, u64, u16, u32)>(),
        proptest::collection::vec(any::<u8>(), 0..16),
        0u8..3,
    )
        .prop_map(|(body, (at, os, ov, ds, fla, mbc, cb), os_data, st)| {
            let t = body.block_type().unwrap_or(BlockType(*b"VEND"));
            let mut header = Header::new(t);
            header.attributes = BlockAttributes::from_bits_retain(at);
            header.os_id = os;
            header.os_version = ov;
            header.displayable_size = ds;
            header.fla = fla;
            header.reserved_mbc = mbc;
            header.cbid = cb;
            header.string_type = StringType::from_u8(st);
            let mut d = Dblk {
                header,
                body,
                os_data,
            };
            if let Body::Unknown(u) = &d.body {
                // The first-event offset of a vendor block is the end of what we keep.
                d.header.first_event =
                    u16::try_from((52 + u.raw.len() + d.os_data.len()).div_ceil(4) * 4).unwrap();
            }
            if matches!(d.body, Body::Sfmb(_)) {
                d.header.first_event = 60 + 4 * 20 + 16;
            }
            d
        })
}

proptest! {
    #[test]
    fn every_block_round_trips(d in dblk()) {
        let mut bytes = Vec::new();
        let len = d.encode(&mut bytes).unwrap();
        prop_assert_eq!(len, bytes.len());
        let Decoded::Complete { value, consumed } = decode_dblk(&bytes).unwrap() else { panic!("incomplete") };
        prop_assert_eq!(consumed, bytes.len());
        let mut want = d.clone();
        want.header.first_event = value.header.first_event;
        if let (Body::Unknown(u), Body::Unknown(got)) = (&d.body, &value.body) {
            // Kept verbatim: the OS data are inside the region of an unknown block.
            prop_assert!(got.raw.starts_with(&u.raw));
            want.body = value.body.clone();
        }
        prop_assert_eq!(&value, &want);
        let mut again = Vec::new();
        value.encode(&mut again).unwrap();
        prop_assert_eq!(again, bytes.clone());
        for n in 0..bytes.len() {
            prop_assert!(decode_dblk(&bytes[..n]).unwrap().is_incomplete(), "prefix {}", n);
        }
    }

    #[test]
    fn corrupt_blocks_never_panic(d in dblk(), i in any::<usize>(), x in 1u8..) {
        let mut bytes = Vec::new();
        d.encode(&mut bytes).unwrap();
        let i = i % bytes.len();
        bytes[i] ^= x;
        let r = decode_dblk(&bytes);
        if i < 50 {
            prop_assert!(r.is_err() || i == 8 || i == 9, "header byte {} changed silently", i);
        }
    }

    #[test]
    fn stream_headers_round_trip(id in any::<[u8; 4]>(), fs in any::<u16>(), media in any::<u16>(), len in any::<u64>(), e in any::<u16>(), c in any::<u16>()) {
        let h = StreamHeader {
            id: StreamId(id),
            fs_attributes: StreamFsAttributes::from_bits_retain(fs),
            media_attributes: StreamMediaAttributes::from_bits_retain(media),
            length: len,
            encryption_algorithm: e,
            compression_algorithm: c,
        };
        let b = h.encode();
        prop_assert_eq!(StreamHeader::decode(&b).unwrap(), Decoded::Complete { value: h, consumed: 22 });
        for n in 0..22 {
            prop_assert!(StreamHeader::decode(&b[..n]).unwrap().is_incomplete());
        }
        for i in 0..22 {
            let mut x = b;
            x[i] ^= 0x80;
            prop_assert!(StreamHeader::decode(&x).is_err());
        }
    }

    #[test]
    fn frame_headers_round_trip(m in any::<u16>(), r in any::<u64>(), u in any::<u32>(), c in any::<u32>(), s in any::<u8>()) {
        let h = FrameHeader { id: COMPRESSION_FRAME, media_attributes: m, remaining: r, uncompressed: u, compressed: c, sequence: s };
        let b = h.encode();
        prop_assert_eq!(FrameHeader::decode(&b).unwrap(), Decoded::Complete { value: h, consumed: 24 });
        prop_assert!(FrameHeader::decode(&b[..23]).unwrap().is_incomplete());
    }

    #[test]
    fn unix_metadata_round_trips(
        t in 0u8..10, mode in any::<u32>(), uid in any::<u32>(), gid in any::<u32>(),
        names in proptest::collection::vec(text(), 5), times in any::<[(i64, u32); 3]>(), rdev in any::<u64>(),
        xattrs in proptest::collection::vec((text(), text()), 0..4),
    ) {
        let ft = [UnixFileType::Regular, UnixFileType::Directory, UnixFileType::Symlink, UnixFileType::HardLink,
            UnixFileType::Fifo, UnixFileType::CharDevice, UnixFileType::BlockDevice, UnixFileType::Socket,
            UnixFileType::Other(8), UnixFileType::Other(200)][usize::from(t)];
        let m = UnixMeta {
            file_type: ft, mode, uid, gid,
            user: names[0].clone(), group: names[1].clone(), name: names[2].clone(),
            symlink_target: names[3].clone(), hardlink_target: names[4].clone(),
            atime: UnixTime { secs: times[0].0, nanos: times[0].1 },
            mtime: UnixTime { secs: times[1].0, nanos: times[1].1 },
            ctime: UnixTime { secs: times[2].0, nanos: times[2].1 },
            rdev, xattrs,
        };
        let b = m.encode();
        prop_assert_eq!(UnixMeta::decode(&b).unwrap(), m);
        for n in 0..b.len() {
            prop_assert!(UnixMeta::decode(&b[..n]).is_err());
        }
    }

    #[test]
    fn fdd_entries_round_trip(kind in 0u8..4, seq in any::<u16>(), attrs in any::<u32>(), fla in any::<u64>(), size in any::<u64>(),
        os in proptest::collection::vec(any::<u8>(), 0..12), names in proptest::collection::vec(text(), 3), d in [date(), date(), date(), date()], a in any::<u32>()) {
        let body = match kind {
            0 => FddBody::Volume { attributes: a, device_name: names[0].clone(), volume_name: names[1].clone(), machine_name: names[2].clone(), media_write_date: d[0] },
            1 | 2 => FddBody::Object { is_file: kind == 2, dates: d, attributes: a, name: names[0].clone() },
            _ => FddBody::End { length: 36 },
        };
        let end = matches!(body, FddBody::End { .. });
        let e = FddEntry { media_sequence: seq, block_attributes: attrs, fla, displayable_size: size, link: 0,
            os_id: 14, os_version: 1, string_type: StringType::Unicode, os_data: if end { Vec::new() } else { os }, body };
        let e = if end { FddEntry { media_sequence: seq, block_attributes: attrs, fla, displayable_size: size, ..FddEntry::end(36) } } else { e };
        let mut b = Vec::new();
        e.encode(&mut b).unwrap();
        let Decoded::Complete { value, consumed } = decode_fdd_entry(&b).unwrap() else { panic!() };
        prop_assert_eq!(consumed, b.len());
        prop_assert_eq!(value, e);
        for n in 0..b.len() {
            prop_assert!(decode_fdd_entry(&b[..n]).unwrap().is_incomplete());
        }
    }

    #[test]
    fn set_maps_round_trip(fam in any::<u32>(), n in 0usize..4, names in proptest::collection::vec(text(), 4), x in any::<(u16, u32, u64, u16, i8)>()) {
        let vol = FddEntry { media_sequence: 1, block_attributes: 0, fla: 1, displayable_size: 0, link: 0, os_id: 14, os_version: 1,
            string_type: StringType::Unicode, os_data: vec![0; 8],
            body: FddBody::Volume { attributes: 4, device_name: b"C\0:\0".to_vec(), volume_name: Vec::new(), machine_name: Vec::new(), media_write_date: MtfDate::UNKNOWN } };
        let entries = (0..n).map(|i| SetMapEntry {
            media_sequence: x.0, block_attributes: x.1, sset_pba: x.2, set_number: u16::try_from(i).unwrap(), time_zone: x.4,
            name: names[0].clone(), password: names[1].clone(), description: names[2].clone(), user_name: names[3].clone(),
            volumes: vec![vol.clone(); i], fdd_media_sequence: x.3, ..SetMapEntry::default()
        }).collect();
        let m = SetMap { media_family_id: fam, entries };
        let b = m.encode().unwrap();
        prop_assert_eq!(SetMap::decode(&b).unwrap(), m);
        for k in 0..b.len() {
            prop_assert!(SetMap::decode(&b[..k]).is_err() || k >= b.len());
        }
    }
}
