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
fn sense_corpus() {
    assert!(replay("scsi_sense", tape_scsi::fuzzing::sense) >= 5);
}

#[test]
fn element_status_corpus() {
    assert!(replay("scsi_element_status", tape_scsi::fuzzing::element_status) >= 3);
}
