//! Oracles for the fuzz targets (thin `cargo-fuzz` shims call these). Whatever the bytes, they
//! must return without panicking; they also check invariants a decoder must keep.

use crate::{element, map, page, sense::Sense};

/// Decodes `bytes` as sense data and runs every mapping over it.
pub fn sense(bytes: &[u8]) {
    let Ok(s) = Sense::decode(bytes) else { return };
    let _ = s.to_string();
    let _ = map::write(&s);
    let requested = bytes.len() % 256;
    if let Ok(map::ReadSense::Data(n)) = map::read(&s, requested, requested / 2) {
        assert!(n <= requested, "read mapping invented data");
    }
    let _ = map::space(&s, i64::from(bytes.first().copied().unwrap_or(0)) - 128);
    let _ = map::error(&s);
    let _ = map::retry(&s);
}

/// Decodes `bytes` as READ ELEMENT STATUS data, turns it into an inventory, and also tries the
/// other page decoders on it.
pub fn element_status(bytes: &[u8]) {
    if let Ok(data) = element::decode_element_status(bytes) {
        let elements = element::to_elements(&data.descriptors);
        assert!(elements.len() <= data.descriptors.len());
    }
    let _ = element::decode_address_assignment(bytes);
    let _ = page::decode_mode_sense6(bytes);
    let _ = page::decode_short_position(bytes);
    let _ = page::decode_tapealert(bytes);
    let _ = page::decode_inquiry(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracles_survive_edge_inputs() {
        for bytes in [
            &[][..],
            &[0x70],
            &[0xf0, 0, 0x4d, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0x72; 300],
            &[0xff; 64],
        ] {
            sense(bytes);
            element_status(bytes);
        }
    }

    proptest::proptest! {
        #[test]
        fn sense_oracle(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            sense(&bytes);
        }

        #[test]
        fn element_oracle(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            element_status(&bytes);
        }
    }
}
