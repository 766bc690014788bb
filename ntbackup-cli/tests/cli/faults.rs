//! Faults through the binary. A notify command that fails or hangs never holds a job beyond its
//! prompt timeout: its failure is logged and the job keeps waiting; a hanging one (and what it
//! started) is killed when the request's deadline comes; the job then ends as any unanswered
//! request does (exit 5). A medium error on write and a drive that is not ready end the job at
//! once with the drive's words (exit 3); what was written restores.

use std::time::{Duration, Instant};

use crate::Env;
use crate::ntsyntax::{code, text};

/// An empty library and a small tree: the backup needs its first medium from the operator.
fn setup() -> Env {
    let env = Env::new();
    env.ok(&["vtl", "create", "L", "--slots", "2"]);
    std::fs::create_dir_all(env.path().join("TREE")).unwrap();
    std::fs::write(env.path().join("TREE/a"), b"a").unwrap();
    env
}

fn backup_with_notify(env: &Env, notify: &str) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = env.shell(&format!(
        "ntbackup backup TREE --tape vtl:L --on-full prompt --prompt-timeout 3 --notify '{notify}' </dev/null"
    ));
    (out, started.elapsed())
}

#[test]
fn a_failing_notify_command_is_logged_and_the_job_times_out_as_usual() {
    let env = setup();
    let (out, took) = backup_with_notify(&env, "echo notify-ran; exit 3");
    let log = text(&out);
    assert_eq!(code(&out), 5, "{log}");
    assert!(log.contains("notify-ran"), "{log}");
    assert!(
        log.contains("the notify command failed") && log.contains("still waiting"),
        "{log}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn a_hanging_notify_command_is_killed_at_the_requests_deadline() {
    let env = setup();
    // `sleep` runs as a child of the shell and holds our output open: both must go.
    let (out, took) = backup_with_notify(&env, "echo notify-hangs; sleep 600; echo never");
    let log = text(&out);
    assert_eq!(code(&out), 5, "{log}");
    assert!(
        log.contains("notify-hangs") && !log.contains("never"),
        "{log}"
    );
    assert!(log.contains("was killed"), "{log}");
    assert!(
        took < Duration::from_secs(30),
        "the job waited {took:?} for a 3 s prompt timeout"
    );
}

/// A library with a blank cartridge in drive 0 and a tree of a few files.
fn loaded() -> Env {
    let env = Env::new();
    env.ok(&["vtl", "create", "L", "--slots", "2"]);
    env.ok(&["vtl", "insert", "L", "--drive", "0", "--next-blank"]);
    let tree = env.path().join("TREE");
    std::fs::create_dir_all(&tree).unwrap();
    for i in 0..6u8 {
        std::fs::write(tree.join(format!("f{i}")), vec![i; 40_000]).unwrap();
    }
    env
}

#[test]
fn a_medium_error_on_write_ends_the_backup_with_the_drives_words_and_what_was_written_restores() {
    let env = loaded();
    env.ok(&[
        "vtl",
        "fault",
        "L",
        "--barcode",
        "VT0001",
        "--write-error-at",
        "12",
    ]);
    let started = Instant::now();
    let out = env
        .shell("ntbackup backup TREE --tape vtl:L --on-full abort --block-size 16KiB </dev/null");
    let log = text(&out);
    assert_eq!(code(&out), 3, "{log}");
    assert!(log.contains("medium error at block 12"), "{log}");
    assert!(
        log.contains("The operation did not successfully complete."),
        "{log}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    env.ok(&["vtl", "fault", "L", "--barcode", "VT0001", "--clear"]);
    let out = env.shell("ntbackup restore --tape vtl:L --to OUT --on-missing abort </dev/null");
    let log = text(&out);
    assert_eq!(code(&out), 3, "{log}");
    assert!(
        log.contains("The set is incomplete: the set was never completed"),
        "{log}"
    );
    let restored: Vec<_> = walk(&env.path().join("OUT"));
    assert!(!restored.is_empty(), "{log}");
    for (name, data) in restored {
        let i: u8 = name.trim_start_matches('f').parse().unwrap();
        assert_eq!(data, vec![i; 40_000], "{name}");
    }
}

#[test]
fn a_drive_that_is_not_ready_ends_the_backup_at_once_saying_so() {
    let env = loaded();
    env.ok(&["vtl", "fault", "L", "--drive", "0", "--not-ready"]);
    let started = Instant::now();
    let out = env.shell("ntbackup backup TREE --tape vtl:L --on-full abort </dev/null");
    let log = text(&out);
    assert_eq!(code(&out), 3, "{log}");
    assert!(log.contains("not ready"), "{log}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// The regular files under `dir` (any depth) by name, with their contents.
fn walk(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.is_file() {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, std::fs::read(&p).unwrap()));
        }
    }
    out
}
