//! [`RestoreRoot`]: creating files under a directory so that nothing lands outside it.
//!
//! # Security
//!
//! Every object is created relative to directory handles opened from the root downwards with
//! `O_NOFOLLOW` (`openat`, `mkdirat`, `symlinkat`, `linkat`, `renameat`): a symbolic link that a
//! hostile archive planted (`a -> /etc`, then `a/passwd`) is refused, never followed, and `..`
//! never reaches the file system (names are checked first, `names.rs`). A file is written as an
//! unnamed file in its directory (`O_TMPFILE`) and linked under its name only when complete, so
//! no partial file is ever left under its real name, and one cut off by a crash leaves nothing
//! at all. Where the file system or the process's privileges do not allow that (linking an
//! unnamed file by its descriptor needs `CAP_DAC_READ_SEARCH`), it is written under a temporary
//! name and renamed into place. Directories are created with mode 0700 while the restore runs; their
//! recorded modes and times are applied at the end, deepest first.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

use rustix::fs::{AtFlags, Mode, OFlags, Timespec, Timestamps, XattrFlags};
use rustix::io::Errno;

use super::names::show;
use crate::walk::Timestamp;

/// Metadata to give a restored object; `None` fields are left as created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) mode: Option<u32>,
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) atime: Option<Timestamp>,
    pub(crate) mtime: Option<Timestamp>,
    pub(crate) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A refused or failed object, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) String);

fn refused(comps: &[Vec<u8>], what: impl std::fmt::Display) -> Refused {
    Refused(format!("{}: {what}", show(comps)))
}

/// A file being written, unnamed or under a temporary name. Dropped unfinished (a restore that
/// ends on a drive error, a panic), it removes its temporary file (an unnamed one goes with its
/// descriptor): no partial file is ever left behind.
pub(crate) struct PendingFile {
    pub(crate) file: File,
    comps: Vec<Vec<u8>>,
    /// Its temporary name; empty for an unnamed (`O_TMPFILE`) file.
    temp: Vec<u8>,
    /// Its directory, while the temporary name is to be removed on drop.
    dir: Option<Arc<OwnedFd>>,
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = rustix::fs::unlinkat(&dir, self.temp.as_slice(), AtFlags::empty());
        }
    }
}

/// The restore root and a cache of open directory handles along the current path.
pub(crate) struct RestoreRoot {
    root: Arc<OwnedFd>,
    /// Shared with the pending file of the directory, which needs it to remove its temporary
    /// name (a handle shared, not duplicated: no system call per file).
    open: Vec<(Vec<u8>, Arc<OwnedFd>)>,
    privileged: bool,
    /// Whether files are written unnamed (`O_TMPFILE`) and linked in place (tried once when
    /// the root is opened; [`another`](Self::another) handle shares the finding). Saves
    /// creating and looking up a temporary name per file: a sixth of the kernel's time for a
    /// small file (issue 8).
    unnamed: bool,
    deferred: Vec<(Vec<Vec<u8>>, Meta)>,
    counter: u64,
    pid: u32,
    /// Which of the restore's file-system threads uses it (part of temporary names).
    lane: usize,
}

