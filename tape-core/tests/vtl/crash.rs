//! Crash safety: an image cut at any byte of its last record is detected on mount, reported,
//! and everything before that record reads back intact; a flipped bit is a medium error.

use std::fs;

use tape_core::vtl::InsertSource;
use tape_core::{DeviceError, ReadStatus, TapeDrive, WriteStatus};

use crate::{library, pattern};

const BLOCKS: [usize; 4] = [100, 37, 512, 61];

#[test]
fn truncating_the_last_record_anywhere_is_detected_and_earlier_records_survive() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    let tag = lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut drive = lib.drive(0).unwrap();
    for (i, len) in BLOCKS.iter().enumerate() {
        let _ = drive.write_block(&pattern(*len, i as u64)).unwrap();
    }
    drive.close().unwrap();
    let path = lib.image_path(&tag);
    let full = fs::read(&path).unwrap();
    let last_record = 16 + BLOCKS[3];
    let last_start = full.len() - last_record;
    for cut in last_start..full.len() {
        fs::write(&path, &full[..cut]).unwrap();
        let mut drive = lib.drive(0).unwrap();
        drive.rewind().unwrap();
        let status = drive.status().unwrap();
        let notice = status.medium.unwrap().notice;
        if cut == last_start {
            assert_eq!(
                notice, None,
                "a cut at a record boundary is a clean end of data"
            );
        } else {
            let notice = notice.unwrap_or_else(|| panic!("cut at {cut} not reported"));
            assert!(notice.contains("record 3 is damaged"), "{notice}");
        }
        let mut buf = vec![0; 1_000];
        for (i, len) in BLOCKS[..3].iter().enumerate() {
            assert_eq!(
                drive.read_block(&mut buf).unwrap(),
                ReadStatus::Data(*len),
                "cut {cut}"
            );
            assert_eq!(&buf[..*len], &pattern(*len, i as u64)[..]);
        }
        match drive.read_block(&mut buf) {
            Ok(ReadStatus::EndOfData) if cut == last_start => {}
            Err(DeviceError::MediumError { block: Some(3), .. }) if cut > last_start => {}
            other => panic!("cut {cut}: reading the torn record gave {other:?}"),
        }
        // Writing there replaces the damage; the tape is whole again.
        assert_eq!(
            drive.write_block(&pattern(5, 9)).unwrap(),
            WriteStatus::Written
        );
        assert_eq!(drive.status().unwrap().medium.unwrap().notice, None);
        drive.close().unwrap();
    }
}

#[test]
fn a_flipped_bit_in_recorded_data_is_a_medium_error_not_wrong_data() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    let tag = lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut drive = lib.drive(0).unwrap();
    for (i, len) in BLOCKS.iter().enumerate() {
        let _ = drive.write_block(&pattern(*len, i as u64)).unwrap();
    }
    drive.close().unwrap();
    let path = lib.image_path(&tag);
    let mut bytes = fs::read(&path).unwrap();
    let second_block_data = 64 + 16 + BLOCKS[0] + 16 + 5;
    bytes[second_block_data] ^= 0x10;
    fs::write(&path, &bytes).unwrap();
    let mut drive = lib.drive(0).unwrap();
    drive.rewind().unwrap();
    let mut buf = vec![0; 1_000];
    assert_eq!(
        drive.read_block(&mut buf).unwrap(),
        ReadStatus::Data(BLOCKS[0])
    );
    match drive.read_block(&mut buf) {
        Err(DeviceError::MediumError {
            block: Some(1),
            detail,
        }) => assert!(detail.contains("checksum")),
        other => panic!("expected a medium error, got {other:?}"),
    }
    // The drive moved past the bad block: the rest still reads.
    assert_eq!(
        drive.read_block(&mut buf).unwrap(),
        ReadStatus::Data(BLOCKS[2])
    );
}

#[test]
fn a_file_that_is_not_an_image_is_refused_clearly() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    let tag = lib.insert(0, InsertSource::NextBlank).unwrap();
    fs::write(lib.image_path(&tag), b"garbage that is not a cartridge").unwrap();
    let mut drive = lib.drive(0).unwrap();
    match drive.rewind() {
        Err(DeviceError::IncompatibleMedium(m)) => {
            assert!(m.contains("not a virtual cartridge image"))
        }
        other => panic!("expected IncompatibleMedium, got {other:?}"),
    }
    let status = drive.status().unwrap();
    assert!(!status.ready && status.not_ready_reason.is_some());
}

#[test]
fn a_state_file_a_killed_process_left_half_written_goes_at_the_next_change() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    // What a process killed between writing and renaming the state leaves behind.
    let stale = lib.dir().join("library.json.tmp.4194303");
    fs::write(&stale, b"{ \"half").unwrap();
    lib.insert(0, InsertSource::NextBlank).unwrap();
    assert!(!stale.exists(), "the stale temporary state file is removed");
    let names: Vec<String> = fs::read_dir(lib.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("library.json"))
        .collect();
    assert_eq!(names, ["library.json"]);
    tape_core::vtl::VirtualLibrary::open(lib.dir()).unwrap();
}
