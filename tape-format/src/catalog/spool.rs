//! Where FDD entries wait until the end of the set: a caller-provided append-only byte log, so a
//! set of a million files costs the writer no memory. [`MemorySpool`] keeps them in memory, in
//! 1 MiB chunks; the engine can provide a file-backed one.

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

/// Bytes per chunk of a [`MemorySpool`].
const CHUNK: usize = 1 << 20;

/// An in-memory [`FddSpool`], in chunks of 1 MiB: growing one vector would copy it whole at
/// every doubling and touch fresh pages each time (a tenth of a small-file backup's consumer
/// thread, issue 8).
#[derive(Debug, Clone, Default)]
pub struct MemorySpool {
    /// Every chunk but the last is full.
    chunks: Vec<Vec<u8>>,
    len: usize,
}

impl MemorySpool {
    /// An empty spool.
    pub fn new() -> Self {
        Self::default()
    }
}

impl FddSpool for MemorySpool {
    fn append(&mut self, entry: &[u8]) -> std::io::Result<()> {
        let mut rest = entry;
        while !rest.is_empty() {
            let chunk = match self.chunks.last_mut() {
                Some(c) if c.len() < CHUNK => c,
                _ => {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                    self.chunks
                        .last_mut()
                        .ok_or(std::io::ErrorKind::OutOfMemory)?
                }
            };
            let n = rest.len().min(CHUNK - chunk.len());
            chunk.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        self.len += entry.len();
        Ok(())
    }

    fn len(&self) -> u64 {
        crate::le::to_u64(self.len)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut at = usize::try_from(offset).unwrap_or(usize::MAX).min(self.len);
        let mut n = 0;
        while n < buf.len() {
            let Some(chunk) = self.chunks.get(at / CHUNK) else {
                break;
            };
            let from = chunk.get(at % CHUNK..).unwrap_or_default();
            if from.is_empty() {
                break;
            }
            let k = from.len().min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&from[..k]);
            n += k;
            at += k;
        }
        Ok(n)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.chunks.clear();
        self.len = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_across_chunks_read_back_at_any_offset() {
        let mut spool = MemorySpool::new();
        let mut reference = Vec::new();
        let mut size = 1usize;
        while reference.len() < 3 * CHUNK + 12345 {
            let entry: Vec<u8> = (0..size).map(|i| (i * 7 + size).to_le_bytes()[0]).collect();
            spool.append(&entry).unwrap();
            reference.extend_from_slice(&entry);
            size = size * 3 % 70_001 + 1;
        }
        assert_eq!(spool.len(), reference.len() as u64);
        let total = reference.len();
        for (offset, want) in [
            (0, 100),
            (CHUNK - 3, 10),
            (CHUNK, CHUNK),
            (5, 2 * CHUNK + 17),
            (total - 4, 100),
            (total, 10),
            (total + 1000, 10),
        ] {
            let mut buf = vec![0u8; want];
            let n = spool.read_at(offset as u64, &mut buf).unwrap();
            let expect = &reference[offset.min(total)..(offset + want).min(total)];
            assert_eq!(&buf[..n], expect, "offset {offset}, {want} bytes");
        }
        spool.clear().unwrap();
        assert!(spool.is_empty());
        assert_eq!(spool.read_at(0, &mut [0u8; 8]).unwrap(), 0);
    }
}
