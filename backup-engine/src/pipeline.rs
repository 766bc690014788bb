//! The read-ahead pipeline: a reader thread walks the tree and reads file data into a bounded
//! pool of large buffers while the caller's thread frames and writes to the drive, so the drive
//! is kept busy and memory is bounded whatever the tree size.
//!
//! The reader never reads more than a file's size as it was when walked: a file that grows
//! during the backup is cut there (and reported), one that shrinks or fails is reported so the
//! writer can zero-fill and mark it corrupt (MTF CFIL).

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::walk::{Entry, EntryKind, Walk, WalkEvent};

/// A buffer of file data; give it back with [`Pipeline::recycle`].
#[derive(Debug)]
pub(crate) struct Chunk {
    pub(crate) buf: Vec<u8>,
    pub(crate) len: usize,
}

impl Chunk {
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

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

/// What the reader thread sends, in order: an entry, then (for a regular file) its data chunks
/// and its end.
#[derive(Debug)]
pub(crate) enum Item {
    Entry(Box<Entry>),
    Data(Chunk),
    End(FileEnd),
    Skipped {
        path: std::path::PathBuf,
        reason: String,
    },
}

/// The running reader thread.
pub(crate) struct Pipeline {
    items: Receiver<Item>,
    pool: SyncSender<Vec<u8>>,
    reader: Option<JoinHandle<()>>,
}

impl Pipeline {
    /// Starts reading `walk` with `buffers` buffers of `buffer_size` bytes; `filter` decides,
    /// on the reader thread, which entries go into the set.
    pub(crate) fn start(
        walk: Walk,
        buffers: usize,
        buffer_size: usize,
        mut filter: Box<dyn EntryFilter>,
    ) -> io::Result<Self> {
        let buffers = buffers.max(2);
        let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(buffers);
        for _ in 0..buffers {
            // Cannot fail: the channel has room for every buffer.
            let _ = pool_tx.try_send(vec![0; buffer_size]);
        }
        let (items_tx, items_rx) = sync_channel(buffers * 4);
        let reader = std::thread::Builder::new()
            .name("ntbackup-reader".into())
            .spawn(move || {
                read_all(walk, &items_tx, &pool_rx, filter.as_mut());
                filter.finish();
            })?;
        Ok(Self {
            items: items_rx,
            pool: pool_tx,
            reader: Some(reader),
        })
    }

    /// The next item; `None` when the walk is done.
    pub(crate) fn next(&mut self) -> Option<Item> {
        self.items.recv().ok()
    }

    /// Returns a chunk's buffer to the pool.
    pub(crate) fn recycle(&self, chunk: Chunk) {
        let _ = self.pool.try_send(chunk.buf);
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Closing our ends makes the reader's next send or buffer wait fail, and it stops.
        let (_, dead) = sync_channel(0);
        self.items = dead;
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
    /// The walk is over.
    fn finish(&mut self) {}
}

/// Keeps everything.
pub(crate) struct KeepAll;

impl EntryFilter for KeepAll {
    fn keep(&mut self, _entry: &mut Entry) -> bool {
        true
    }
}

/// The reader thread: returns when the walk ends or the consumer hangs up.
fn read_all(
    walk: Walk,
    items: &SyncSender<Item>,
    pool: &Receiver<Vec<u8>>,
    filter: &mut dyn EntryFilter,
) {
    for event in walk {
        let sent = match event {
            WalkEvent::Skipped { path, reason } => items.send(Item::Skipped { path, reason }),
            WalkEvent::Entry(mut entry) => {
                if !filter.keep(&mut entry) {
                    continue;
                }
                let regular = entry.kind == EntryKind::File;
                let (path, size) = (entry.path.clone(), entry.info.size);
                if items.send(Item::Entry(entry)).is_err() {
                    return;
                }
                if regular {
                    read_file(&path, size, items, pool)
                } else {
                    Ok(())
                }
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

type Sent = Result<(), std::sync::mpsc::SendError<Item>>;

fn read_file(
    path: &std::path::Path,
    size: u64,
    items: &SyncSender<Item>,
    pool: &Receiver<Vec<u8>>,
) -> Sent {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return items.send(Item::End(FileEnd::Failed {
                read: 0,
                error: e.to_string(),
            }));
        }
    };
    let mut done = 0u64;
    while done < size {
        let Ok(mut buf) = pool.recv() else {
            return Ok(());
        };
        let want = usize::try_from(size - done)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        match fill(&mut file, &mut buf[..want]) {
            Ok(0) => {
                let _ = items.send(Item::Data(Chunk { buf, len: 0 }));
                return items.send(Item::End(FileEnd::Shrunk { read: done }));
            }
            Ok(n) => {
                done += n as u64;
                items.send(Item::Data(Chunk { buf, len: n }))?;
                if n < want {
                    return items.send(Item::End(FileEnd::Shrunk { read: done }));
                }
            }
            Err(e) => {
                let _ = items.send(Item::Data(Chunk { buf, len: 0 }));
                return items.send(Item::End(FileEnd::Failed {
                    read: done,
                    error: e.to_string(),
                }));
            }
        }
    }
    let mut probe = [0u8; 1];
    let grew = matches!(file.read(&mut probe), Ok(1));
    items.send(Item::End(if grew {
        FileEnd::Grew
    } else {
        FileEnd::Complete
    }))
}

/// Reads until `buf` is full or the file ends.
fn fill(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
