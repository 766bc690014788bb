//! SMC (media changer) commands, scsi-tape.md §5.1: MOVE MEDIUM, READ ELEMENT STATUS,
//! INITIALIZE ELEMENT STATUS and MODE SENSE of the element address assignment page.

use super::spc::{PageControl, mode_sense6};
use super::{Cdb, CdbError, be24};

/// MOVE MEDIUM (A5h), 12 bytes: `A5 00 transport(2) source(2) destination(2) 00 00 INVERT 00`.
pub fn move_medium(transport: u16, source: u16, destination: u16, invert: bool) -> Cdb {
    let t = transport.to_be_bytes();
    let s = source.to_be_bytes();
    let d = destination.to_be_bytes();
    Cdb::from_array([
        0xa5,
        0,
        t[0],
        t[1],
        s[0],
        s[1],
        d[0],
        d[1],
        0,
        0,
        u8::from(invert),
        0,
    ])
}

/// The element type code of READ ELEMENT STATUS (0 = all types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementTypeCode {
    /// All element types (0). Avoid: some changers answer it wrongly (§5.4 rule 4).
    All = 0,
    /// Medium transport (1).
    Transport = 1,
    /// Storage slot (2).
    Storage = 2,
    /// Import/export (3).
    ImportExport = 3,
    /// Data transfer (drive) (4).
    Drive = 4,
}

/// Arguments of READ ELEMENT STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadElementStatus {
    /// Which element type.
    pub element_type: ElementTypeCode,
    /// Report volume tags (barcodes).
    pub volume_tags: bool,
    /// First element address to report.
    pub start: u16,
    /// Number of elements to report at most.
    pub count: u16,
    /// Report device identifiers of drives (DVCID).
    pub device_ids: bool,
    /// Report cached data only, without moving the robot (CURDATA).
    pub current_data: bool,
    /// Allocation length; keep it ≤ 0xFFFF (§5.4 rule 1).
    pub alloc: u32,
}

/// READ ELEMENT STATUS (B8h), 12 bytes:
/// `B8 VOLTAG(b4)|type(b3..0) start(2) count(2) CURDATA(b1)|DVCID(b0) alloc(3) 00 00`.
pub fn read_element_status(args: ReadElementStatus) -> Result<Cdb, CdbError> {
    let [a0, a1, a2] = be24("ALLOCATION LENGTH", args.alloc)?;
    let s = args.start.to_be_bytes();
    let n = args.count.to_be_bytes();
    let voltag = if args.volume_tags { 0x10 } else { 0 };
    let flags = (u8::from(args.current_data) << 1) | u8::from(args.device_ids);
    Ok(Cdb::from_array([
        0xb8,
        voltag | args.element_type as u8,
        s[0],
        s[1],
        n[0],
        n[1],
        flags,
        a0,
        a1,
        a2,
        0,
        0,
    ]))
}

/// INITIALIZE ELEMENT STATUS (07h): `07 00 00 00 00 00` (an inventory scan; can take long).
pub fn initialize_element_status() -> Cdb {
    Cdb::from_array([0x07, 0, 0, 0, 0, 0])
}

/// MODE SENSE(6) of page 1Dh, Element Address Assignment, without block descriptors (§5.2).
pub fn mode_sense_element_addresses(alloc: u8) -> Cdb {
    // Page 1Dh is below 40h, so the builder cannot fail.
    mode_sense6(true, PageControl::Current, 0x1d, 0, alloc)
        .unwrap_or_else(|_| Cdb::from_array([0x1a, 0x08, 0x1d, 0, alloc, 0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    // Expected bytes: SMC-3 CDB layouts as tabulated in scsi-tape.md §5.1.
    #[test]
    fn move_slot_to_drive() {
        // tgt's library of §9.2.2: transport 3, slot 4, drive 1.
        let c = move_medium(3, 4, 1, false);
        assert_eq!(c.as_bytes(), hex!("a5 00 00 03 00 04 00 01 00 00 00 00"));
        let c = move_medium(0, 0x1000, 0x0100, true);
        assert_eq!(c.as_bytes(), hex!("a5 00 00 00 10 00 01 00 00 00 01 00"));
    }

    #[test]
    fn read_element_status_per_type() {
        let args = ReadElementStatus {
            element_type: ElementTypeCode::Storage,
            volume_tags: true,
            start: 4,
            count: 1000,
            device_ids: false,
            current_data: false,
            alloc: 0xffff,
        };
        let c = read_element_status(args).unwrap();
        assert_eq!(c.as_bytes(), hex!("b8 12 00 04 03 e8 00 00 ff ff 00 00"));
        let dt = ReadElementStatus {
            element_type: ElementTypeCode::Drive,
            volume_tags: false,
            device_ids: true,
            current_data: true,
            ..args
        };
        let c = read_element_status(dt).unwrap();
        assert_eq!(c.as_bytes(), hex!("b8 04 00 04 03 e8 03 00 ff ff 00 00"));
        let too_big = ReadElementStatus {
            alloc: 0x100_0000,
            ..args
        };
        assert!(read_element_status(too_big).is_err());
    }

    #[test]
    fn initialize_and_mode_sense() {
        assert_eq!(
            initialize_element_status().as_bytes(),
            hex!("07 00 00 00 00 00")
        );
        assert_eq!(
            mode_sense_element_addresses(0xff).as_bytes(),
            hex!("1a 08 1d 00 ff 00")
        );
    }
}
