//! Integration tests of the virtual tape library, on real files in temporary directories.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod boundaries;
mod changer;
mod crash;
mod faults;
mod model;
mod operator;

use tape_core::vtl::{LibraryConfig, VirtualLibrary};

/// A library in a fresh temporary directory (kept alive by the returned guard).
pub(crate) fn library(
    slots: u16,
    capacity: u64,
    early_warning: u64,
) -> (tempfile::TempDir, VirtualLibrary) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = LibraryConfig::default();
    config.slots = slots;
    config.capacity = capacity;
    config.early_warning = early_warning;
    let lib = VirtualLibrary::create(dir.path().join("lib"), &config).unwrap();
    (dir, lib)
}

/// Deterministic block contents.
pub(crate) fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The committed fuzz corpus and crashes replay through the same oracle as the fuzzer.
#[test]
fn fuzz_corpus_replays_without_panics() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for sub in ["corpus/vtl_image", "regressions/vtl_image"] {
        let Ok(entries) = std::fs::read_dir(root.join(sub)) else {
            continue;
        };
        for entry in entries {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            tape_core::vtl::fuzzing::mount_image(&bytes);
            count += 1;
        }
    }
    assert!(count >= 3, "the seed corpus is missing ({count} inputs)");
}
