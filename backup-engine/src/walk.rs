//! Walking the selected trees in the order MTF wants: a directory, then the files in it, then
//! its subdirectories, each directory sorted by name (deterministic sets, and a DIRB before the
//! FILEs of each directory, mtf.md §12 rule 3).
//!
//! Streaming: memory holds the stack of directories being walked and one directory's listing
//! at a time, never the whole tree (with read-ahead helpers, the listings of the next small
//! directories too, up to `LOOK_AHEAD` events).
//!
//! Cost per file (issue 8: small-file trees): a directory is opened once; its entries are
//! `statx`ed relative to it and, for a backup, its files opened with `openat` on it and their
//! extended attributes listed on the open descriptor, so no system call walks the whole path.
//! For a backup that reads every file, a regular file (by its directory entry's type) is not
//! `statx`ed at all: it is opened when its turn comes and `fstat`ed (`Source::Open`), one
//! name lookup per file. (A file system that gives no type in its entries costs std's
//! `DirEntry::file_type` an `lstat` per entry, as before.)

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File, Metadata};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::Selection;

mod ahead;

/// Queued events up to which the walk lists directories ahead of their turn, for its helpers
/// (see `Walk::hand_over`).
const LOOK_AHEAD: usize = 4 * ahead::WINDOW;

#[cfg(test)]
pub(crate) use ahead::Preread;
pub(crate) use ahead::{Body, SMALL, fill};

/// A time as seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Seconds (negative before 1970).
    pub secs: i64,
    /// Nanoseconds, 0..1e9.
    pub nanos: u32,
}

/// What the walk read about one file system object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FileInfo {
    /// `st_mode`: type and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Owner's name, if the system knows it.
    pub user: Option<Vec<u8>>,
    /// Group's name, if the system knows it.
    pub group: Option<Vec<u8>>,
    /// Size in bytes (regular files).
    pub size: u64,
    /// Last access.
    pub atime: Timestamp,
    /// Last modification of the content.
    pub mtime: Timestamp,
    /// Last change of the inode.
    pub ctime: Timestamp,
    /// Device of the file system.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Number of hard links.
    pub nlink: u64,
    /// Device number, for device files.
    pub rdev: u64,
    /// Extended attributes (name, value).
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// What kind of entry a walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A directory.
    Directory,
    /// A regular file.
    File,
    /// A symbolic link with its target.
    Symlink(OsString),
    /// A further name of a file seen earlier in this walk (same device and inode).
    HardLink(PathBuf),
}

/// A name in a directory's listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Child {
    /// The name.
    pub name: OsString,
    /// It is a directory.
    pub directory: bool,
}

/// One object to back up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// Its path, as selected (relative paths stay relative).
    pub path: PathBuf,
    /// Its kind.
    pub kind: EntryKind,
    /// Its metadata.
    pub info: FileInfo,
    /// For a directory: what it held when walked (the objects backed up: not excluded, not
    /// special files), sorted. An incremental restore uses it to leave out what was deleted.
    /// A file that vanished or changed kind between the listing and its turn may be named
    /// here and not backed up (see [`Walk`]'s eager opening).
    pub children: Option<Vec<Child>>,
}

