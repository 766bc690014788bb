//! What the engine examples share: a deterministic tree to back up, and a way to compare trees.

use std::error::Error;
use std::fs;
use std::path::Path;

/// A few files of pseudo-random bytes (incompressible, deterministic): `total` bytes in all.
pub(crate) fn make_tree(root: &Path, total: usize) -> Result<(), Box<dyn Error>> {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for (i, size) in [total / 8, total / 8, total / 4, total / 2, 0]
        .into_iter()
        .enumerate()
    {
        let dir = root.join(format!("dir{}", i % 2));
        fs::create_dir_all(&dir)?;
        let bytes: Vec<u8> = (0..size)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed.to_le_bytes()[0]
            })
            .collect();
        fs::write(dir.join(format!("file{i}.bin")), bytes)?;
    }
    Ok(())
}

/// Relative path → contents of every file of a tree, sorted by path.
pub(crate) type Contents = Vec<(String, Vec<u8>)>;

/// Every file under `root`.
pub(crate) fn contents(root: &Path) -> Result<Contents, Box<dyn Error>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root)?.display().to_string();
                out.push((rel, fs::read(&path)?));
            }
        }
    }
    out.sort();
    Ok(out)
}
