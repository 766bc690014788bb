//! The committed fuzz corpus and minimized crashes (`fuzz/corpus`, `fuzz/regressions`) replay
//! through the same oracles the fuzz targets call, on every `cargo test`.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

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
