//! Oracles for the fuzz targets in `fuzz/` (thin shims call these); also replayed over the
//! committed corpus by `cargo test`.

use std::sync::atomic::{AtomicU64, Ordering};

use super::image::{Image, ObjectKind};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Mounts `bytes` as a cartridge image and reads every record back. Whatever the bytes, this
/// must return (an error or a damage report is fine) and never panic or allocate beyond the
/// largest block.
pub fn mount_image(bytes: &[u8]) {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("ntbackup-fuzz-{}-{n}.vtape", std::process::id()));
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    if let Ok(image) = Image::open(&path) {
        let mut buf = Vec::new();
        for address in 0..image.len() {
            let Some(object) = image.object(address) else {
                break;
            };
            if object.kind == ObjectKind::Block {
                buf.resize(object.len as usize, 0);
                let _ = image.read_block(object, address, &mut buf);
            }
        }
        let _ = image.damage().map(|d| d.describe());
    }
    let _ = std::fs::remove_file(&path);
}
