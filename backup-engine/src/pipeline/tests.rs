//! The pipeline's tests.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)] // test data: bytes from counters

use super::*;
use crate::Selection;
use crate::walk::WalkOptions;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// Files opened at their turn, not ahead by helper threads: these tests change files
/// during the walk (the helpers' own tests are in `walk::ahead`).
fn at_turn() -> WalkOptions {
    WalkOptions {
        read_threads: Some(0),
        ..WalkOptions::default()
    }
}

/// What the pipeline delivered: each regular file's bytes and how its reading ended.
fn run(
    root: &std::path::Path,
    buffers: usize,
    size: usize,
    filter: Box<dyn EntryFilter>,
) -> BTreeMap<PathBuf, (Vec<u8>, FileEnd)> {
    run_walk(root, buffers, size, filter, |_| ())
}

/// As [`run`], the walk set up by `setup`.
fn run_walk(
    root: &std::path::Path,
    buffers: usize,
    size: usize,
    filter: Box<dyn EntryFilter>,
    setup: impl FnOnce(&mut Walk),
) -> BTreeMap<PathBuf, (Vec<u8>, FileEnd)> {
    let selection = Selection::new([root], [] as [&str; 0]).unwrap();
    let mut walk = Walk::new(&selection, at_turn());
    setup(&mut walk);
    let mut p = Pipeline::start(walk, buffers, size, filter, None).unwrap();
    let mut out = BTreeMap::new();
    let mut current: Option<(PathBuf, Vec<u8>)> = None;
    while let Some(item) = p.next() {
        match item {
            Item::Entry(e, _) if e.kind == EntryKind::File => {
                assert!(current.is_none(), "an entry before the last file's end");
                current = Some((e.path.clone(), Vec::new()));
            }
            Item::Data(range) => current.as_mut().unwrap().1.extend_from_slice(p.data(range)),
            Item::End(end) => {
                let (path, bytes) = current.take().unwrap();
                out.insert(path, (bytes, end));
            }
            _ => {}
        }
    }
    assert!(current.is_none());
    out
}

fn content(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn files_of_every_size_around_the_buffer_arrive_whole_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [0, 1, 100, 1023, 1024, 1025, 2047, 2048, 2049, 5000, 10_000];
    let mut expected = BTreeMap::new();
    for (i, &n) in sizes.iter().enumerate() {
        let path = dir.path().join(format!("f{i:02}"));
        std::fs::write(&path, content(n, i as u8)).unwrap();
        expected.insert(path, (content(n, i as u8), FileEnd::Complete));
    }
    // 1 KiB buffers, two of them: small files share a buffer, big ones span several, and
    // the reader waits for buffers the consumer gives back.
    assert_eq!(run(dir.path(), 2, 1024, Box::new(KeepAll)), expected);
    assert_eq!(run(dir.path(), 16, 1 << 20, Box::new(KeepAll)), expected);
    // The same, every file read ahead by helper threads and copied into the buffers.
    for size in [1024, 1 << 20] {
        let mut opened = None;
        let helped = run_walk(dir.path(), 2, size, Box::new(KeepAll), |w| {
            w.open_eagerly_by_helpers(2);
            opened = Some(w.opened_by_helpers());
        });
        assert_eq!(helped, expected, "buffers of {size}");
        let opened = opened.unwrap().load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(opened, sizes.len(), "buffers of {size}");
    }
}

/// Keeps the files whose names end in an odd digit (as an incremental backup keeps the changed
/// ones), and guesses wrong about some of them when asked ahead: says it reads those ending
/// in 1, 2 or 3.
struct Odd;

impl EntryFilter for Odd {
    fn keep(&mut self, entry: &mut Entry) -> bool {
        entry.kind != EntryKind::File
            || entry
                .path
                .to_string_lossy()
                .ends_with(['1', '3', '5', '7', '9'])
    }

    fn reads(&self, entry: &Entry) -> bool {
        entry.path.to_string_lossy().ends_with(['1', '2', '3'])
    }
}

