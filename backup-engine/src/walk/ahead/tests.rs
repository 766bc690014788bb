#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)] // test data: bytes from counters

use super::*;
use crate::Selection;
use crate::walk::{Source, Walk, WalkEvent, WalkOptions};
use std::path::Path;

fn content(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect()
}

/// What a walk yields, entry by entry (atimes left out: a read may set them), with each
/// regular file's data as read from its source; and how many came read ahead.
fn walked(root: &Path, setup: impl FnOnce(&mut Walk)) -> (Vec<String>, usize) {
    walked_reading(root, setup, &mut |_| false)
}

/// As [`walked`], for a reader that reads the files `reads` picks.
fn walked_reading(
    root: &Path,
    setup: impl FnOnce(&mut Walk),
    reads: &mut dyn FnMut(&crate::walk::Entry) -> bool,
) -> (Vec<String>, usize) {
    let selection = Selection::new([root], [] as [&str; 0]).unwrap();
    let mut walk = Walk::new(&selection, WalkOptions::default());
    setup(&mut walk);
    let mut out = Vec::new();
    let mut ahead = 0;
    while let Some((event, source)) = walk.next_reading(reads) {
        match event {
            WalkEvent::Entry(mut e) => {
                e.info.atime = Default::default();
                let body = (e.kind == crate::walk::EntryKind::File).then(|| match source {
                    Source::Open(body) => body,
                    Source::Dir(dir) => Body::Open(crate::walk::open_file(&dir, &mut e).unwrap()),
                    Source::Path => Body::Open(File::open(&e.path).unwrap()),
                });
                let data = body.map(|mut body| {
                    ahead += usize::from(matches!(body, Body::Read(_)));
                    let mut data = Vec::new();
                    body.read_to_end(&mut data).unwrap();
                    data
                });
                out.push(format!("{e:?} {data:?}"));
            }
            WalkEvent::Skipped { path, reason } => out.push(format!("{path:?} {reason}")),
        }
    }
    (out, ahead)
}

/// `got` is `want`; else the first difference.
fn same(got: &[String], want: &[String], what: &str) {
    if let Some((g, w)) = got.iter().zip(want).find(|(g, w)| g != w) {
        panic!("{what}: got\n{g}\nwhere\n{w}");
    }
    assert_eq!(got.len(), want.len(), "{what}");
}

/// Three directories of `WINDOW + 40` files of sizes either side of what helpers read, 30
/// small directories, hard links across directories, a symbolic link, a FIFO and (where the
/// file system has them) an extended attribute.
fn every_kind(root: &Path) {
    let small = SMALL as usize;
    for d in 0..3 {
        let sub = root.join(format!("d{d}"));
        std::fs::create_dir(&sub).unwrap();
        // More files than the window, of sizes either side of what helpers read.
        for f in 0..(WINDOW + 40) {
            let size = [0, 1, 4096, small, small + 1, 200_000][f % 6];
            std::fs::write(sub.join(format!("f{f:03}")), content(size, f as u8)).unwrap();
        }
    }
    // A tree of small directories, some empty, some deep: listed ahead for the helpers.
    for n in 0..30 {
        let sub = root.join(format!("d1/n{n:02}/m"));
        std::fs::create_dir_all(&sub).unwrap();
        for f in 0..n % 3 {
            std::fs::write(sub.join(format!("g{f}")), content(100 * f, n as u8)).unwrap();
        }
    }
    std::fs::hard_link(root.join("d0/f002"), root.join("d1/again")).unwrap();
    std::fs::hard_link(root.join("d1/n02/m/g1"), root.join("d2/again")).unwrap();
    std::os::unix::fs::symlink("d0/f001", root.join("link")).unwrap();
    crate::testing::fifo(&root.join("d2/fifo"));
    let _ = xattr::set(root.join("d0/f002"), "user.k", b"v");
}

/// [`every_kind`] in a new directory, and what a walk opening each file at its turn yields.
fn every_kind_at_turn() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    every_kind(dir.path());
    let (at_turn, none) = walked(dir.path(), |w| w.open_eagerly(false));
    assert_eq!(none, 0);
    (dir, at_turn)
}

