//! Walking real trees.

use std::fs;
use std::os::unix::fs::symlink;

use backup_engine::Selection;
use backup_engine::walk::{EntryKind, Walk, WalkEvent, WalkOptions};

#[test]
fn directories_come_before_their_files_and_every_kind_is_handled() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    fs::create_dir_all(root.join("b/deep")).unwrap();
    fs::create_dir_all(root.join("a")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::create_dir_all(root.join("skipme")).unwrap();
    fs::write(root.join("z.txt"), b"z").unwrap();
    fs::write(root.join("a/one"), b"1").unwrap();
    fs::write(root.join("b/deep/two"), b"22").unwrap();
    fs::write(root.join("b/x.tmp"), b"tmp").unwrap();
    fs::hard_link(root.join("a/one"), root.join("b/one-again")).unwrap();
    symlink("../z.txt", root.join("a/link")).unwrap();
    nix::unistd::mkfifo(
        &root.join("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let selection = Selection::new([&root], ["*.tmp", "skipme"]).unwrap();
    let mut seen = Vec::new();
    let mut skipped = Vec::new();
    for event in Walk::new(&selection, WalkOptions::default()) {
        match event {
            WalkEvent::Entry(e) => {
                let rel = e
                    .path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let kind = match &e.kind {
                    EntryKind::Directory => "dir".to_owned(),
                    EntryKind::File => format!("file {}", e.info.size),
                    EntryKind::Symlink(t) => format!("link -> {}", t.to_string_lossy()),
                    EntryKind::HardLink(first) => format!(
                        "hardlink = {}",
                        first.strip_prefix(&root).unwrap().display()
                    ),
                    other => panic!("{other:?}"),
                };
                seen.push(format!("{rel}: {kind}"));
            }
            WalkEvent::Skipped { path, reason } => skipped.push((path, reason)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            ": dir",
            "z.txt: file 1",
            "a: dir",
            "a/link: link -> ../z.txt",
            "a/one: file 1",
            "b: dir",
            "b/one-again: hardlink = a/one",
            "b/deep: dir",
            "b/deep/two: file 2",
            "empty: dir",
        ]
    );
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].0, root.join("fifo"));
    assert!(skipped[0].1.contains("named pipe"));
}

#[test]
fn a_missing_root_is_reported_and_the_others_walked() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("rel")).unwrap();
    fs::write(dir.path().join("rel/f"), b"x").unwrap();
    let selection = Selection::new(
        [dir.path().join("rel"), dir.path().join("missing")],
        [] as [&str; 0],
    )
    .unwrap();
    let events: Vec<WalkEvent> = Walk::new(&selection, WalkOptions::default()).collect();
    assert_eq!(events.len(), 3);
    assert!(
        matches!(&events[0], WalkEvent::Skipped { path, reason } if path.ends_with("missing") && reason.contains("cannot read"))
    );
    assert!(matches!(&events[1], WalkEvent::Entry(e) if e.path == dir.path().join("rel")));
    assert!(matches!(&events[2], WalkEvent::Entry(e) if e.path == dir.path().join("rel/f")));
}
