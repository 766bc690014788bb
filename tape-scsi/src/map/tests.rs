//! One test per row of the decision table in scsi-tape.md §6.6, with the captured sense bytes
//! where the reference has them and synthetic fixed or descriptor sense otherwise.

use super::*;
use hex_literal::hex;

fn s(bytes: &[u8]) -> Sense {
    Sense::decode(bytes).unwrap()
}

/// Fixed-format sense with key, flags (FM/EOM/ILI bits of byte 2), ASC/ASCQ and INFORMATION.
fn fixed(key: u8, flags: u8, asc: u8, ascq: u8, info: Option<i32>) -> Sense {
    let mut b = [0u8; 18];
    b[0] = if info.is_some() { 0xf0 } else { 0x70 };
    b[2] = flags | key;
    b[3..7].copy_from_slice(&info.unwrap_or(0).to_be_bytes());
    b[7] = 10;
    b[12] = asc;
    b[13] = ascq;
    s(&b)
}

const FM: u8 = 0x80;
const EOM: u8 = 0x40;
const ILI: u8 = 0x20;

#[test]
fn row_read_filemark() {
    let sense = fixed(0, FM, 0, 1, Some(65536));
    assert_eq!(read(&sense, 65536, 0).unwrap(), ReadSense::Filemark);
}

#[test]
fn row_read_and_space_end_of_data() {
    let sense = s(&hex!(
        "f0 00 08 00 00 00 01 0a 00 00 00 00 00 05 00 00 00 00"
    ));
    assert_eq!(read(&sense, 4096, 0).unwrap(), ReadSense::EndOfData);
    assert_eq!(
        space(&sense, 1).unwrap(),
        SpaceStatus::EndOfData { remaining: 1 }
    );
}

#[test]
fn row_tgt_end_of_data_with_eom_and_no_asc() {
    let sense = s(&hex!(
        "70 00 48 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00"
    ));
    assert_eq!(read(&sense, 4096, 0).unwrap(), ReadSense::EndOfData);
    assert_eq!(
        space(&sense, 3).unwrap(),
        SpaceStatus::EndOfData { remaining: 3 }
    );
}

#[test]
fn row_space_backwards_hits_beginning() {
    let sense = s(&hex!(
        "f0 00 40 00 00 00 01 0a 00 00 00 00 00 04 00 00 00 00"
    ));
    let st = space(&sense, -1).unwrap();
    assert_eq!(st, SpaceStatus::BeginningOfMedium { remaining: 1 });
}

#[test]
fn row_space_blocks_meets_filemark() {
    let sense = fixed(0, FM, 0, 1, Some(-3));
    assert_eq!(
        space(&sense, -5).unwrap(),
        SpaceStatus::Filemark { remaining: 3 }
    );
    let sense = fixed(0, FM, 0, 1, Some(2));
    assert_eq!(
        space(&sense, 7).unwrap(),
        SpaceStatus::Filemark { remaining: 2 }
    );
}

#[test]
fn row_write_early_warning_real_drive() {
    // Quantum LTO-4: NO SENSE, EOM, 00/02, INFORMATION 0: the data were written.
    let sense = fixed(0, EOM, 0, 2, Some(0));
    assert_eq!(write(&sense).unwrap(), WriteSense::EarlyWarning);
}

#[test]
fn row_write_early_warning_scsi_debug_capture() {
    let sense = s(&hex!(
        "f0 00 40 00 00 10 00 0a 00 00 00 00 00 02 00 00 00 00"
    ));
    assert_eq!(write(&sense).unwrap(), WriteSense::EarlyWarning);
}

#[test]
fn row_write_early_warning_tgt() {
    let sense = s(&hex!(
        "70 00 40 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00"
    ));
    assert_eq!(write(&sense).unwrap(), WriteSense::EarlyWarning);
}

#[test]
fn row_write_programmable_early_warning() {
    let sense = fixed(0, 0, 0, 7, None);
    assert_eq!(write(&sense).unwrap(), WriteSense::EarlyWarning);
}

#[test]
fn row_write_physical_end() {
    let sense = s(&hex!(
        "f0 00 4d 00 00 10 00 0a 00 00 00 00 00 02 00 00 00 00"
    ));
    let w = write(&sense).unwrap();
    assert_eq!(
        w,
        WriteSense::PhysicalEnd {
            not_written: Some(4096)
        }
    );
}

#[test]
fn row_write_filemarks_physical_end() {
    let sense = s(&hex!(
        "f0 00 4d 00 00 00 01 0a 00 00 00 00 00 02 00 00 00 00"
    ));
    let w = write(&sense).unwrap();
    assert_eq!(
        w,
        WriteSense::PhysicalEnd {
            not_written: Some(1)
        }
    );
}

#[test]
fn row_read_short_block() {
    let sense = s(&hex!(
        "f0 00 20 00 00 10 00 0a 00 00 00 00 00 00 00 00 00 00"
    ));
    assert_eq!(read(&sense, 8192, 4096).unwrap(), ReadSense::Data(4096));
}

#[test]
fn row_read_long_block() {
    let sense = s(&hex!(
        "f0 00 20 ff ff f8 00 0a 00 00 00 00 00 00 00 00 00 00"
    ));
    let r = read(&sense, 2048, 2048).unwrap();
    assert_eq!(
        r,
        ReadSense::TooLarge {
            block_len: Some(4096)
        }
    );
}

#[test]
fn row_read_ili_without_information_uses_residual() {
    let sense = fixed(0, ILI, 0, 0, None);
    assert_eq!(read(&sense, 1000, 600).unwrap(), ReadSense::Data(600));
    let r = read(&sense, 1000, 1000).unwrap();
    assert_eq!(r, ReadSense::TooLarge { block_len: None });
}