#[test]
fn files_read_ahead_by_helpers_arrive_exactly_as_files_opened_at_their_turn() {
    let (dir, at_turn) = every_kind_at_turn();
    let root = dir.path();
    let (eager, _) = walked(root, |w| {
        w.options.read_threads = Some(0);
        w.open_eagerly(true);
    });
    same(&eager, &at_turn, "opened by the walk");
    for threads in [1, 3] {
        // Every file by the helpers: none taken by the walk.
        let (helped, ahead) = walked(root, |w| w.open_eagerly_by_helpers(threads));
        same(&helped, &at_turn, &format!("{threads} helpers"));
        // Files of at most SMALL bytes (four sizes in six) come read (the hard link's
        // second name is read too, but not counted: its data is not wanted).
        let small_files = (0..WINDOW + 40).filter(|f| f % 6 < 4).count();
        let nested: usize = (0..30).map(|n| n % 3).sum();
        assert_eq!(ahead, 3 * small_files + nested, "{threads} helpers");
        // Helpers and the walk, whichever gets there first (the helpers given files while
        // they seem slow: at first).
        let (shared, ahead) = walked(root, |w| {
            w.options.read_threads = Some(threads);
            w.open_eagerly(true);
            w.helpers.as_ref().unwrap().cost().pretend_slow();
        });
        same(&shared, &at_turn, &format!("{threads} helpers, shared"));
        assert!(ahead > 0, "{threads} helpers, shared: none read ahead");
    }
}

#[test]
fn the_files_a_reader_reads_are_read_ahead_for_it_exactly_as_at_their_turn() {
    let (dir, at_turn) = every_kind_at_turn();
    let root = dir.path();
    // The reader reads the files whose names end in an odd digit (an incremental backup's
    // changed files); the walk asks about each regular file once, and about nothing else.
    let odd = |e: &crate::walk::Entry| {
        e.path
            .to_string_lossy()
            .ends_with(['1', '3', '5', '7', '9'])
    };
    let names = 3 * (WINDOW + 40) + (0..30).map(|n| n % 3).sum::<usize>() + 2;
    // Files of at most SMALL bytes come read: sizes 1 and SMALL of the odd ones in the three
    // directories, and the g1 of every third small directory.
    let small_odd = 3 * (0..WINDOW + 40).filter(|f| f % 2 == 1 && f % 6 < 4).count() + 10;
    for threads in [1, 3] {
        let mut asked = std::collections::BTreeMap::<std::path::PathBuf, usize>::new();
        let (helped, ahead) = walked_reading(root, |w| w.read_by_helpers(threads), &mut |e| {
            assert_eq!(e.kind, crate::walk::EntryKind::File, "{:?}", e.path);
            *asked.entry(e.path.clone()).or_default() += 1;
            odd(e)
        });
        same(&helped, &at_turn, &format!("{threads} helpers"));
        assert_eq!(ahead, small_odd, "{threads} helpers");
        assert_eq!(asked.len(), names, "{threads} helpers");
        assert!(
            asked.values().all(|&n| n == 1),
            "{threads} helpers: {asked:?}"
        );
        // Helpers and the walk, whichever gets there first.
        let (shared, _) = walked_reading(
            root,
            |w| {
                w.options.read_threads = Some(threads);
                w.open_eagerly(false);
                w.helpers.as_ref().unwrap().cost().pretend_slow();
            },
            &mut |e| odd(e),
        );
        same(&shared, &at_turn, &format!("{threads} helpers, shared"));
    }
    // While files come quickly, nothing is asked and nothing read ahead.
    let (quick, ahead) = walked_reading(root, |w| w.open_eagerly(false), &mut |e| {
        panic!("asked of {:?} while files come quickly", e.path)
    });
    same(&quick, &at_turn, "files quick");
    assert_eq!(ahead, 0);
}

/// The reads of `body` with these buffer sizes, then one more.
fn reads(mut body: impl Read, sizes: &[usize]) -> Vec<Result<Vec<u8>, io::ErrorKind>> {
    sizes
        .iter()
        .chain([&64])
        .map(|&n| {
            let mut buf = vec![0; n];
            body.read(&mut buf)
                .map(|k| buf[..k].to_vec())
                .map_err(|e| e.kind())
        })
        .collect()
}

