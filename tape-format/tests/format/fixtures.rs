//! Fixtures in `tests/fixtures/`, named after the edge case they hold, and their golden
//! listings (`foo.bkf` → `foo.dump.txt`). Every fixture is produced by a function below (our
//! writer through the `Write` adapter, or hand-assembled blocks for hostile cases), so they can be
//! regenerated with `REGEN_FIXTURES=1 cargo test -p tape-format --test format fixtures`. Without
//! the variable the tests check that the committed files are still produced byte for byte, that
//! every writer-made DBLK re-encodes byte-exact, and that the listings match.

use crate::harness::*;
use std::path::PathBuf;
use tape_format::attrs::*;
use tape_format::block::{Body, Dblk, Dirb, Eset, File, Sfmb, Sset, Tape, Unknown, Volb};
use tape_format::catalog::MemorySpool;
use tape_format::date::MtfDate;
use tape_format::decoded::Decoded;
use tape_format::descriptor::{decode_descriptor, encode_descriptor};
use tape_format::ids::{BlockType, StreamId};
use tape_format::io::WriteAdapter;
use tape_format::listing::list_media;
use tape_format::stream::StreamHeader;
use tape_format::stream::unix::{UnixFileType, UnixMeta, UnixTime};
use tape_format::strings::StringType;
use tape_format::writer::*;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

const DATE: MtfDate = MtfDate {
    year: 2024,
    month: 5,
    day: 17,
    hour: 13,
    minute: 45,
    second: 30,
};

fn dates() -> ObjectDates {
    ObjectDates {
        modified: DATE,
        created: DATE,
        backup: DATE,
        accessed: DATE,
    }
}

type Bkf = WriteAdapter<Vec<u8>, MemorySpool>;

fn bkf(catalog: bool) -> Bkf {
    let opts = WriterOptions::bkf()
        .family(0x4E54_4258)
        .with_catalog(catalog);
    let mut a = WriteAdapter::new(MediaWriter::new_in_memory(opts).unwrap(), Vec::new());
    let medium = MediumInfo {
        name: "Backup.bkf created 5/17/2024 at 1:45 PM".into(),
        label: Some("MTF Media Label|1.0|ntbackup-rs|ntbackup-rs 0.1|2024/05/17.13:45:30|fixture|1|{00000000-0000-0000-0000-000000000001}||".into()),
        label_is_media_label: true,
        date: DATE,
    };
    a.writer().start_medium(medium, 1).unwrap();
    a.drain().unwrap();
    a
}

fn set(a: &mut Bkf, n: u16) {
    let info = SetInfo {
        backup_type: SetAttributes::NORMAL,
        set_number: n,
        name: format!("Set created 5/17/2024 at 1:45 PM ({n})"),
        description: "fixture".into(),
        user_name: "HOST\\user".into(),
        date: DATE,
        time_zone: 8,
    };
    a.writer().begin_set(info).unwrap();
    a.drain().unwrap();
    a.writer()
        .volume(VolumeInfo {
            device: "C:".into(),
            volume_name: "System".into(),
            machine: "HOST".into(),
            date: DATE,
            ..VolumeInfo::default()
        })
        .unwrap();
    a.drain().unwrap();
}

fn dir_at(a: &mut Bkf, path: &[&str]) {
    let info = DirectoryInfo {
        path: path.iter().map(|s| s.to_string()).collect(),
        dates: dates(),
        ..DirectoryInfo::default()
    };
    a.writer().directory(info).unwrap();
    a.drain().unwrap();
}

fn file(a: &mut Bkf, name: &str, data: &[u8], unix: bool) {
    let meta = unix.then(|| UnixMeta {
        file_type: UnixFileType::Regular,
        mode: 0o100_640,
        uid: 1000,
        gid: 100,
        user: b"user".to_vec(),
        group: b"users".to_vec(),
        mtime: UnixTime {
            secs: 1_715_953_530,
            nanos: 5,
        },
        name: name.as_bytes().to_vec(),
        xattrs: vec![(b"user.comment".to_vec(), b"fixture".to_vec())],
        ..UnixMeta::default()
    });
    let info = FileInfo {
        name: name.into(),
        size: data.len() as u64,
        attributes: FileAttributes::MODIFIED,
        dates: dates(),
        unix: meta,
        ..FileInfo::default()
    };
    a.writer().begin_file(info).unwrap();
    a.drain().unwrap();
    a.writer()
        .begin_stream(StreamInfo::stan(data.len() as u64))
        .unwrap();
    a.write_stream_data(data).unwrap();
    a.writer().end_stream().unwrap();
    a.drain().unwrap();
}

fn end(mut a: Bkf) -> Vec<u8> {
    a.writer().end_set().unwrap();
    a.drain().unwrap();
    a.finish().unwrap().1
}

