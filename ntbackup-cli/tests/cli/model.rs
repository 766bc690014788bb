//! `--tape null:` and `--drive-rate`: the real binary measuring what would feed a drive.

use std::fs;

use crate::{Env, random, text};

/// A tree of `files` files of `size` bytes.
fn tree(env: &Env, files: usize, size: usize) -> std::path::PathBuf {
    let root = env.path().join("src");
    fs::create_dir_all(&root).unwrap();
    for i in 0..files {
        fs::write(root.join(format!("f{i:03}")), random(size, i as u64)).unwrap();
    }
    root
}

/// Runs `ntbackup ARGS`, requires success, and returns all it printed.
fn ok(env: &Env, args: &[&str]) -> String {
    let out = env.run(args);
    let all = text(&out);
    assert!(out.status.success(), "ntbackup {args:?} failed:\n{all}");
    all
}

/// The number before "underrun(s)" on the drive model's line.
fn underruns(out: &str) -> u64 {
    let line = out
        .lines()
        .find(|l| l.contains("Drive model"))
        .unwrap_or_else(|| panic!("no drive model line in:\n{out}"));
    let before = line.split(" underrun(s)").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_backup_into_the_null_drive_reads_everything_and_keeps_nothing() {
    let env = Env::new();
    let root = tree(&env, 20, 300_000);
    let out = ok(&env, &["backup", root.to_str().unwrap(), "--tape", "null:"]);
    assert!(out.contains("20 files, 5.7 MiB"), "{out}");
    assert!(out.contains("Backup completed."), "{out}");
    // Nothing to restore from: the null drive is blank again when opened.
    let err = env.fails(&["restore", "--tape", "null:", "--to", "out"]);
    assert!(!err.is_empty());
    assert!(!env.path().join("out/src").exists());
}

#[test]
fn the_drive_model_reports_its_underruns_and_a_fast_drive_has_some() {
    let env = Env::new();
    let root = tree(&env, 20, 300_000);
    let src = root.to_str().unwrap();
    let modelled = |rate: &str| {
        ok(
            &env,
            &["backup", src, "--tape", "null:", "--drive-rate", rate],
        )
    };
    // A drive far faster than anything can feed it, with a tiny buffer: it runs dry between
    // blocks.
    let fast = modelled("100GB/s,buffer=64KiB");
    assert!(
        fast.contains("Drive model 100000 MB/s (floor 100000 MB/s, 64.0 KiB buffer)"),
        "{fast}"
    );
    assert!(underruns(&fast) >= 1, "{fast}");
    // A slow drive with a buffer larger than the whole job is never starved.
    let slow = modelled("50MB/s,buffer=1GiB");
    assert_eq!(underruns(&slow), 0, "{slow}");
    // A malformed rate is refused before anything is read.
    let err = env.fails(&["backup", src, "--tape", "null:", "--drive-rate", "fast"]);
    assert!(err.contains("--drive-rate"), "{err}");
}
