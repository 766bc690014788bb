//! The committed fuzz corpus and minimized crashes (`fuzz/corpus`, `fuzz/regressions`) of the
//! engine's targets replay through the same oracles on every `cargo test`.
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
fn ntbackup_command_corpus() {
    assert!(replay("ntbackup_command", backup_engine::fuzzing::ntbackup_command) >= 5);
}

#[test]
fn bks_corpus() {
    assert!(replay("bks", backup_engine::fuzzing::bks) >= 4);
}

#[test]
fn engine_ops_corpus() {
    assert!(replay("engine_ops", backup_engine::fuzzing::engine_ops) >= 5);
}
