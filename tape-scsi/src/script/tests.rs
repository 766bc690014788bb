//! The script interface: parsers on sample output, and a whole changer driven through a small
//! `mtx-changer`-compatible shell script that keeps its library in a temporary directory.

use super::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn parses_listall() {
    let out = "D:0:F:3:VOL003\nD:1:E\nS:1:F:VOL001\nS:2:E\nS:3:E\nI:4:F:CLN001\n";
    let listed = parse_listall(out).unwrap();
    assert_eq!(listed.len(), 6);
    assert_eq!(
        listed[0],
        Listed::Drive {
            index: 0,
            source: Some(3),
            barcode: Some("VOL003".into())
        }
    );
    assert_eq!(kind_of(&listed[5]), ElementKind::ImportExport);
    let e = parse::to_elements(&listed);
    let drive0 = e
        .iter()
        .find(|e| e.address == ElementAddress(DRIVE_BASE))
        .unwrap();
    assert_eq!(
        (drive0.full, drive0.source),
        (true, Some(ElementAddress(3)))
    );
    let ie = e
        .iter()
        .find(|e| e.kind == ElementKind::ImportExport)
        .unwrap();
    assert_eq!((ie.number, ie.address), (1, ElementAddress(4)));
    assert!(parse_listall("X:1:E").is_err());
    assert!(parse_listall("S:x:E").is_err());
}

#[test]
fn parses_list_and_numbers() {
    let full = parse_list("1:VOL001\n3:\n\n").unwrap();
    assert_eq!(full, vec![(1, Some("VOL001".into())), (3, None)]);
    assert!(parse_list("one:VOL").is_err());
    let slots = parse::storage_from_list(3, &full);
    assert!(matches!(
        slots[1],
        Listed::Slot {
            slot: 2,
            full: false,
            ..
        }
    ));
    assert_eq!(parse_number("24\n"), Some(24));
    assert_eq!(parse_number(" Slots=8"), Some(8));
    assert_eq!(parse_number("none"), None);
}

const SCRIPT: &str = r#"#!/bin/sh
# mtx-changer interface over a directory: slotN holds a barcode, driveN holds "slot barcode".
dir=$1 cmd=$2 slot=$3 dev=$4 drive=$5
case $cmd in
  slots) echo 3 ;;
  loaded) if [ -f $dir/drive$drive ]; then cut -d' ' -f1 $dir/drive$drive; else echo 0; fi ;;
  list) for s in 1 2 3; do [ -f $dir/slot$s ] && echo "$s:$(cat $dir/slot$s)"; done; true ;;
  listall)
    [ -f $dir/no-listall ] && exit 1
    if [ -f $dir/drive0 ]; then set -- $(cat $dir/drive0); echo "D:0:F:$1:$2"; else echo "D:0:E"; fi
    for s in 1 2 3; do if [ -f $dir/slot$s ]; then echo "S:$s:F:$(cat $dir/slot$s)"; else echo "S:$s:E"; fi; done ;;
  load)
    [ -f $dir/slot$slot ] || { echo "slot $slot empty" >&2; exit 1; }
    echo "$slot $(cat $dir/slot$slot)" > $dir/drive$drive; rm $dir/slot$slot ;;
  unload)
    [ -f $dir/slot$slot ] && { echo "slot $slot full" >&2; exit 1; }
    set -- $(cat $dir/drive$drive); echo $2 > $dir/slot$slot; rm $dir/drive$drive ;;
  transfer) mv $dir/slot$slot $dir/slot$dev ;;
  sleep) sleep 5 ;;
  *) echo "bad command $cmd" >&2; exit 2 ;;
esac
"#;

fn library() -> (tempfile::TempDir, ScriptChanger) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("mtx-changer");
    std::fs::write(&script, SCRIPT).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let state = dir.path().join("lib");
    std::fs::create_dir(&state).unwrap();
    std::fs::write(state.join("slot1"), "VOL001\n").unwrap();
    std::fs::write(state.join("slot2"), "VOL002\n").unwrap();
    let changer = ScriptChanger::new(&script, state.display().to_string());
    (dir, changer)
}

#[test]
fn inventory_load_unload_transfer() {
    let (_dir, mut c) = library();
    let inv = c.inventory().unwrap();
    assert_eq!(
        inv.of_kind(ElementKind::Storage).filter(|e| e.full).count(),
        2
    );
    let vol1 = VolumeTagOf("VOL001");
    let slot1 = inv.find_volume(&vol1).unwrap().address;
    let drive = ElementAddress(DRIVE_BASE);
    c.move_medium(slot1, drive).unwrap();
    assert_eq!(c.loaded(0).unwrap(), Some(1));
    let inv = c.inventory().unwrap();
    let d = inv.at(drive).unwrap();
    assert_eq!((d.full, d.source), (true, Some(ElementAddress(1))));
    // Loading a full drive is refused before the script runs.
    let err = c.move_medium(ElementAddress(2), drive).unwrap_err();
    assert!(matches!(err, DeviceError::DestinationFull(_)));
    c.move_medium(drive, ElementAddress(3)).unwrap();
    assert_eq!(c.loaded(0).unwrap(), None);
    let err = c.move_medium(drive, ElementAddress(1)).unwrap_err();
    assert!(matches!(err, DeviceError::SourceEmpty(_)));
    c.move_medium(ElementAddress(3), ElementAddress(1)).unwrap();
    let inv = c.inventory().unwrap();
    assert!(inv.at(ElementAddress(1)).unwrap().full && !inv.at(ElementAddress(3)).unwrap().full);
}

#[allow(non_snake_case)]
fn VolumeTagOf(s: &str) -> tape_core::VolumeTag {
    tape_core::VolumeTag::new(s).unwrap()
}

#[test]
fn falls_back_to_list_without_listall() {
    let (dir, mut c) = library();
    std::fs::write(dir.path().join("lib/no-listall"), "").unwrap();
    let inv = c.inventory().unwrap();
    assert_eq!(inv.of_kind(ElementKind::Storage).count(), 3);
    assert_eq!(inv.of_kind(ElementKind::Drive).count(), 1);
    assert_eq!(
        inv.find(ElementKind::Storage, 2).unwrap().volume_tag,
        Some(VolumeTagOf("VOL002"))
    );
}

#[test]
fn failures_are_typed() {
    let (_dir, mut c) = library();
    let err = c
        .move_medium(ElementAddress(3), ElementAddress(DRIVE_BASE))
        .unwrap_err();
    assert!(
        matches!(&err, DeviceError::Hardware(m) if m.contains("slot 3 empty")),
        "{err}"
    );
    let err = c
        .move_medium(ElementAddress(DRIVE_BASE), ElementAddress(DRIVE_BASE + 1))
        .unwrap_err();
    assert!(matches!(err, DeviceError::IllegalRequest(_)));
    let missing = ScriptChanger::new("/nonexistent/mtx-changer", "/dev/sg9");
    assert!(matches!(missing.slots(), Err(ScriptError::Spawn { .. })));
}

#[test]
fn slow_script_is_killed() {
    let (_dir, c) = library();
    let c = c.with_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let err = c.call("sleep", 0, 0).unwrap_err();
    assert!(matches!(err, ScriptError::Timeout { .. }));
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(matches!(DeviceError::from(err), DeviceError::Busy(_)));
}
