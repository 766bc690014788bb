//! Logs as NTBackup users expect: the ring, the levels, the lines scripts grep for.

use std::fs;

use crate::Env;
use crate::ntsyntax::{code, small_tree, text};

#[test]
fn a_ring_of_ten_logs() {
    let env = Env::new();
    small_tree(&env.path().join("DATA"));
    for i in 1..=11 {
        let out = env.shell(&format!(
            "ntbackup backup DATA --tape file:{i}.bkf --job job{i} --log s"
        ));
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    let logs = env.path().join("home/logs");
    for n in 1..=10 {
        assert!(logs.join(format!("backup{n:02}.log")).is_file());
    }
    assert!(!logs.join("backup11.log").exists());
    let first = fs::read_to_string(logs.join("backup01.log")).unwrap();
    assert!(first.contains("Job: job11"), "the ring wrapped: {first}");
    let second = fs::read_to_string(logs.join("backup02.log")).unwrap();
    assert!(second.contains("Job: job2"), "{second}");
}

#[test]
fn levels_full_summary_none() {
    let env = Env::new();
    small_tree(&env.path().join("DATA"));
    let logs = env.path().join("home/logs");
    let out = env.shell("ntbackup backup DATA/ /j full /l:f /F f.bkf");
    assert_eq!(code(&out), 0, "{}", text(&out));
    let full = fs::read_to_string(logs.join("backup01.log")).unwrap();
    assert!(
        full.contains("DATA/logs/x.log") && full.contains("Backup completed on"),
        "{full}"
    );
    assert!(
        full.starts_with("Backup Status\nOperation: Backup\n"),
        "{full}"
    );
    let out = env.shell("ntbackup backup DATA/ /j sum /L:S /F s.bkf");
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary = fs::read_to_string(logs.join("backup02.log")).unwrap();
    assert!(
        !summary.contains("x.log") && summary.contains("Files: 6"),
        "{summary}"
    );
    let out = env.shell("ntbackup backup DATA/ /j none /l:n /F n.bkf");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!logs.join("backup03.log").exists());
}

#[test]
fn a_failed_job_logs_the_line_scripts_grep_for() {
    let env = Env::new();
    small_tree(&env.path().join("DATA"));
    env.ok(&["vtl", "create", "L", "--slots", "1"]);
    env.ok(&["vtl", "protect", "L", "--barcode", "VT0001"]);
    let out = env.shell("ntbackup backup DATA --tape vtl:L --changer vtl:L --job p");
    assert_eq!(code(&out), 3, "{}", text(&out));
    let log = fs::read_to_string(env.path().join("home/logs/backup01.log")).unwrap();
    assert!(
        log.contains("The operation did not successfully complete."),
        "{log}"
    );
    assert!(log.contains("write-protected"), "{log}");
}

#[test]
fn completions_man_page_and_help_examples() {
    let env = Env::new();
    assert!(env.ok(&["completions", "bash"]).contains("ntbackup"));
    assert!(
        env.ok(&["completions", "zsh"])
            .contains("#compdef ntbackup")
    );
    let man = env.ok(&["man"]);
    assert!(
        man.contains(".TH ntbackup"),
        "{}",
        &man[..200.min(man.len())]
    );
    env.ok(&["man", "--out", "MAN"]);
    assert!(env.path().join("MAN/ntbackup-backup.1").is_file());
    let help = env.ok(&["--help"]);
    assert!(help.contains("Examples:") && help.contains("/UP"), "{help}");
    assert!(env.ok(&["backup", "--help"]).contains("Examples:"));
}