#[test]
fn the_files_a_filter_keeps_arrive_the_same_read_ahead_or_not_whatever_it_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = BTreeMap::new();
    for i in 0..40_usize {
        let path = dir.path().join(format!("f{i:02}"));
        let n = [0, 10, 4096, 70_000][i % 4];
        std::fs::write(&path, content(n, i as u8)).unwrap();
        if i % 2 == 1 {
            expected.insert(path, (content(n, i as u8), FileEnd::Complete));
        }
    }
    assert_eq!(run(dir.path(), 4, 4096, Box::new(Odd)), expected);
    let mut opened = None;
    let helped = run_walk(dir.path(), 4, 4096, Box::new(Odd), |w| {
        w.read_by_helpers(2);
        opened = Some(w.opened_by_helpers());
    });
    assert_eq!(helped, expected);
    // Those it guessed it reads: names ending in 1, 2 or 3, kept or not.
    let guessed = (0..40).filter(|i| [1, 2, 3].contains(&(i % 10))).count();
    let opened = opened.unwrap().load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(opened, guessed);
}

/// `body` read by [`read_file`] as a file walked at `walked` bytes, into buffers of `size`:
/// its bytes and how it ended.
fn read_through(body: Body, walked: u64, size: usize) -> (Vec<u8>, FileEnd) {
    let (pool_tx, pool_rx) = sync_channel(256);
    for _ in 0..256 {
        pool_tx.try_send(vec![0; size]).unwrap();
    }
    let (batch_tx, batch_rx) = sync_channel(256);
    let waiting = AtomicUsize::new(0);
    let mut packer = Packer::new(&batch_tx, &pool_rx, &waiting);
    let mut spent = Duration::ZERO;
    let end = read_file(body, walked, &mut packer, &mut spent)
        .ok()
        .unwrap();
    assert!(packer.flush().is_ok());
    drop(batch_tx);
    let mut bytes = Vec::new();
    for batch in batch_rx {
        for item in batch.items {
            if let Item::Data(range) = item {
                bytes.extend_from_slice(&batch.buf.as_ref().unwrap()[range]);
            }
        }
    }
    (bytes, end)
}

#[test]
fn a_file_read_ahead_is_cut_and_reported_exactly_as_the_file_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, content(1000, 9)).unwrap();
    // Walked at its size; smaller (it grew since); larger (it shrank); and 0.
    for walked in [1000, 999, 500, 1001, 4000, 0] {
        for size in [7, 100, 999, 1000, 1001, 1 << 16] {
            let file = read_through(Body::Open(File::open(&path).unwrap()), walked, size);
            let ahead = crate::walk::Preread::of(File::open(&path).unwrap(), walked);
            let read = read_through(Body::Read(ahead), walked, size);
            assert_eq!(read, file, "walked at {walked}, buffers of {size}");
            let end = match walked {
                1000 => FileEnd::Complete,
                w if w < 1000 => FileEnd::Grew,
                _ => FileEnd::Shrunk { read: 1000 },
            };
            assert_eq!(file.1, end, "walked at {walked}, buffers of {size}");
            assert_eq!(file.0, content(1000.min(walked as usize), 9));
        }
    }
}

#[test]
fn a_file_selected_by_itself_is_opened_in_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alone");
    std::fs::write(&path, b"by itself").unwrap();
    let got = run(&path, 2, 1024, Box::new(KeepAll));
    assert_eq!(got[&path], (b"by itself".to_vec(), FileEnd::Complete));
}

/// Changes a file when the reader reaches it (after the walk took its size).
struct Change(fn(&std::path::Path));

impl EntryFilter for Change {
    fn keep(&mut self, entry: &mut Entry) -> bool {
        if entry.kind == EntryKind::File {
            (self.0)(&entry.path);
        }
        true
    }
}

