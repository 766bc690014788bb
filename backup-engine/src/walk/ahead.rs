//! Opening and reading files ahead of their turn on helper threads, and reading directories
//! ahead of the walk (issue 8: a backup from the disk waits for one disk read at a time).
//!
//! While files come slowly ([`Cost`]), a walk that opens every regular file itself hands each
//! file of a listing, at most [`WINDOW`] ahead of its turn, to the helpers: one opens it,
//! `fstat`s it, reads its extended attributes and, up to [`SMALL`] bytes, its data, and closes
//! it. At the file's turn the walk takes what the helper found, or, if no helper has started
//! on it, claims it and does it itself, never waiting for a helper that is behind. The file is
//! looked at the same way either way and its data given back read by read as the file would
//! ([`Preread`]), so entries, order and data are those of a walk without helpers (a helper may
//! read data the walk has no use for: a second name of a hard link). What needs the walk's
//! state (hard links, user names) stays on the walk's thread, in order. While files or
//! directories come slowly ([`DirCost`]), helpers also read the next subdirectories.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A helper reads the data of files up to this size; larger ones it only opens, and the
/// pipeline reads them into its buffers.
pub(crate) const SMALL: u64 = 64 << 10;

/// Files handed to helpers ahead of the walk, at most: bounds the descriptors held open (one
/// per file handed over and per helper, and the directories of those files) and the data read
/// ahead (`WINDOW` × [`SMALL`], 4 MiB).
pub(crate) const WINDOW: usize = 64;

/// Helper threads by default, whatever the cores: they keep disk reads in flight, not compute.
/// The 200,000-file tree from the disk on this project's 2-core VM (`benches/README.md`): 31 s
/// without helpers (GNU tar 31 s), 13.5 s with four, 12.0 s with eight, 10.0 s with sixteen.
pub(crate) const DEFAULT_THREADS: usize = 8;

/// Files waiting before an idle helper is woken.
const WAKE: usize = WINDOW / 4;

const PENDING: u8 = 0;
const HELPER: u8 = 1;
const WALK: u8 = 2;

/// One listed file handed to the helpers.
pub(crate) struct Slot {
    /// [`PENDING`], then taken by a helper or by the walk.
    state: AtomicU8,
    dir: Arc<OwnedFd>,
    name: OsString,
    done: Mutex<Option<Opened>>,
    ready: Condvar,
}

/// A regular file's data, open or already read.
pub(crate) enum Body {
    Open(File),
    Read(Preread),
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Open(file) => file.read(buf),
            Self::Read(data) => data.read(buf),
        }
    }
}

/// What opening a listed file found.
pub(crate) enum Opened {
    /// A regular file.
    File(Box<Found>),
    /// Gone, or no longer a regular file that can be opened: the walk looks at it again.
    Other,
}

/// A regular file opened.
pub(crate) struct Found {
    pub(crate) meta: Metadata,
    pub(crate) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) body: Body,
}

/// How long opening a file and reading a small one has taken lately: a moving average of the
/// times, wherever they were taken (on a helper, or by the walk and its reader).
///
/// Helpers are given files only while it is [`slow`](Self::slow): a tree in memory comes in
/// a few microseconds a file (about 10 µs for the whole of a 4 KiB file here), and then
/// helpers would only take processor time from the thread that writes (measured: 12 % slower
/// with four of them on two cores). A file read from the disk takes a disk read or more.
pub(crate) type Cost = Average<30_000>;

/// How long listing a directory has taken lately, per 64 entries (a listing of 10 entries in
/// memory takes about 10 µs here, one read from the disk a disk read or two): while it is
/// slow, helpers read the next subdirectories ahead of the walk whatever the files do (an
/// incremental backup reads no file it has not changed).
pub(crate) type DirCost = Average<50_000>;

/// A moving average of times, slow from `SLOW` ns.
#[derive(Default)]
pub(crate) struct Average<const SLOW: u64>(AtomicU64);

/// Each time counts for this fraction of the average (1/8), and for at most 5 × `SLOW`: two
/// slow files in a row make files slow, not one (a thread put off the processor in the middle
/// of a file takes milliseconds over it, now and then, on a busy machine).
const WEIGHT: u64 = 8;