#[test]
fn row_recovered_error_is_success() {
    let sense = fixed(1, 0, 0x17, 0x01, None);
    assert_eq!(write(&sense).unwrap(), WriteSense::Written);
    assert_eq!(read(&sense, 512, 512).unwrap(), ReadSense::Data(512));
    assert_eq!(space(&sense, 4).unwrap(), SpaceStatus::Done);
}

#[test]
fn row_not_ready_becoming_ready_is_retried() {
    let sense = fixed(2, 0, 4, 1, None);
    assert_eq!(retry(&sense), Some(Retry::BecomingReady));
    assert!(matches!(error(&sense), DeviceError::NotReady(_)));
}

#[test]
fn row_not_ready_needs_load() {
    let sense = s(&hex!("72 02 04 02 00 00 00 00"));
    assert_eq!(retry(&sense), None);
    let e = error(&sense);
    assert!(matches!(&e, DeviceError::NotReady(m) if m.contains("initializing command")));
}

#[test]
fn row_no_medium() {
    let sense = fixed(2, 0, 0x3a, 0, None);
    assert!(matches!(error(&sense), DeviceError::NoMedium));
    assert!(matches!(write(&sense), Err(DeviceError::NoMedium)));
}

#[test]
fn row_unit_attention_medium_changed_or_reset() {
    for (asc, ascq) in [(0x28, 0), (0x29, 0), (0x29, 2)] {
        let sense = fixed(6, 0, asc, ascq, None);
        assert!(matches!(error(&sense), DeviceError::MediumChanged { .. }));
        assert!(matches!(
            read(&sense, 1, 0),
            Err(DeviceError::MediumChanged { .. })
        ));
    }
}

#[test]
fn row_write_protected() {
    let sense = fixed(7, 0, 0x27, 0, None);
    assert!(matches!(write(&sense), Err(DeviceError::WriteProtected)));
}

#[test]
fn row_medium_and_positioning_errors() {
    for (asc, ascq) in [(0x11, 0), (0x0c, 0), (0x50, 0), (0x3b, 0), (0x14, 3)] {
        let sense = fixed(3, 0, asc, ascq, None);
        let e = read(&sense, 512, 0).unwrap_err();
        assert!(
            matches!(&e, DeviceError::MediumError { .. }),
            "{asc:x}/{ascq:x}: {e}"
        );
    }
}

#[test]
fn row_changer_errors() {
    let full = s(&hex!(
        "70 00 05 00 00 00 00 0a 00 00 00 00 3b 0d 00 00 00 00"
    ));
    assert!(matches!(error(&full), DeviceError::DestinationFull(_)));
    let empty = s(&hex!(
        "70 00 05 00 00 00 00 0a 00 00 00 00 3b 0e 00 00 00 00"
    ));
    assert!(matches!(error(&empty), DeviceError::SourceEmpty(_)));
    let bad = fixed(5, 0, 0x21, 1, None);
    assert!(matches!(error(&bad), DeviceError::NoSuchElement(_)));
    let field = fixed(5, 0, 0x24, 0, None);
    assert!(matches!(error(&field), DeviceError::IllegalRequest(_)));
    let prevented = fixed(5, 0, 0x53, 2, None);
    assert!(matches!(
        error(&prevented),
        DeviceError::RemovalPrevented(_)
    ));
}

#[test]
fn row_unsupported_command() {
    let sense = fixed(5, 0, 0x20, 0, None);
    let e = error(&sense);
    assert!(matches!(&e, DeviceError::IllegalRequest(m) if m.contains("invalid command")));
}

#[test]
fn other_keys() {
    assert!(matches!(
        error(&fixed(4, 0, 0x44, 0, None)),
        DeviceError::Hardware(_)
    ));
    assert!(matches!(
        error(&fixed(3, 0, 0x30, 3, None)),
        DeviceError::IncompatibleMedium(_)
    ));
    assert_eq!(retry(&fixed(0xb, 0, 0x47, 0, None)), Some(Retry::Aborted));
    match error(&fixed(0xb, 0, 0x47, 0, None)) {
        DeviceError::Sense(summary) => assert_eq!((summary.key, summary.asc), (0xb, 0x47)),
        other => panic!("{other}"),
    }
    assert!(matches!(
        error(&fixed(0xd, EOM, 0, 2, None)),
        DeviceError::VolumeOverflow { .. }
    ));
}

#[test]
fn deferred_sense_is_an_error_even_with_no_sense_key() {
    let sense = s(&hex!(
        "71 00 40 00 00 00 00 0a 00 00 00 00 00 02 00 00 00 00"
    ));
    assert!(write(&sense).is_err());
    assert!(read(&sense, 10, 0).is_err());
    assert!(space(&sense, 1).is_err());
}

#[test]
fn plain_success_sense_on_write() {
    assert_eq!(
        write(&fixed(0, 0, 0, 0, None)).unwrap(),
        WriteSense::Written
    );
}

#[test]
fn read_eom_without_data_is_end() {
    let sense = fixed(0, EOM, 0, 2, None);
    assert_eq!(read(&sense, 512, 0).unwrap(), ReadSense::EndOfData);
    assert_eq!(read(&sense, 512, 100).unwrap(), ReadSense::Data(100));
    assert_eq!(
        space(&sense, 3).unwrap(),
        SpaceStatus::EndOfData { remaining: 3 }
    );
}

#[test]
fn describe_names_meaning_and_codes() {
    let sense = fixed(5, 0, 0x3b, 0x0e, None);
    assert_eq!(
        describe(&sense),
        "medium source element empty (key 0x5 3B/0E)"
    );
    assert!(is_blank_check(&fixed(8, 0, 0, 5, None)));
    assert!(!is_blank_check(&fixed(0, 0, 0, 5, None)));
}
