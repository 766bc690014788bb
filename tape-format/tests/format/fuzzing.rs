//! The fuzz oracles on a corpus: the fixtures, their mutations and prefixes, and pseudo-random
//! inputs. The cargo-fuzz targets call the same functions; committed crashes go into
//! `tests/fixtures/corpus/` and are replayed here.

use crate::harness::content;
use proptest::prelude::*;
use std::path::PathBuf;
use tape_format::fuzzing;

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for sub in [dir.clone(), dir.join("corpus")] {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for p in paths {
            if p.extension().is_some_and(|e| e == "bkf" || e == "bin") {
                out.push(std::fs::read(p).unwrap());
            }
        }
    }
    out
}

#[test]
fn oracles_accept_the_corpus() {
    for input in corpus() {
        fuzzing::decode_block(&input);
        fuzzing::scan_medium(&input);
        for cut in [0, 1, 51, 52, 100, 1023, 1024, 1025, 2048, input.len() / 2] {
            fuzzing::scan_medium(&input[..cut.min(input.len())]);
            fuzzing::decode_block(&input[cut.min(input.len())..]);
        }
    }
}

#[test]
fn oracles_survive_mutated_media() {
    for (n, input) in corpus().into_iter().enumerate() {
        let noise = content(n as u32, 64);
        for (i, x) in noise.iter().enumerate() {
            let mut m = input.clone();
            let at = (usize::from(*x) * 977 + i * 4099) % m.len().max(1);
            if let Some(b) = m.get_mut(at) {
                *b ^= x | 1;
            }
            fuzzing::scan_medium(&m);
            fuzzing::decode_block(&m[at / 1024 * 1024..]);
        }
    }
}

#[test]
fn roundtrip_oracle_on_pseudo_random_jobs() {
    for seed in 0..48u32 {
        let mut job = content(seed, 3 + 3 * (seed as usize % 8));
        job[0] = seed.to_le_bytes()[0];
        job[1] = (seed * 7).to_le_bytes()[0] % 24;
        fuzzing::roundtrip(&job);
    }
}

#[test]
fn oracles_on_random_bytes() {
    for seed in 0..200u32 {
        let data = content(seed, (seed as usize * 37) % 3000);
        fuzzing::decode_block(&data);
        fuzzing::scan_medium(&data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The round-trip oracle on random inputs (what `cargo fuzz run mtf_roundtrip` feeds it).
    #[test]
    fn roundtrip_oracle_on_random_inputs(data in proptest::collection::vec(any::<u8>(), 3..40)) {
        fuzzing::roundtrip(&data);
    }
}

/// A vendor block image of `first_event` bytes (a 100-byte `raw` of 7s, padded) whose header
/// gives `os` as its OS data address (size, offset).
fn vendor_block(first_event: u16, os: (u16, u16)) -> Vec<u8> {
    use tape_format::block::{Body, Dblk, Unknown};
    let mut v = Dblk::new(Body::Unknown(Unknown {
        raw: vec![7; 100],
        os_data_offset: 0,
    }));
    v.header.block_type = tape_format::ids::BlockType(*b"XVND");
    v.header.first_event = 160;
    let mut out = Vec::new();
    v.encode(&mut out).unwrap();
    out[8..10].copy_from_slice(&first_event.to_le_bytes());
    out[44..46].copy_from_slice(&os.0.to_le_bytes());
    out[46..48].copy_from_slice(&os.1.to_le_bytes());
    let sum = (0..50)
        .step_by(2)
        .fold(0u16, |x, i| x ^ u16::from_le_bytes([out[i], out[i + 1]]));
    out[50..52].copy_from_slice(&sum.to_le_bytes());
    out
}

/// The `mtf_block` crash (fuzz/regressions/mtf_block/unknown-type-os-data-in-header) and its
/// kin: an unknown block's OS data address that the encoder cannot reproduce (absent with an
/// offset, inside or across the common header) or an unaligned Offset To First Event. Each
/// decodes (a vendor block stays skippable) and round-trips through the oracle.
#[test]
fn unknown_blocks_with_odd_os_data_round_trip() {
    use tape_format::block::{Body, decode_dblk};
    use tape_format::decoded::Decoded;
    for (fe, os, kept) in [
        (152, (0, 100), 0),  // size 0, offset set: absent
        (152, (40, 8), 0),   // inside the common header
        (152, (48, 8), 0),   // across its end
        (140, (140, 0), 0),  // the whole block from offset 0 (the fuzz crash)
        (141, (0, 0), 0),    // unaligned first event
        (152, (8, 60), 60),  // in `raw`: kept in place
        (143, (83, 60), 60), // both: in `raw` up to an unaligned end
    ] {
        let img = vendor_block(fe, os);
        fuzzing::decode_block(&img);
        let Ok(Decoded::Complete { value, consumed }) = decode_dblk(&img) else {
            panic!("{fe} {os:?} does not decode")
        };
        assert_eq!(consumed, usize::from(fe));
        let Body::Unknown(u) = &value.body else {
            panic!("not unknown")
        };
        assert_eq!(u.raw.len(), usize::from(fe) - 52);
        assert_eq!(u.os_data_offset, kept, "{fe} {os:?}");
        let size = if kept == 0 { 0 } else { usize::from(os.0) };
        assert_eq!(value.os_data.len(), size, "{fe} {os:?}");
        let mut again = Vec::new();
        assert_eq!(value.encode(&mut again).unwrap(), usize::from(fe));
        assert_eq!(again[52..], img[52..usize::from(fe)], "{fe} {os:?}");
    }
}