impl<const SLOW: u64> Average<SLOW> {
    /// One more time taken.
    pub(crate) fn note(&self, took: Duration) {
        let cap = 5 * SLOW;
        let ns = u64::try_from(took.as_nanos()).unwrap_or(cap).min(cap);
        // Approximate under races between threads: any of the times is as good a sample.
        let old = self.0.load(Ordering::Relaxed);
        self.0
            .store(old - old / WEIGHT + ns / WEIGHT, Ordering::Relaxed);
    }

    /// Files have been slow to come lately.
    pub(crate) fn slow(&self) -> bool {
        self.0.load(Ordering::Relaxed) >= SLOW
    }

    /// As if the files so far had come from a very slow disk.
    #[cfg(test)]
    pub(crate) fn pretend_slow(&self) {
        self.0.store(u64::MAX / 16, Ordering::Relaxed);
    }
}

/// Opens `name` in `dir` as the walk does, and reads its data if it is a regular file of at
/// most `read_up_to` bytes; notes the time it took in `cost`.
pub(crate) fn open(
    dir: &OwnedFd,
    name: &OsStr,
    read_up_to: Option<u64>,
    cost: Option<&Cost>,
) -> Opened {
    let start = cost.map(|_| Instant::now());
    let opened = open_untimed(dir, name, read_up_to);
    if let (Some(cost), Some(start)) = (cost, start) {
        cost.note(start.elapsed());
    }
    opened
}

fn open_untimed(dir: &OwnedFd, name: &OsStr, read_up_to: Option<u64>) -> Opened {
    let Ok(file) = super::open_at(dir, name) else {
        return Opened::Other;
    };
    let meta = match file.metadata() {
        Ok(meta) if meta.is_file() => meta,
        _ => return Opened::Other,
    };
    let xattrs = super::file_xattrs(&file);
    let body = match read_up_to {
        Some(limit) if meta.len() <= limit => Body::Read(Preread::of(file, meta.len())),
        _ => Body::Open(file),
    };
    Opened::File(Box::new(Found { meta, xattrs, body }))
}

/// A small file's data read ahead, given back as its reads would have given it: its bytes
/// (one more than its size if it grew), then the error that ended them, if any, then its end.
pub(crate) struct Preread {
    data: Vec<u8>,
    at: usize,
    error: Option<io::Error>,
}

impl Preread {
    /// Reads `size` bytes of `file`, asking for one more so that growth shows, as the pipeline
    /// does; the file is closed here.
    pub(crate) fn of(mut file: File, size: u64) -> Self {
        // At most SMALL + 1: fits.
        let mut data = vec![0; usize::try_from(size).unwrap_or(0).saturating_add(1)];
        let (n, error) = match fill(&mut file, &mut data, size) {
            Ok(n) => (n, None),
            Err((n, e)) => (n, Some(e)),
        };
        data.truncate(n);
        Self { data, at: 0, error }
    }
}

impl Read for Preread {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.data.get(self.at..).unwrap_or_default();
        if left.is_empty() {
            return self.error.take().map_or(Ok(0), Err);
        }
        let n = left.len().min(buf.len());
        buf[..n].copy_from_slice(&left[..n]);
        self.at += n;
        Ok(n)
    }
}

/// What a helper is given.
enum Job {
    /// A listed file to open (and read, if small) for the walk.
    Open(Arc<Slot>),
    /// A directory the walk will list: read first, so that its entries are in memory by
    /// then. Nothing is kept.
    List(std::path::PathBuf),
}

impl Job {
    /// Of no more use: a file the walk has taken since.
    fn stale(&self) -> bool {
        matches!(self, Self::Open(slot) if slot.state.load(Ordering::Relaxed) != PENDING)
    }
}

/// Jobs handed over, oldest first, and whether the walk is over.
#[derive(Default)]
struct Jobs {
    slots: VecDeque<Job>,
    /// Helpers waiting for a file.
    idle: usize,
    stop: bool,
}