/// What a walk yields.
#[derive(Debug)]
#[non_exhaustive]
pub enum WalkEvent {
    /// An object to back up.
    Entry(Box<Entry>),
    /// An object left out, and why (special files, unreadable directories, vanished files).
    Skipped {
        /// The object.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Options of a walk.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct WalkOptions {
    /// Do not descend into other file systems (mount points) below a selected directory.
    pub one_file_system: bool,
    /// Threads that open and read files (every file, for a backup that reads them all; those
    /// its reader will read, for the others) and read directories ahead of their turn, so
    /// that several disk reads are in flight while they come slowly; `None`: eight.
    pub read_threads: Option<usize>,
}

struct Frame {
    dev: u64,
    /// Subdirectories still to visit, the next one last, and whether each is on this
    /// directory's file system.
    subdirs: Vec<(PathBuf, bool)>,
    /// How many of the next ones the helpers have been given to read ahead.
    warmed: usize,
}

/// Subdirectories the helpers read ahead of the walk, in the directory being walked.
const DIRS_AHEAD: usize = 16;

/// A queued event; a regular file's entry keeps its directory open for [`open_file`].
enum Queued {
    Event {
        event: WalkEvent,
        dir: Option<Arc<OwnedFd>>,
        /// A regular file its reader will read (see [`Walk::next_reading`]) handed to a
        /// helper thread to open ahead of its turn.
        slot: Option<Arc<ahead::Slot>>,
    },
    /// A regular file by its directory entry's type, opened and `fstat`ed only when its turn
    /// comes (see [`Walk::open_listed`]), or ahead of it by a helper thread (`slot`).
    Listed {
        path: PathBuf,
        dir: Arc<OwnedFd>,
        slot: Option<Arc<ahead::Slot>>,
    },
}

/// Where the reader gets a regular file's data from.
pub(crate) enum Source {
    /// Open it by its path.
    Path,
    /// Open it in this directory with [`open_file`].
    Dir(Arc<OwnedFd>),
    /// Already open or read (and its extended attributes read from the descriptor).
    Open(Body),
}

impl Source {
    /// In `dir` if the walk has it open, else by path.
    fn of(dir: Option<Arc<OwnedFd>>) -> Self {
        dir.map_or(Self::Path, Self::Dir)
    }
}

/// An iterator over the entries of a [`Selection`].
pub struct Walk {
    selection: Selection,
    options: WalkOptions,
    roots: std::vec::IntoIter<PathBuf>,
    stack: Vec<Frame>,
    queue: std::collections::VecDeque<Queued>,
    /// Files are opened for reading (by [`Walk::next_with_source`]'s caller, or by the walk
    /// itself with `eager`), and their xattrs read from the descriptor.
    opening: bool,
    /// Regular files are opened by the walk, then `fstat`ed: one name lookup per file instead
    /// of two. Only for a reader that reads every file: it costs an unchanged file an open.
    eager: bool,
    /// Threads opening listed files (with `eager`) and reading directories ahead of their
    /// turn.
    helpers: Option<ahead::Helpers>,
    /// Queued items looked at for handing to the helpers (from the front), and how many of
    /// them were handed over.
    looked: usize,
    handed: usize,
    links: HashMap<(u64, u64), PathBuf>,
    users: HashMap<u32, Option<Vec<u8>>>,
    groups: HashMap<u32, Option<Vec<u8>>>,
    /// A directory's listing and its non-directories, kept between directories: growing them
    /// afresh for each directory faulted in new memory every time (6 % of the reader thread on
    /// directories of 1,000 files, issue 8).
    names: Vec<(std::ffi::OsString, fs::DirEntry)>,
    leaves: Vec<Leaf>,
}

impl Walk {
    /// Walks `selection`.
    pub fn new(selection: &Selection, options: WalkOptions) -> Self {
        Self {
            roots: selection.roots().to_vec().into_iter(),
            selection: selection.clone(),
            options,
            stack: Vec::new(),
            queue: Default::default(),
            opening: false,
            eager: false,
            helpers: None,
            looked: 0,
            handed: 0,
            links: HashMap::new(),
            users: HashMap::new(),
            groups: HashMap::new(),
            names: Vec::new(),
            leaves: Vec::new(),
        }
    }

    fn skip(&mut self, path: PathBuf, reason: impl Into<String>) {
        self.push(skipped(path, reason));
    }

    fn push(&mut self, event: WalkEvent) {
        self.queue.push_back(Queued::Event {
            event,
            dir: None,
            slot: None,
        });
    }

    /// Has the walk open every regular file itself (for a reader that reads them all): see
    /// [`Source::Open`]. Either way, starts the helper threads of the options (idle while
    /// files and directories come quickly).
    pub(crate) fn open_eagerly(&mut self, eager: bool) {
        self.eager = eager;
        let threads = self.options.read_threads.unwrap_or(ahead::DEFAULT_THREADS);
        if threads > 0 && self.helpers.is_none() {
            self.helpers = ahead::Helpers::start(threads, true);
        }
    }