#[test]
fn a_file_that_grows_is_cut_at_its_walked_size_and_one_that_shrinks_is_reported() {
    for (buffer, grow) in [(1024, 3000), (1 << 20, 3000), (1000, 1000)] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, content(grow, 7)).unwrap();
        let got = run(
            dir.path(),
            2,
            buffer,
            Box::new(Change(|p| {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
                f.write_all(b"more").unwrap();
            })),
        );
        assert_eq!(
            got[&path],
            (content(grow, 7), FileEnd::Grew),
            "buffer {buffer}"
        );

        let got = run(
            dir.path(),
            2,
            buffer,
            Box::new(Change(|p| {
                let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
                f.set_len(10).unwrap();
            })),
        );
        // Walked at grow + 4 bytes (the previous run's append), cut to 10 before reading.
        assert_eq!(
            got[&path].1,
            FileEnd::Shrunk { read: 10 },
            "buffer {buffer}"
        );
        assert_eq!(got[&path].0, content(10, 7));
    }
}

#[test]
fn a_file_gone_before_it_is_read_fails_with_nothing_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"data").unwrap();
    let got = run(
        dir.path(),
        2,
        1024,
        Box::new(Change(|p| std::fs::remove_file(p).unwrap())),
    );
    let (bytes, end) = &got[&path];
    assert!(bytes.is_empty());
    assert!(matches!(end, FileEnd::Failed { read: 0, .. }), "{end:?}");
}

/// What the pipeline delivered, item by item (entries whole, data as bytes), atimes left
/// out (the first read of a file may set it).
#[derive(Debug, PartialEq)]
enum Got {
    Entry(Box<Entry>),
    Data(Vec<u8>),
    End(FileEnd),
    Skipped(PathBuf, String),
}

fn items(root: &std::path::Path, filter: Box<dyn EntryFilter>) -> Vec<Got> {
    let selection = Selection::new([root], [] as [&str; 0]).unwrap();
    let walk = Walk::new(&selection, at_turn());
    let mut p = Pipeline::start(walk, 2, 1 << 16, filter, None).unwrap();
    let mut out = Vec::new();
    while let Some(item) = p.next() {
        out.push(match item {
            Item::Entry(mut e, _) => {
                e.info.atime = Default::default();
                Got::Entry(e)
            }
            Item::Data(range) => Got::Data(p.data(range).to_vec()),
            Item::End(end) => Got::End(end),
            Item::Skipped { path, reason } => Got::Skipped(path, reason),
            other => panic!("{other:?}"),
        });
    }
    out
}

/// Keeps everything without saying so: the walk looks at every file by name first.
struct ByName;

impl EntryFilter for ByName {
    fn keep(&mut self, _entry: &mut Entry) -> bool {
        true
    }
}

#[test]
fn files_the_walk_opens_itself_arrive_exactly_as_files_looked_up_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("a"), content(3000, 1)).unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
    std::fs::write(root.join("sub/c"), content(10, 2)).unwrap();
    std::fs::hard_link(root.join("a"), root.join("sub/a-again")).unwrap();
    std::os::unix::fs::symlink("a", root.join("link")).unwrap();
    crate::testing::fifo(&root.join("fifo"));
    // Extended attributes where the file system has them (read from the descriptor).
    let xattrs = xattr::set(root.join("a"), "user.k", b"v").is_ok();

    let eager = items(root, Box::new(KeepAll));
    assert_eq!(eager, items(root, Box::new(ByName)));

    let entry = |name: &str| {
        eager.iter().find_map(|g| match g {
            Got::Entry(e) if e.path == root.join(name) => Some(e.clone()),
            _ => None,
        })
    };
    let a = entry("a").unwrap();
    let meta = std::fs::metadata(root.join("a")).unwrap();
    assert_eq!(a.kind, EntryKind::File);
    assert_eq!(
        (a.info.size, a.info.ino, a.info.nlink),
        (3000, meta.ino(), 2)
    );
    if xattrs {
        assert_eq!(a.info.xattrs, [(b"user.k".to_vec(), b"v".to_vec())]);
    }
    assert_eq!(
        entry("sub/a-again").unwrap().kind,
        EntryKind::HardLink(root.join("a"))
    );
    assert_eq!(entry("link").unwrap().kind, EntryKind::Symlink("a".into()));
    assert_eq!(entry("empty").unwrap().info.size, 0);
    assert!(eager.contains(&Got::Data(content(3000, 1))));
    assert!(eager.iter().any(|g| matches!(g,
        Got::Skipped(p, why) if p.ends_with("fifo") && why.contains("named pipe"))));
}

