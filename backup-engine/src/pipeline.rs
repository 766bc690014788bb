//! The read-ahead pipeline: a reader thread walks the tree and reads file data into a bounded
//! pool of large buffers while the caller's thread frames and writes to the drive, so the drive
//! is kept busy and memory is bounded whatever the tree size.
//!
//! Small files are packed: the reader reads file after file into the same buffer and sends the
//! entries, data ranges and ends that refer to it as one batch, so a 4 KiB file costs no channel
//! operation and no wake-up of its own (issue 8: the small-file tree is where tools fall below a
//! drive's speed-matching floor). A batch is sent when its buffer is full, when it holds
//! [`MAX_BATCH`] items, or when the walk is over; memory is the pool, `buffers` ×
//! `buffer_size`, plus the items of the batches in flight.
//!
//! The reader never reads more than a file's size as it was when walked: a file that grows
//! during the backup is cut there (and reported), one that shrinks or fails is reported so the
//! writer can zero-fill and mark it corrupt (MTF CFIL). Growth is seen by asking for one byte
//! more than the size, so a file costs one `read` when it did not grow.
//!
//! While files come slowly (from the disk), the walk's helper threads open and read them ahead
//! of their turn (`walk::ahead`); a small file's data then comes already read, and is copied
//! into the buffer like a file's.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::catalog::ArchiveState;
use crate::walk::{Body, Entry, EntryKind, Source, Walk, WalkEvent, fill};

/// Items per batch at most, so a tree of empty files still moves in bounded steps.
const MAX_BATCH: usize = 1024;

/// How reading a file ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileEnd {
    /// All of its walked size was read.
    Complete,
    /// It grew while being read; only the walked size was backed up.
    Grew,
    /// It shrank: only `read` bytes were there.
    Shrunk { read: u64 },
    /// Reading failed after `read` bytes.
    Failed { read: u64, error: String },
}

/// What the reader thread sends, in order: an entry, then (for a regular file) its data and
/// its end.
#[derive(Debug)]
pub(crate) enum Item {
    /// An entry, with what the reader prepared for the consumer about it (a non-directory's).
    Entry(Box<Entry>, Option<Box<Prepared>>),
    /// File data: this range of the current batch's buffer ([`Pipeline::data`]).
    Data(Range<usize>),
    End(FileEnd),
    /// What the walk saw, for the catalog's archive state (written by the consumer, on the
    /// one catalog connection that writes: two writers would take turns at SQLite's lock).
    Stage(Vec<(Vec<u8>, ArchiveState)>),
    Skipped {
        path: std::path::PathBuf,
        reason: String,
    },
    /// Something the job should say (from the entry filter, at the end of the walk).
    Warning(String),
}

/// What the reader thread works out about a file for the consumer, which frames, writes and
/// catalogs (issue 8: the consumer is the busier thread of a small-file backup).
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Its MTF `FILE` description.
    pub(crate) file: tape_format::writer::FileInfo,
    /// The catalog's key for it.
    pub(crate) key: Vec<u8>,
}

/// Batches waiting for the consumer from which the reader prepares entries for it: with
/// fewer, the reader is the one behind and leaves the work to the consumer.
const BEHIND: usize = 2;

/// Prepares a non-directory entry on the reader thread.
pub(crate) type Prepare = Box<dyn FnMut(&Entry) -> Prepared + Send>;

/// Items and the buffer their data ranges refer to.
struct Batch {
    items: Vec<Item>,
    buf: Option<Vec<u8>>,
}

/// The running reader thread.
pub(crate) struct Pipeline {
    batches: Receiver<Batch>,
    pool: SyncSender<Vec<u8>>,
    items: VecDeque<Item>,
    /// Batches' item vectors given back to the reader, emptied, for its next batches: a
    /// vector grown afresh for each batch took new memory from the allocator every time.
    empties: SyncSender<Vec<Item>>,
    buf: Option<Vec<u8>>,
    reader: Option<JoinHandle<()>>,
    /// Batches sent and not yet taken.
    waiting: Arc<AtomicUsize>,
}