    /// As [`open_eagerly`](Self::open_eagerly), with `threads` helpers that do every file
    /// (none is taken by the walk), so that tests see their results (a later `open_eagerly`
    /// keeps them). Before the walk starts (the walk would wait for files handed to helpers it
    /// replaced).
    #[cfg(test)]
    pub(crate) fn open_eagerly_by_helpers(&mut self, threads: usize) {
        self.eager = true;
        self.helpers = ahead::Helpers::start(threads, false);
    }

    /// As [`open_eagerly_by_helpers`](Self::open_eagerly_by_helpers) for a walk that opens no
    /// file itself: the helpers do every file its reader reads (see
    /// [`next_reading`](Self::next_reading)).
    #[cfg(test)]
    pub(crate) fn read_by_helpers(&mut self, threads: usize) {
        self.eager = false;
        self.helpers = ahead::Helpers::start(threads, false);
    }

    /// How many files the helpers have opened, as it goes (none without helpers).
    #[cfg(test)]
    pub(crate) fn opened_by_helpers(&self) -> Arc<std::sync::atomic::AtomicUsize> {
        self.helpers
            .as_ref()
            .map_or_else(Default::default, ahead::Helpers::opened)
    }

    /// The next event and, for a regular file, where to read it from.
    #[cfg(test)]
    pub(crate) fn next_with_source(&mut self) -> Option<(WalkEvent, Source)> {
        self.next_reading(&mut |_| false)
    }

    /// As [`next_with_source`](Self::next_with_source), for a reader that reads the data of
    /// the regular files `reads` picks (an incremental backup's changed files): while files
    /// come slowly, those the walk does not open itself are handed to its helpers too, and
    /// come with their data read ahead like an eager walk's. `reads` is asked once per file,
    /// and only then.
    pub(crate) fn next_reading(
        &mut self,
        reads: &mut dyn FnMut(&Entry) -> bool,
    ) -> Option<(WalkEvent, Source)> {
        self.opening = true;
        let queued = self.pop()?;
        self.hand_over(reads);
        Some(self.give(queued))
    }

    /// A queued item as the walk gives it: a listed file opened, a further name of a file
    /// settled as a link to the first.
    fn give(&mut self, queued: Queued) -> (WalkEvent, Source) {
        let (mut event, source) = match queued {
            Queued::Event { event, dir, slot } => self.opened_ahead(event, dir, slot),
            Queued::Listed { path, dir, slot } => self.open_listed(path, dir, slot),
        };
        // Extended attributes come with the listing, unless the reader is to open the file.
        let xattrs_read = !self.opening || matches!(source, Source::Open(_));
        self.settle(&mut event, xattrs_read);
        (event, source)
    }

    /// Reading a small file's data (by the walk's caller) took this long.
    pub(crate) fn took(&self, time: std::time::Duration) {
        if let Some(helpers) = &self.helpers {
            helpers.cost().note(time);
        }
    }

    /// Visits one path: queues its entry, and for a directory its files, and stacks its
    /// subdirectories.
    fn visit(&mut self, path: PathBuf, parent_dev: Option<u64>) {
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => return self.skip(path, format!("cannot read its metadata: {e}")),
        };
        if meta.is_dir() {
            if self.options.one_file_system && parent_dev.is_some_and(|d| d != meta.dev()) {
                return self.skip(path, "another file system (mount point); not crossed");
            }
            self.directory(path, &meta);
        } else {
            self.leaf(path, &meta, None);
        }
    }

