//! The virtual library's drive: writing and reading large blocks (the path every backup to the
#![allow(clippy::expect_used, missing_docs)] // a benchmark aborts on setup failure
//! embedded default library takes). Throughput in bytes of block data.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ntbackup_benches::random_bytes;
use tape_core::TapeDrive;
use tape_core::vtl::{InsertSource, LibraryConfig, VirtualLibrary};

const BLOCK: usize = 256 << 10;
const BLOCKS: usize = 256; // 64 MiB per iteration

fn library() -> (tempfile::TempDir, VirtualLibrary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = LibraryConfig::default();
    config.slots = 1;
    config.capacity = 1 << 30;
    let lib = VirtualLibrary::create(dir.path().join("lib"), &config).expect("library");
    lib.insert(0, InsertSource::NextBlank).expect("insert");
    (dir, lib)
}

fn bench(c: &mut Criterion) {
    let block = random_bytes(BLOCK, 1);
    let (_dir, lib) = library();
    let mut drive = lib.drive(0).expect("drive");
    let mut group = c.benchmark_group("vtl");
    group.throughput(Throughput::Bytes((BLOCK * BLOCKS) as u64));
    group.sample_size(10);
    group.bench_function("write 256 KiB blocks", |b| {
        b.iter(|| {
            drive.rewind().expect("rewind");
            for _ in 0..BLOCKS {
                let _ = drive.write_block(&block).expect("write");
            }
        })
    });
    let mut buf = vec![0; BLOCK];
    group.bench_function("read 256 KiB blocks", |b| {
        b.iter(|| {
            drive.rewind().expect("rewind");
            for _ in 0..BLOCKS {
                let _ = drive.read_block(&mut buf).expect("read");
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