#[test]
fn a_read_ahead_gives_back_what_reading_the_file_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, content(100, 3)).unwrap();
    // Walked at 100 bytes; at 99 (it grew since: the extra byte shows); at 150 (it shrank).
    for walked in [100, 99, 150, 0] {
        let ahead = Preread::of(File::open(&path).unwrap(), walked);
        let limit = (walked + 1).min(100) as usize;
        assert_eq!(ahead.data, content(limit, 3), "walked at {walked}");
        let sizes = [10, 60, 1, 64];
        let mut file = File::open(&path).unwrap();
        let mut expected = reads(&mut file, &sizes);
        // The file itself goes on past what was read ahead: stop there, as the read
        // ahead does.
        let mut at = 0;
        for bytes in expected.iter_mut().flatten() {
            let keep = bytes.len().min(limit - at);
            bytes.truncate(keep);
            at += keep;
        }
        assert_eq!(reads(ahead, &sizes), expected, "walked at {walked}");
    }
    // An error is given back after the bytes read before it, once.
    let failed = Preread::of(File::open(dir.path()).unwrap(), 10);
    let got = reads(failed, &[8]);
    assert!(
        matches!(got[0], Err(io::ErrorKind::IsADirectory)),
        "{got:?}"
    );
    assert_eq!(got[1], Ok(Vec::new()));
}

/// A directory of `n` directories, each holding a one-byte file of each name.
fn small_dirs(n: usize, names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in 0..n {
        let sub = dir.path().join(format!("d{d:02}"));
        std::fs::create_dir(&sub).unwrap();
        for name in names {
            std::fs::write(sub.join(name), name.as_bytes()).unwrap();
        }
    }
    dir
}

#[test]
fn the_walk_lists_directories_ahead_for_its_helpers() {
    let dir = small_dirs(50, &["a", "b"]);
    let selection = Selection::new([dir.path()], [] as [&str; 0]).unwrap();
    let mut walk = Walk::new(&selection, WalkOptions::default());
    walk.open_eagerly_by_helpers(1);
    // The root's entry: it holds no file, yet a window's worth of the files below it is
    // with the helpers.
    let (first, _) = walk.next_with_source().unwrap();
    assert!(matches!(first, WalkEvent::Entry(e) if e.path == dir.path()));
    assert_eq!(walk.handed, WINDOW);
    // Listed ahead, not all: 64 files are in 32 directories, 3 events each.
    assert!(walk.queue.len() < 3 * 50, "{}", walk.queue.len());
    let rest = std::iter::from_fn(|| walk.next_with_source()).count();
    assert_eq!(rest, 50 * 3);
    // The subdirectories were given to the helpers to read before the walk listed them
    // (16 ahead, one more each time the walk went into one): all but the first, which the
    // walk went into at once.
    let lists = walk
        .helpers
        .as_ref()
        .unwrap()
        .shared
        .lists
        .load(Ordering::Relaxed);
    assert_eq!(lists, 49);
}

#[test]
fn a_name_listed_ahead_of_its_turn_is_a_link_to_the_name_given_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("x"), b"data").unwrap();
    let f = dir.path().join("f");
    std::fs::hard_link(d.join("x"), &f).unwrap();
    // The second selected path, a file, is visited ahead while d/x waits for its turn.
    let kinds = |by_helpers: bool| {
        let selection = Selection::new([&d, &f], [] as [&str; 0]).unwrap();
        let mut walk = Walk::new(&selection, WalkOptions::default());
        if by_helpers {
            walk.open_eagerly_by_helpers(1);
        } else {
            walk.options.read_threads = Some(0);
            walk.open_eagerly(true);
        }
        std::iter::from_fn(|| walk.next_with_source())
            .map(|(event, _)| match event {
                WalkEvent::Entry(e) => (e.path, e.kind),
                WalkEvent::Skipped { path, reason } => panic!("{path:?}: {reason}"),
            })
            .collect::<Vec<_>>()
    };
    let want = vec![
        (d.clone(), crate::walk::EntryKind::Directory),
        (d.join("x"), crate::walk::EntryKind::File),
        (f.clone(), crate::walk::EntryKind::HardLink(d.join("x"))),
    ];
    assert_eq!(kinds(false), want);
    assert_eq!(kinds(true), want);
}