    fn directory(&mut self, path: PathBuf, meta: &Metadata) {
        let start = self.helpers.is_some().then(std::time::Instant::now);
        let mut names = std::mem::take(&mut self.names);
        names.clear();
        let listing = fs::read_dir(&path).and_then(|it| {
            for e in it {
                let e = e?;
                names.push((e.file_name(), e));
            }
            Ok(())
        });
        if let (Some(helpers), Some(start), Ok(())) = (&self.helpers, start, &listing) {
            let per_64 = u32::try_from(1 + names.len() / 64).unwrap_or(u32::MAX);
            helpers.dir_cost().note(start.elapsed() / per_64);
        }
        let info = self.info(&path, meta, true);
        if let Err(e) = listing {
            names.clear();
            self.names = names;
            self.push(WalkEvent::Entry(Box::new(Entry {
                path: path.clone(),
                kind: EntryKind::Directory,
                info,
                children: None,
            })));
            return self.skip(
                path,
                format!("cannot list the directory: {e}; its contents are not backed up"),
            );
        }
        // Names in a directory are unique: an unstable sort orders them all the same, without
        // the scratch memory of a stable one.
        names.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        // The directory itself, for openat of its files; without it (no permission to open
        // it for reading is unusual once it could be listed) files are opened by path.
        // Not through a symbolic link swapped in since the listing.
        let dir = self
            .opening
            .then(|| open_dir(&path, rustix::fs::OFlags::NOFOLLOW))
            .flatten();
        let mut subdirs = Vec::new();
        let mut leaves = std::mem::take(&mut self.leaves);
        let mut problems = Vec::new();
        let mut children = Vec::with_capacity(names.len());
        for (name, dirent) in names.drain(..) {
            let child = path.join(&name);
            if self.selection.is_excluded(&child) {
                continue;
            }
            // A regular file by its entry's type is opened and fstat-ed when its turn comes.
            if let Some(dir) = dir.as_ref().filter(|_| self.eager)
                && dirent.file_type().is_ok_and(|t| t.is_file())
            {
                children.push(Child {
                    name,
                    directory: false,
                });
                leaves.push(Leaf::Listed(child, Arc::clone(dir)));
                continue;
            }
            // statx relative to the directory being listed (std's DirEntry::metadata).
            match dirent.metadata() {
                Ok(m) if m.is_dir() => {
                    children.push(Child {
                        name,
                        directory: true,
                    });
                    subdirs.push((child, m.dev() == meta.dev()));
                }
                Ok(m) => {
                    let special = !(m.is_file() || m.file_type().is_symlink());
                    if !special {
                        children.push(Child {
                            name,
                            directory: false,
                        });
                    }
                    leaves.push(Leaf::Stat(child, m));
                }
                Err(e) => problems.push((child, format!("vanished or unreadable: {e}"))),
            }
        }
        self.push(WalkEvent::Entry(Box::new(Entry {
            path,
            kind: EntryKind::Directory,
            info,
            children: Some(children),
        })));
        self.names = names;
        for leaf in leaves.drain(..) {
            match leaf {
                Leaf::Stat(child, m) => self.leaf(child, &m, dir.as_ref()),
                Leaf::Listed(path, dir) => self.queue.push_back(Queued::Listed {
                    path,
                    dir,
                    slot: None,
                }),
            }
        }
        self.leaves = leaves;
        for (child, why) in problems {
            self.skip(child, why);
        }
        subdirs.reverse();
        self.stack.push(Frame {
            warmed: 0,
            dev: meta.dev(),
            subdirs,
        });
    }

    fn leaf(&mut self, path: PathBuf, meta: &Metadata, dir: Option<&Arc<OwnedFd>>) {
        let (event, dir) = self.leaf_event(path, meta, dir);
        self.queue.push_back(Queued::Event {
            event,
            dir,
            slot: None,
        });
    }