fn basic_job(catalog: bool) -> Vec<u8> {
    let mut a = bkf(catalog);
    set(&mut a, 1);
    dir_at(&mut a, &[]);
    file(&mut a, "hello.txt", b"Hello, MTF!\r\n", false);
    dir_at(&mut a, &["home", "user"]);
    file(&mut a, "notes.md", &content(1, 3000), true);
    file(&mut a, "empty", b"", true);
    let mut a = {
        let bytes = end(a);
        let mut b = WriteAdapter::new(
            {
                let mut w = MediaWriter::new_in_memory(
                    WriterOptions::bkf()
                        .family(0x4E54_4258)
                        .with_catalog(catalog),
                )
                .unwrap();
                w.set_prior_set_map(prior_set_map(&bytes));
                w.append_after(AppendPoint {
                    media_sequence: 1,
                    pba: (bytes.len() / 1024) as u64,
                    next_sfmb_id: 4,
                    filemark_pbas: sfmb_pbas(&bytes),
                })
                .unwrap();
                w
            },
            bytes,
        );
        set(&mut b, 2);
        b
    };
    dir_at(&mut a, &["var"]);
    file(&mut a, "log", &content(2, 1500), true);
    end(a)
}

/// The Set Map entries found on a medium (what an engine passes when appending to a family).
fn prior_set_map(medium: &[u8]) -> Vec<tape_format::catalog::SetMapEntry> {
    let mut last = Vec::new();
    for e in tape_format::io::BkfEvents::new(medium, tape_format::reader::ReaderOptions::default())
    {
        if let Ok(tape_format::reader::Event::SetMap(m)) = e {
            last = m.entries;
        }
    }
    last
}

/// PBAs of the SFMBs of a medium, newest first (what an engine passes when appending).
fn sfmb_pbas(medium: &[u8]) -> Vec<u32> {
    let mut v: Vec<u32> = medium
        .chunks(1024)
        .enumerate()
        .filter(|(_, b)| b.starts_with(b"SFMB"))
        .map(|(i, _)| i as u32)
        .collect();
    v.reverse();
    v
}

fn long_names() -> Vec<u8> {
    let mut a = bkf(false);
    set(&mut a, 1);
    let deep: Vec<String> = (0..40).map(|i| format!("directory-{i:02}")).collect();
    let deep_ref: Vec<&str> = deep.iter().map(String::as_str).collect();
    dir_at(&mut a, &deep_ref);
    file(&mut a, &"n".repeat(600), b"long name", false);
    end(a)
}

fn corrupt_object() -> Vec<u8> {
    let mut a = bkf(false);
    set(&mut a, 1);
    dir_at(&mut a, &[]);
    let info = FileInfo {
        name: "shrank.db".into(),
        size: 4096,
        dates: dates(),
        ..FileInfo::default()
    };
    a.writer().begin_file(info).unwrap();
    a.drain().unwrap();
    a.writer()
        .begin_stream(StreamInfo {
            checksum: false,
            ..StreamInfo::stan(4096)
        })
        .unwrap();
    a.write_stream_data(&content(3, 1000)).unwrap();
    let mut left = 3096;
    while left > 0 {
        left -= a.writer().fill_zeros(left).unwrap();
        a.drain().unwrap();
    }
    a.writer().end_stream().unwrap();
    a.writer().mark_stream_corrupt().unwrap();
    a.drain().unwrap();
    let c = CorruptInfo {
        attributes: CorruptAttributes::LENGTH_CHANGE,
        stream_offset: 1000,
        stream_number: 1,
    };
    a.writer().mark_corrupt(c).unwrap();
    a.drain().unwrap();
    file(&mut a, "after.txt", b"still here", false);
    end(a)
}

fn hostile_paths() -> Vec<u8> {
    let mut a = bkf(false);
    set(&mut a, 1);
    dir_at(&mut a, &["..", "", "a/b", "c\\d"]);
    file(&mut a, "..", b"dotdot", false);
    file(&mut a, "x\u{0}y", b"nul", false);
    end(a)
}

fn span_media() -> Vec<Vec<u8>> {
    let opts = WriterOptions::bkf()
        .sizes(1024, 1024, 4096)
        .family(0x5350_414E)
        .with_catalog(true);
    let media = write_family(
        opts,
        &sample_sets(),
        Trigger {
            ew_at: Some(3),
            ..Trigger::default()
        },
    );
    media
        .iter()
        .map(|m| {
            m.iter()
                .flat_map(|r| match r {
                    Rec::Block(b) => b.clone(),
                    Rec::Filemark => Vec::new(),
                })
                .collect()
        })
        .collect()
}

