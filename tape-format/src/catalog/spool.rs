//! Where FDD entries wait until the end of the set: a caller-provided append-only byte log, so a
//! set of a million files costs the writer no memory. [`MemorySpool`] keeps them in a `Vec`; the
//! engine can provide a file-backed one.

/// Append-only storage of encoded FDD entries, replayed by offset at end of set.
///
/// Call order used by [`crate::writer::MediaWriter`]: `append` while the set is written (one call
/// per entry, in DBLK order), `len` once at end of set, then `read_at` with increasing offsets
/// (possibly again from an earlier offset after a span), then `clear` before the next set.
pub trait FddSpool {
    /// Appends one encoded entry.
    fn append(&mut self, entry: &[u8]) -> std::io::Result<()>;
    /// Total bytes appended since the last `clear`.
    fn len(&self) -> u64;
    /// `true` when empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Copies bytes starting at `offset` into `buf`; returns how many (0 only at the end).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize>;
    /// Discards everything.
    fn clear(&mut self) -> std::io::Result<()>;
}

/// An in-memory [`FddSpool`].
#[derive(Debug, Clone, Default)]
pub struct MemorySpool {
    bytes: Vec<u8>,
}

impl MemorySpool {
    /// An empty spool.
    pub fn new() -> Self {
        Self::default()
    }
}

impl FddSpool for MemorySpool {
    fn append(&mut self, entry: &[u8]) -> std::io::Result<()> {
        self.bytes.extend_from_slice(entry);
        Ok(())
    }

    fn len(&self) -> u64 {
        crate::le::to_u64(self.bytes.len())
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        let n = buf.len().min(self.bytes.len() - start);
        buf[..n].copy_from_slice(&self.bytes[start..start + n]);
        Ok(n)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.bytes.clear();
        Ok(())
    }
}
