//! NTBackup's command line, run as written against virtual libraries (issue 6).

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Instant;

use crate::Env;

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub(crate) fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// UTF-16LE, as NTBackup and Notepad's "Unicode" save a .bks.
pub(crate) fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

/// A small tree: DATA/{a.txt, notes/b.txt, cache/c.bin, logs/x.log, logs/y.log, logs/z.txt}.
pub(crate) fn small_tree(root: &Path) {
    for (p, content) in [
        ("a.txt", "alpha\n"),
        ("notes/b.txt", "beta\n"),
        ("cache/c.bin", "cache\n"),
        ("logs/x.log", "x\n"),
        ("logs/y.log", "y\n"),
        ("logs/z.txt", "z\n"),
    ] {
        let path = root.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
}

const SEED: &str = "/v:no /r:no /rs:no /hc:on /m normal /j \"Test\" /l:s /p \"4mm DDS\" /um /UP";

#[test]
fn the_seed_line_literally_on_a_fresh_home() {
    let env = Env::new();
    small_tree(&env.path().join("DATA"));
    let dir = Path::new("/tmp/x");
    let created = !dir.exists();
    fs::create_dir_all(dir).unwrap();
    let bks = dir.join("Test.bks");
    fs::write(
        &bks,
        utf16le(
            &format!("{}\\\r\n", env.path().join("DATA").display()),
            true,
        ),
    )
    .unwrap();
    let out = env.shell(&format!("ntbackup backup \"@/tmp/x/Test.bks\" {SEED}"));
    let _ = fs::remove_file(&bks);
    if created {
        let _ = fs::remove_dir(dir);
    }
    assert_eq!(code(&out), 0, "{}", text(&out));
    let log = fs::read_to_string(env.path().join("home/logs/backup01.log")).unwrap();
    assert!(
        log.contains("Backup completed on") && log.contains("Files: 6"),
        "{log}"
    );
    assert!(text(&out).contains("Note: /HC:on"), "{}", text(&out));
}

#[test]
fn the_seed_line_with_a_bks_of_exclusions_and_wildcards() {
    let env = Env::new();
    let data = env.path().join("DATA");
    small_tree(&data);
    let d = data.display();
    // No BOM this time, as the Delphi wrapper writes them; a directory, an exclusion, a wildcard.
    fs::write(
        env.path().join("Test.bks"),
        utf16le(
            &format!("{d}/notes/\r\n{d}/a.txt\r\n{d}/logs/*.log\r\n{d}/notes/b.txt /exclude\r\n"),
            false,
        ),
    )
    .unwrap();
    let out = env.shell(&format!("ntbackup backup \"@Test.bks\" {SEED} --json"));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "completed", "{report}");
    assert_eq!(report["files"], 3, "a.txt, x.log, y.log: {report}");
    assert_eq!(report["media"][0]["barcode"], "VT0001");
    // A second run takes the next blank cartridge: the first holds a live set.
    let out = env.shell(&format!("ntbackup backup \"@Test.bks\" {SEED} --json"));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["media"][0]["barcode"], "VT0002", "{report}");
    assert!(text(&out).contains("VT0001 refused"), "{}", text(&out));
}

