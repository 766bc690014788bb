//! Issue 9 item 3, power cuts and crashes: the real `ntbackup` binary dies while it writes a set
//! spanning three cartridges of a virtual library — at named crash points
//! (`NTBACKUP_CRASH_AT`, see `tape_core::crashpoint`: inside a record write, after a record,
//! after a filemark, at a media change, inside the library state update, inside and after the
//! catalog transactions) and by SIGKILL after random delays — and afterwards:
//!
//! * (a) the set completed before the cut restores byte-exact;
//! * (b) the interrupted set is listed as interrupted (as incomplete once the catalog is rebuilt
//!   from the tapes), and restoring it gives every file whose data lie whole on the tapes,
//!   byte-exact, and nothing else under a real name; it restores the same before and after the
//!   rebuild;
//! * (c) the catalog passes SQLite's integrity check and answers, and `catalog rebuild`
//!   recreates it from the tapes;
//! * (d) the next plain backup, run as it was (changer, no new option), succeeds on blank
//!   cartridges and restores byte-exact, and no cartridge that held data was written to by it;
//!   appending to the cartridge whose last set was never closed is refused with the reason.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{Env, describe, random, text};

/// No command of these tests may take longer: a hang is a failure, not a stuck test run.
const DEADLINE: Duration = Duration::from_secs(60);

/// About 4.3 MiB in eleven files: three 2 MiB cartridges at 64 KiB blocks.
fn make_tree(root: &Path, seed: u64) {
    for i in 0..11u64 {
        let dir = root.join(format!("d{}", i % 2));
        fs::create_dir_all(&dir).unwrap();
        let len = 400_000 + i as usize * 997;
        fs::write(dir.join(format!("f{i}")), random(len, seed * 100 + i)).unwrap();
    }
    fs::write(root.join("small"), b"small\n").unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    std::os::unix::fs::symlink("d0/f0", root.join("link")).unwrap();
}

/// Copies a directory tree (symbolic links as links).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let t = e.file_type().unwrap();
        if t.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if t.is_dir() {
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Waits for a child, killing it (and failing) past the deadline.
fn wait_bounded(child: &mut Child, what: &str) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not end within {DEADLINE:?}");
        }
        // Polling a real child process: real time is what this test is about.
        #[allow(clippy::disallowed_methods)]
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs a command to its end within the deadline, with its output.
fn output(mut cmd: Command, what: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let (o, e) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(fs::File::create(&o).unwrap())
        .stderr(fs::File::create(&e).unwrap())
        .spawn()
        .unwrap();
    let status = wait_bounded(&mut child, what);
    Output {
        status,
        stdout: fs::read(&o).unwrap(),
        stderr: fs::read(&e).unwrap(),
    }
}

fn run(env: &Env, args: &[&str]) -> Output {
    output(env.command(args), &format!("ntbackup {args:?}"))
}

fn ok(env: &Env, args: &[&str]) -> String {
    let out = run(env, args);
    assert!(out.status.success(), "ntbackup {args:?}: {}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

const SPAN: [&str; 6] = [
    "--tape",
    "vtl:L",
    "--changer",
    "vtl:L",
    "--block-size",
    "64KiB",
];

fn backup_args<'a>(tree: &'a str, job: &'a str, append: bool) -> Vec<&'a str> {
    let mut args = vec!["backup", tree, "--job", job];
    args.extend(SPAN);
    if append {
        args.push("--append");
    }
    args
}

/// One row of `catalog list`.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    job: String,
    status: String,
}

fn catalog_rows(env: &Env) -> Vec<Row> {
    ok(env, &["catalog", "list"])
        .lines()
        .skip(1)
        .filter_map(|l| {
            // ID FAMILY SET TYPE JOB DATE TIME STATUS FILES SIZE UNIT MEDIA…
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 8).then(|| Row {
                id: f[0].to_owned(),
                job: f[4].to_owned(),
                status: f[7].to_owned(),
            })
        })
        .collect()
}

fn row(rows: &[Row], job: &str) -> Option<Row> {
    rows.iter().find(|r| r.job == job).cloned()
}

