//! `catalog rebuild` on harder media: two sets in one family spanning three cartridges (the
//! second appended after the first's catalog), `.bkf` files written by other programs, a set
//! closed early, a re-run over part of a family, a stand-alone drive.

use std::fs;
use std::path::{Path, PathBuf};

use backup_engine::backup::{BackupOutcome, BackupType};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{MediaPolicy, MediaRequest, PolicyChain, PolicyContext, Supply};
use backup_engine::rebuild::{
    Ending, Method, RebuildContext, RebuildJob, RebuildMedia, RebuildReport, run_rebuild,
};
use backup_engine::{EventLog, ManualClock};
use tape_core::{BlockAddress, ElementKind, FileDrive, MediaChanger, ReadStatus, TapeDrive};
use tape_format::attrs::SetAttributes;
use tape_format::block::{Body, decode_dblk};
use tape_format::catalog::SetMap;
use tape_format::date::MtfDate;
use tape_format::decoded::Decoded;
use tape_format::ids::{BlockType, StreamId};
use tape_format::reader::{Event, MediaReader, ReaderOptions};
use tape_format::stream::job::JobInfo;
use tape_format::writer::{
    AppendPoint, DirectoryInfo, FileInfo, MediaWriter, ObjectDates, Outcome, Output, SetInfo,
    StreamInfo, VolumeInfo, WriterOptions,
};

use crate::rebuild::{Lab, answers, as_tape_catalog_sees, same};
use crate::tree;

/// Moves the cartridge `tag` into drive 0 and loads it.
fn load(lab: &Lab, drive: &mut dyn TapeDrive, tag: &str) {
    let mut changer = lab.lib.changer();
    let inv = changer.inventory().unwrap();
    let d = inv.find(ElementKind::Drive, 0).unwrap().clone();
    if d.volume_tag.as_ref().map(|t| t.as_str()) == Some(tag) {
        drive.load().unwrap();
        return;
    }
    if d.full {
        drive.unload().unwrap();
        let home = d.source.unwrap();
        changer.move_medium(d.address, home).unwrap();
    }
    let from = inv
        .elements
        .iter()
        .find(|e| e.volume_tag.as_ref().map(|t| t.as_str()) == Some(tag))
        .unwrap()
        .address;
    changer.move_medium(from, d.address).unwrap();
    drive.load().unwrap();
}

/// Reads the medium in the drive from its start: its Set Map, the filemarks, the data blocks.
fn survey(drive: &mut dyn TapeDrive) -> (SetMap, u64, u64) {
    drive.rewind().unwrap();
    let mut reader = MediaReader::new(ReaderOptions::default());
    let (mut map, mut marks, mut blocks) = (None, 0, 0);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match drive.read_block(&mut buf).unwrap() {
            ReadStatus::Data(n) => {
                blocks += 1;
                let mut input = &buf[..n];
                while !input.is_empty() {
                    let step = reader.step(input).unwrap();
                    input = &input[step.consumed..];
                    match step.event {
                        Some(Event::SetMap(m)) => map = Some(*m),
                        None if step.consumed == 0 => break,
                        _ => {}
                    }
                }
            }
            ReadStatus::Filemark => {
                marks += 1;
                let _ = reader.filemark();
            }
            ReadStatus::EndOfData => break,
        }
    }
    (map.unwrap(), marks, blocks)
}

/// What the drive's own positions say an appended set's objects are at:
/// (path, FLA, drive address, skip).
type Oracle = Vec<(Vec<u8>, u64, u64, u64)>;

