//! The committed fuzz corpus and minimized crashes (`fuzz/corpus`, `fuzz/regressions`) of the
//! engine's targets replay through the same oracles on every `cargo test`.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

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
