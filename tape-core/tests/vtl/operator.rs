//! Stand-alone use: an operator inserts and ejects cartridges by hand.

use tape_core::vtl::{InsertSource, VirtualLibrary, VtlError};
use tape_core::{BlockAddress, DeviceError, MediumKind, TapeDrive, VolumeTag};

use crate::{library, pattern};

fn tag(s: &str) -> VolumeTag {
    VolumeTag::new(s).unwrap()
}

#[test]
fn next_blank_skips_written_and_protected_cartridges() {
    let (_dir, lib) = library(4, 1 << 20, 1 << 16);
    assert_eq!(
        lib.insert(0, InsertSource::NextBlank).unwrap(),
        tag("VT0001")
    );
    let mut d = lib.drive(0).unwrap();
    let _ = d.write_block(&[1, 2, 3]).unwrap();
    d.unload().unwrap();
    drop(d);
    lib.set_write_protect(&tag("VT0002"), true).unwrap();
    // The ejected VT0001 is taken out and put back home; VT0003 goes in.
    assert_eq!(
        lib.insert(0, InsertSource::NextBlank).unwrap(),
        tag("VT0003")
    );
    let status = lib.status().unwrap();
    assert_eq!(
        status.slots[0].cartridge.as_ref().unwrap().barcode,
        tag("VT0001")
    );
    assert!(!status.slots[0].cartridge.as_ref().unwrap().blank);
    assert!(status.slots[2].cartridge.is_none());
    assert_eq!(
        status.drives[0].cartridge.as_ref().unwrap().barcode,
        tag("VT0003")
    );
}

#[test]
fn inserting_into_an_idle_drive_swaps_but_a_drive_in_use_refuses() {
    let (_dir, lib) = library(2, 1 << 20, 1 << 16);
    lib.insert(0, InsertSource::NextBlank).unwrap();
    // Nobody uses the drive: the operator takes VT0001 out and puts VT0002 in.
    assert_eq!(
        lib.insert(0, InsertSource::Barcode(tag("VT0002"))).unwrap(),
        tag("VT0002")
    );
    let status = lib.status().unwrap();
    assert_eq!(
        status.slots[0].cartridge.as_ref().unwrap().barcode,
        tag("VT0001")
    );
    let drive = lib.drive(0).unwrap();
    match lib.insert(0, InsertSource::Barcode(tag("VT0001"))) {
        Err(VtlError::DriveInUse { drive: 0, pid }) => {
            assert_eq!(pid, std::process::id().to_string())
        }
        other => panic!("expected DriveInUse, got {other:?}"),
    }
    drop(drive);
    assert!(matches!(
        lib.insert(0, InsertSource::Barcode(tag("VT0099"))),
        Err(VtlError::NoSuchCartridge(_))
    ));
    assert!(matches!(
        lib.insert(3, InsertSource::NextBlank),
        Err(VtlError::NoSuchDrive { index: 3, count: 1 })
    ));
}

#[test]
fn eject_is_refused_while_another_handle_uses_the_loaded_drive_unless_forced() {
    let (_dir, lib) = library(2, 1 << 20, 1 << 16);
    lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut drive = lib.drive(0).unwrap();
    let _ = drive.write_block(&pattern(50, 3)).unwrap();
    assert!(matches!(
        lib.eject(0, false),
        Err(VtlError::DriveInUse { drive: 0, .. })
    ));
    assert_eq!(lib.eject(0, true).unwrap(), tag("VT0001"));
    // The job notices the tape is gone.
    assert!(matches!(
        drive.write_block(&[1]),
        Err(DeviceError::NoMedium)
    ));
}

#[test]
fn the_position_survives_closing_the_drive_and_is_unknown_after_a_crash() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    lib.insert(0, InsertSource::NextBlank).unwrap();
    let mut drive = lib.drive(0).unwrap();
    for i in 0..3 {
        let _ = drive.write_block(&pattern(10, i)).unwrap();
    }
    drive.close().unwrap();
    let mut drive = lib.drive(0).unwrap();
    assert_eq!(drive.position().unwrap(), BlockAddress(3));
    drive.close().unwrap();
    // Simulate a process that died holding the drive: its session marker is left behind.
    let state_path = lib.dir().join("library.json");
    let text = std::fs::read_to_string(&state_path).unwrap();
    std::fs::write(
        &state_path,
        text.replace("\"session\": null", "\"session\": 4242"),
    )
    .unwrap();
    let mut drive = lib.drive(0).unwrap();
    assert!(matches!(drive.position(), Err(DeviceError::PositionLost)));
    drive.rewind().unwrap();
    assert_eq!(drive.position().unwrap(), BlockAddress(0));
}

#[test]
fn add_creates_slots_when_full_and_barcodes_stay_unique() {
    let (_dir, lib) = library(2, 1 << 20, 1 << 16);
    let added = lib.add_cartridges(3, MediumKind::Data).unwrap();
    assert_eq!(added, vec![tag("VT0003"), tag("VT0004"), tag("VT0005")]);
    let status = lib.status().unwrap();
    assert_eq!(status.slots.len(), 5);
    assert!(
        status
            .slots
            .iter()
            .all(|s| s.cartridge.as_ref().is_some_and(|c| c.blank))
    );
}

#[test]
fn creating_over_a_nonempty_directory_or_opening_a_non_library_is_refused() {
    let (dir, lib) = library(1, 1 << 20, 1 << 16);
    let again = VirtualLibrary::create(lib.dir(), &Default::default());
    assert!(matches!(again, Err(VtlError::AlreadyExists(_))));
    assert!(matches!(
        VirtualLibrary::open(dir.path()),
        Err(VtlError::NotALibrary(_))
    ));
    std::fs::write(lib.dir().join("library.json"), "{ not json").unwrap();
    match VirtualLibrary::open(lib.dir()) {
        Err(VtlError::CorruptState { detail, .. }) => assert!(!detail.is_empty()),
        other => panic!("expected CorruptState, got {other:?}"),
    }
}