impl Pipeline {
    /// Starts reading `walk` with `buffers` buffers of `buffer_size` bytes; `filter` decides,
    /// on the reader thread, which entries go into the set, and `prepare` (if any) prepares
    /// each non-directory kept.
    pub(crate) fn start(
        walk: Walk,
        buffers: usize,
        buffer_size: usize,
        mut filter: Box<dyn EntryFilter>,
        mut prepare: Option<Prepare>,
    ) -> io::Result<Self> {
        let buffers = buffers.max(2);
        let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(buffers);
        for _ in 0..buffers {
            // Cannot fail: the channel has room for every buffer.
            let _ = pool_tx.try_send(vec![0; buffer_size.max(1)]);
        }
        // Every batch but the last holds a buffer or MAX_BATCH items: the pool bounds the rest.
        let (batch_tx, batch_rx) = sync_channel(buffers);
        let (empties_tx, empties_rx) = sync_channel(buffers);
        let waiting = Arc::new(AtomicUsize::new(0));
        let sent = Arc::clone(&waiting);
        let reader = std::thread::Builder::new()
            .name("ntbackup-reader".into())
            .spawn(move || {
                let mut packer = Packer::new(&batch_tx, &pool_rx, &sent);
                packer.empties = Some(&empties_rx);
                if read_all(walk, &mut packer, filter.as_mut(), prepare.as_mut()).is_ok() {
                    let rows = filter.take_stage(true);
                    let stage = (!rows.is_empty()).then_some(Item::Stage(rows));
                    let warnings = filter.warnings().into_iter().map(Item::Warning);
                    if stage
                        .into_iter()
                        .chain(warnings)
                        .all(|item| packer.push(item).is_ok())
                    {
                        let _ = packer.flush();
                    }
                }
                filter.finish();
            })?;
        Ok(Self {
            batches: batch_rx,
            pool: pool_tx,
            items: VecDeque::new(),
            empties: empties_tx,
            buf: None,
            reader: Some(reader),
            waiting,
        })
    }

    /// The next item; `None` when the walk is done. The data of an [`Item::Data`] is valid
    /// until the next call.
    pub(crate) fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.items.pop_front() {
                return Some(item);
            }
            if let Some(buf) = self.buf.take() {
                let _ = self.pool.try_send(buf);
            }
            let batch = self.batches.recv().ok()?;
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            // Both conversions keep the allocation (the emptied deque has nothing to move).
            let spent = std::mem::replace(&mut self.items, VecDeque::from(batch.items));
            if spent.capacity() > 0 {
                let _ = self.empties.try_send(Vec::from(spent));
            }
            self.buf = batch.buf;
        }
    }

    /// The bytes of an [`Item::Data`] just returned by [`next`](Self::next).
    pub(crate) fn data(&self, range: Range<usize>) -> &[u8] {
        self.buf
            .as_deref()
            .and_then(|b| b.get(range))
            .unwrap_or_default()
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Closing our ends makes the reader's next send or buffer wait fail, and it stops.
        let (_, dead) = sync_channel(0);
        self.batches = dead;
        let (dead_pool, _) = sync_channel(0);
        self.pool = dead_pool;
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// Which walked entries a set includes (a backup type's selection), decided on the reader thread
/// so unchanged files are never read.
pub(crate) trait EntryFilter: Send {
    /// Whether `entry` goes into the set; may turn a hard link whose first name is left out into
    /// a regular file.
    fn keep(&mut self, entry: &mut Entry) -> bool;
    /// Whether it keeps every regular file whatever its metadata (so the walk may open each
    /// before [`keep`](Self::keep) sees it: see [`Walk::open_eagerly`]).
    fn keeps_every_file(&self) -> bool {
        false
    }
    /// Whether [`keep`](Self::keep) will keep the regular file `entry` (so its data will be
    /// read), asked ahead of it by a walk that reads files ahead of their turn (see
    /// [`Walk::next_reading`]). A wrong guess costs only a file opened for nothing or not
    /// opened ahead.
    fn reads(&self, _entry: &Entry) -> bool {
        true
    }
    /// Archive-state rows gathered so far, when there are enough of them to write (or all of
    /// them with `all`).
    fn take_stage(&mut self, _all: bool) -> Vec<(Vec<u8>, ArchiveState)> {
        Vec::new()
    }
    /// What the job should say about the selection, once the walk is over.
    fn warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
    /// The walk is over.
    fn finish(&mut self) {}
}

/// Keeps everything.
pub(crate) struct KeepAll;

impl EntryFilter for KeepAll {
    fn keep(&mut self, _entry: &mut Entry) -> bool {
        true
    }

    fn keeps_every_file(&self) -> bool {
        true
    }
}

/// The consumer hung up.
struct Gone;

/// The reader's side: the batch being filled.
struct Packer<'a> {
    batches: &'a SyncSender<Batch>,
    pool: &'a Receiver<Vec<u8>>,
    /// Item vectors the consumer gave back (see [`Pipeline::empties`]).
    empties: Option<&'a Receiver<Vec<Item>>>,
    items: Vec<Item>,
    buf: Option<Vec<u8>>,
    used: usize,
    waiting: &'a AtomicUsize,
}

