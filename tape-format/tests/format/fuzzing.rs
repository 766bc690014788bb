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
