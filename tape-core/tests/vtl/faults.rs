//! Injected faults and protections.

use tape_core::vtl::{CartridgeFaults, DriveFaults, InsertSource};
use tape_core::{BlockAddress, DeviceError, MediumKind, ReadStatus, TapeDrive, WriteStatus};

use crate::{library, pattern};

#[test]
fn medium_errors_on_write_and_read_at_an_exact_record() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    let tag = lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut faults = CartridgeFaults::default();
    faults.write_error_at = Some(2);
    faults.read_error_at = Some(1);
    lib.set_cartridge_faults(&tag, faults).unwrap();
    let mut drive = lib.drive(0).unwrap();
    let _ = drive.write_block(&pattern(10, 0)).unwrap();
    let _ = drive.write_block(&pattern(10, 1)).unwrap();
    match drive.write_block(&pattern(10, 2)) {
        Err(DeviceError::MediumError { block: Some(2), .. }) => {}
        other => panic!("expected a write medium error, got {other:?}"),
    }
    assert_eq!(
        drive.position().unwrap(),
        BlockAddress(2),
        "nothing written"
    );
    drive.rewind().unwrap();
    let mut buf = [0; 64];
    assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::Data(10));
    assert!(matches!(
        drive.read_block(&mut buf),
        Err(DeviceError::MediumError { block: Some(1), .. })
    ));
    assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::EndOfData);
}

#[test]
fn early_warning_and_physical_end_at_exact_records() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    let tag = lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut faults = CartridgeFaults::default();
    faults.early_warning_at = Some(3);
    faults.physical_end_at = Some(5);
    lib.set_cartridge_faults(&tag, faults).unwrap();
    let mut drive = lib.drive(0).unwrap();
    let got: Vec<_> = (0..6)
        .map(|i| {
            drive
                .write_block(&pattern(10, i))
                .map_err(|e| e.to_string())
        })
        .collect();
    assert_eq!(
        got[..3],
        [
            Ok(WriteStatus::Written),
            Ok(WriteStatus::Written),
            Ok(WriteStatus::Written)
        ]
    );
    assert_eq!(
        got[3..5],
        [Ok(WriteStatus::EarlyWarning), Ok(WriteStatus::EarlyWarning)]
    );
    assert!(got[5].as_ref().unwrap_err().contains("physical end"));
}

#[test]
fn physical_end_can_come_without_early_warning() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    let tag = lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut faults = CartridgeFaults::default();
    faults.physical_end_at = Some(1);
    lib.set_cartridge_faults(&tag, faults).unwrap();
    let mut drive = lib.drive(0).unwrap();
    assert_eq!(drive.write_block(&[1; 10]).unwrap(), WriteStatus::Written);
    assert!(matches!(
        drive.write_block(&[2; 10]),
        Err(DeviceError::VolumeOverflow { written: 0 })
    ));
}

#[test]
fn write_protected_and_cleaning_cartridges_refuse_writes() {
    let (_dir, lib) = library(2, 1 << 20, 1 << 16);
    let tag = lib.insert(0, InsertSource::NextBlank).unwrap();
    lib.set_write_protect(&tag, true).unwrap();
    let mut drive = lib.drive(0).unwrap();
    assert!(matches!(
        drive.write_block(&[1]),
        Err(DeviceError::WriteProtected)
    ));
    assert!(matches!(
        drive.write_filemarks(1),
        Err(DeviceError::WriteProtected)
    ));
    assert!(drive.status().unwrap().medium.unwrap().write_protected);
    lib.set_write_protect(&tag, false).unwrap();
    assert_eq!(
        drive.write_block(&[1]).unwrap(),
        WriteStatus::Written,
        "tab cleared"
    );
    drive.unload().unwrap();
    drop(drive);
    lib.eject(0, false).unwrap();
    let cleaning = lib
        .add_cartridges(1, MediumKind::Cleaning)
        .unwrap()
        .remove(0);
    assert!(cleaning.is_cleaning());
    lib.insert(0, InsertSource::Barcode(cleaning)).unwrap();
    let mut drive = lib.drive(0).unwrap();
    assert!(matches!(
        drive.write_block(&[1]),
        Err(DeviceError::IncompatibleMedium(_))
    ));
    assert_eq!(
        drive.status().unwrap().medium.unwrap().kind,
        MediumKind::Cleaning
    );
}

#[test]
fn a_drive_that_is_not_ready_says_so() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut faults = DriveFaults::default();
    faults.not_ready = true;
    lib.set_drive_faults(0, faults).unwrap();
    let mut drive = lib.drive(0).unwrap();
    assert!(matches!(
        drive.write_block(&[1]),
        Err(DeviceError::NotReady(_))
    ));
    let status = drive.status().unwrap();
    assert!(!status.ready && status.not_ready_reason.unwrap().contains("not ready"));
    lib.set_drive_faults(0, DriveFaults::default()).unwrap();
    assert_eq!(
        drive.write_block(&[1]).unwrap(),
        WriteStatus::Written,
        "fault cleared by another handle"
    );
}