/// A library of 8 MiB cartridges and a pool holding only VT0001; TREE needs two cartridges.
pub(crate) fn one_cartridge_pool(env: &Env) {
    env.ok(&[
        "vtl",
        "create",
        "L",
        "--slots",
        "4",
        "--capacity",
        "8MiB",
        "--early-warning",
        "512KiB",
    ]);
    env.ok(&["pool", "create", "4mm DDS", "--tape", "vtl:L", "VT0001"]);
    let tree = env.path().join("TREE");
    fs::create_dir_all(&tree).unwrap();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let big: Vec<u8> = (0..12_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    fs::write(tree.join("big"), big).unwrap();
    fs::write(tree.join("small"), b"small\n").unwrap();
    fs::write(
        env.path().join("T.bks"),
        utf16le(&format!("{}\\\r\n", tree.display()), true),
    )
    .unwrap();
}

#[test]
fn fails_cleanly_when_a_second_tape_is_needed_and_nobody_answers() {
    let env = Env::new();
    one_cartridge_pool(&env);
    let started = Instant::now();
    let out = env.shell(&format!(
        "NTBACKUP_PROMPT_TIMEOUT=3 ntbackup backup \"@T.bks\" {SEED} </dev/null"
    ));
    assert_eq!(code(&out), 5, "waiting timed out: {}", text(&out));
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
    let all = text(&out);
    assert!(
        all.contains("Request ") && all.contains("ntbackup operator ack"),
        "{all}"
    );
    assert!(
        all.contains("The operation did not successfully complete."),
        "{all}"
    );
    let log = fs::read_to_string(env.path().join("home/logs/backup01.log")).unwrap();
    assert!(
        log.contains("The operation did not successfully complete."),
        "{log}"
    );
    assert!(
        log.contains("Waiting for another blank or expired medium"),
        "{log}"
    );
    // The request is gone from the spool once the job gave up.
    assert!(env.ok(&["operator", "list"]).contains("No request"));
    // The other final action: hand over to the next policy (abort): the failed code.
    let out = env.shell(&format!(
        "ntbackup backup \"@T.bks\" {SEED} --prompt-timeout 2 --on-timeout next </dev/null"
    ));
    assert_eq!(code(&out), 3, "{}", text(&out));
}

#[test]
fn every_conflict_gives_its_error() {
    let env = Env::new();
    fs::create_dir_all(env.path().join("D")).unwrap();
    for (line, want) in [
        ("/P pool /A /T t", "/P cannot be combined with /A"),
        ("/P pool /G g", "/P cannot be combined with /G"),
        ("/P pool /T t", "/P cannot be combined with /T"),
        ("/P pool /F x.bkf", "/P cannot be combined with /F"),
        ("/F x.bkf /G g", "/F cannot be combined with /G"),
        ("/F x.bkf /T t", "/F cannot be combined with /T"),
        ("/T t /A /N name", "/N cannot be combined with /A"),
        ("/A", "/A needs /G"),
        ("/up", "/UP in capitals"),
        ("/V:maybe", "expected yes or no"),
        (
            "/M weekly",
            "expected normal, copy, incremental, differential or daily",
        ),
        ("/L:x", "f (full), s (summary) or n (none)"),
        ("/J", "/J needs a value"),
        ("/j a /J b", "/J is given twice"),
        ("/UM:x", "/UM takes no value"),
        ("/DS ex1", "Exchange"),
        ("/b", "NT 4.0 syntax"),
        ("/G 0F1E-77", "RSM GUID"),
        ("/T monday", "/T without /A would replace the named tape"),
        ("/A /T monday", "no media named \"monday\""),
        ("/P nosuchpool", "no media pool named \"nosuchpool\""),
        ("'C:\\data' /j x", "Windows path"),
        ("/j x --bogus", "--bogus"),
    ] {
        let out = env.shell(&format!("ntbackup backup D/ {line}"));
        assert!(
            matches!(code(&out), 2 | 3),
            "{line}: code {} {}",
            code(&out),
            text(&out)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{line}: want {want:?} in {err}");
    }
    let out = env.shell("ntbackup backup systemstate /M incremental /j x");
    assert!(text(&out).contains("systemstate can only be backed up with /M normal or /M copy"));
    let out = env.shell("ntbackup backup \"@\"");
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        env.ok(&["backup", "/?"])
            .contains("A token is a switch only if")
    );
}

#[test]
fn a_bks_with_windows_paths_is_refused_naming_the_line_unless_mapped() {
    let env = Env::new();
    small_tree(&env.path().join("C/DATA"));
    fs::write(
        env.path().join("W.bks"),
        utf16le("C:\\DATA\\\r\nC:\\DATA\\cache\\ /exclude\r\n", true),
    )
    .unwrap();
    let out = env.shell("ntbackup backup @W.bks /j w /F w.bkf");
    assert_eq!(code(&out), 2, "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("W.bks") && err.contains("line 1") && err.contains("--map-drive C="),
        "{err}"
    );
    let c = env.path().join("C");
    let out = env.shell(&format!(
        "ntbackup backup @W.bks /j w /F w.bkf --map-drive C={} --json",
        c.display()
    ));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"], 5, "cache/ is excluded: {report}");
}

#[test]
fn systemstate_is_explained_not_silently_dropped() {
    let env = Env::new();
    small_tree(&env.path().join("DATA"));
    fs::write(env.path().join("S.bks"), "DATA/\nSystemState\n").unwrap();
    let out = env.shell("ntbackup backup @S.bks /j s /F s.bkf");
    assert_eq!(code(&out), 1, "completed with a warning: {}", text(&out));
    assert!(text(&out).contains("System State"), "{}", text(&out));
    let out = env.shell("ntbackup backup systemstate /j s /F s2.bkf");
    assert_eq!(code(&out), 2, "{}", text(&out));
}

#[test]
fn slash_f_writes_a_bkf_replaces_it_and_never_replaces_other_files() {
    let env = Env::new();
    small_tree(&env.path().join("DATA"));
    let line = "ntbackup backup DATA/ /j f /F out.bkf /m copy /d \"Desc\"";
    let out = env.shell(line);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = env.shell(line);
    assert_eq!(code(&out), 0, "replaced: {}", text(&out));
    assert!(text(&out).contains("is replaced"), "{}", text(&out));
    let listing = env.ok(&["list", "--tape", "file:out.bkf"]);
    assert!(listing.contains("a.txt"), "{listing}");
    fs::write(env.path().join("notes.txt"), "precious").unwrap();
    let out = env.shell("ntbackup backup DATA/ /j f /F notes.txt");
    assert_ne!(code(&out), 0);
    assert!(
        text(&out).contains("not an NTBackup .bkf"),
        "{}",
        text(&out)
    );
    assert_eq!(fs::read(env.path().join("notes.txt")).unwrap(), b"precious");
}

#[test]
fn a_directory_that_looks_like_a_switch_is_named_with_a_slash() {
    let env = Env::new();
    small_tree(&env.path().join("t"));
    // `t/` is a path; `/t` would be the tape-name switch.
    let out = env.shell("ntbackup backup t/ /j t /F t.bkf --json");
    assert_eq!(code(&out), 0, "{}", text(&out));
    // The modern syntax still works with a path that starts with a slash.
    let abs = env.path().join("t");
    let out = env.shell(&format!(
        "ntbackup backup {} --tape file:m.bkf --job modern --json",
        abs.display()
    ));
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn slash_um_refuses_foreign_data_with_the_reason_and_never_hangs() {
    let env = Env::new();
    small_tree(&env.path().join("DATA"));
    env.ok(&["vtl", "create", "L", "--slots", "3"]);
    // VT0001 carries another program's data (a tar-like blob).
    env.ok(&["vtl", "insert", "L", "--drive", "0", "--barcode", "VT0001"]);
    fs::write(env.path().join("blob"), vec![0x5Au8; 70_000]).unwrap();
    env.ok(&["tape", "write", "blob", "--tape", "vtl:L", "--filemark"]);
    env.ok(&["vtl", "eject", "L", "--drive", "0"]);
    env.ok(&[
        "pool",
        "create",
        "only-foreign",
        "--tape",
        "vtl:L",
        "VT0001",
    ]);
    env.ok(&[
        "pool", "create", "mixed", "--tape", "vtl:L", "VT0001", "VT0002",
    ]);
    // Only a foreign cartridge in the pool: refused with the reason, the job fails at once.
    let started = Instant::now();
    let out = env.shell("ntbackup backup DATA/ /j f /p only-foreign /um </dev/null");
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(started.elapsed().as_secs() < 20);
    let all = text(&out);
    assert!(
        all.contains("VT0001 refused") && all.contains("another program"),
        "{all}"
    );
    // With a blank one beside it, the foreign one is passed over and the blank one used.
    let out = env.shell("ntbackup backup DATA/ /j m /p mixed /um --json </dev/null");
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["media"][0]["barcode"], "VT0002", "{report}");
    // VT0003 is not in the pool: never used, even when left in the drive.
    env.ok(&["vtl", "insert", "L", "--drive", "0", "--barcode", "VT0003"]);
    let out = env.shell("ntbackup backup DATA/ /j m2 /p mixed /um </dev/null");
    assert_eq!(code(&out), 3, "the pool is used up: {}", text(&out));
    assert!(
        text(&out).contains("VT0003 is not in the pool"),
        "{}",
        text(&out)
    );
    let status: serde_json::Value =
        serde_json::from_str(&env.ok(&["vtl", "status", "L", "--json"])).unwrap();
    let blank = |tag: &str| {
        ["drives", "slots"]
            .iter()
            .flat_map(|k| status[k].as_array().unwrap().iter())
            .find(|e| e["cartridge"]["barcode"] == tag)
            .map(|e| e["cartridge"]["blank"].clone())
    };
    assert_eq!(blank("VT0003"), Some(serde_json::Value::Bool(true)));
}