impl RestoreRoot {
    /// Creates `path` if needed and opens it.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(path)?;
        let root = rustix::fs::open(
            path,
            OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::RDONLY,
            Mode::empty(),
        )?;
        let unnamed = can_link_unnamed(&root);
        Ok(Self {
            root: Arc::new(root),
            open: Vec::new(),
            privileged: rustix::process::geteuid().is_root(),
            unnamed,
            deferred: Vec::new(),
            counter: 0,
            pid: std::process::id(),
            lane: 0,
        })
    }

    /// Opens (creating as needed) the directory `comps`, never following a symbolic link.
    fn dir(&mut self, comps: &[Vec<u8>]) -> Result<BorrowedFd<'_>, Refused> {
        let common = self
            .open
            .iter()
            .zip(comps)
            .take_while(|((a, _), b)| a == *b)
            .count();
        self.open.truncate(common);
        for (i, name) in comps.iter().enumerate().skip(common) {
            let parent = self
                .open
                .last()
                .map_or(self.root.as_fd(), |(_, fd)| fd.as_fd());
            let fd = open_or_make_dir(parent, name).map_err(|why| refused(&comps[..=i], why))?;
            self.open.push((name.clone(), Arc::new(fd)));
        }
        Ok(self
            .open
            .last()
            .map_or(self.root.as_fd(), |(_, fd)| fd.as_fd()))
    }

    /// Opens the existing directory `comps` (never creating it, never following a link).
    fn existing_dir(&self, comps: &[Vec<u8>]) -> Result<OwnedFd, String> {
        let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::RDONLY;
        let mut fd = rustix::io::fcntl_dupfd_cloexec(&self.root, 0).map_err(|e| e.to_string())?;
        for name in comps {
            fd = rustix::fs::openat(&fd, name.as_slice(), flags, Mode::empty()).map_err(
                |e| match e {
                    Errno::LOOP | Errno::NOTDIR => {
                        "a symbolic link or a file is in the way; it is not followed".to_owned()
                    }
                    e => e.to_string(),
                },
            )?;
        }
        Ok(fd)
    }

    fn temp_name(&mut self) -> Vec<u8> {
        self.counter += 1;
        format!(
            ".ntbackup-partial-{}-{}-{}",
            self.pid, self.lane, self.counter
        )
        .into_bytes()
    }

    /// Another handle on the same root, for file-system thread `lane` (several restore into
    /// one root at once): the same directory and what was found out about it at open.
    pub(crate) fn another(&self, lane: usize) -> io::Result<Self> {
        let root = rustix::io::fcntl_dupfd_cloexec(&*self.root, 0)?;
        Ok(Self {
            root: Arc::new(root),
            open: Vec::new(),
            deferred: Vec::new(),
            counter: 0,
            lane,
            ..*self
        })
    }

    /// The directory metadata still to apply (to apply them all from one root, deepest
    /// first, whichever thread created the directories).
    pub(crate) fn take_deferred(&mut self) -> Vec<(Vec<Vec<u8>>, Meta)> {
        std::mem::take(&mut self.deferred)
    }

    /// Adds directory metadata to apply at [`finish`](Self::finish), after its own.
    pub(crate) fn add_deferred(&mut self, more: Vec<(Vec<Vec<u8>>, Meta)>) {
        self.deferred.extend(more);
    }

    /// Makes sure the directory exists; its metadata are applied at [`finish`](Self::finish).
    pub(crate) fn directory(&mut self, comps: &[Vec<u8>], meta: Meta) -> Result<(), Refused> {
        self.dir(comps)?;
        // The root is the user's (it may be their home): a medium's root directory never sets
        // its mode, owner or times; only what the restore creates gets the medium's metadata.
        if !comps.is_empty() {
            self.deferred.push((comps.to_vec(), meta));
        }
        Ok(())
    }

    /// Starts a regular file (unnamed, or under a temporary name, in its directory).
    pub(crate) fn begin_file(&mut self, comps: &[Vec<u8>]) -> Result<PendingFile, Refused> {
        let (parent, _) = comps.split_at(comps.len().saturating_sub(1));
        self.dir(parent)?;
        let held = self
            .open
            .last()
            .map_or_else(|| Arc::clone(&self.root), |(_, fd)| Arc::clone(fd));
        if self.unnamed {
            let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
            match rustix::fs::openat(&held, ".", flags, Mode::from_raw_mode(0o600)) {
                Ok(fd) => {
                    return Ok(PendingFile {
                        file: File::from(fd),
                        comps: comps.to_vec(),
                        temp: Vec::new(),
                        dir: None,
                    });
                }
                // Not supported here (another file system under the root may be different):
                // a temporary name for this one.
                Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => {}
                Err(e) => return Err(refused(comps, format!("cannot create: {e}"))),
            }
        }
        let temp = self.temp_name();
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&held, temp.as_slice(), flags, Mode::from_raw_mode(0o600))
            .map_err(|e| refused(comps, format!("cannot create: {e}")))?;
        Ok(PendingFile {
            file: File::from(fd),
            comps: comps.to_vec(),
            temp,
            dir: Some(held),
        })
    }

    /// Gives a finished file its metadata and its real name (replacing a file of that name).
    pub(crate) fn commit_file(
        &mut self,
        mut pending: PendingFile,
        meta: &Meta,
    ) -> Result<(), Refused> {
        // On failure the temporary file goes with `pending`.
        apply_fd(pending.file.as_fd(), meta, self.privileged)
            .map_err(|e| refused(&pending.comps, e))?;
        if pending.temp.is_empty() {
            return self.link_into_place(&pending);
        }
        let result = self.rename_into_place(&pending.comps, &pending.temp);
        pending.dir = None;
        result
    }

    /// Gives an unnamed file its name: linked by its descriptor, or, if a file of that name is
    /// in the way, linked under a temporary name and renamed over it (replacing it atomically).
    fn link_into_place(&mut self, pending: &PendingFile) -> Result<(), Refused> {
        let comps = &pending.comps;
        let Some((name, parent)) = comps.split_last() else {
            return Err(Refused("the restore root itself cannot be replaced".into()));
        };
        let link = |dir: BorrowedFd<'_>, name: &[u8]| {
            rustix::fs::linkat(&pending.file, "", dir, name, AtFlags::EMPTY_PATH)
        };
        let dir = self.dir(parent)?;
        match link(dir, name.as_slice()) {
            Ok(()) => return Ok(()),
            Err(Errno::EXIST) => {}
            Err(e) => return Err(refused(comps, format!("cannot link it in place: {e}"))),
        }
        let temp = self.temp_name();
        let dir = self.dir(parent)?;
        link(dir, temp.as_slice())
            .map_err(|e| refused(comps, format!("cannot link it in place: {e}")))?;
        self.rename_into_place(comps, &temp)
    }

    /// Removes an unfinished file.
    pub(crate) fn abandon_file(&mut self, pending: PendingFile) {
        drop(pending);
    }

    fn rename_into_place(&mut self, comps: &[Vec<u8>], temp: &[u8]) -> Result<(), Refused> {
        let Some((name, parent)) = comps.split_last() else {
            return Err(Refused("the restore root itself cannot be replaced".into()));
        };
        let dir = self.dir(parent)?;
        match rustix::fs::renameat(dir, temp, dir, name.as_slice()) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = rustix::fs::unlinkat(dir, temp, AtFlags::empty());
                let why = if e == Errno::ISDIR {
                    "a directory of that name is in the way".to_owned()
                } else {
                    e.to_string()
                };
                Err(refused(comps, why))
            }
        }
    }

    /// Creates a symbolic link (its target is stored as it is and never followed here).
    pub(crate) fn symlink(
        &mut self,
        comps: &[Vec<u8>],
        target: &[u8],
        meta: &Meta,
    ) -> Result<(), Refused> {
        let temp = self.temp_name();
        let parent = &comps[..comps.len().saturating_sub(1)];
        let privileged = self.privileged;
        let dir = self.dir(parent)?;
        rustix::fs::symlinkat(target, dir, temp.as_slice())
            .map_err(|e| refused(comps, format!("cannot create the link: {e}")))?;
        if privileged && (meta.uid.is_some() || meta.gid.is_some()) {
            let _ = rustix::fs::chownat(
                dir,
                temp.as_slice(),
                meta.uid.map(rustix::fs::Uid::from_raw),
                meta.gid.map(rustix::fs::Gid::from_raw),
                AtFlags::SYMLINK_NOFOLLOW,
            );
        }
        if let Some(times) = timestamps(meta) {
            let _ = rustix::fs::utimensat(dir, temp.as_slice(), &times, AtFlags::SYMLINK_NOFOLLOW);
        }
        self.rename_into_place(comps, &temp)
    }

    /// Creates `comps` as a further name of the already restored file `target`.
    pub(crate) fn hard_link(
        &mut self,
        comps: &[Vec<u8>],
        target: &[Vec<u8>],
    ) -> Result<(), Refused> {
        let Some((target_name, target_parent)) = target.split_last() else {
            return Err(refused(comps, "hard link to the restore root"));
        };
        // The target must already be there: its directories are opened, never created (a link
        // to a path that does not exist must leave nothing behind).
        let from = self
            .existing_dir(target_parent)
            .map_err(|why| refused(comps, format!("cannot link to {}: {why}", show(target))))?;
        let temp = self.temp_name();
        let parent = &comps[..comps.len().saturating_sub(1)];
        let dir = self.dir(parent)?;
        rustix::fs::linkat(
            &from,
            target_name.as_slice(),
            dir,
            temp.as_slice(),
            AtFlags::empty(),
        )
        .map_err(|e| refused(comps, format!("cannot link to {}: {e}", show(target))))?;
        self.rename_into_place(comps, &temp)
    }

    /// Removes a file, link or (empty) directory this restore created, never following a link.
    pub(crate) fn remove(&mut self, comps: &[Vec<u8>]) -> Result<(), Refused> {
        let Some((name, parent)) = comps.split_last() else {
            return Err(Refused("the restore root itself is not removed".into()));
        };
        self.deferred.retain(|(d, _)| d.as_slice() != comps);
        let dir = self.dir(parent)?;
        let result = match rustix::fs::unlinkat(dir, name.as_slice(), AtFlags::empty()) {
            Err(Errno::ISDIR | Errno::PERM) => {
                rustix::fs::unlinkat(dir, name.as_slice(), AtFlags::REMOVEDIR)
            }
            other => other,
        };
        // The handle cache may hold the directory just removed.
        self.open.truncate(parent.len());
        result.map_err(|e| refused(comps, format!("cannot remove it: {e}")))
    }

    /// Applies the deferred directory metadata, deepest directories first.
    pub(crate) fn finish(mut self) -> Vec<Refused> {
        let mut deferred = std::mem::take(&mut self.deferred);
        deferred.sort_by_key(|d| std::cmp::Reverse(d.0.len()));
        let mut problems = Vec::new();
        let privileged = self.privileged;
        for (comps, meta) in deferred {
            let result = self
                .dir(&comps)
                .and_then(|fd| apply_fd(fd, &meta, privileged).map_err(|e| refused(&comps, e)));
            if let Err(e) = result {
                problems.push(e);
            }
        }
        problems
    }
}