    /// A file, symbolic link or special file's event and, for a regular file to be opened by
    /// the reader, its directory.
    fn leaf_event(
        &mut self,
        path: PathBuf,
        meta: &Metadata,
        dir: Option<&Arc<OwnedFd>>,
    ) -> (WalkEvent, Option<Arc<OwnedFd>>) {
        let ft = meta.file_type();
        let kind = if ft.is_file() {
            // Or a further name of a file: settled when its turn comes (`settle`).
            EntryKind::File
        } else if ft.is_symlink() {
            match fs::read_link(&path) {
                Ok(target) => EntryKind::Symlink(target.into_os_string()),
                Err(e) => {
                    return (
                        skipped(path, format!("cannot read the symbolic link: {e}")),
                        None,
                    );
                }
            }
        } else {
            let what = if ft.is_fifo() {
                "a named pipe"
            } else if ft.is_socket() {
                "a socket"
            } else if ft.is_char_device() {
                "a character device"
            } else if ft.is_block_device() {
                "a block device"
            } else {
                "of an unknown type"
            };
            return (
                skipped(path, format!("special file ({what}) not backed up")),
                None,
            );
        };
        // A regular file opened by the reader has its xattrs read there, from the descriptor.
        let opened = self.opening && kind == EntryKind::File;
        let info = self.info(&path, meta, !opened);
        let event = WalkEvent::Entry(Box::new(Entry {
            path,
            kind,
            info,
            children: None,
        }));
        if !opened {
            return (event, None);
        }
        let dir = match dir {
            Some(d) => Some(Arc::clone(d)),
            None => self.parent_dir(&event),
        };
        (event, dir)
    }

    /// A regular file with more than one name: the first name the walk gives is the file,
    /// the later ones links to it. Decided as the events are given, in their order (the walk
    /// may list directories ahead of their turn). A name that becomes a link has its extended
    /// attributes read here if they were left to the reader (`xattrs_read` false), which
    /// reads nothing of a link.
    fn settle(&mut self, event: &mut WalkEvent, xattrs_read: bool) {
        let WalkEvent::Entry(e) = event else {
            return;
        };
        if e.kind != EntryKind::File || e.info.nlink <= 1 {
            return;
        }
        let key = (e.info.dev, e.info.ino);
        match self.links.get(&key) {
            Some(first) => {
                e.kind = EntryKind::HardLink(first.clone());
                if !xattrs_read {
                    e.info.xattrs = read_xattrs(&e.path);
                }
            }
            None => {
                self.links.insert(key, e.path.clone());
            }
        }
    }

    /// The directory of a file selected by itself, opened for `openat`.
    fn parent_dir(&self, event: &WalkEvent) -> Option<Arc<OwnedFd>> {
        let WalkEvent::Entry(entry) = event else {
            return None;
        };
        let parent = match entry.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // The user selected the file through this path: its links are followed.
        open_dir(parent, rustix::fs::OFlags::empty())
    }

    fn info(&mut self, path: &Path, m: &Metadata, xattrs: bool) -> FileInfo {
        let user = self
            .users
            .entry(m.uid())
            .or_insert_with(|| user_name(m.uid()))
            .clone();
        let group = self
            .groups
            .entry(m.gid())
            .or_insert_with(|| group_name(m.gid()))
            .clone();
        FileInfo {
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            user,
            group,
            size: if m.is_file() { m.size() } else { 0 },
            atime: ts(m.atime(), m.atime_nsec()),
            mtime: ts(m.mtime(), m.mtime_nsec()),
            ctime: ts(m.ctime(), m.ctime_nsec()),
            dev: m.dev(),
            ino: m.ino(),
            nlink: m.nlink(),
            rdev: m.rdev(),
            xattrs: if xattrs {
                read_xattrs(path)
            } else {
                Vec::new()
            },
        }
    }
}

/// A non-directory of a listing.
enum Leaf {
    Stat(PathBuf, Metadata),
    Listed(PathBuf, Arc<OwnedFd>),
}

fn skipped(path: PathBuf, reason: impl Into<String>) -> WalkEvent {
    WalkEvent::Skipped {
        path,
        reason: reason.into(),
    }
}

fn ts(secs: i64, nanos: i64) -> Timestamp {
    Timestamp {
        secs,
        nanos: u32::try_from(nanos).unwrap_or(0),
    }
}

fn user_name(uid: u32) -> Option<Vec<u8>> {
    nix::unistd::User::from_uid(uid.into())
        .ok()
        .flatten()
        .map(|u| u.name.into_bytes())
}

