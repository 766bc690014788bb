//! The robot: inventory, moves, and how drives notice them.

use tape_core::{
    DeviceError, ElementKind, MediaChanger, ReadStatus, TapeDrive, VolumeTag, WriteStatus,
};

use crate::{library, pattern};

fn tag(s: &str) -> VolumeTag {
    VolumeTag::new(s).unwrap()
}

#[test]
fn inventory_lists_every_element_with_barcodes_and_home_slots() {
    let (_dir, lib) = library(4, 1 << 20, 1 << 16);
    let mut changer = lib.changer();
    let inv = changer.inventory().unwrap();
    assert_eq!(inv.of_kind(ElementKind::Drive).count(), 1);
    assert_eq!(inv.of_kind(ElementKind::Storage).count(), 4);
    assert_eq!(inv.of_kind(ElementKind::ImportExport).count(), 1);
    let slot3 = inv.find(ElementKind::Storage, 3).unwrap();
    assert_eq!(slot3.volume_tag, Some(tag("VT0003")));
    assert_eq!(slot3.source, Some(slot3.address), "home slot");
    assert!(!inv.find(ElementKind::Drive, 0).unwrap().full);
}

#[test]
fn load_write_unload_and_move_back_with_a_drive_handle_open() {
    let (_dir, lib) = library(3, 1 << 20, 1 << 16);
    let mut changer = lib.changer();
    let mut drive = lib.drive(0).unwrap();
    assert!(matches!(
        drive.write_block(&[1]),
        Err(DeviceError::NoMedium)
    ));
    let inv = changer.inventory().unwrap();
    let drive_el = inv.find(ElementKind::Drive, 0).unwrap().address;
    let slot2 = inv.find(ElementKind::Storage, 2).unwrap().address;
    changer.move_medium(slot2, drive_el).unwrap();
    // The drive noticed the new medium: the first positional command reports the change once.
    match drive.write_block(&[1]) {
        Err(DeviceError::MediumChanged { now }) => assert_eq!(now, "VT0002"),
        other => panic!("expected MediumChanged, got {other:?}"),
    }
    assert_eq!(
        drive.write_block(&pattern(100, 1)).unwrap(),
        WriteStatus::Written
    );
    // A threaded cartridge cannot be pulled out.
    assert!(matches!(
        changer.move_medium(drive_el, slot2),
        Err(DeviceError::RemovalPrevented(_))
    ));
    drive.unload().unwrap();
    changer.move_medium(drive_el, slot2).unwrap();
    assert!(drive.status().unwrap().medium.is_none());
    // Errors that mean the caller's inventory is stale.
    assert!(matches!(
        changer.move_medium(drive_el, slot2),
        Err(DeviceError::SourceEmpty(_))
    ));
    let slot1 = inv.find(ElementKind::Storage, 1).unwrap().address;
    assert!(matches!(
        changer.move_medium(slot1, slot2),
        Err(DeviceError::DestinationFull(_))
    ));
    assert!(matches!(
        changer.move_medium(tape_core::ElementAddress(0x7777), slot2),
        Err(DeviceError::NoSuchElement(_))
    ));
    // What was written is on the cartridge when it comes back.
    changer.move_medium(slot2, drive_el).unwrap();
    let _ = drive.rewind();
    let mut buf = [0; 200];
    assert_eq!(drive.read_block(&mut buf).unwrap(), ReadStatus::Data(100));
    assert_eq!(&buf[..100], &pattern(100, 1)[..]);
}

#[test]
fn only_one_process_handle_per_drive() {
    let (_dir, lib) = library(1, 1 << 20, 1 << 16);
    let first = lib.drive(0).unwrap();
    match lib.drive(0) {
        Err(DeviceError::Busy(m)) => assert!(m.contains(&std::process::id().to_string()), "{m}"),
        other => panic!("expected Busy, got {other:?}"),
    }
    drop(first);
    lib.drive(0).unwrap();
}
