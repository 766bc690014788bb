//! SSC (tape) commands, scsi-tape.md §4.1: READ(6), WRITE(6), WRITE FILEMARKS(6), SPACE(6),
//! REWIND, LOAD UNLOAD, READ POSITION, LOCATE(10), LOCATE(16), READ BLOCK LIMITS.

use super::{Cdb, CdbError, be24, be24_signed};

/// READ(6) (08h): `08 SILI(b1)|FIXED(b0) len(3) 00`. `len` counts blocks when `fixed`, else bytes.
pub fn read6(fixed: bool, sili: bool, len: u32) -> Result<Cdb, CdbError> {
    let [a, b, c] = be24("TRANSFER LENGTH", len)?;
    let flags = u8::from(fixed) | (u8::from(sili) << 1);
    Ok(Cdb::from_array([0x08, flags, a, b, c, 0]))
}

/// WRITE(6) (0Ah): `0A FIXED(b0) len(3) 00`.
pub fn write6(fixed: bool, len: u32) -> Result<Cdb, CdbError> {
    let [a, b, c] = be24("TRANSFER LENGTH", len)?;
    Ok(Cdb::from_array([0x0a, u8::from(fixed), a, b, c, 0]))
}

/// WRITE FILEMARKS(6) (10h): `10 IMMED(b0) count(3) 00`. Count 0 flushes the drive's buffer.
pub fn write_filemarks6(immediate: bool, count: u32) -> Result<Cdb, CdbError> {
    let [a, b, c] = be24("FILEMARK COUNT", count)?;
    Ok(Cdb::from_array([0x10, u8::from(immediate), a, b, c, 0]))
}

/// What SPACE counts (the CODE field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceCode {
    /// Logical blocks (0).
    Blocks = 0,
    /// Filemarks (1).
    Filemarks = 1,
    /// Sequential filemarks (2).
    SequentialFilemarks = 2,
    /// End of data (3); the count is ignored.
    EndOfData = 3,
}

/// SPACE(6) (11h): `11 code count(3, two's complement) 00`; negative counts space backwards.
pub fn space6(code: SpaceCode, count: i32) -> Result<Cdb, CdbError> {
    let [a, b, c] = be24_signed("COUNT", count)?;
    Ok(Cdb::from_array([0x11, code as u8, a, b, c, 0]))
}

/// REWIND (01h): `01 IMMED 00 00 00 00`.
pub fn rewind(immediate: bool) -> Cdb {
    Cdb::from_array([0x01, u8::from(immediate), 0, 0, 0, 0])
}

/// What LOAD UNLOAD does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadUnload {
    /// Load (1) or unload (0).
    pub load: bool,
    /// Retension.
    pub retension: bool,
    /// Unload at the end of the medium (EOT bit).
    pub end_of_tape: bool,
    /// Keep the medium in the drive (HOLD): thread or unthread without ejecting.
    pub hold: bool,
    /// Return before the operation completes.
    pub immediate: bool,
}

/// LOAD UNLOAD (1Bh): `1B IMMED 00 00 HOLD(b3)|EOT(b2)|RETEN(b1)|LOAD(b0) 00`.
pub fn load_unload(op: LoadUnload) -> Cdb {
    let flags = u8::from(op.load)
        | (u8::from(op.retension) << 1)
        | (u8::from(op.end_of_tape) << 2)
        | (u8::from(op.hold) << 3);
    Cdb::from_array([0x1b, u8::from(op.immediate), 0, 0, flags, 0])
}

/// READ POSITION service actions (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPositionForm {
    /// Short form, 20 bytes (00h).
    Short = 0x00,
    /// Long form, 32 bytes (06h).
    Long = 0x06,
    /// Extended form (08h).
    Extended = 0x08,
}

/// READ POSITION (34h), 10 bytes: `34 SA 00 00 00 00 00 alloc(2) 00`. The allocation length is
/// only used by the extended form and must be zero otherwise (SSC-3).
pub fn read_position(form: ReadPositionForm) -> Cdb {
    let alloc: u16 = if form == ReadPositionForm::Extended {
        32
    } else {
        0
    };
    let [hi, lo] = alloc.to_be_bytes();
    Cdb::from_array([0x34, form as u8, 0, 0, 0, 0, 0, hi, lo, 0])
}

/// LOCATE(10) (2Bh): `2B BT(b2)|CP(b1)|IMMED(b0) 00 block(4) 00 partition 00`. BT=0: logical
/// object identifiers. `partition: Some(p)` sets CP and changes to partition `p`.
pub fn locate10(block: u32, partition: Option<u8>, immediate: bool) -> Cdb {
    let cp = if partition.is_some() { 0x02 } else { 0 };
    let b = block.to_be_bytes();
    Cdb::from_array([
        0x2b,
        cp | u8::from(immediate),
        0,
        b[0],
        b[1],
        b[2],
        b[3],
        0,
        partition.unwrap_or(0),
        0,
    ])
}

/// The DEST_TYPE of LOCATE(16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocateDestination {
    /// A logical object (block or filemark) identifier (0).
    Object = 0,
    /// A logical file identifier, i.e. a filemark number (1).
    File = 1,
    /// End of data (3).
    EndOfData = 3,
}