fn group_name(gid: u32) -> Option<Vec<u8>> {
    nix::unistd::Group::from_gid(gid.into())
        .ok()
        .flatten()
        .map(|g| g.name.into_bytes())
}

/// Extended attributes of `path` itself (a symlink's own, not its target's). Unreadable ones
/// are left out: a file system without xattr support has none.
fn read_xattrs(path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    collect_xattrs(xattr::list(path), |name| xattr::get(path, name))
}

/// The (name, value) pairs of a listing; names whose value cannot be read are left out.
fn collect_xattrs(
    names: io::Result<xattr::XAttrs>,
    get: impl Fn(&std::ffi::OsStr) -> io::Result<Option<Vec<u8>>>,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let Ok(names) = names else {
        return Vec::new();
    };
    names
        .filter_map(|name| {
            let value = get(&name).ok().flatten()?;
            Some((name.as_bytes().to_vec(), value))
        })
        .collect()
}

/// Opens a regular file `entry` of the directory `dir` (never following a symbolic link, never
/// blocking on a FIFO swapped in since the walk) and reads its extended attributes from it.
pub(crate) fn open_file(dir: &OwnedFd, entry: &mut Entry) -> io::Result<File> {
    let file = open_at(dir, entry.path.file_name().unwrap_or_default())?;
    entry.info.xattrs = file_xattrs(&file);
    Ok(file)
}

/// The metadata of `name` in `dir` itself (a symbolic link's own).
fn stat_at(dir: &OwnedFd, name: &std::ffi::OsStr) -> io::Result<Metadata> {
    use rustix::fs::OFlags;
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    File::from(fd).metadata()
}

/// Opens `name` in `dir` for reading, never following a symbolic link nor blocking on a FIFO.
fn open_at(dir: &OwnedFd, name: &std::ffi::OsStr) -> io::Result<File> {
    use rustix::fs::OFlags;
    Ok(rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map(File::from)?)
}

/// A directory opened for `openat` of its files.
fn open_dir(path: &Path, extra: rustix::fs::OFlags) -> Option<Arc<OwnedFd>> {
    use rustix::fs::OFlags;
    rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | extra,
        rustix::fs::Mode::empty(),
    )
    .ok()
    .map(Arc::new)
}

/// Extended attributes of an open file.
fn file_xattrs(file: &File) -> Vec<(Vec<u8>, Vec<u8>)> {
    use xattr::FileExt;
    collect_xattrs(file.list_xattr(), |name| file.get_xattr(name))
}

impl Walk {
    fn pop(&mut self) -> Option<Queued> {
        loop {
            if let Some(queued) = self.queue.pop_front() {
                self.looked = self.looked.saturating_sub(1);
                if let Queued::Listed { slot: Some(_), .. } | Queued::Event { slot: Some(_), .. } =
                    queued
                {
                    self.handed = self.handed.saturating_sub(1);
                }
                return Some(queued);
            }
            if !self.visit_next() {
                return None;
            }
        }
    }

    /// Visits the directory (or selected path) that comes next in the walk's order, queueing
    /// its events; `false` when there is none left.
    fn visit_next(&mut self) -> bool {
        while let Some(frame) = self.stack.last_mut() {
            let dev = frame.dev;
            match frame.subdirs.pop() {
                Some((dir, _)) => {
                    frame.warmed = frame.warmed.saturating_sub(1);
                    self.warm_dirs();
                    self.visit(dir, Some(dev));
                    return true;
                }
                None => {
                    self.stack.pop();
                }
            }
        }
        match self.roots.next() {
            Some(root) => {
                self.visit(root, None);
                true
            }
            None => false,
        }
    }
}

impl Iterator for Walk {
    type Item = WalkEvent;

    fn next(&mut self) -> Option<WalkEvent> {
        // Only a walk read by next_with_source lists files to open.
        let queued = self.pop()?;
        Some(self.give(queued).0)
    }
}
