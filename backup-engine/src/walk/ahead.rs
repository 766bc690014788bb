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
    /// Files opened by the helpers, for tests (shared: the walk may have moved to a thread).
    #[cfg(test)]
    opened: Arc<std::sync::atomic::AtomicUsize>,
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

    /// How many files the helpers have opened, as it goes.
    #[cfg(test)]
    pub(crate) fn opened(&self) -> Arc<std::sync::atomic::AtomicUsize> {
        Arc::clone(&self.shared.opened)
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

use super::{Entry, EntryKind, LOOK_AHEAD, Queued, Source, WalkEvent, skipped, stat_at};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

impl super::Walk {
    /// Hands the queued files next in turn to the helpers, up to [`WINDOW`] of them,
    /// while files are slow to come (see [`Cost`]).
    ///
    /// When all that is queued has been looked at, the directories the walk will visit next
    /// are listed early (their events join the queue in the order they would have anyway), so
    /// that a tree of small directories keeps the helpers busy too: up to [`LOOK_AHEAD`]
    /// queued events.
    pub(super) fn hand_over(&mut self, reads: &mut dyn FnMut(&Entry) -> bool) {
        if !self.helpers.as_ref().is_some_and(Helpers::wanted) {
            return;
        }
        while self.handed < WINDOW {
            let Some(queued) = self.queue.get_mut(self.looked) else {
                if self.queue.len() >= LOOK_AHEAD || !self.visit_next() {
                    return;
                }
                continue;
            };
            self.looked += 1;
            let Some(helpers) = &self.helpers else {
                return;
            };
            let (path, dir, slot) = match queued {
                Queued::Listed { path, dir, slot } => (path.as_path(), &*dir, slot),
                Queued::Event {
                    event: WalkEvent::Entry(e),
                    dir: Some(dir),
                    slot,
                } if e.kind == EntryKind::File && reads(e) => (e.path.as_path(), &*dir, slot),
                Queued::Event { .. } => continue,
            };
            *slot = Some(helpers.submit(dir, path.file_name().unwrap_or_default()));
            self.handed += 1;
        }
    }

    /// A queued event and where its data come from: for a file handed to a helper, the file
    /// the helper opened (and the data it read), if it is the one listed.
    pub(super) fn opened_ahead(
        &mut self,
        mut event: WalkEvent,
        dir: Option<Arc<OwnedFd>>,
        slot: Option<Arc<Slot>>,
    ) -> (WalkEvent, Source) {
        if let (Some(slot), Some(helpers), WalkEvent::Entry(e)) = (slot, &self.helpers, &mut event)
            && let Some(Opened::File(found)) = helpers.take(&slot)
            // Not a file put in its place since the listing (its reader would have opened
            // that one at its turn; it goes the same way, opened again then).
            && (found.meta.dev(), found.meta.ino()) == (e.info.dev, e.info.ino)
        {
            let Found { xattrs, body, .. } = *found;
            e.info.xattrs = xattrs;
            return (event, Source::Open(body));
        }
        (event, Source::of(dir))
    }

    /// Opens a regular file of a listing and reads its metadata from the descriptor. If it is
    /// no longer a regular file that can be opened, it is looked at again through its
    /// directory, like any other entry (and a failure to open it reported when it is read, as
    /// for any file).
    pub(super) fn open_listed(
        &mut self,
        path: PathBuf,
        dir: Arc<OwnedFd>,
        slot: Option<Arc<Slot>>,
    ) -> (WalkEvent, Source) {
        let name = path.file_name().unwrap_or_default();
        let opened = slot
            .and_then(|slot| self.helpers.as_ref()?.take(&slot))
            .unwrap_or_else(|| {
                let cost = self.helpers.as_ref().map(Helpers::cost);
                open(&dir, name, None, cost)
            });
        if let Opened::File(found) = opened {
            let Found { meta, xattrs, body } = *found;
            let mut info = self.info(&path, &meta, false);
            info.xattrs = xattrs;
            let event = WalkEvent::Entry(Box::new(Entry {
                path,
                kind: EntryKind::File,
                info,
                children: None,
            }));
            return (event, Source::Open(body));
        }
        // Looked at through the directory's descriptor, like the data, not by the whole path.
        let (event, dir) = match stat_at(&dir, name) {
            Ok(m) if m.is_dir() => (
                skipped(
                    path,
                    "a file when its directory was listed, a directory since: not backed up",
                ),
                None,
            ),
            Ok(m) => self.leaf_event(path, &m, Some(&dir)),
            Err(e) => (skipped(path, format!("vanished or unreadable: {e}")), None),
        };
        (event, Source::of(dir))
    }

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
        #[cfg(test)]
        shared.opened.fetch_add(1, Ordering::Relaxed);
        *slot.done.lock().unwrap_or_else(PoisonError::into_inner) = Some(opened);
        slot.ready.notify_one();
    }
}

#[cfg(test)]
mod tests;