impl<'a> Packer<'a> {
    fn new(
        batches: &'a SyncSender<Batch>,
        pool: &'a Receiver<Vec<u8>>,
        waiting: &'a AtomicUsize,
    ) -> Self {
        Self {
            batches,
            pool,
            empties: None,
            items: Vec::new(),
            buf: None,
            used: 0,
            waiting,
        }
    }

    /// The consumer has batches waiting: the reader is ahead.
    fn ahead(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) >= BEHIND
    }

    fn push(&mut self, item: Item) -> Result<(), Gone> {
        self.items.push(item);
        if self.items.len() >= MAX_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the batch (if it holds anything).
    fn flush(&mut self) -> Result<(), Gone> {
        if self.items.is_empty() {
            // Nothing refers to the buffer: keep filling it.
            return Ok(());
        }
        let next = self
            .empties
            .and_then(|e| e.try_recv().ok())
            .unwrap_or_else(|| Vec::with_capacity(64));
        let batch = Batch {
            items: std::mem::replace(&mut self.items, next),
            buf: self.buf.take(),
        };
        self.used = 0;
        self.waiting.fetch_add(1, Ordering::Relaxed);
        self.batches.send(batch).map_err(|_| Gone)
    }

    /// Free space to read into: the rest of the current buffer, or a new one once it is full
    /// (sending the batch that refers to it first, so the consumer is never left waiting).
    fn space(&mut self) -> Result<&mut [u8], Gone> {
        if self.buf.as_ref().is_some_and(|b| self.used >= b.len()) {
            self.flush()?;
            if self.buf.is_some() {
                // Nothing referred to it (flush sends only a batch with items): reuse it.
                self.used = 0;
            }
        }
        if self.buf.is_none() {
            let buf = match self.pool.try_recv() {
                Ok(buf) => buf,
                Err(TryRecvError::Empty) => {
                    self.flush()?;
                    self.pool.recv().map_err(|_| Gone)?
                }
                Err(TryRecvError::Disconnected) => return Err(Gone),
            };
            self.buf = Some(buf);
            self.used = 0;
        }
        let used = self.used;
        Ok(self
            .buf
            .as_mut()
            .map(|b| &mut b[used..])
            .unwrap_or_default())
    }

    /// Records `n` bytes just read into [`space`](Self::space) as file data.
    fn commit(&mut self, n: usize) -> Result<(), Gone> {
        if n > 0 {
            let start = self.used;
            self.used += n;
            self.push(Item::Data(start..self.used))?;
        }
        Ok(())
    }
}

