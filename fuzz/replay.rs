//! Replays a fuzz target's committed corpus and minimized crashes (`fuzz/corpus/TARGET`,
//! `fuzz/regressions/TARGET`) through its oracle. Shared by the `tests/fuzz_corpus.rs` of
//! `tape-format`, `tape-scsi` and `backup-engine`, which include it by path.

use std::path::Path;

/// Runs `oracle` on every input kept for `target`; returns how many there were.
pub(crate) fn replay(target: &str, oracle: fn(&[u8])) -> usize {
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