/// Hand-assembled, Backup Exec style: ANSI strings, stream-less SSET/VOLB/DIRB/ESPB (their
/// Offset To First Event points at the next DBLK), a vendor DBLK with a stream, a FILE with data.
fn streamless_ansi_vendor() -> Vec<u8> {
    let ansi = StringType::Ansi;
    let mut out = Vec::new();
    let dblk = |body: Body,
                fla: u64,
                cbid: u32,
                streamless: bool,
                out: &mut Vec<u8>,
                streams: &[(StreamHeader, &[u8])]| {
        let mut d = Dblk::new(body);
        d.header.string_type = ansi;
        d.header.fla = fla;
        d.header.cbid = cbid;
        if streamless {
            d.header.first_event = 1024;
            d.encode(out).unwrap();
        } else {
            encode_descriptor(&d, streams, 1024, out).unwrap();
        }
    };
    let tape = Tape {
        media_family_id: 0x0BE0_0001,
        attributes: TapeAttributes::SOFT_FILEMARK,
        media_sequence: 1,
        soft_filemark_size: 2,
        media_name: b"Media created 5/17/2024".to_vec(),
        software_name: b"VERITAS Backup Exec".to_vec(),
        flb_size: 1024,
        software_vendor: 0x1234,
        media_date: DATE,
        major_version: 1,
        ..Tape::default()
    };
    dblk(Body::Tape(tape), 0, 0, false, &mut out, &[]);
    let sfmb = |pba: u64, id: u32, prev: Vec<u32>, out: &mut Vec<u8>| {
        let mut d = Dblk::new(Body::Sfmb(Sfmb {
            capacity: Sfmb::capacity_for(1024),
            entries: prev,
        }));
        d.header.first_event = 1024;
        d.header.fla = pba;
        d.header.cbid = id;
        d.encode(out).unwrap();
    };
    sfmb(1, 1, vec![], &mut out);
    let sset = Sset {
        attributes: SetAttributes::NORMAL,
        set_number: 1,
        name: b"BE job".to_vec(),
        user_name: b"DOMAIN\\backup".to_vec(),
        pba: 2,
        media_write_date: DATE,
        time_zone: 127,
        ..Sset::default()
    };
    dblk(Body::Sset(sset), 0, 0, true, &mut out, &[]);
    let volb = Volb {
        attributes: VolumeAttributes::DEV_UNC,
        device_name: b"\\\\server\\share".to_vec(),
        volume_name: b"share".to_vec(),
        machine_name: b"SERVER".to_vec(),
        media_write_date: DATE,
    };
    dblk(Body::Volb(volb), 1, 1, true, &mut out, &[]);
    let dirb = Dirb {
        directory_id: 1,
        name: b"Data\0Reports\0".to_vec(),
        modified: DATE,
        ..Dirb::default()
    };
    dblk(Body::Dirb(dirb), 2, 2, true, &mut out, &[]);
    let vendor = Body::Unknown(Unknown {
        raw: b"vendor private bytes".to_vec(),
        os_data_offset: 0,
    });
    let mut v = Dblk::new(vendor);
    v.header.block_type = BlockType(*b"XVND");
    v.header.fla = 3;
    v.header.cbid = 3;
    encode_descriptor(
        &v,
        &[(StreamHeader::new(StreamId(*b"XDAT"), 5), b"12345")],
        1024,
        &mut out,
    )
    .unwrap();
    let f = File {
        directory_id: 1,
        file_id: 1,
        name: b"q1.csv".to_vec(),
        modified: DATE,
        ..File::default()
    };
    let data = b"a,b\n1,2\n";
    let mut fd = Dblk::new(Body::File(f));
    fd.header.string_type = ansi;
    fd.header.fla = 4;
    fd.header.cbid = 4;
    fd.header.displayable_size = data.len() as u64;
    encode_descriptor(
        &fd,
        &[(StreamHeader::new(StreamId::STAN, data.len() as u64), data)],
        1024,
        &mut out,
    )
    .unwrap();
    dblk(Body::Espb, 5, 5, true, &mut out, &[]);
    sfmb(7, 2, vec![1], &mut out);
    let eset = Eset {
        attributes: SetAttributes::NORMAL,
        set_number: 1,
        media_write_date: DATE,
        ..Eset::default()
    };
    dblk(Body::Eset(eset), 0, 6, false, &mut out, &[]);
    sfmb(9, 3, vec![7, 1], &mut out);
    out
}

fn bad_checksum() -> Vec<u8> {
    let mut b = basic_job(false);
    let name: Vec<u8> = "notes.md"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let at = b.windows(name.len()).position(|w| w == name).unwrap() / 1024 * 1024;
    b[at + 20] ^= 0x01; // FLA changed, checksum not updated
    b
}