/// LOCATE(16) (92h): `92 DEST_TYPE(b5..3)|CP(b1)|IMMED(b0) 00 partition id(8) 00 00 00 00`.
pub fn locate16(dest: LocateDestination, id: u64, partition: Option<u8>, immediate: bool) -> Cdb {
    let cp = if partition.is_some() { 0x02 } else { 0 };
    let mut c = [0u8; 16];
    c[0] = 0x92;
    c[1] = ((dest as u8) << 3) | cp | u8::from(immediate);
    c[3] = partition.unwrap_or(0);
    c[4..12].copy_from_slice(&id.to_be_bytes());
    Cdb::from_array(c)
}

/// READ BLOCK LIMITS (05h): `05 00 00 00 00 00`.
pub fn read_block_limits() -> Cdb {
    Cdb::from_array([0x05, 0, 0, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    // Expected bytes: SSC-3 CDB layouts as tabulated in scsi-tape.md §4.1.
    #[test]
    fn read_variable_and_fixed() {
        assert_eq!(
            read6(false, false, 0x4_0000).unwrap().as_bytes(),
            hex!("08 00 04 00 00 00")
        );
        assert_eq!(
            read6(true, false, 10).unwrap().as_bytes(),
            hex!("08 01 00 00 0a 00")
        );
        assert_eq!(
            read6(false, true, 4096).unwrap().as_bytes(),
            hex!("08 02 00 10 00 00")
        );
        assert!(read6(false, false, 0x100_0000).is_err());
    }

    #[test]
    fn write_variable_and_fixed() {
        assert_eq!(
            write6(false, 32768).unwrap().as_bytes(),
            hex!("0a 00 00 80 00 00")
        );
        assert_eq!(
            write6(true, 1).unwrap().as_bytes(),
            hex!("0a 01 00 00 01 00")
        );
        assert_eq!(
            write6(false, 0xff_ffff).unwrap().as_bytes(),
            hex!("0a 00 ff ff ff 00")
        );
    }

    #[test]
    fn write_filemarks() {
        assert_eq!(
            write_filemarks6(false, 1).unwrap().as_bytes(),
            hex!("10 00 00 00 01 00")
        );
        assert_eq!(
            write_filemarks6(true, 0).unwrap().as_bytes(),
            hex!("10 01 00 00 00 00")
        );
    }

    #[test]
    fn space_forward_backward_eod() {
        let c = space6(SpaceCode::Filemarks, 2).unwrap();
        assert_eq!(c.as_bytes(), hex!("11 01 00 00 02 00"));
        let c = space6(SpaceCode::Filemarks, -1).unwrap();
        assert_eq!(c.as_bytes(), hex!("11 01 ff ff ff 00"));
        let c = space6(SpaceCode::Blocks, -3).unwrap();
        assert_eq!(c.as_bytes(), hex!("11 00 ff ff fd 00"));
        assert_eq!(
            space6(SpaceCode::EndOfData, 0).unwrap().as_bytes(),
            hex!("11 03 00 00 00 00")
        );
        let c = space6(SpaceCode::SequentialFilemarks, 2).unwrap();
        assert_eq!(c.as_bytes(), hex!("11 02 00 00 02 00"));
    }

    #[test]
    fn rewind_and_load() {
        assert_eq!(rewind(false).as_bytes(), hex!("01 00 00 00 00 00"));
        assert_eq!(rewind(true).as_bytes(), hex!("01 01 00 00 00 00"));
        let load = LoadUnload {
            load: true,
            ..LoadUnload::default()
        };
        assert_eq!(load_unload(load).as_bytes(), hex!("1b 00 00 00 01 00"));
        assert_eq!(
            load_unload(LoadUnload::default()).as_bytes(),
            hex!("1b 00 00 00 00 00")
        );
        let hold = LoadUnload {
            load: false,
            hold: true,
            end_of_tape: true,
            retension: true,
            immediate: true,
        };
        assert_eq!(load_unload(hold).as_bytes(), hex!("1b 01 00 00 0e 00"));
    }

    #[test]
    fn read_position_forms() {
        let short = read_position(ReadPositionForm::Short);
        assert_eq!(short.as_bytes(), hex!("34 00 00 00 00 00 00 00 00 00"));
        let long = read_position(ReadPositionForm::Long);
        assert_eq!(long.as_bytes(), hex!("34 06 00 00 00 00 00 00 00 00"));
        let ext = read_position(ReadPositionForm::Extended);
        assert_eq!(ext.as_bytes(), hex!("34 08 00 00 00 00 00 00 20 00"));
    }

    #[test]
    fn locate() {
        let c = locate10(0x0001_0203, None, false);
        assert_eq!(c.as_bytes(), hex!("2b 00 00 00 01 02 03 00 00 00"));
        let c = locate10(5, Some(1), true);
        assert_eq!(c.as_bytes(), hex!("2b 03 00 00 00 00 05 00 01 00"));
        let c = locate16(LocateDestination::File, 3, None, false);
        assert_eq!(
            c.as_bytes(),
            hex!("92 08 00 00 00 00 00 00 00 00 00 03 00 00 00 00")
        );
        let c = locate16(LocateDestination::Object, 0x1_0000_0000, Some(2), false);
        assert_eq!(
            c.as_bytes(),
            hex!("92 02 00 02 00 00 00 01 00 00 00 00 00 00 00 00")
        );
        let c = locate16(LocateDestination::EndOfData, 0, None, true);
        assert_eq!(
            c.as_bytes(),
            hex!("92 19 00 00 00 00 00 00 00 00 00 00 00 00 00 00")
        );
    }

    #[test]
    fn block_limits() {
        assert_eq!(read_block_limits().as_bytes(), hex!("05 00 00 00 00 00"));
    }
}
