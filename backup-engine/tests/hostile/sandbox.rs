//! A sandbox: `root/` (where a restore writes), `canary/` (what hostile links aim at) and a
//! sibling file, walked without following links and without long paths (trees deeper than
//! PATH_MAX are read through directory handles).

use std::collections::BTreeMap;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// What an entry is and holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Dir,
    File(Vec<u8>),
    Link(Vec<u8>),
    Other(u32),
}

/// An entry with the metadata a write through it would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) node: Node,
    pub(crate) mode: u32,
    pub(crate) nlink: u64,
    pub(crate) mtime: (i64, i64),
}

/// Everything under a directory, by path relative to it (`/` between components).
pub(crate) type Tree = BTreeMap<Vec<u8>, Entry>;

pub(crate) struct Sandbox {
    pub(crate) dir: tempfile::TempDir,
}

impl Sandbox {
    /// A sandbox with a canary directory (files, a subdirectory, a link) and a sibling file.
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("canary");
        std::fs::create_dir_all(canary.join("sub")).unwrap();
        std::fs::write(canary.join("secret"), b"canary secret\n").unwrap();
        std::fs::write(canary.join("sub/deeper"), b"canary deeper\n").unwrap();
        std::os::unix::fs::symlink("secret", canary.join("link")).unwrap();
        std::fs::write(dir.path().join("sibling.txt"), b"next to the root\n").unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        Self { dir }
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The canary directory, where hostile links point.
    pub(crate) fn outside(&self) -> String {
        self.dir.path().join("canary").display().to_string()
    }

    /// Everything in the sandbox except the root and its contents.
    pub(crate) fn outside_root(&self) -> Tree {
        let mut tree = walk(self.dir.path());
        tree.retain(|p, _| p != b"root" && !p.starts_with(b"root/"));
        tree
    }
}

fn open_dir(path: &Path) -> OwnedFd {
    rustix::fs::open(
        path,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap()
}

/// Every entry under `path`.
pub(crate) fn walk(path: &Path) -> Tree {
    let mut out = Tree::new();
    walk_fd(open_dir(path).as_fd(), &mut Vec::new(), &mut out);
    out
}

fn walk_fd(dir: BorrowedFd<'_>, prefix: &mut Vec<u8>, out: &mut Tree) {
    let mut names: Vec<Vec<u8>> = rustix::fs::Dir::read_from(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_bytes().to_vec())
        .filter(|n| n != b"." && n != b"..")
        .collect();
    names.sort();
    for name in names {
        let st = rustix::fs::statat(dir, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW).unwrap();
        let len = prefix.len();
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(&name);
        let node = match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => Node::Dir,
            FileType::RegularFile => {
                let fd = rustix::fs::openat(
                    dir,
                    name.as_slice(),
                    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .unwrap();
                let mut data = Vec::new();
                std::fs::File::from(fd).read_to_end(&mut data).unwrap();
                Node::File(data)
            }
            FileType::Symlink => Node::Link(
                rustix::fs::readlinkat(dir, name.as_slice(), Vec::new())
                    .unwrap()
                    .into_bytes(),
            ),
            _ => Node::Other(st.st_mode),
        };
        let entry = Entry {
            node: node.clone(),
            mode: st.st_mode,
            nlink: st.st_nlink,
            mtime: (st.st_mtime, st.st_mtime_nsec as i64),
        };
        out.insert(prefix.clone(), entry);
        if node == Node::Dir {
            let fd = rustix::fs::openat(
                dir,
                name.as_slice(),
                OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .unwrap();
            // Restored directories may have lost their owner's write or execute bit; reading
            // them needs only read and execute, which the restore leaves to the owner.
            walk_fd(fd.as_fd(), prefix, out);
        }
        prefix.truncate(len);
    }
}
