//! The committed fuzz corpus and minimized crashes (`fuzz/corpus`, `fuzz/regressions`) replay
//! through the same oracles the fuzz targets call, on every `cargo test`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;

fn replay(target: &str, oracle: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut n = 0;
    for sub in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(sub).join(target)) else {
            continue;
        };
        for entry in entries {
            oracle(&std::fs::read(entry.unwrap().path()).unwrap());
            n += 1;
        }
    }
    n
}

#[test]
fn mtf_block_corpus() {
    assert!(replay("mtf_block", tape_format::fuzzing::decode_block) >= 5);
}

#[test]
fn mtf_medium_corpus() {
    assert!(replay("mtf_medium", tape_format::fuzzing::scan_medium) >= 5);
}

#[test]
fn mtf_roundtrip_corpus() {
    assert!(replay("mtf_roundtrip", tape_format::fuzzing::roundtrip) >= 3);
}
