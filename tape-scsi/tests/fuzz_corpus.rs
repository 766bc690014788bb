//! The committed fuzz corpus and minimized crashes (`fuzz/corpus`, `fuzz/regressions`) replay
//! through the same oracles the fuzz targets call, on every `cargo test`.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn sense_corpus() {
    assert!(replay("scsi_sense", tape_scsi::fuzzing::sense) >= 5);
}

#[test]
fn element_status_corpus() {
    assert!(replay("scsi_element_status", tape_scsi::fuzzing::element_status) >= 3);
}