fn truncated() -> Vec<u8> {
    let mut b = basic_job(false);
    let name: Vec<u8> = "notes.md"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let at = b.windows(name.len()).position(|w| w == name).unwrap() / 1024 * 1024;
    b.truncate(at + 2048);
    b
}

fn all() -> Vec<(&'static str, Vec<Vec<u8>>, bool)> {
    vec![
        ("basic", vec![basic_job(false)], true),
        ("catalog_type1", vec![basic_job(true)], true),
        ("long_names_pnam_fnam", vec![long_names()], true),
        ("corrupt_object_cfil_crpt", vec![corrupt_object()], true),
        ("hostile_paths", vec![hostile_paths()], true),
        ("span_in_data", span_media(), true),
        (
            "streamless_ansi_vendor",
            vec![streamless_ansi_vendor()],
            false,
        ),
        ("bad_checksum", vec![bad_checksum()], false),
        ("truncated", vec![truncated()], false),
    ]
}

fn file_name(name: &str, i: usize, n: usize) -> String {
    if n == 1 {
        format!("{name}.bkf")
    } else {
        format!("{name}.{}.bkf", i + 1)
    }
}

/// Every DBLK and its streams re-encode byte-exact (writer-made media: physical block = FLB).
fn check_reencode(medium: &[u8], name: &str) {
    let mut off = 0;
    while off + 52 <= medium.len() {
        if let Ok(Decoded::Complete { value, consumed }) = decode_descriptor(&medium[off..]) {
            let mut out = Vec::new();
            if value.streams.is_empty() {
                value.dblk.encode(&mut out).unwrap();
            } else {
                let last = value.streams.len() - 1;
                encode_descriptor(&value.dblk, &value.streams[..last], 1024, &mut out).unwrap();
            }
            assert_eq!(
                out,
                &medium[off..off + consumed],
                "{name}: {} at {off}",
                value.dblk.header.block_type
            );
            off += consumed.div_ceil(1024) * 1024;
        } else {
            off += 1024;
        }
    }
}

#[test]
fn fixtures_are_reproduced_and_listings_match() {
    let regen = std::env::var("REGEN_FIXTURES").is_ok();
    for (name, media, ours) in all() {
        for (i, m) in media.iter().enumerate() {
            let path = dir().join(file_name(name, i, media.len()));
            if regen {
                std::fs::write(&path, m).unwrap();
            }
            let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                stored == *m,
                "{name}: the encoder no longer produces the committed fixture"
            );
            if ours {
                check_reencode(m, name);
            }
        }
        let refs: Vec<&[u8]> = media.iter().map(Vec::as_slice).collect();
        let listing = list_media(&refs).unwrap();
        let golden = dir().join(format!("{name}.dump.txt"));
        if regen {
            std::fs::write(&golden, &listing).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap();
        assert_eq!(
            listing,
            want,
            "{name}: listing differs from {}",
            golden.display()
        );
    }
}

#[test]
fn bkf_files_are_read_through_memmap() {
    let f = tape_format::io::BkfFile::open(dir().join("catalog_type1.bkf")).unwrap();
    let mut files = 0;
    let mut bytes = 0;
    for e in f.events() {
        match e.unwrap() {
            tape_format::reader::Event::File(_) => files += 1,
            tape_format::reader::Event::Data(d) => bytes += d.len(),
            tape_format::reader::Event::Damaged { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    assert_eq!(files, 4);
    assert_eq!(bytes, 13 + 3000 + 1500);
    assert_eq!(
        f.listing().unwrap(),
        std::fs::read_to_string(dir().join("catalog_type1.dump.txt")).unwrap()
    );
}

#[test]
fn names_kept_in_pnam_and_fnam_streams_are_whole_in_the_tape_catalog() {
    let mut a = bkf(true);
    set(&mut a, 1);
    let deep: Vec<String> = (0..40).map(|i| format!("directory-{i:02}")).collect();
    let deep_ref: Vec<&str> = deep.iter().map(String::as_str).collect();
    dir_at(&mut a, &deep_ref);
    let long = "n".repeat(600);
    file(&mut a, &long, b"long name", false);
    let medium = end(a);
    let events = tape_format::io::BkfEvents::new(&medium, Default::default());
    let mut names = Vec::new();
    for e in events {
        if let tape_format::reader::Event::FddEntry(entry) = e.unwrap()
            && let tape_format::catalog::FddBody::Object {
                name, attributes, ..
            } = &entry.body
        {
            let in_stream =
                DirAttributes::PATH_IN_STREAM.bits() | FileAttributes::NAME_IN_STREAM.bits();
            assert_eq!(attributes & in_stream, 0, "the entry holds the name itself");
            names.push(entry.string_type.decode_path(name));
        }
    }
    assert_eq!(names, vec![deep, vec![long]]);
}