/// SQLite's own verdict on the catalog file, and the invariants between its tables.
fn check_catalog_integrity(env: &Env) {
    let path = env.path().join("home/catalog.sqlite");
    let db = rusqlite::Connection::open(&path).unwrap();
    let verdict: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok", "{}", path.display());
    let orphans: i64 = db
        .query_row(
            "SELECT count(*) FROM entries WHERE set_id NOT IN (SELECT id FROM sets)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "entries of no set");
    let bad: i64 = db
        .query_row(
            "SELECT count(*) FROM sets WHERE status NOT IN ('running','complete','incomplete','interrupted')
               OR last_sequence < first_sequence",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad, 0, "sets with an impossible status or media range");
}

/// Every cartridge's records (the image past its 64-byte header, which a mount may update),
/// by file name.
fn cartridges(env: &Env) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(env.path().join("L/cartridges"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = fs::read(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, bytes.get(64..).unwrap_or_default().to_vec())
        })
        .collect()
}

/// Files (not directories) of a restored tree; each must be byte-exact in `source`.
fn restored_files(
    root: &Path,
    source: &BTreeMap<String, Vec<u8>>,
    why: &str,
) -> BTreeMap<String, Vec<u8>> {
    if !root.exists() {
        return BTreeMap::new();
    }
    let got = describe(root);
    for (path, content) in &got {
        assert_eq!(
            Some(content),
            source.get(path),
            "{why}: {path} restored with other content than backed up (or a partial file left)"
        );
    }
    got.into_iter()
        .filter(|(_, v)| v.as_slice() != b"dir")
        .collect()
}

/// The library with set "first" (TREE) completed on three cartridges, and TREE2 to be backed
/// up next; shared by the scenarios, each of which works on a copy.
struct Template {
    env: Env,
    tree: BTreeMap<String, Vec<u8>>,
    tree2: BTreeMap<String, Vec<u8>>,
    /// Bytes of the largest file of TREE2.
    largest: u64,
    /// How long the first backup took.
    took: Duration,
}

fn template() -> Template {
    let env = Env::new();
    make_tree(&env.path().join("TREE"), 1);
    make_tree(&env.path().join("TREE2"), 2);
    ok(
        &env,
        &[
            "vtl",
            "create",
            "L",
            "--slots",
            "24",
            "--capacity",
            "2MiB",
            "--early-warning",
            "256KiB",
        ],
    );
    let started = Instant::now();
    ok(&env, &backup_args("TREE", "first", false));
    let took = started.elapsed();
    let rows = catalog_rows(&env);
    assert_eq!(row(&rows, "first").unwrap().status, "complete");
    let used = cartridges(&env).values().filter(|c| !c.is_empty()).count();
    assert_eq!(used, 3, "the set spans three cartridges");
    let tree2 = describe(&env.path().join("TREE2"));
    let largest = tree2.values().map(|v| v.len() as u64).max().unwrap();
    Template {
        tree: describe(&env.path().join("TREE")),
        tree2,
        largest,
        took,
        env,
    }
}

/// How the backup of set "second" dies.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// At the n-th passage through a named crash point (the process aborts there).
    At(&'static str, u32),
    /// SIGKILL after this long (the job may have ended by then).
    Kill(Duration),
}

/// What a scenario saw, for the sweeps' summary.
#[derive(Debug)]
struct Seen {
    died: bool,
    catalog_status: Option<String>,
    restored: usize,
}

/// Kills the backup of TREE2 (appended to set "first"'s family, or a set of its own) as `cut`
/// says, then checks (a)–(d) of the module documentation.
fn scenario(t: &Template, cut: Cut, append: bool) -> Seen {
    let env = Env::new();
    copy_tree(t.env.path(), env.path());
    let what = format!("{cut:?}, append {append}");
    let before = cartridges(&env);

    // The cut.
    let mut cmd = env.command(&backup_args("TREE2", "second", append));
    let died = match cut {
        Cut::At(point, n) => {
            cmd.env("NTBACKUP_CRASH_AT", format!("{point}:{n}"));
            let out = output(cmd, &what);
            assert_eq!(
                out.status.signal(),
                Some(6),
                "{what}: the crash point must be reached (SIGABRT): {}",
                text(&out)
            );
            assert!(
                text(&out).contains(&format!("crash point {point} reached")),
                "{what}: {}",
                text(&out)
            );
            true
        }
        Cut::Kill(after) => {
            let mut child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // A power cut at a moment of wall-clock time: nothing to inject.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(after);
            let ended = child.try_wait().unwrap().is_some();
            child.kill().unwrap_or(());
            let status = wait_bounded(&mut child, &what);
            !ended && status.signal() == Some(9)
        }
    };
    let after_cut = cartridges(&env);
    for (name, records) in &before {
        let now = &after_cut[name];
        assert!(
            now.starts_with(records),
            "{what}: {name}: what was on it before the cut was changed"
        );
    }

    // (c) The catalog is intact and answers.
    check_catalog_integrity(&env);
    let rows = catalog_rows(&env);
    let first = row(&rows, "first").expect("set first listed");
    assert_eq!(first.status, "complete", "{what}");
    let second = row(&rows, "second");
    if let Some(s) = &second {
        assert!(
            ["interrupted", "complete"].contains(&s.status.as_str()),
            "{what}: a dead backup's set is listed as {}",
            s.status
        );
        // Complete only when the cut came after the set was closed in the catalog (a kill can
        // land in the last milliseconds, while the job reports; it then restores whole, below).
        if let Cut::At(point, _) = cut {
            assert!(
                s.status == "interrupted" || point == "catalog.close.committed",
                "{what}: the set of a killed backup is listed {}",
                s.status
            );
        }
    } else {
        // The catalog never heard of the set: nothing of it was written either.
        assert_eq!(
            after_cut, before,
            "{what}: a set on tape the catalog never heard of"
        );
    }

    // (a) The set completed before the cut restores exactly.
    let out = run(
        &env,
        &[
            &["restore", "--as-of", &first.id, "--to", "OUT_A"][..],
            &SPAN[..4],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{what}: {}", text(&out));
    assert_eq!(describe(&env.path().join("OUT_A/TREE")), t.tree, "{what}");

    // (b) The interrupted set: whole files restore exactly, the set says it is incomplete.
    let written: u64 = after_cut
        .iter()
        .map(|(n, r)| (r.len() - before[n].len()) as u64)
        .sum();
    let restore_second = |id: &str, to: &str| {
        let out = run(
            &env,
            &[&["restore", "--as-of", id, "--to", to][..], &SPAN[..4]].concat(),
        );
        let files = restored_files(&env.path().join(to).join("TREE2"), &t.tree2, &what);
        if out.status.success() {
            assert_eq!(files.len(), 13, "{what}: a clean restore is the whole set");
        } else {
            let log = text(&out);
            assert!(
                log.contains("incomplete")
                    || log.contains("does not say which cartridge")
                    || log.contains("No backup set was found"),
                "{what}: {log}"
            );
        }
        files
    };
    let mut restored = BTreeMap::new();
    if let Some(s) = &second {
        restored = restore_second(&s.id, "OUT_B");
        let bytes: u64 = restored.values().map(|v| v.len() as u64).sum();
        // Every file whose data reached the tapes whole: at most the one being written at the
        // cut is missing, besides the format's own blocks (headers, padding of each medium's
        // last block, the end-of-medium trailer).
        let overhead = 3 * 2 * 64 * 1024 + 13 * 4096;
        assert!(
            bytes + t.largest + overhead >= written,
            "{what}: {written} bytes written, only {bytes} restored ({} files)",
            restored.len()
        );
    }

    // (d) The next backup, as it was run before, works, on blank cartridges only.
    let before_next = cartridges(&env);
    let out = run(&env, &backup_args("TREE", "third", false));
    assert!(out.status.success(), "{what}: next backup: {}", text(&out));
    let after_next = cartridges(&env);
    for (name, records) in &before_next {
        if !records.is_empty() {
            assert_eq!(
                &after_next[name], records,
                "{what}: the next backup wrote on {name}, which held data"
            );
        }
    }
    let third = row(&catalog_rows(&env), "third").unwrap();
    assert_eq!(third.status, "complete");
    let out = run(
        &env,
        &[
            &["restore", "--as-of", &third.id, "--to", "OUT_C"][..],
            &SPAN[..4],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{what}: {}", text(&out));
    assert_eq!(describe(&env.path().join("OUT_C/TREE")), t.tree, "{what}");

    // (c) again: the catalog rebuilt from the tapes alone tells the same story.
    let out = run(&env, &["catalog", "rebuild", "--tape", "vtl:L"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{what}: {}",
        text(&out)
    );
    check_catalog_integrity(&env);
    let rows = catalog_rows(&env);
    assert_eq!(row(&rows, "first").unwrap().status, "complete", "{what}");
    assert_eq!(row(&rows, "third").unwrap().status, "complete", "{what}");
    if let Some(s) = row(&rows, "second") {
        assert!(
            ["incomplete", "complete", "interrupted"].contains(&s.status.as_str()),
            "{what}: rebuilt as {}",
            s.status
        );
        let again = restore_second(&s.id, "OUT_B2");
        if s.status == "interrupted" {
            // Kept from the old catalog: the tapes hold nothing of it.
            assert!(restored.is_empty() && again.is_empty(), "{what}");
        }
        if second.is_some() && !restored.is_empty() {
            assert_eq!(
                again, restored,
                "{what}: the same files before and after the rebuild"
            );
        }
    } else {
        assert!(
            restored.is_empty(),
            "{what}: restored files of a set the tapes lack"
        );
    }
    Seen {
        died,
        catalog_status: second.map(|s| s.status),
        restored: restored.len(),
    }
}

/// Every named crash point, met while appending set "second" after set "first" on its last
/// cartridge and spanning three more (one point while writing a family of its own).
#[test]
fn a_backup_killed_at_every_crash_point_loses_only_what_it_had_not_written() {
    let t = template();
    // (point, passage, appended?) — an appended set takes 12 records on the cartridge of
    // set "first", then 32 on each cartridge after it; a set of its own 32 on each.
    let points: [(&str, u32, bool); 13] = [
        ("vtl.record.torn", 1, true),             // the set's very first record
        ("vtl.record.torn", 2, true),             // on the cartridge of set "first"
        ("vtl.record.torn", 30, true),            // a block write on the set's second cartridge
        ("vtl.record.torn", 70, false),           // a block write on a third cartridge
        ("vtl.record.written", 12, true),         // after a block, before its medium's trailer
        ("vtl.filemark.synced", 1, true),         // the end-of-medium trailer begun
        ("vtl.filemark.synced", 4, true),         // the second cartridge's trailer begun
        ("vtl.changer.move", 1, true),            // the full cartridge unloaded, not yet stored
        ("vtl.changer.move", 2, true),            // the drive empty, the next not yet loaded
        ("vtl.state.written", 3, true),           // the library's state mid-update (unload)
        ("catalog.entries.uncommitted", 1, true), // the set on tape, its entries uncommitted
        ("catalog.close.uncommitted", 1, true),   // the set closed on tape, not in the catalog
        ("catalog.close.committed", 1, true),     // closed everywhere, the job not yet ended
    ];
    let mut restored = Vec::new();
    for (point, n, append) in points {
        let seen = scenario(&t, Cut::At(point, n), append);
        assert!(seen.died);
        let listed = seen.catalog_status.as_deref();
        if point == "catalog.close.committed" {
            assert_eq!(listed, Some("complete"), "closed before the cut");
            assert_eq!(seen.restored, 13);
        } else {
            assert_eq!(listed, Some("interrupted"), "{point}:{n}");
        }
        restored.push(seen.restored);
    }
    // The cuts landed at different depths of the set.
    assert!(restored.contains(&0) && restored.iter().any(|&n| n > 0 && n < 13));
    // Appending to a cartridge whose last set was never closed is refused, with the reason.
    let env = Env::new();
    copy_tree(t.env.path(), env.path());
    let mut cmd = env.command(&backup_args("TREE2", "second", true));
    cmd.env("NTBACKUP_CRASH_AT", "vtl.record.written:20");
    assert_eq!(output(cmd, "crash").status.signal(), Some(6));
    let before = cartridges(&env);
    let out = run(&env, &backup_args("TREE2", "again", true));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("interrupted"),
        "the reason: {}",
        text(&out)
    );
    assert_eq!(cartridges(&env), before, "a refused append writes nothing");
    // Nor does a backup to the drive alone (no changer to fetch a blank one) write on it.
    let out = run(
        &env,
        &["backup", "TREE2", "--tape", "vtl:L", "--job", "standalone"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not overwritten unless the job says so"),
        "the reason: {}",
        text(&out)
    );
    assert_eq!(cartridges(&env), before, "a refused backup writes nothing");
}

/// xorshift64*, seeded from the clock (the seed is printed, to replay a failure).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// Random cuts: SIGKILL after a random delay, and aborts after a random number of records
/// (whole or torn), on a set of its own or an appended one.
#[test]
fn a_backup_killed_at_random_moments_loses_only_what_it_had_not_written() {
    let t = template();
    let seed = std::env::var("NTBACKUP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash sweep seed {seed} (NTBACKUP_CRASH_SEED replays it)");
    let mut rng = Rng(seed);
    // A set of three cartridges is about 75 records of 64 KiB and a few filemarks.
    let records = 75;
    // Kills land between 15 % and 95 % of the time the first backup took (the process starts,
    // opens the catalog and the drive before it writes anything).
    let took = t.took.as_millis() as u64;
    let mut seen = Vec::new();
    for i in 0..10 {
        let append = i % 2 == 0;
        let cut = match i % 3 {
            0 => Cut::Kill(Duration::from_millis(
                took * 15 / 100 + rng.below(took * 4 / 5),
            )),
            1 => Cut::At("vtl.record.written", 1 + rng.below(records) as u32),
            _ => Cut::At("vtl.record.torn", 1 + rng.below(records) as u32),
        };
        seen.push((cut, scenario(&t, cut, append)));
    }
    for (cut, s) in &seen {
        eprintln!("{cut:?}: {s:?}");
    }
    assert!(
        seen.iter().filter(|(_, s)| s.died).count() >= 5,
        "most cuts must land inside the job"
    );
}
