//! The whole backup pipeline — walk, read, frame MTF, write blocks — into a null drive and into
//! a `.bkf` file, and the restore from that `.bkf`, for the two trees of issue 8: (a) 200,000
//! files of 4 KiB in 200 directories, (b) 4 files of 200 MiB. Warm page cache (each tree is read
//! once before measuring). Throughput in bytes of file data.
//!
//! `NTBACKUP_BENCH_DIR` says where the trees and outputs go (default: the system temp dir; a
//! tmpfs such as /dev/shm keeps the file system's own costs out of the figures);
//! `NTBACKUP_BENCH_SCALE=0.1` builds trees a tenth the size for a quick look.
#![allow(clippy::expect_used, clippy::cast_possible_truncation, missing_docs)] // a benchmark aborts on setup failure; scales are approximate

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use backup_engine::backup::{BackupContext, BackupJob, BackupOutcome, run_backup};
use backup_engine::policy::AbortPolicy;
use backup_engine::restore::{RestoreContext, RestoreJob, run_restore};
use backup_engine::{Detail, EventSink, JobEvent, Selection, SystemClock};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ntbackup_benches::random_bytes;
use tape_core::{FileDrive, NullDrive, TapeDrive};

/// Drops every event: the benchmark measures the pipeline, not a log.
struct Quiet;

impl EventSink for Quiet {
    fn event(&mut self, _event: &JobEvent) {}

    fn wants(&self, _detail: Detail) -> bool {
        false
    }
}

struct Tree {
    name: &'static str,
    root: PathBuf,
    bytes: u64,
}

fn scale() -> f64 {
    std::env::var("NTBACKUP_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn scaled(n: usize) -> usize {
    ((n as f64 * scale()) as usize).max(1)
}

fn make_tree(base: &Path, name: &'static str, dirs: usize, files: usize, size: usize) -> Tree {
    let root = base.join(name);
    let data = random_bytes(size.max(8), 7);
    let mut bytes = 0;
    for d in 0..dirs {
        let dir = root.join(format!("d{d:04}"));
        fs::create_dir_all(&dir).expect("mkdir");
        for f in 0..files {
            // Distinct contents per file: its number in the first bytes.
            let mut content = data[..size].to_vec();
            let n = ((d * files + f) as u64).to_le_bytes();
            let k = n.len().min(content.len());
            content[..k].copy_from_slice(&n[..k]);
            fs::write(dir.join(format!("f{f:05}")), &content).expect("write");
            bytes += size as u64;
        }
    }
    warm(&root);
    Tree { name, root, bytes }
}

/// Reads every file once, so every run starts from a warm page cache.
fn warm(dir: &Path) {
    for entry in fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            warm(&path);
        } else {
            let _ = fs::read(&path).expect("read");
        }
    }
}

fn backup(tree: &Tree, drive: &mut dyn TapeDrive) {
    let job = BackupJob::new(
        "bench",
        Selection::new([&tree.root], [] as [&str; 0]).expect("selection"),
    );
    let report = run_backup(
        &job,
        BackupContext {
            drive,
            policy: &mut AbortPolicy,
            clock: &SystemClock,
            events: &mut Quiet,
            catalog: None,
        },
    )
    .expect("backup");
    assert_eq!(report.outcome, BackupOutcome::Complete);
    assert_eq!(report.bytes, tree.bytes);
}

fn bench(c: &mut Criterion) {
    let base = match std::env::var_os("NTBACKUP_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let trees = [
        make_tree(base.path(), "small", scaled(200), 1000, 4096),
        make_tree(base.path(), "large", 1, 4, scaled(200 << 20)),
    ];
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for tree in &trees {
        group.throughput(Throughput::Bytes(tree.bytes));
        group.bench_function(format!("backup {} tree to null drive", tree.name), |b| {
            b.iter(|| backup(tree, &mut NullDrive::new()))
        });
        let bkf = base.path().join(format!("{}.bkf", tree.name));
        group.bench_function(format!("backup {} tree to .bkf", tree.name), |b| {
            b.iter_batched(
                || {
                    let _ = fs::remove_file(&bkf);
                    FileDrive::open(vec![bkf.clone()], true).expect("bkf")
                },
                |mut drive| {
                    backup(tree, &mut drive);
                    drive
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("restore {} tree from .bkf", tree.name), |b| {
            b.iter_batched(
                || {
                    let out = tempfile::tempdir_in(base.path()).expect("restore dir");
                    let drive = FileDrive::open(vec![bkf.clone()], false).expect("bkf");
                    (out, drive)
                },
                |(out, mut drive)| {
                    let report = run_restore(
                        &RestoreJob::new("bench", out.path()),
                        RestoreContext {
                            drive: &mut drive,
                            policy: &mut AbortPolicy,
                            clock: &SystemClock,
                            events: &mut Quiet,
                            catalog: None,
                        },
                    )
                    .expect("restore");
                    assert!(report.is_clean(), "{report:?}");
                    out
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