/// Whether an unnamed file made in `dir` can be linked in by its descriptor (`O_TMPFILE` is
/// supported there and the process has `CAP_DAC_READ_SEARCH`), tried once with an empty file.
fn can_link_unnamed(dir: &OwnedFd) -> bool {
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    let Ok(fd) = rustix::fs::openat(dir, ".", flags, Mode::from_raw_mode(0o600)) else {
        return false;
    };
    let probe = format!(".ntbackup-probe-{}", std::process::id());
    let linked = rustix::fs::linkat(&fd, "", dir, probe.as_str(), AtFlags::EMPTY_PATH).is_ok();
    if linked {
        let _ = rustix::fs::unlinkat(dir, probe.as_str(), AtFlags::empty());
    }
    linked
}

fn open_or_make_dir(parent: BorrowedFd<'_>, name: &[u8]) -> Result<OwnedFd, String> {
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::RDONLY;
    match rustix::fs::openat(parent, name, flags, Mode::empty()) {
        Ok(fd) => return Ok(fd),
        Err(Errno::NOENT) => {}
        Err(Errno::LOOP | Errno::NOTDIR) => {
            return Err(
                "a symbolic link or a file is in the way of this directory; it is not followed"
                    .into(),
            );
        }
        Err(e) => return Err(format!("cannot open the directory: {e}")),
    }
    match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(format!("cannot create the directory: {e}")),
    }
    rustix::fs::openat(parent, name, flags, Mode::empty()).map_err(|e| match e {
        Errno::LOOP | Errno::NOTDIR => {
            "a symbolic link or a file is in the way of this directory; it is not followed".into()
        }
        e => format!("cannot open the directory: {e}"),
    })
}

