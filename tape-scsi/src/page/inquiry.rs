//! Standard INQUIRY data and the unit serial number VPD page 80h (SPC).

use super::{DecodeError, ascii, need};

/// Peripheral device type (INQUIRY byte 0, b4..0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeripheralType {
    /// Sequential-access device: a tape drive (01h).
    Tape,
    /// Medium changer (08h).
    Changer,
    /// Anything else, with its code.
    Other(u8),
}

impl PeripheralType {
    /// From the type code.
    pub fn from_code(code: u8) -> Self {
        match code & 0x1f {
            0x01 => Self::Tape,
            0x08 => Self::Changer,
            c => Self::Other(c),
        }
    }
}

/// The standard INQUIRY data a program shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
    /// Device type.
    pub device_type: PeripheralType,
    /// Removable medium (RMB).
    pub removable: bool,
    /// Vendor (bytes 8–15).
    pub vendor: String,
    /// Product (bytes 16–31).
    pub product: String,
    /// Revision (bytes 32–35).
    pub revision: String,
}

/// Decodes standard INQUIRY data (at least 36 bytes).
pub fn decode_inquiry(d: &[u8]) -> Result<Inquiry, DecodeError> {
    need("INQUIRY data", d, 36)?;
    Ok(Inquiry {
        device_type: PeripheralType::from_code(d[0]),
        removable: d[1] & 0x80 != 0,
        vendor: ascii(&d[8..16]),
        product: ascii(&d[16..32]),
        revision: ascii(&d[32..36]),
    })
}

/// Decodes VPD page 80h (unit serial number): byte 1 page code, 3 length, serial from 4.
pub fn decode_unit_serial(d: &[u8]) -> Result<String, DecodeError> {
    need("VPD page 80h", d, 4)?;
    if d[1] != 0x80 {
        return Err(DecodeError::Field {
            structure: "VPD page 80h",
            field: "PAGE CODE",
            value: u64::from(d[1]),
        });
    }
    let end = (4 + usize::from(d[3])).min(d.len());
    Ok(ascii(&d[4..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inquiry_bytes(kind: u8, vendor: &[u8; 8], product: &[u8; 16]) -> Vec<u8> {
        let mut d = vec![kind, 0x80, 5, 2, 31, 0, 0, 0];
        d.extend_from_slice(vendor);
        d.extend_from_slice(product);
        d.extend_from_slice(b"0191");
        d
    }

    #[test]
    fn scsi_debug_tape_and_tgt_changer() {
        let d = inquiry_bytes(0x01, b"Linux   ", b"scsi_debug      ");
        let i = decode_inquiry(&d).unwrap();
        assert_eq!(i.device_type, PeripheralType::Tape);
        assert_eq!(
            (i.vendor.as_str(), i.product.as_str()),
            ("Linux", "scsi_debug")
        );
        assert_eq!(i.revision, "0191");
        assert!(i.removable);
        let d = inquiry_bytes(0x08, b"IET     ", b"VIRTUAL-CHANGER ");
        assert_eq!(
            decode_inquiry(&d).unwrap().device_type,
            PeripheralType::Changer
        );
        assert!(decode_inquiry(&d[..35]).is_err());
        assert_eq!(PeripheralType::from_code(0x05), PeripheralType::Other(5));
    }

    #[test]
    fn serial_page() {
        assert_eq!(
            decode_unit_serial(b"\x01\x80\x00\x0aHU1234567 ").unwrap(),
            "HU1234567"
        );
        assert_eq!(decode_unit_serial(b"\x01\x80\x00\x40AB").unwrap(), "AB");
        assert!(decode_unit_serial(b"\x01\x83\x00\x00").is_err());
    }
}
