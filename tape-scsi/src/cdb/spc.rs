//! SPC commands shared by drives and changers (scsi-tape.md §4.1): TEST UNIT READY, INQUIRY,
//! REQUEST SENSE, MODE SENSE(6), MODE SELECT(6), LOG SENSE, PREVENT ALLOW MEDIUM REMOVAL.

use super::{Cdb, CdbError};

/// TEST UNIT READY (00h): `00 00 00 00 00 00`.
pub fn test_unit_ready() -> Cdb {
    Cdb::from_array([0x00, 0, 0, 0, 0, 0])
}

/// REQUEST SENSE (03h): `03 DESC 00 00 alloc 00`. `descriptor` asks for descriptor-format sense.
pub fn request_sense(descriptor: bool, alloc: u8) -> Cdb {
    Cdb::from_array([0x03, u8::from(descriptor), 0, 0, alloc, 0])
}

/// INQUIRY (12h): `12 EVPD page alloc(2) 00`; `page: None` is the standard inquiry data.
pub fn inquiry(page: Option<u8>, alloc: u16) -> Cdb {
    let [hi, lo] = alloc.to_be_bytes();
    let (evpd, code) = page.map_or((0, 0), |p| (1, p));
    Cdb::from_array([0x12, evpd, code, hi, lo, 0])
}

/// Page control field of MODE SENSE and LOG SENSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageControl {
    /// Current values (00b).
    Current = 0,
    /// Changeable-value mask (01b).
    Changeable = 1,
    /// Default values (10b).
    Default = 2,
    /// Saved values (11b).
    Saved = 3,
}

/// MODE SENSE(6) (1Ah): `1A DBD(b3) PC|page subpage alloc 00`.
pub fn mode_sense6(
    disable_block_descriptors: bool,
    control: PageControl,
    page: u8,
    subpage: u8,
    alloc: u8,
) -> Result<Cdb, CdbError> {
    if page > 0x3f {
        return Err(CdbError::FieldRange {
            field: "PAGE CODE",
            value: i64::from(page),
            max: 0x3f,
        });
    }
    let dbd = if disable_block_descriptors { 0x08 } else { 0 };
    let pc = (control as u8) << 6;
    Ok(Cdb::from_array([0x1a, dbd, pc | page, subpage, alloc, 0]))
}

/// MODE SELECT(6) (15h): `15 PF(b4)|SP(b0) 00 00 len 00`. PF=1 (pages follow the standard).
pub fn mode_select6(save_pages: bool, parameter_len: u8) -> Cdb {
    Cdb::from_array([0x15, 0x10 | u8::from(save_pages), 0, 0, parameter_len, 0])
}

/// LOG SENSE (4Dh): `4D SP PC|page subpage 00 param_ptr(2) alloc(2) 00`, always with page
/// control 01b, "current cumulative values" (log pages have no changeable mask, so
/// [`PageControl`] is the mode-page naming of the same two bits).
pub fn log_sense(page: u8, subpage: u8, alloc: u16) -> Result<Cdb, CdbError> {
    if page > 0x3f {
        return Err(CdbError::FieldRange {
            field: "PAGE CODE",
            value: i64::from(page),
            max: 0x3f,
        });
    }
    let [hi, lo] = alloc.to_be_bytes();
    let pc = 0x40;
    Ok(Cdb::from_array([
        0x4d,
        0,
        pc | page,
        subpage,
        0,
        0,
        0,
        hi,
        lo,
        0,
    ]))
}

/// PREVENT ALLOW MEDIUM REMOVAL (1Eh): `1E 00 00 00 prevent 00`.
pub fn prevent_allow_medium_removal(prevent: bool) -> Cdb {
    Cdb::from_array([0x1e, 0, 0, 0, u8::from(prevent), 0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    // Expected bytes: SPC-4 command layouts as tabulated in scsi-tape.md §4.1.
    #[test]
    fn tur() {
        assert_eq!(test_unit_ready().as_bytes(), hex!("00 00 00 00 00 00"));
    }

    #[test]
    fn request_sense_fixed_and_descriptor() {
        assert_eq!(
            request_sense(false, 252).as_bytes(),
            hex!("03 00 00 00 fc 00")
        );
        assert_eq!(
            request_sense(true, 32).as_bytes(),
            hex!("03 01 00 00 20 00")
        );
    }

    #[test]
    fn inquiry_standard_and_vpd() {
        assert_eq!(inquiry(None, 96).as_bytes(), hex!("12 00 00 00 60 00"));
        assert_eq!(
            inquiry(Some(0x80), 0x104).as_bytes(),
            hex!("12 01 80 01 04 00")
        );
    }

    #[test]
    fn mode_sense_compression_page() {
        let c = mode_sense6(false, PageControl::Current, 0x0f, 0, 0xff).unwrap();
        assert_eq!(c.as_bytes(), hex!("1a 00 0f 00 ff 00"));
        let c = mode_sense6(true, PageControl::Changeable, 0x1d, 0, 0x20).unwrap();
        assert_eq!(c.as_bytes(), hex!("1a 08 5d 00 20 00"));
        assert!(mode_sense6(false, PageControl::Current, 0x40, 0, 0).is_err());
    }

    #[test]
    fn mode_select() {
        assert_eq!(
            mode_select6(false, 28).as_bytes(),
            hex!("15 10 00 00 1c 00")
        );
        assert_eq!(mode_select6(true, 12).as_bytes(), hex!("15 11 00 00 0c 00"));
    }

    #[test]
    fn log_sense_tapealert() {
        let c = log_sense(0x2e, 0, 0x200).unwrap();
        assert_eq!(c.as_bytes(), hex!("4d 00 6e 00 00 00 00 02 00 00"));
    }

    #[test]
    fn prevent_allow() {
        assert_eq!(
            prevent_allow_medium_removal(true).as_bytes(),
            hex!("1e 00 00 00 01 00")
        );
        assert_eq!(
            prevent_allow_medium_removal(false).as_bytes(),
            hex!("1e 00 00 00 00 00")
        );
    }
}