#[test]
fn a_walk_that_opens_no_file_has_its_directories_read_ahead_while_they_are_slow() {
    let dir = small_dirs(40, &["a"]);
    let walk = |slow: bool| {
        let selection = Selection::new([dir.path()], [] as [&str; 0]).unwrap();
        let mut walk = Walk::new(&selection, WalkOptions::default());
        // An incremental backup's walk: every entry is looked at first, none opened.
        walk.open_eagerly(false);
        let helpers = walk.helpers.as_ref().unwrap();
        if slow {
            helpers.dir_cost().pretend_slow();
        }
        let shared = Arc::clone(&helpers.shared);
        let events = std::iter::from_fn(|| walk.next_with_source())
            .map(|(event, _)| format!("{event:?}"))
            .collect::<Vec<_>>();
        (events, shared.lists.load(Ordering::Relaxed))
    };
    let (quick, none) = walk(false);
    assert_eq!(none, 0);
    let (slow, lists) = walk(true);
    assert!(lists > 0);
    // atimes aside (reading a directory may set one), the same events.
    let cut = |e: &String| e.split("atime").next().unwrap_or_default().to_owned();
    assert_eq!(
        slow.iter().map(cut).collect::<Vec<_>>(),
        quick.iter().map(cut).collect::<Vec<_>>()
    );
}

#[test]
fn files_are_handed_over_while_they_are_slow_to_come() {
    let cost = Cost::default();
    assert!(!cost.slow());
    // A tree in memory: microseconds a file.
    for _ in 0..100 {
        cost.note(Duration::from_micros(10));
    }
    assert!(!cost.slow());
    // A disk: a few slow files are enough to hand files over...
    let mut n = 0;
    while !cost.slow() {
        cost.note(Duration::from_micros(200));
        n += 1;
    }
    assert_eq!(n, 2);
    // ...and back in memory, a few fast ones to stop.
    let mut n = 0;
    while cost.slow() {
        cost.note(Duration::from_micros(10));
        n += 1;
    }
    assert!((1..=8).contains(&n), "{n}");
    // One file put off for seconds on a busy machine is not enough.
    for _ in 0..50 {
        cost.note(Duration::from_micros(10));
    }
    cost.note(Duration::from_secs(100));
    assert!(!cost.slow());

    // The helpers hear of the walk's own reads.
    let dir = tempfile::tempdir().unwrap();
    let selection = Selection::new([dir.path()], [] as [&str; 0]).unwrap();
    let mut walk = Walk::new(&selection, WalkOptions::default());
    walk.open_eagerly(true);
    let helpers = walk.helpers.as_ref().unwrap();
    assert!(!helpers.wanted());
    for _ in 0..4 {
        walk.took(Duration::from_millis(1));
    }
    assert!(walk.helpers.as_ref().unwrap().wanted());
}

#[test]
fn a_walk_dropped_midway_stops_its_helpers() {
    let dir = tempfile::tempdir().unwrap();
    for f in 0..500 {
        std::fs::write(dir.path().join(format!("f{f:03}")), b"x").unwrap();
    }
    let selection = Selection::new([dir.path()], [] as [&str; 0]).unwrap();
    let mut walk = Walk::new(&selection, WalkOptions::default());
    walk.open_eagerly(true);
    walk.helpers.as_ref().unwrap().cost().pretend_slow();
    for _ in 0..10 {
        walk.next_with_source().unwrap();
    }
    let shared = Arc::downgrade(&walk.helpers.as_ref().unwrap().shared);
    // Returns at once, and the helpers stop after the file each is on.
    drop(walk);
    let deadline = Instant::now() + Duration::from_secs(30);
    while shared.upgrade().is_some() {
        assert!(Instant::now() < deadline, "helpers still running");
        std::thread::yield_now();
    }
}
