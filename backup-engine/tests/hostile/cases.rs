//! Each hostile case restored into a fresh sandbox, with every promise checked.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use backup_engine::policy::{MediaPolicy, MediaRequest, PolicyChain, PolicyContext, Supply};
use backup_engine::restore::{
    RestoreContext, RestoreJob, RestoreReport, SetSelection, run_restore,
};
use backup_engine::{EventLog, ManualClock};
use tape_core::FileDrive;
use tape_format::hostile::{Case, Expect, suite};

use crate::alloc::peak_of;
use crate::sandbox::{Node, Sandbox, walk};

/// The bound on what a restore of these media may hold at once. It holds two 1 MiB block
/// buffers and a few KiB of state; the largest structure really on these media is a 70 KiB
/// file. The media declare 15 MiB of metadata (under the reader's 16 MiB collection limit, so a
/// reader that reserved what is declared would allocate it), 1 TiB and 2^64-1 bytes: any
/// allocation sized by a declared length shows far above this.
const MEMORY_BOUND: usize = 8 << 20;

/// Loads the next `.bkf` of the list (what `ntbackup restore --tape file:A --tape file:B` does).
struct NextFile;

impl MediaPolicy for NextFile {
    fn name(&self) -> &str {
        "next file"
    }

    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        if cx.drive.status().is_ok_and(|s| s.ready) && cx.drive.unload().is_err() {
            return Supply::Declined("cannot unload".into());
        }
        if cx.drive.status().is_ok_and(|s| s.ready) {
            Supply::Loaded
        } else {
            Supply::Declined(format!(
                "media #{} was not among the files",
                request.sequence
            ))
        }
    }
}

/// Writes the case's media into the sandbox (next to the root, outside it) and restores them.
fn restore(case: &Case, sandbox: &Sandbox) -> (RestoreReport, Vec<String>, usize) {
    let paths: Vec<PathBuf> = case
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let p = sandbox.dir.path().join(format!("{}.{i}.bkf", case.name));
            std::fs::write(&p, m).unwrap();
            p
        })
        .collect();
    let mut drive = FileDrive::open(paths, false).unwrap();
    let mut job = RestoreJob::new("hostile", sandbox.root());
    job.sets = SetSelection::All;
    let mut policy = PolicyChain::new().then(NextFile);
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let mut events = EventLog::default();
    let (report, peak) = peak_of(|| {
        run_restore(
            &job,
            RestoreContext {
                drive: &mut drive,
                policy: &mut policy,
                clock: &clock,
                events: &mut events,
                catalog: None,
            },
        )
    });
    let report = report.unwrap_or_else(|e| panic!("{}: the restore failed: {e}", case.name));
    (report, events.lines(), peak)
}