/// What the walk and its helpers share.
#[derive(Default)]
struct Shared {
    jobs: Mutex<Jobs>,
    more: Condvar,
    cost: Cost,
    dirs: DirCost,
    /// Directories handed over to be read, for tests.
    #[cfg(test)]
    lists: std::sync::atomic::AtomicUsize,
}

/// Reads until `buf` is full, the file ends, or a short read has brought `enough` bytes (a
/// regular file's read is short only at its end, so one `read` does a small file); on an
/// error, how much was read before it.
pub(crate) fn fill(
    file: &mut impl Read,
    buf: &mut [u8],
    enough: u64,
) -> Result<usize, (usize, io::Error)> {
    let mut n = 0;
    while n < buf.len() && (n as u64) < enough.max(1) {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((n, e)),
        }
    }
    Ok(n)
}

/// The helper threads of one walk.
///
/// A helper takes the file handed over last, the one furthest from the walk's turn, while the
/// walk takes its files from the front: they meet only when the helpers are far behind, and
/// then the walk does the files itself (a helper taking the next file in turn would keep the
/// walk waiting for it, a sleep and a wake-up per file).
pub(crate) struct Helpers {
    shared: Arc<Shared>,
    /// The walk takes a file no helper has started on (off only in tests, to have the helpers
    /// do every file).
    steal: bool,
}