/// Appends set 2 of `family` to the medium in the drive (its last), with the tape-format
/// writer, recording the drive's address of every block written.
fn append_set(drive: &mut dyn TapeDrive, family: u32, now: i64) -> Oracle {
    let phys = 64 << 10;
    let (map, marks, blocks) = survey(drive);
    assert_eq!(marks, 3, "TAPE | FM | set 1 | FM | ESET + catalog | FM");
    drive.space_to_end_of_data().unwrap();
    let opts = WriterOptions::default()
        .sizes(1024, phys, phys)
        .family(family)
        .with_catalog(true);
    let mut w = MediaWriter::new_in_memory(opts).unwrap();
    w.set_prior_set_map(map.entries);
    w.append_after(AppendPoint {
        media_sequence: 3,
        pba: blocks,
        ..AppendPoint::default()
    })
    .unwrap();
    let mut written: Vec<(u64, u64, u64)> = Vec::new(); // (offset, address, len)
    let mut offset = blocks * phys as u64;
    let mut placements = Vec::new();
    let mut drain = |w: &mut MediaWriter, drive: &mut dyn TapeDrive| {
        while let Some(out) = w.poll().unwrap() {
            match out {
                Output::Block(b) => {
                    let at = drive.position().unwrap().0;
                    written.push((offset, at, b.len() as u64));
                    offset += b.len() as u64;
                    let _ = drive.write_block(b).unwrap();
                }
                Output::Filemark => {
                    let _ = drive.write_filemarks(1).unwrap();
                }
            }
            w.complete(Outcome::Written).unwrap();
            placements.extend(w.take_placements());
        }
    };
    let date = MtfDate::from_unix(now, backup_engine_offset(now));
    let dates = ObjectDates {
        modified: date,
        created: date,
        backup: date,
        accessed: date,
    };
    w.begin_set(SetInfo {
        backup_type: SetAttributes::COPY,
        set_number: 2,
        name: "appended".into(),
        description: "set 2, appended".into(),
        date,
        time_zone: 0,
        ..SetInfo::default()
    })
    .unwrap();
    drain(&mut w, drive);
    let job = JobInfo {
        name: "appender".into(),
        roots: vec![b"/data".to_vec()],
    }
    .encode();
    let mut info = StreamInfo::stan(job.len() as u64);
    info.id = StreamId::LXJB;
    info.checksum = false;
    w.begin_stream(info).unwrap();
    drain(&mut w, drive);
    let mut rest: &[u8] = &job;
    while !rest.is_empty() {
        let n = w.write_data(rest).unwrap();
        rest = &rest[n..];
        drain(&mut w, drive);
    }
    w.end_stream().unwrap();
    drain(&mut w, drive);
    w.volume(VolumeInfo {
        device: "/".into(),
        ..VolumeInfo::default()
    })
    .unwrap();
    drain(&mut w, drive);
    let mut paths = Vec::new();
    for (dir, files) in [
        (vec!["data"], vec![("a.txt", 3000), ("b.bin", 150_000)]),
        (vec!["data", "sub"], vec![("c", 10)]),
    ] {
        w.directory(DirectoryInfo {
            path: dir.iter().map(|s| (*s).to_owned()).collect(),
            dates,
            ..DirectoryInfo::default()
        })
        .unwrap();
        drain(&mut w, drive);
        paths.push(format!("/{}", dir.join("/")).into_bytes());
        for (name, size) in files {
            w.begin_file(FileInfo {
                name: name.into(),
                size,
                dates,
                ..FileInfo::default()
            })
            .unwrap();
            drain(&mut w, drive);
            paths.push(format!("/{}/{name}", dir.join("/")).into_bytes());
            w.begin_stream(StreamInfo::stan(size)).unwrap();
            drain(&mut w, drive);
            let data = tree::bytes(size as usize, size);
            let mut rest: &[u8] = &data;
            while !rest.is_empty() {
                let n = w.write_data(rest).unwrap();
                rest = &rest[n..];
                drain(&mut w, drive);
            }
            w.end_stream().unwrap();
            drain(&mut w, drive);
        }
    }
    w.end_set().unwrap();
    drain(&mut w, drive);
    w.finish().unwrap();
    drain(&mut w, drive);
    let objects: Vec<_> = placements
        .iter()
        .filter(|p| matches!(p.block_type, BlockType::DIRB | BlockType::FILE))
        .collect();
    assert_eq!(objects.len(), paths.len());
    objects
        .iter()
        .zip(paths)
        .map(|(p, path)| {
            let &(start, at, _) = written
                .iter()
                .find(|(o, _, len)| *o <= p.offset && p.offset < o + len)
                .unwrap();
            // Measured, not assumed: the writer's PBA counts blocks only; the drive's address
            // adds the filemarks before — here 1 after the TAPE block + 2 per set that ended on
            // this medium before (its FM, ESET + catalog, FM).
            assert_eq!(at - p.pba, 1 + 2, "{}", String::from_utf8_lossy(&path));
            (path, p.fla, at, p.offset - start)
        })
        .collect()
}