fn text(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// Matches each expected refusal with one refusal of the report (in order), and no more.
fn check_refused(name: &str, expect: &Expect, report: &RestoreReport) {
    let mut left: Vec<String> = report
        .refused
        .iter()
        .map(|(what, why)| format!("{what}: {why}"))
        .collect();
    for (token, why) in &expect.refused {
        let found = left
            .iter()
            .position(|line| line.contains(token.as_str()) && line.contains(why));
        match found {
            Some(i) => {
                left.remove(i);
            }
            None => panic!(
                "{name}: no refusal of {token:?} saying {why:?} among {:#?}",
                report.refused
            ),
        }
    }
    assert!(left.is_empty(), "{name}: refused unexpectedly: {left:#?}");
}

fn check_damaged(name: &str, expect: &Expect, report: &RestoreReport) {
    for word in &expect.damaged {
        assert!(
            report.damaged.iter().any(|d| d.contains(word)),
            "{name}: no damage mentions {word:?}: {:#?}",
            report.damaged
        );
    }
    if expect.damaged.is_empty() {
        assert!(
            report.damaged.is_empty(),
            "{name}: unexpected damage {:#?}",
            report.damaged
        );
    }
}

/// What is under the root is exactly what the case expects (plus directories).
fn check_tree(name: &str, expect: &Expect, sandbox: &Sandbox) {
    let tree = walk(&sandbox.root());
    for (path, data) in &expect.files {
        match tree.get(path.as_bytes()).map(|e| &e.node) {
            Some(Node::File(got)) => assert!(got == data, "{name}: {path} differs"),
            other => panic!("{name}: {path} is {other:?}, not the file expected"),
        }
    }
    for (path, target) in &expect.links {
        match tree.get(path.as_bytes()).map(|e| &e.node) {
            Some(Node::Link(got)) => assert_eq!(got, target, "{name}: {path}"),
            other => panic!("{name}: {path} is {other:?}, not a link"),
        }
    }
    for path in &expect.dirs {
        assert_eq!(
            tree.get(path.as_bytes()).map(|e| &e.node),
            Some(&Node::Dir),
            "{name}: {path}"
        );
    }
    for path in &expect.absent {
        assert!(!tree.contains_key(path.as_bytes()), "{name}: {path} exists");
    }
    let wanted: std::collections::BTreeSet<&[u8]> = expect
        .files
        .iter()
        .chain(&expect.links)
        .map(|(p, _)| p.as_bytes())
        .collect();
    let extra: Vec<String> = tree
        .iter()
        .filter(|(p, e)| e.node != Node::Dir && !wanted.contains(p.as_slice()))
        .map(|(p, e)| format!("{} ({:?})", text(p), e.node))
        .collect();
    assert!(extra.is_empty(), "{name}: unexpected entries {extra:#?}");
}

/// Restores `name` of the suite and checks every promise.
fn run_case(name: &str) {
    let sandbox = Sandbox::new();
    let case = suite(&sandbox.outside())
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    let before = sandbox.outside_root();
    let root_before = std::fs::metadata(sandbox.root()).unwrap();
    let (report, log, peak) = restore(&case, &sandbox);
    let after = sandbox.outside_root();
    // Nothing outside the root changed: no file written, no link followed, no hard link made to
    // a canary file (its link count would change), no directory entry added.
    let added: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(
        added.iter().all(|k| k.ends_with(b".bkf")),
        "{name}: created outside the root: {:?}",
        added.iter().map(|k| text(k)).collect::<Vec<_>>()
    );
    for (path, entry) in &before {
        assert_eq!(
            after.get(path),
            Some(entry),
            "{name}: {} changed",
            text(path)
        );
    }
    // The root itself is the user's: its mode and times are not the medium's to set.
    let root_after = std::fs::metadata(sandbox.root()).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        (root_after.mode(), root_after.uid()),
        (root_before.mode(), root_before.uid()),
        "{name}: the restore root's mode or owner changed"
    );
    assert!(
        root_after.mtime() >= root_before.mtime(),
        "{name}: root mtime set back"
    );
    assert!(
        peak < MEMORY_BOUND,
        "{name}: the restore held {peak} bytes at once"
    );
    let context = format!("{report:#?}\n{log:#?}");
    if std::env::var("HOSTILE_SHOW").is_ok() {
        println!("{name}: peak {peak} bytes\n{context}");
    }
    check_refused(name, &case.expect, &report);
    check_damaged(name, &case.expect, &report);
    assert_eq!(
        report.incomplete.is_some(),
        case.expect.incomplete,
        "{name}: {context}"
    );
    check_tree(name, &case.expect, &sandbox);
    // Every refusal and damage was also said as it happened.
    for (what, _) in &report.refused {
        assert!(
            log.iter().any(|l| l.contains(what.as_str())),
            "{name}: {what} not logged"
        );
    }
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { run_case(stringify!($name)); })*

        #[test]
        fn every_case_of_the_suite_is_tested_here() {
            let tested = [$(stringify!($name)),*];
            for case in suite("/x") {
                assert!(tested.contains(&case.name), "{} is not tested", case.name);
            }
        }
    };
}

cases!(
    dotdot,
    absolute,
    drive_letters,
    unc,
    slash_in_name,
    nul_and_invalid_utf16,
    deep,
    long_names,
    duplicates,
    symlink_then_file,
    hard_link_escapes,
    link_loops,
    unix_kinds,
    root_metadata,
    huge_lengths,
    lying_checksums,
    truncated_mid_header,
    truncated_mid_stream_header,
    truncated_mid_metadata,
    truncated_mid_data,
    self_continuation,
    mixed,
);