fn timespec(t: Timestamp) -> Timespec {
    Timespec {
        tv_sec: t.secs,
        tv_nsec: i64::from(t.nanos),
    }
}

fn timestamps(meta: &Meta) -> Option<Timestamps> {
    let omit = Timespec {
        tv_sec: 0,
        tv_nsec: rustix::fs::UTIME_OMIT,
    };
    if meta.atime.is_none() && meta.mtime.is_none() {
        return None;
    }
    Some(Timestamps {
        last_access: meta.atime.map_or(omit, timespec),
        last_modification: meta.mtime.map_or(omit, timespec),
    })
}

/// Owner (when privileged), xattrs, mode, then times (last, since the others change ctime only).
fn apply_fd(fd: BorrowedFd<'_>, meta: &Meta, privileged: bool) -> Result<(), String> {
    if privileged && (meta.uid.is_some() || meta.gid.is_some()) {
        rustix::fs::fchown(
            fd,
            meta.uid.map(rustix::fs::Uid::from_raw),
            meta.gid.map(rustix::fs::Gid::from_raw),
        )
        .map_err(|e| format!("cannot set the owner: {e}"))?;
    }
    for (name, value) in &meta.xattrs {
        // Attributes the file system or our privileges do not allow are skipped, as tar does.
        let _ = rustix::fs::fsetxattr(fd, name.as_slice(), value, XattrFlags::empty());
    }
    if let Some(mode) = meta.mode {
        let keep = if privileged { 0o7777 } else { 0o777 };
        rustix::fs::fchmod(fd, Mode::from_raw_mode(mode & keep))
            .map_err(|e| format!("cannot set the mode: {e}"))?;
    }
    if let Some(times) = timestamps(meta) {
        rustix::fs::futimens(fd, &times).map_err(|e| format!("cannot set the times: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::symlink;

    use super::*;

    fn c(path: &str) -> Vec<Vec<u8>> {
        path.split('/').map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn files_appear_under_their_real_name_only_when_committed() {
        // Unnamed files where the probe allows them (root on Linux), and temporary names.
        for unnamed in [true, false] {
            committed_files_appear(unnamed);
        }
    }

    #[test]
    fn a_committed_file_replaces_one_of_its_name_whole() {
        for unnamed in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("out");
            std::fs::create_dir_all(out.join("d")).unwrap();
            std::fs::write(out.join("d/f"), b"old content, longer").unwrap();
            let mut root = RestoreRoot::open(&out).unwrap();
            root.unnamed &= unnamed;
            let mut f = root.begin_file(&c("d/f")).unwrap();
            f.file.write_all(b"new").unwrap();
            assert_eq!(
                std::fs::read(out.join("d/f")).unwrap(),
                b"old content, longer"
            );
            root.commit_file(f, &Meta::default()).unwrap();
            assert_eq!(
                std::fs::read(out.join("d/f")).unwrap(),
                b"new",
                "unnamed {unnamed}"
            );
            let names: Vec<_> = std::fs::read_dir(out.join("d"))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["f"], "no temporary name left (unnamed {unnamed})");
        }
    }

    fn committed_files_appear(unnamed: bool) {
        let dir = tempfile::tempdir().unwrap();
        let mut root = RestoreRoot::open(&dir.path().join("out")).unwrap();
        root.unnamed &= unnamed;
        let mut f = root.begin_file(&c("a/b/file")).unwrap();
        f.file.write_all(b"hello").unwrap();
        assert!(
            !dir.path().join("out/a/b/file").exists(),
            "no partial file under its real name"
        );
        let meta = Meta {
            mode: Some(0o640),
            mtime: Some(Timestamp {
                secs: 1_000_000,
                nanos: 5,
            }),
            ..Meta::default()
        };
        root.commit_file(f, &meta).unwrap();
        let path = dir.path().join("out/a/b/file");
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        let m = std::fs::metadata(&path).unwrap();
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        assert_eq!(
            (m.permissions().mode() & 0o777, m.mtime(), m.mtime_nsec()),
            (0o640, 1_000_000, 5)
        );
        let mut g = root.begin_file(&c("a/b/gone")).unwrap();
        g.file.write_all(b"partial").unwrap();
        root.abandon_file(g);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("out/a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["file"], "the abandoned temporary file is gone");
    }

    #[test]
    fn a_planted_symlink_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let mut root = RestoreRoot::open(&dir.path().join("out")).unwrap();
        root.symlink(
            &c("escape"),
            outside.as_os_str().as_encoded_bytes(),
            &Meta::default(),
        )
        .unwrap();
        match root.begin_file(&c("escape/passwd")) {
            Err(Refused(why)) => assert!(why.contains("not followed"), "{why}"),
            Ok(_) => panic!("wrote through a symlink"),
        }
        assert!(root.directory(&c("escape/sub"), Meta::default()).is_err());
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "nothing written outside the root"
        );
        // A symlink in the way of a file is replaced by the file, not followed.
        symlink(outside.join("victim"), dir.path().join("out/plain")).unwrap();
        let f = root.begin_file(&c("plain")).unwrap();
        root.commit_file(f, &Meta::default()).unwrap();
        assert!(!outside.join("victim").exists());
        assert!(
            std::fs::symlink_metadata(dir.path().join("out/plain"))
                .unwrap()
                .is_file()
        );
    }

    #[test]
    fn hard_links_and_deferred_directory_modes() {
        let dir = tempfile::tempdir().unwrap();
        let mut root = RestoreRoot::open(&dir.path().join("out")).unwrap();
        root.directory(
            &c("d"),
            Meta {
                mode: Some(0o555),
                ..Meta::default()
            },
        )
        .unwrap();
        let mut f = root.begin_file(&c("d/one")).unwrap();
        f.file.write_all(b"1").unwrap();
        root.commit_file(f, &Meta::default()).unwrap();
        root.hard_link(&c("d/two"), &c("d/one")).unwrap();
        assert!(root.finish().is_empty());
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let one = std::fs::metadata(dir.path().join("out/d/one")).unwrap();
        let two = std::fs::metadata(dir.path().join("out/d/two")).unwrap();
        assert_eq!((one.ino(), one.nlink()), (two.ino(), 2));
        let d = std::fs::metadata(dir.path().join("out/d")).unwrap();
        assert_eq!(
            d.permissions().mode() & 0o777,
            0o555,
            "applied after the contents"
        );
        std::fs::set_permissions(
            dir.path().join("out/d"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
}
