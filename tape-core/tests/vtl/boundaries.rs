//! Early warning and physical end at exact byte boundaries (records cost length + 16).

use tape_core::vtl::InsertSource;
use tape_core::{BlockAddress, DeviceError, ReadStatus, TapeDrive, WriteStatus};

use crate::{library, pattern};

/// Capacity 10 000, early-warning zone 2 000: the zone starts at 8 000 bytes used.
fn loaded() -> (tempfile::TempDir, tape_core::vtl::VirtualDrive) {
    let (dir, lib) = library(2, 10_000, 2_000);
    lib.insert(0, InsertSource::NextBlank).unwrap();
    (dir, lib.drive(0).unwrap())
}

#[test]
fn early_warning_starts_exactly_at_the_zone_and_physical_end_refuses_the_block() {
    let (_dir, mut drive) = loaded();
    let block = pattern(984, 1); // costs exactly 1 000
    for i in 0..7 {
        assert_eq!(
            drive.write_block(&block).unwrap(),
            WriteStatus::Written,
            "block {i}"
        );
    }
    // 8 000 used after this one: the zone starts here.
    assert_eq!(
        drive.write_block(&block).unwrap(),
        WriteStatus::EarlyWarning
    );
    // Writing past early warning succeeds, reporting it every time, up to the physical end.
    assert_eq!(
        drive.write_block(&block).unwrap(),
        WriteStatus::EarlyWarning
    );
    assert_eq!(
        drive.write_block(&block).unwrap(),
        WriteStatus::EarlyWarning
    ); // exactly 10 000
    assert!(matches!(
        drive.write_block(&[1]),
        Err(DeviceError::VolumeOverflow { written: 0 })
    ));
    assert!(matches!(
        drive.write_filemarks(1),
        Err(DeviceError::VolumeOverflow { written: 0 })
    ));
    // The refused block is not on tape: 10 blocks, then end of data.
    assert_eq!(drive.position().unwrap(), BlockAddress(10));
    drive.rewind().unwrap();
    let mut buf = vec![0; 2_000];
    for _ in 0..10 {
        assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::Data(984));
        assert_eq!(&buf[..984], &block[..]);
    }
    assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::EndOfData);
}

#[test]
fn one_byte_below_the_zone_is_not_early_warning_and_one_byte_over_capacity_is_refused() {
    let (_dir, mut drive) = loaded();
    assert_eq!(
        drive.write_block(&pattern(7_983, 2)).unwrap(),
        WriteStatus::Written
    ); // 7 999
    assert_eq!(drive.write_filemarks(1).unwrap(), WriteStatus::EarlyWarning); // 8 015
    // 1 985 left: a block of 1 970 costs 1 986.
    assert!(matches!(
        drive.write_block(&pattern(1_970, 3)),
        Err(DeviceError::VolumeOverflow { .. })
    ));
    assert_eq!(
        drive.write_block(&pattern(1_969, 3)).unwrap(),
        WriteStatus::EarlyWarning
    );
    let status = drive.status().unwrap();
    let capacity = status.medium.unwrap().capacity.unwrap();
    assert_eq!((capacity.used, capacity.remaining()), (10_000, 0));
}

#[test]
fn a_filemark_right_after_early_warning_succeeds_and_reads_back() {
    let (_dir, mut drive) = loaded();
    let block = pattern(8_000, 4);
    assert_eq!(
        drive.write_block(&block).unwrap(),
        WriteStatus::EarlyWarning
    );
    assert_eq!(drive.write_filemarks(1).unwrap(), WriteStatus::EarlyWarning);
    drive.rewind().unwrap();
    let mut buf = vec![0; 9_000];
    assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::Data(8_000));
    assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::Filemark);
    assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::EndOfData);
    assert_eq!(
        drive.read_block(&mut buf).unwrap(),
        ReadStatus::EndOfData,
        "repeats at EOD"
    );
}

#[test]
fn rewriting_after_early_warning_frees_the_space() {
    let (_dir, mut drive) = loaded();
    assert_eq!(
        drive.write_block(&pattern(8_500, 5)).unwrap(),
        WriteStatus::EarlyWarning
    );
    drive.rewind().unwrap();
    assert_eq!(
        drive.write_block(&pattern(100, 6)).unwrap(),
        WriteStatus::Written
    );
    let status = drive.status().unwrap();
    assert_eq!(status.medium.unwrap().capacity.unwrap().used, 116);
    let pos = status.position.unwrap();
    assert!(pos.at_end_of_data && !pos.beyond_early_warning);
}

#[test]
fn block_too_large_moves_past_it_and_can_be_reread() {
    let (_dir, mut drive) = loaded();
    let block = pattern(3_000, 7);
    let _ = drive.write_block(&block).unwrap();
    let _ = drive.write_block(&pattern(10, 8)).unwrap();
    drive.rewind().unwrap();
    let mut small = vec![0; 1_000];
    match drive.read_block(&mut small) {
        Err(DeviceError::BlockTooLarge {
            block_len: Some(3_000),
            buffer_len: 1_000,
        }) => {}
        other => panic!("expected BlockTooLarge, got {other:?}"),
    }
    assert_eq!(
        drive.position().unwrap(),
        BlockAddress(1),
        "st moves past the block"
    );
    assert_eq!(
        drive.space_blocks(-1).unwrap(),
        tape_core::SpaceStatus::Done
    );
    let mut big = vec![0; 4_000];
    assert_eq!(drive.read_block(&mut big).unwrap(), ReadStatus::Data(3_000));
    assert_eq!(&big[..3_000], &block[..]);
}

#[test]
fn locate_past_end_of_data_stops_at_end_of_data() {
    let (_dir, mut drive) = loaded();
    for i in 0..3 {
        let _ = drive.write_block(&pattern(10, i)).unwrap();
    }
    match drive.locate(BlockAddress(9)) {
        Err(DeviceError::BeyondEndOfData {
            requested: 9,
            end_of_data: 3,
        }) => {}
        other => panic!("expected BeyondEndOfData, got {other:?}"),
    }
    assert_eq!(drive.position().unwrap(), BlockAddress(3));
    drive.locate(BlockAddress(1)).unwrap();
    let mut buf = vec![0; 100];
    assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::Data(10));
    assert_eq!(&buf[..10], &pattern(10, 1)[..]);
}

#[test]
fn block_sizes_outside_the_limits_are_refused() {
    let (_dir, mut drive) = loaded();
    assert!(matches!(
        drive.write_block(&[]),
        Err(DeviceError::BlockSize { size: 0, .. })
    ));
    let caps = drive.capabilities();
    assert!(caps.max_block >= 1 << 20 && caps.hardware_filemarks);
}
