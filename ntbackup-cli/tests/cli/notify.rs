//! A notify command that fails or hangs never holds a job beyond its prompt timeout: its failure
//! is logged and the job keeps waiting; a hanging one (and what it started) is killed when the
//! request's deadline comes. The job then ends as any unanswered request does (exit 5).

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
