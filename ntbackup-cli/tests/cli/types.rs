//! Issue 5 through the binary: backup types, verify, append, the state as of a set, a single
//! file restored from the media that hold it, and the media a restore needs.

use std::fs;
use std::path::Path;

use crate::{Env, random, text};

/// Runs `ntbackup ARGS` requiring success; returns stdout and stderr together.
fn ok(env: &Env, args: &[&str]) -> String {
    let out = env.run(args);
    let all = text(&out);
    assert!(out.status.success(), "ntbackup {args:?} failed:\n{all}");
    all
}

/// SRC: about 5 MB in 12 files over three directories.
fn make_tree(root: &Path) {
    for i in 0..12u64 {
        let dir = root.join(format!("d{}", i % 3));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("f{i}")), random(400_000 + i as usize, i)).unwrap();
    }
}

const LIB: [&str; 4] = ["--tape", "vtl:lib", "--changer", "vtl:lib"];

fn with_lib<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend_from_slice(&LIB);
    v
}

#[test]
fn verify_incremental_as_of_single_file_and_append_through_the_binary() {
    let env = Env::new();
    ok(
        &env,
        &[
            "vtl",
            "create",
            "lib",
            "--slots",
            "10",
            "--capacity",
            "2MiB",
        ],
    );
    let src = env.path().join("src");
    make_tree(&src);
    let day1 = fs::read(src.join("d0/f3")).unwrap();

    // A normal backup over three cartridges, verified.
    let out = ok(
        &env,
        &with_lib(&[
            "backup",
            "src",
            "--job",
            "week",
            "--block-size",
            "64KiB",
            "--verify",
            "--media-name",
            "Week 1",
        ]),
    );
    assert!(out.contains("Verify completed on"), "{out}");
    assert!(out.contains("different files: 0"), "{out}");

    // Day 2: one file changes; an incremental takes only it.
    fs::write(src.join("d0/f3"), random(10_000, 77)).unwrap();
    let out = env.run(&with_lib(&[
        "backup",
        "src",
        "--job",
        "week",
        "--type",
        "incremental",
        "--verify",
        "--json",
        "--media-name",
        "Week 1 incr",
    ]));
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = text(&out);
    assert_eq!(report["files"], 1, "{out}");
    assert_eq!(report["verify"]["different"].as_array().unwrap().len(), 0);

    // The state as of day 1 (set id 1) comes back exactly, the old f3 included.
    ok(
        &env,
        &with_lib(&["restore", "--as-of", "1", "--to", "day1"]),
    );
    assert_eq!(fs::read(env.path().join("day1/src/d0/f3")).unwrap(), day1);
    assert_eq!(
        fs::read(env.path().join("day1/src/d2/f11")).unwrap(),
        fs::read(src.join("d2/f11")).unwrap()
    );
    // As of day 2 (the incremental, id 2): the normal backup plus the change.
    ok(
        &env,
        &with_lib(&["restore", "--as-of", "2", "--to", "day2"]),
    );
    assert_eq!(
        fs::read(env.path().join("day2/src/d0/f3")).unwrap(),
        fs::read(src.join("d0/f3")).unwrap()
    );

    // One file of the normal backup: the media it needs, then the restore.
    let listed = ok(
        &env,
        &with_lib(&["restore", "src/d2/f11", "--as-of", "1", "--list-media"]),
    );
    let lines: Vec<&str> = listed.lines().filter(|l| l.contains("family")).collect();
    assert_eq!(lines.len(), 1, "one medium holds it: {listed}");
    assert!(lines[0].starts_with('*'), "in the library: {listed}");
    assert!(
        !lines[0].contains("media #1 "),
        "not the first tape: {listed}"
    );
    let out = ok(
        &env,
        &with_lib(&["restore", "src/d2/f11", "--as-of", "1", "--to", "one"]),
    );
    assert!(out.contains("1 files"), "{out}");
    assert_eq!(
        fs::read(env.path().join("one/src/d2/f11")).unwrap(),
        fs::read(src.join("d2/f11")).unwrap()
    );
    assert!(!env.path().join("one/src/d0").exists());

    // Append a copy backup to the family of the incremental, by its media name (/T).
    let out = ok(
        &env,
        &with_lib(&[
            "backup",
            "src/d1",
            "--job",
            "week",
            "--type",
            "copy",
            "--append",
            "--append-to",
            "Week 1 incr",
        ]),
    );
    assert!(out.contains("Appending set #2 after set #1"), "{out}");
    ok(
        &env,
        &with_lib(&["restore", "--set", "2", "--to", "appended"]),
    );
    assert_eq!(
        fs::read(env.path().join("appended/src/d1/f4")).unwrap(),
        fs::read(src.join("d1/f4")).unwrap()
    );
    ok(&env, &with_lib(&["restore", "--set", "1", "--to", "incr"]));
    assert_eq!(
        fs::read(env.path().join("incr/src/d0/f3")).unwrap(),
        fs::read(src.join("d0/f3")).unwrap()
    );
}

#[test]
fn ntbackup_syntax_verify_and_append_to_a_bkf() {
    let env = Env::new();
    let src = env.path().join("src");
    make_tree(&src);
    let out = env.shell("ntbackup backup src /F week.bkf /V:yes /J week /L:s");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Verify completed on"), "{}", text(&out));
    let out = env.shell("ntbackup backup src/d1 /F week.bkf /A /V:yes /J week");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Appending set #2"), "{}", text(&out));
    let listed = ok(&env, &["list", "--tape", "file:week.bkf"]);
    assert!(
        listed.contains("#2") || listed.contains("set 2"),
        "{listed}"
    );
    let err = env.shell("ntbackup backup src /T \"Week\" /J week /UM /P x");
    assert!(!err.status.success());
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let env = Env::new();
    ok(&env, &["vtl", "create", "lib", "--slots", "40"]);
    let out = env.shell("ntbackup vtl status lib | true; ntbackup vtl status lib | head -1");
    let all = text(&out);
    assert!(!all.contains("panicked"), "{all}");
    assert!(all.starts_with("Drive 0"), "{all}");
}
