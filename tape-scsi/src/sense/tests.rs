//! Sense decoding against the captured bytes of scsi-tape.md §6.6 and synthetic edge cases.

use super::*;
use hex_literal::hex;

fn d(bytes: &[u8]) -> Sense {
    Sense::decode(bytes).unwrap()
}

#[test]
fn scsi_debug_early_warning() {
    let s = d(&hex!(
        "f0 00 40 00 00 10 00 0a 00 00 00 00 00 02 00 00 00 00"
    ));
    assert!(!s.descriptor_format && !s.deferred);
    assert_eq!((s.key, s.asc, s.ascq), (key::NO_SENSE, 0, 2));
    assert!(s.eom && !s.filemark && !s.ili);
    assert_eq!(s.information, Some(4096));
}

#[test]
fn scsi_debug_volume_overflow_write_and_filemarks() {
    let s = d(&hex!(
        "f0 00 4d 00 00 10 00 0a 00 00 00 00 00 02 00 00 00 00"
    ));
    assert_eq!(
        (s.key, s.eom, s.information),
        (key::VOLUME_OVERFLOW, true, Some(4096))
    );
    let s = d(&hex!(
        "f0 00 4d 00 00 00 01 0a 00 00 00 00 00 02 00 00 00 00"
    ));
    assert_eq!((s.key, s.information), (key::VOLUME_OVERFLOW, Some(1)));
}

#[test]
fn scsi_debug_eod_and_bop() {
    let s = d(&hex!(
        "f0 00 08 00 00 00 01 0a 00 00 00 00 00 05 00 00 00 00"
    ));
    assert_eq!(
        (s.key, s.asc, s.ascq, s.eom),
        (key::BLANK_CHECK, 0, 5, false)
    );
    assert_eq!(s.information, Some(1));
    let s = d(&hex!(
        "f0 00 40 00 00 00 01 0a 00 00 00 00 00 04 00 00 00 00"
    ));
    assert_eq!((s.key, s.ascq, s.eom, s.information), (0, 4, true, Some(1)));
}

#[test]
fn ili_positive_and_negative_information() {
    let s = d(&hex!(
        "f0 00 20 00 00 10 00 0a 00 00 00 00 00 00 00 00 00 00"
    ));
    assert!(s.ili);
    assert_eq!(s.information, Some(4096));
    let s = d(&hex!(
        "f0 00 20 ff ff f8 00 0a 00 00 00 00 00 00 00 00 00 00"
    ));
    assert_eq!(s.information, Some(-2048));
}

#[test]
fn descriptor_invalid_field_and_not_ready() {
    let s = d(&hex!("72 05 24 00 00 00 00 08 02 06 00 00 cd 00 02 00"));
    assert!(s.descriptor_format);
    assert_eq!((s.key, s.asc, s.ascq), (key::ILLEGAL_REQUEST, 0x24, 0));
    assert_eq!(s.key_specific, Some([0xcd, 0x00, 0x02]));
    assert_eq!(s.information, None);
    let s = d(&hex!("72 02 04 02 00 00 00 00"));
    assert_eq!((s.key, s.asc, s.ascq), (key::NOT_READY, 4, 2));
}

#[test]
fn tgt_eom_and_eod_have_no_information() {
    let s = d(&hex!(
        "70 00 40 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00"
    ));
    assert!(s.eom);
    assert_eq!((s.key, s.asc, s.ascq, s.information), (0, 0, 0, None));
    let s = d(&hex!(
        "70 00 48 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00"
    ));
    assert_eq!((s.key, s.eom), (key::BLANK_CHECK, true));
}

#[test]
fn descriptor_stream_and_information_descriptors() {
    // 72h, NO SENSE 00/01, information descriptor (VALID, -5) and stream descriptor FM|ILI.
    let bytes = hex!(
        "72 00 00 01 00 00 00 14"
        "00 0a 80 00 ff ff ff ff ff ff ff fb"
        "04 02 00 a0"
    );
    let s = d(&bytes);
    assert_eq!(s.information, Some(-5));
    assert!(s.filemark && s.ili && !s.eom);
    assert_eq!(s.ascq, 1);
}

#[test]
fn descriptor_without_valid_bit_has_no_information() {
    let bytes = hex!("72 00 00 00 00 00 00 0c 00 0a 00 00 00 00 00 00 00 00 00 07");
    assert_eq!(d(&bytes).information, None);
}

#[test]
fn deferred_errors() {
    assert!(d(&hex!("71 00 03 00 00 00 00 0a 00 00 00 00 0c 00")).deferred);
    assert!(d(&hex!("73 03 0c 00 00 00 00 00")).deferred);
}

#[test]
fn additional_length_limits_fields() {
    // Additional length 0: ASC/ASCQ beyond it read as zero even if bytes follow.
    let s = d(&hex!("70 00 05 00 00 00 00 00 00 00 00 00 24 00"));
    assert_eq!((s.key, s.asc), (5, 0));
    // Only three bytes: key and flags, nothing else.
    let s = d(&hex!("f0 00 41"));
    assert_eq!((s.key, s.eom, s.information), (1, true, None));
}

#[test]
fn rejects_garbage() {
    assert_eq!(Sense::decode(&[]), Err(SenseError::Truncated { len: 0 }));
    assert_eq!(
        Sense::decode(&[0x70, 0]),
        Err(SenseError::Truncated { len: 2 })
    );
    assert_eq!(
        Sense::decode(&[0x72, 0, 0]),
        Err(SenseError::Truncated { len: 3 })
    );
    assert_eq!(
        Sense::decode(&[0x7f, 0, 0, 0]),
        Err(SenseError::ResponseCode(0x7f))
    );
    assert_eq!(Sense::decode(&[0x00; 18]), Err(SenseError::ResponseCode(0)));
}

#[test]
fn display_names_flags() {
    let s = d(&hex!(
        "f0 00 40 00 00 10 00 0a 00 00 00 00 00 02 00 00 00 00"
    ));
    assert_eq!(s.to_string(), "key 0x0 00/02 EOM info 4096");
}

proptest::proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
        let _ = Sense::decode(&bytes);
    }

    #[test]
    fn descriptor_loop_terminates(mut bytes in proptest::collection::vec(proptest::num::u8::ANY, 8..300)) {
        bytes[0] = 0x72;
        let _ = Sense::decode(&bytes);
    }
}
