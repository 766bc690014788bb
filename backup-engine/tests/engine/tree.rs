//! Test trees: random incompressible files, and a comparison of two trees.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;

pub(crate) fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A tree of about `total` bytes: nested directories, files of assorted sizes (including empty
/// ones and one larger than a tape block), a symlink, a hard link and an empty directory.
pub(crate) fn make(root: &Path, total: usize, seed: u64) {
    fs::create_dir_all(root.join("empty-dir")).unwrap();
    fs::write(root.join("empty-file"), b"").unwrap();
    let sizes = [1, 100, 4096, 65_537, 300_000, 17, 777_777, 1024, 50_000];
    let mut written = 0;
    let mut i = 0u64;
    while written < total {
        let dir = root
            .join(format!("d{}", i % 4))
            .join(format!("sub{}", i % 3));
        fs::create_dir_all(&dir).unwrap();
        let size = sizes[(i as usize) % sizes.len()];
        fs::write(dir.join(format!("f{i:03}.bin")), bytes(size, seed + i)).unwrap();
        written += size;
        i += 1;
    }
    symlink("d0/sub0/f000.bin", root.join("link")).unwrap();
    fs::hard_link(root.join("d1/sub1/f001.bin"), root.join("hard")).unwrap();
}

/// Everything about a tree that a restore must reproduce, keyed by relative path.
pub(crate) fn describe(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let m = fs::symlink_metadata(&p).unwrap();
        let what = if m.file_type().is_symlink() {
            format!("link -> {}", fs::read_link(&p).unwrap().display())
        } else if m.is_dir() {
            walk(root, &p, out);
            format!("dir {:o}", m.mode() & 0o7777)
        } else {
            let data = fs::read(&p).unwrap();
            let sum = data
                .iter()
                .fold(0u64, |a, &b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
            format!(
                "file {:o} {} bytes sum {sum:x} mtime {}.{:09} links {}",
                m.mode() & 0o7777,
                data.len(),
                m.mtime(),
                m.mtime_nsec(),
                m.nlink()
            )
        };
        out.insert(rel, what);
    }
}