fn backup_engine_offset(t: i64) -> i64 {
    jiff::Timestamp::from_second(t)
        .map(|ts| i64::from(jiff::tz::TimeZone::system().to_offset(ts).seconds()))
        .unwrap_or(0)
}

/// Every entry of `catalog` is where it says: LOCATE to its block, skip, and its DBLK is there
/// with its FLA.
fn every_entry_is_where_it_says(lab: &Lab, catalog: &Catalog) -> usize {
    let mut drive = lab.lib.drive(0).unwrap();
    let mut checked = 0;
    let mut buf = vec![0u8; 1 << 20];
    for set in catalog.sets().unwrap() {
        let media = catalog.media(set.family).unwrap();
        for e in catalog.entries(set.id).unwrap() {
            let m = media.iter().find(|m| m.sequence == e.sequence).unwrap();
            load(lab, &mut drive, m.barcode.as_ref().unwrap().as_str());
            drive.locate(BlockAddress(e.block)).unwrap();
            let ReadStatus::Data(n) = drive.read_block(&mut buf).unwrap() else {
                panic!("no block at {}", e.block);
            };
            let skip = usize::try_from(e.skip).unwrap();
            let Ok(Decoded::Complete { value, .. }) = decode_dblk(&buf[skip..n]) else {
                panic!("no DBLK at block {} + {skip}", e.block);
            };
            assert!(matches!(value.body, Body::Dirb(_) | Body::File(_)));
            assert_eq!(
                value.header.fla,
                e.fla,
                "{}",
                String::from_utf8_lossy(&e.path)
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn two_sets_on_three_cartridges_are_placed_where_the_drive_wrote_them() {
    let lab = Lab::new(8);
    tree::make(&lab.src(), 1_200_000, 9);
    fs::write(lab.src().join("big.bin"), tree::bytes(800_000, 77)).unwrap();
    lab.backup("base", BackupType::Normal, true);
    let before = answers(&lab.catalog);
    let family = before.sets[0].key.0;
    let media = lab.catalog.media(family).unwrap();
    assert_eq!(media.len(), 3);
    let last = media[2].barcode.clone().unwrap();
    let mut drive = lab.lib.drive(0).unwrap();
    load(&lab, &mut drive, last.as_str());
    let oracle = append_set(&mut drive, family, 1_900_000_000);
    drop(drive);

    for tape_catalog in [true, false] {
        let name = format!("rebuilt-{tape_catalog}.sqlite");
        let c = Catalog::open(&lab.dir.path().join(name)).unwrap();
        let (report, reads) = lab.rebuild_into(&c, lab.barcodes(), tape_catalog);
        let f = &report.families[0];
        let method = if tape_catalog {
            Method::TapeCatalog
        } else {
            Method::Scan
        };
        assert_eq!(
            (report.families.len(), f.method),
            (1, method),
            "{report:#?}"
        );
        assert_eq!(f.sets.len(), 2);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        let after = answers(&c);
        let set1 = |a: &crate::rebuild::Answers| a.entries[&(family, 1)].clone();
        let want = if tape_catalog {
            as_tape_catalog_sees(before.clone())
        } else {
            before.clone()
        };
        assert_eq!(set1(&after), set1(&want));
        assert_eq!(after.sets[0], want.sets[0]);
        let set2 = &after.sets[1];
        assert_eq!(
            (set2.key, set2.job.as_str(), set2.backup_type.as_str()),
            ((family, 2), "appender", "copy")
        );
        assert_eq!((set2.media, set2.files, set2.bytes), ((3, 3), 3, 153_010));
        assert_eq!(set2.roots, vec![b"/data".to_vec()]);
        let got: Vec<_> = after.entries[&(family, 2)]
            .iter()
            .map(|e| (e.path.clone(), e.fla, e.block, e.skip))
            .collect();
        assert_eq!(got, oracle, "set 2's objects where the drive wrote them");
        assert!(
            oracle.iter().all(|(_, _, block, _)| *block > 9),
            "set 2 lies past the three filemarks of set 1 on that medium: {oracle:?}"
        );
        eprintln!(
            "two sets on three cartridges, {}: {} blocks read, per cartridge {reads:?}",
            if tape_catalog { "tape catalog" } else { "scan" },
            report.tally.blocks
        );
        let entries: usize = after.entries.values().map(Vec::len).sum();
        assert_eq!(every_entry_is_where_it_says(&lab, &c), entries);
    }
}

/// The next `.bkf` file of a `FileDrive` magazine.
struct NextFile;

impl MediaPolicy for NextFile {
    fn name(&self) -> &str {
        "next file"
    }
    fn supply(&mut self, _: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        if cx.drive.unload().is_ok() && cx.drive.status().is_ok_and(|s| s.ready) {
            Supply::Loaded
        } else {
            Supply::Declined("no more files".into())
        }
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tape-format/tests/fixtures")
        .join(name)
}

fn rebuild_files(catalog: &Catalog, names: &[&str]) -> RebuildReport {
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    let mut drive = FileDrive::open(paths, false).unwrap();
    let mut events = EventLog::default();
    run_rebuild(
        &RebuildJob::new("rebuild", RebuildMedia::InOrder { count: names.len() }),
        RebuildContext {
            drive: &mut drive,
            policy: &mut PolicyChain::new().then(NextFile),
            clock: &ManualClock::new(std::time::SystemTime::UNIX_EPOCH),
            events: &mut events,
            catalog,
        },
    )
    .unwrap()
}

#[test]
fn bkf_files_of_other_programs_are_rebuilt_by_scanning() {
    let c = Catalog::in_memory().unwrap();
    let files = [
        "streamless_ansi_vendor.bkf",
        "span_in_data.1.bkf",
        "span_in_data.2.bkf",
        "basic.bkf",
    ];
    let report = rebuild_files(&c, &files);
    let found: Vec<(u32, Method, Vec<u16>, usize)> = report
        .families
        .iter()
        .map(|f| (f.family, f.method, f.media.clone(), f.sets.len()))
        .collect();
    assert_eq!(
        found,
        [
            (0x0BE0_0001, Method::Scan, vec![1], 1),
            (0x5350_414E, Method::Scan, vec![1, 2], 2),
            (0x4E54_4258, Method::Scan, vec![1], 2),
        ],
        "{report:#?}"
    );
    // Backup Exec style: the set's name stands in for the job; UNC paths as MTF shows them.
    let be = &c.sets_of_family(0x0BE0_0001).unwrap()[0];
    assert_eq!(
        (be.job.as_str(), be.backup_type.as_str()),
        ("BE job", "normal")
    );
    let paths: Vec<String> = c
        .entries(be.id)
        .unwrap()
        .iter()
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "\\\\server\\share\\Data\\Reports",
            "\\\\server\\share\\Data\\Reports\\q1.csv"
        ]
    );
    // Every entry's block and skip lead to its DBLK in the file it names.
    let media: Vec<(u32, u16, &str)> = vec![
        (0x0BE0_0001, 1, files[0]),
        (0x5350_414E, 1, files[1]),
        (0x5350_414E, 2, files[2]),
        (0x4E54_4258, 1, files[3]),
    ];
    let mut checked = 0;
    for set in c.sets().unwrap() {
        assert_eq!(set.status, backup_engine::catalog::SetStatus::Complete);
        for e in c.entries(set.id).unwrap() {
            let (_, _, name) = media
                .iter()
                .find(|(f, s, _)| *f == set.family && *s == e.sequence)
                .unwrap();
            let bytes = fs::read(fixture(name)).unwrap();
            let at = usize::try_from(e.block * 1024 + e.skip).unwrap();
            let Ok(Decoded::Complete { value, .. }) = decode_dblk(&bytes[at..]) else {
                panic!("no DBLK for {}", String::from_utf8_lossy(&e.path));
            };
            assert_eq!(value.header.fla, e.fla);
            checked += 1;
        }
    }
    assert!(checked >= 12, "{checked}");
    let spanning = c.sets_of_family(0x5350_414E).unwrap();
    assert_eq!(
        spanning
            .iter()
            .map(|s| (s.first_sequence, s.last_sequence))
            .collect::<Vec<_>>(),
        [(1, 2), (2, 2)]
    );

    // A file cut short: its set continues on a medium that is not there.
    let c = Catalog::in_memory().unwrap();
    let report = rebuild_files(&c, &["truncated.bkf"]);
    let set = &report.families[0].sets[0];
    assert_eq!(set.ending, Ending::ContinuesOn(2));
    assert_eq!(set.status, backup_engine::catalog::SetStatus::Incomplete);
    assert!(
        report.warnings.iter().any(|w| w.contains("media #2")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn a_set_closed_early_is_rebuilt_with_its_status() {
    // An early-warning zone that leaves room to close the set (ESET, catalog) on the full medium.
    let mut lab = Lab::with_early_warning(2, 192 << 10);
    tree::make(&lab.src(), 3 << 20, 3);
    let (report, _) = lab.run_backup("short", BackupType::Normal, true);
    assert!(matches!(report.outcome, BackupOutcome::Stopped(_)) && report.closed_early);
    let before = answers(&lab.catalog);
    assert_eq!(before.sets[0].status, "Incomplete");
    lab.lose_catalog();
    let (rebuilt, _) = lab.rebuild(true);
    let set = &rebuilt.families[0].sets[0];
    assert_eq!(set.ending, Ending::ClosedEarly, "{rebuilt:#?}");
    let mut after = answers(&lab.catalog);
    let mut want = match rebuilt.families[0].method {
        Method::TapeCatalog => as_tape_catalog_sees(before),
        Method::Scan => before,
    };
    // The backup counts the bytes of the chunks it finished pushing; the tape holds part of the
    // file it was writing when it stopped (the whole file, as the tape catalog lists it).
    let (got, counted) = (after.sets[0].bytes, want.sets[0].bytes);
    assert!(
        (counted..=counted + 777_777).contains(&got),
        "{got} bytes on tape, {counted} counted by the backup"
    );
    after.sets[0].bytes = 0;
    want.sets[0].bytes = 0;
    same(&after, &want);
}

#[test]
fn rebuilding_from_part_of_a_family_keeps_the_fuller_record() {
    let lab = Lab::new(8);
    tree::make(&lab.src(), 2_200_000, 6);
    lab.backup("job", BackupType::Normal, true);
    fs::write(lab.src().join("more.txt"), b"more").unwrap();
    lab.backup("other", BackupType::Normal, true);
    let before = answers(&lab.catalog);
    let family = before.sets[0].key.0;
    let media = lab.catalog.media(family).unwrap();
    assert!(media.len() >= 3);
    // Only the middle cartridge: the set's start and end are elsewhere.
    let middle = vec![media[1].barcode.clone().unwrap()];
    let (report, _) = lab.rebuild_into(&lab.catalog, middle, true);
    let f = &report.families[0];
    assert_eq!(f.method, Method::Scan);
    assert!(f.sets.iter().all(|s| s.kept), "{f:#?}");
    assert_eq!(
        answers(&lab.catalog),
        before,
        "nothing changed, other families untouched"
    );
}

#[test]
fn the_tape_in_a_stand_alone_drive_is_read_through_its_catalog() {
    let mut lab = Lab::new(6);
    tree::make(&lab.src(), 300_000, 8);
    lab.backup("one", BackupType::Normal, true);
    let before = answers(&lab.catalog);
    assert_eq!(before.media.len(), 1);
    lab.lose_catalog();
    // No changer: the tape left in the drive, and nothing else.
    let mut drive = crate::rebuild::Counting::new(lab.lib.drive(0).unwrap());
    let mut events = EventLog::default();
    let report = run_rebuild(
        &RebuildJob::new("rebuild", RebuildMedia::InOrder { count: 1 }),
        RebuildContext {
            drive: &mut drive,
            policy: &mut PolicyChain::new().then(backup_engine::policy::AbortPolicy),
            clock: &lab.clock,
            events: &mut events,
            catalog: &lab.catalog,
        },
    )
    .unwrap();
    assert_eq!(report.families.len(), 1, "{report:#?}");
    assert_eq!(
        report.families[0].method,
        Method::TapeCatalog,
        "{report:#?}"
    );
    same(&answers(&lab.catalog), &as_tape_catalog_sees(before));
}