/// The reader thread: returns when the walk ends or the consumer hangs up.
fn read_all(
    mut walk: Walk,
    out: &mut Packer<'_>,
    filter: &mut dyn EntryFilter,
    mut prepare: Option<&mut Prepare>,
) -> Result<(), Gone> {
    walk.open_eagerly(filter.keeps_every_file());
    loop {
        let Some((event, source)) = walk.next_reading(&mut |e| filter.reads(e)) else {
            break;
        };
        match event {
            WalkEvent::Skipped { path, reason } => out.push(Item::Skipped { path, reason })?,
            WalkEvent::Entry(mut entry) => {
                let keep = filter.keep(&mut entry);
                let rows = filter.take_stage(false);
                if !rows.is_empty() {
                    out.push(Item::Stage(rows))?;
                }
                if !keep {
                    continue;
                }
                let size = entry.info.size;
                // Opened first: opening by directory reads the extended attributes.
                let file = (entry.kind == EntryKind::File).then(|| match source {
                    Source::Open(body) => Ok(body),
                    Source::Dir(dir) => crate::walk::open_file(&dir, &mut entry).map(Body::Open),
                    Source::Path => File::open(&entry.path).map(Body::Open),
                });
                // Only while the consumer is the one behind: the work goes to the thread
                // with time to spare.
                let prepared = match prepare.as_mut() {
                    Some(p) if out.ahead() && entry.kind != EntryKind::Directory => {
                        Some(Box::new(p(&entry)))
                    }
                    _ => None,
                };
                out.push(Item::Entry(entry, prepared))?;
                if let Some(file) = file {
                    // How long a small file's data takes to come tells the walk whether its
                    // helpers should read ahead (`walk::ahead::Cost`).
                    let timed = matches!(file, Ok(Body::Open(_))) && size <= crate::walk::SMALL;
                    let mut spent = Duration::ZERO;
                    let end = match file {
                        Ok(file) => read_file(file, size, out, &mut spent)?,
                        Err(e) => FileEnd::Failed {
                            read: 0,
                            error: e.to_string(),
                        },
                    };
                    if timed {
                        walk.took(spent);
                    }
                    out.push(Item::End(end))?;
                }
            }
        }
    }
    Ok(())
}

/// Reads `size` bytes of `file` into the batch buffers, and says how it ended.
/// Adds the time spent reading (not waiting for buffers) to `spent`.
fn read_file(
    mut file: Body,
    size: u64,
    out: &mut Packer<'_>,
    spent: &mut Duration,
) -> Result<FileEnd, Gone> {
    let mut done = 0u64;
    loop {
        let left = size - done;
        let space = out.space()?;
        if space.is_empty() {
            // Cannot happen (buffers are at least a byte, and a full one is replaced); never
            // spin on it.
            return Ok(FileEnd::Failed {
                read: done,
                error: "no buffer to read into".into(),
            });
        }
        // One byte more than is left, when it fits: a file that grew shows without a read of
        // its own.
        let want = usize::try_from(left.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(space.len());
        let start = Instant::now();
        let result = fill(&mut file, &mut space[..want], left);
        *spent += start.elapsed();
        let got = match result {
            Ok(n) => n,
            Err((n, e)) => {
                out.commit(n)?;
                return Ok(FileEnd::Failed {
                    read: done + n as u64,
                    error: e.to_string(),
                });
            }
        };
        if got as u64 > left {
            // The extra byte: it grew. Keep the walked size only.
            out.commit(usize::try_from(left).unwrap_or(got))?;
            return Ok(FileEnd::Grew);
        }
        out.commit(got)?;
        done += got as u64;
        if got < want {
            // End of file.
            return Ok(if done < size {
                FileEnd::Shrunk { read: done }
            } else {
                FileEnd::Complete
            });
        }
        if done == size {
            // It filled the buffer exactly: ask once more for the extra byte.
            let mut probe = [0u8; 1];
            let start = Instant::now();
            let grew = file.read(&mut probe);
            *spent += start.elapsed();
            return Ok(match grew {
                Ok(1) => FileEnd::Grew,
                _ => FileEnd::Complete,
            });
        }
    }
}

#[cfg(test)]
mod tests;