impl Helpers {
    /// Starts up to `threads` helpers; `None` if none could be started.
    pub(crate) fn start(threads: usize, steal: bool) -> Option<Self> {
        let shared = Arc::new(Shared::default());
        let started = (0..threads)
            .map_while(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("ntbackup-open-{i}"))
                    .spawn(move || help(&shared))
                    .ok()
            })
            .count();
        (started > 0).then_some(Self { shared, steal })
    }

    /// How long files have taken lately.
    pub(crate) fn cost(&self) -> &Cost {
        &self.shared.cost
    }

    /// How long directories have taken lately.
    pub(crate) fn dir_cost(&self) -> &DirCost {
        &self.shared.dirs
    }

    /// Files are to be handed over: they have been slow lately (or the helpers are to do them
    /// all).
    pub(crate) fn wanted(&self) -> bool {
        !self.steal || self.shared.cost.slow()
    }

    /// Hands `name` in `dir` to the helpers.
    pub(crate) fn submit(&self, dir: &Arc<OwnedFd>, name: &OsStr) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            state: AtomicU8::new(PENDING),
            dir: Arc::clone(dir),
            name: name.to_owned(),
            done: Mutex::new(None),
            ready: Condvar::new(),
        });
        self.hand(Job::Open(Arc::clone(&slot)));
        slot
    }

    /// Has a helper read the directory `path` before the walk lists it.
    pub(crate) fn list(&self, path: &std::path::Path) {
        #[cfg(test)]
        self.shared.lists.fetch_add(1, Ordering::Relaxed);
        self.hand(Job::List(path.to_owned()));
    }

    fn hand(&self, job: Job) {
        let mut jobs = self
            .shared
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The oldest jobs are dropped here: files the walk has taken since, and directories
        // beyond twice the window (never a file not yet taken: the walk may be waiting for
        // it). So the queue stays within a few windows: directories behind a file not yet
        // taken wait for it.
        while jobs.slots.front().is_some_and(|j| {
            j.stale() || matches!(j, Job::List(_)) && jobs.slots.len() >= 2 * WINDOW
        }) {
            jobs.slots.pop_front();
        }
        jobs.slots.push_back(job);
        // A helper that ran out of jobs is woken for a handful at once, not for each one.
        let wake = jobs.idle > 0 && (jobs.slots.len() >= WAKE || !self.steal);
        drop(jobs);
        if wake {
            self.shared.more.notify_one();
        }
    }

    /// What a helper found of `slot`'s file, waiting for it if a helper has started on it;
    /// `None` if the walk is to open it itself.
    pub(crate) fn take(&self, slot: &Slot) -> Option<Opened> {
        if self.steal
            && slot
                .state
                .compare_exchange(PENDING, WALK, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            return None;
        }
        // A helper has it (or, without stealing, will): it is a few system calls away.
        let mut done = slot.done.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(opened) = done.take() {
                return Some(opened);
            }
            done = slot
                .ready
                .wait(done)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for Helpers {
    fn drop(&mut self) {
        // Files handed over and not yet taken are left alone. The helpers are not waited for:
        // one may be stuck on a file the walk never reached (a hung network file system),
        // and a job ending on an error must still end. Each stops after its current file.
        self.shared
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop = true;
        self.shared.more.notify_all();
    }
}

impl super::Walk {
    /// While files or directories come slowly (from the disk), has the helpers read the next
    /// [`DIRS_AHEAD`](super::DIRS_AHEAD) subdirectories of the directory being walked before the walk lists
    /// them: a directory read from the disk is a disk read or two that the walk would
    /// otherwise wait for, one directory at a time.
    pub(super) fn warm_dirs(&mut self) {
        let (Some(helpers), Some(frame)) = (self.helpers.as_ref(), self.stack.last_mut()) else {
            return;
        };
        if !helpers.wanted() && !helpers.dir_cost().slow() {
            return;
        }
        while frame.warmed < super::DIRS_AHEAD.min(frame.subdirs.len()) {
            let next = frame.subdirs.len() - 1 - frame.warmed;
            // Not a mount point the walk will not cross.
            if let Some((dir, here)) = frame.subdirs.get(next)
                && (*here || !self.options.one_file_system)
            {
                helpers.list(dir);
            }
            frame.warmed += 1;
        }
    }
}

/// A helper thread: takes files until the walk is dropped.
fn help(shared: &Shared) {
    loop {
        let job = {
            let mut jobs = shared.jobs.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if jobs.stop {
                    return;
                }
                if let Some(job) = jobs.slots.pop_back() {
                    break job;
                }
                jobs.idle += 1;
                jobs = shared
                    .more
                    .wait(jobs)
                    .unwrap_or_else(PoisonError::into_inner);
                jobs.idle -= 1;
            }
        };
        let slot = match job {
            Job::Open(slot) => slot,
            Job::List(path) => {
                // Its inode, its entries and theirs, as the walk will read them; not through
                // a symbolic link swapped in since it was listed.
                if let Some(dir) = super::open_dir(&path, rustix::fs::OFlags::NOFOLLOW)
                    && let Ok(entries) = rustix::fs::Dir::read_from(&*dir)
                {
                    for entry in entries.flatten() {
                        let name = entry.file_name();
                        if name != c"." && name != c".." {
                            let flags = rustix::fs::AtFlags::SYMLINK_NOFOLLOW;
                            let _ = rustix::fs::statat(&*dir, name, flags);
                        }
                    }
                }
                continue;
            }
        };
        if slot
            .state
            .compare_exchange(PENDING, HELPER, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            continue;
        }
        // The walk waits for this slot: it is filled whatever happens (no path of `open`
        // panics; if one ever did, the walk looks at the file again itself).
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            open(&slot.dir, &slot.name, Some(SMALL), Some(&shared.cost))
        }))
        .unwrap_or(Opened::Other);
        *slot.done.lock().unwrap_or_else(PoisonError::into_inner) = Some(opened);
        slot.ready.notify_one();
    }
}

#[cfg(test)]
mod tests {
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
        let selection = Selection::new([root], [] as [&str; 0]).unwrap();
        let mut walk = Walk::new(&selection, WalkOptions::default());
        setup(&mut walk);
        let mut out = Vec::new();
        let mut ahead = 0;
        while let Some((event, source)) = walk.next_with_source() {
            match event {
                WalkEvent::Entry(mut e) => {
                    e.info.atime = Default::default();
                    let body = (e.kind == crate::walk::EntryKind::File).then(|| match source {
                        Source::Open(body) => body,
                        Source::Dir(dir) => {
                            Body::Open(crate::walk::open_file(&dir, &mut e).unwrap())
                        }
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

    #[test]
    fn files_read_ahead_by_helpers_arrive_exactly_as_files_opened_at_their_turn() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
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
        nix::unistd::mkfifo(
            &root.join("d2/fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let _ = xattr::set(root.join("d0/f002"), "user.k", b"v");

        let (at_turn, none) = walked(root, |w| w.open_eagerly(false));
        assert_eq!(none, 0);
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
}
