//! Issue 4's acceptance commands, as written: backups spanning media under each policy and
//! restores across the family, on virtual libraries, through the real binary.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::{Env, describe, random, text};

/// TREE: a directory larger than 20 MiB of incompressible data.
fn make_tree(root: &Path) {
    for (i, size) in (0..22).map(|i| (i, 1_000_000 + i * 1_111)) {
        let dir = root.join(format!("d{}", i % 3));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("f{i}")), random(size, i as u64)).unwrap();
    }
    fs::write(root.join("big"), random(3 << 20, 99)).unwrap();
    fs::write(root.join("small"), b"hello\n").unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    std::os::unix::fs::symlink("d0/f0", root.join("link")).unwrap();
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn written_cartridges(env: &Env, lib: &str) -> usize {
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["vtl", "status", lib, "--json"])).unwrap();
    ["drives", "slots"]
        .iter()
        .flat_map(|k| json[k].as_array().unwrap().iter())
        .filter(|e| e["cartridge"]["blank"] == false)
        .count()
}

#[test]
fn issue_4_acceptance_commands_as_written() {
    let env = Env::new();
    make_tree(&env.path().join("TREE"));
    let tree = describe(&env.path().join("TREE"));

    // Changer: spans at least three cartridges, restores exactly.
    env.ok(&[
        "vtl",
        "create",
        "L",
        "--slots",
        "6",
        "--capacity",
        "8MiB",
        "--early-warning",
        "512KiB",
    ]);
    let out =
        env.shell("ntbackup backup TREE --tape vtl:L --changer vtl:L --on-full changer --job span");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(written_cartridges(&env, "L") >= 3);
    let out = env.shell("ntbackup restore --tape vtl:L --changer vtl:L --to OUT");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        describe(&env.path().join("OUT/TREE")),
        tree,
        "diff -r exact"
    );

    for lib in ["L2", "L3", "L4"] {
        env.ok(&[
            "vtl",
            "create",
            lib,
            "--slots",
            "6",
            "--capacity",
            "8MiB",
            "--early-warning",
            "512KiB",
        ]);
    }

    // Abort: fails with the NTBackup line; every completely written file restores exactly.
    env.ok(&["vtl", "insert", "L2", "--drive", "0", "--next-blank"]);
    let out = env.shell("ntbackup backup TREE --tape vtl:L2 --on-full abort");
    assert_ne!(code(&out), 0);
    let log = text(&out);
    assert!(
        log.contains("The operation did not successfully complete."),
        "{log}"
    );
    assert!(
        log.contains("vtl:L2#0") && log.contains("VT0001"),
        "names the drive and the medium: {log}"
    );
    let out = env.shell("ntbackup restore --tape vtl:L2 --to OUT2");
    assert_ne!(code(&out), 0, "the set is incomplete");
    let restored = describe(&env.path().join("OUT2/TREE"));
    let files = restored.values().filter(|v| v.as_slice() != b"dir").count();
    assert!(files >= 5, "{}", text(&out));
    for (path, content) in &restored {
        assert_eq!(Some(content), tree.get(path), "{path} restored exactly");
    }

    // Prompt, unattended: the notify command inserts each next blank (the first one too).
    let out = env.shell(
        "ntbackup backup TREE --tape vtl:L3 --on-full prompt --prompt-timeout 60 \
         --notify 'ntbackup vtl insert L3 --drive 0 --next-blank' </dev/null",
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(written_cartridges(&env, "L3") >= 3);
    let out = env.shell(
        "ntbackup restore --tape vtl:L3 --to OUT3 --on-missing prompt --prompt-timeout 60 \
         --notify 'ntbackup vtl insert L3 --drive 0 --barcode \"$NTBACKUP_BARCODE\"' </dev/null",
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(describe(&env.path().join("OUT3/TREE")), tree);

    // Prompt with nobody there: fails within 30 s.
    env.ok(&["vtl", "insert", "L4", "--drive", "0", "--next-blank"]);
    let started = std::time::Instant::now();
    let out = env
        .shell("ntbackup backup TREE --tape vtl:L4 --on-full prompt --prompt-timeout 5 </dev/null");
    assert_ne!(code(&out), 0);
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
    let log = text(&out);
    assert!(
        log.contains("Waiting for another blank or expired medium") && log.contains("until"),
        "{log}"
    );
}

#[test]
fn the_notify_command_sees_the_request() {
    let env = Env::new();
    make_tree(&env.path().join("TREE"));
    env.ok(&[
        "vtl",
        "create",
        "L",
        "--slots",
        "6",
        "--capacity",
        "8MiB",
        "--early-warning",
        "512KiB",
    ]);
    let out = env.shell(
        "ntbackup backup TREE --tape vtl:L --on-full prompt --prompt-timeout 60 --job nightly \
         --notify 'env | grep ^NTBACKUP_ | sort >> requests.txt; ntbackup vtl insert L --next-blank' </dev/null",
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let seen = fs::read_to_string(env.path().join("requests.txt")).unwrap();
    for want in [
        "NTBACKUP_EVENT=medium-needed",
        "NTBACKUP_JOB=nightly",
        "NTBACKUP_DRIVE=vtl:L#0",
        "NTBACKUP_SEQUENCE=2",
        "NTBACKUP_FAMILY=",
    ] {
        assert!(seen.contains(want), "{want} missing in:\n{seen}");
    }
}

#[test]
fn a_bkf_written_here_lists_restores_and_is_recognised_by_libmagic() {
    let env = Env::new();
    make_tree(&env.path().join("TREE"));
    let tree = describe(&env.path().join("TREE"));
    let out = env.shell("ntbackup backup TREE --tape file:x.bkf --job tofile");
    assert_eq!(code(&out), 0, "{}", text(&out));
    // An independent reader of MTF: file(1)'s magic for NTBackup media (mtf.md §11.1).
    let magic = std::process::Command::new("file")
        .arg(env.path().join("x.bkf"))
        .output()
        .expect("file(1) is installed");
    let magic = String::from_utf8_lossy(&magic.stdout);
    assert!(magic.contains("Windows NTbackup archive"), "{magic}");
    let listing = env.ok(&["list", "--tape", "file:x.bkf"]);
    assert!(
        listing.contains("soft-filemarks") && listing.contains("TREE\\d0\\f0"),
        "{listing}"
    );
    let out = env.shell("ntbackup restore --tape file:x.bkf --to OUT");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(describe(&env.path().join("OUT/TREE")), tree);
    // Never overwritten without being told.
    let out = env.shell("ntbackup backup TREE --tape file:x.bkf");
    assert_ne!(code(&out), 0);
    assert!(
        text(&out).contains("not overwritten unless the job says so"),
        "{}",
        text(&out)
    );
}