/// Keeps every file; on seeing `f1` (whose walk opened it), changes `f2` (listed, not
/// opened yet).
struct Meddle(fn(&std::path::Path));

impl EntryFilter for Meddle {
    fn keep(&mut self, entry: &mut Entry) -> bool {
        if entry.path.ends_with("f1") {
            (self.0)(&entry.path.with_file_name("f2"));
        }
        true
    }

    fn keeps_every_file(&self) -> bool {
        true
    }
}

#[test]
fn a_listed_file_that_changes_kind_before_its_turn_is_taken_as_it_is_then() {
    let cases: [(Change, &str); 4] = [
        (
            Change(|p| std::fs::remove_file(p).unwrap()),
            "vanished or unreadable",
        ),
        (
            Change(|p| {
                std::fs::remove_file(p).unwrap();
                std::fs::create_dir(p).unwrap();
            }),
            "a directory since",
        ),
        (
            Change(|p| {
                std::fs::remove_file(p).unwrap();
                crate::testing::fifo(p);
            }),
            "special file (a named pipe)",
        ),
        (
            Change(|p| {
                std::fs::remove_file(p).unwrap();
                std::os::unix::fs::symlink("f1", p).unwrap();
            }),
            "symbolic link",
        ),
    ];
    for (change, expect) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f1"), b"one").unwrap();
        std::fs::write(dir.path().join("f2"), b"two").unwrap();
        let got = items(dir.path(), Box::new(Meddle(change.0)));
        let f2 = dir.path().join("f2");
        let seen = got.iter().find_map(|g| match g {
            Got::Skipped(p, why) if *p == f2 => Some(why.clone()),
            Got::Entry(e) if e.path == f2 => match &e.kind {
                EntryKind::Symlink(t) if t == "f1" => Some("symbolic link".into()),
                other => Some(format!("{other:?}")),
            },
            _ => None,
        });
        assert!(
            seen.as_deref().is_some_and(|s| s.contains(expect)),
            "{expect}: {got:?}"
        );
        // f1 was read whole, and no data is given for f2.
        assert!(got.contains(&Got::Data(b"one".to_vec())));
        assert!(!got.contains(&Got::Data(b"two".to_vec())), "{got:?}");
    }
}

#[test]
fn the_reader_prepares_entries_only_while_the_consumer_is_behind() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12u8 {
        std::fs::write(dir.path().join(format!("f{i:02}")), content(4096, i)).unwrap();
    }
    let selection = Selection::new([dir.path()], [] as [&str; 0]).unwrap();
    let walk = Walk::new(&selection, at_turn());
    let prepare: Prepare = Box::new(|e| Prepared {
        file: Default::default(),
        key: e.path.as_os_str().as_bytes().to_vec(),
    });
    // A file fills a buffer: each is sent as a batch of its own.
    let mut p = Pipeline::start(walk, 8, 4096, Box::new(KeepAll), Some(prepare)).unwrap();
    // The consumer takes nothing until the reader has filled every buffer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while p.waiting.load(Ordering::Relaxed) < 8 {
        assert!(
            std::time::Instant::now() < deadline,
            "the reader never filled the pool"
        );
        std::thread::yield_now();
    }
    let mut prepared = Vec::new();
    while let Some(item) = p.next() {
        if let Item::Entry(e, got) = item
            && e.kind == EntryKind::File
        {
            if let Some(got) = &got {
                assert_eq!(got.key, e.path.as_os_str().as_bytes());
            }
            prepared.push(got.is_some());
        }
    }
    assert_eq!(prepared.len(), 12);
    // Files 0–2 were decided with fewer than two batches waiting, 3–8 with more (the
    // consumer was not taking any); later ones depend on how fast it then took them.
    assert_eq!(
        prepared[..9],
        [false, false, false, true, true, true, true, true, true]
    );
}
