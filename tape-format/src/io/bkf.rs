//! A `.bkf` file mapped into memory and scanned without copying: data events borrow the map.

use std::collections::VecDeque;
use std::path::Path;

use crate::reader::{Event, MediaReader, ReadError, ReaderOptions};

/// A memory-mapped `.bkf` (one MTF medium with soft filemarks).
#[derive(Debug)]
pub struct BkfFile {
    map: Option<memmap2::Mmap>,
}

impl BkfFile {
    /// Maps the file read-only.
    ///
    /// # Safety of the mapping
    ///
    /// The file must not be truncated or modified while the `BkfFile` lives (another process doing
    /// so could make reads fault or change data under the reader); this is the usual contract
    /// of memory-mapped files.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = std::fs::File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(BkfFile { map: None });
        }
        // SAFETY: read-only private mapping of a file we just opened; see the contract above.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(BkfFile { map: Some(map) })
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    /// Scans the medium from its start.
    pub fn events(&self) -> BkfEvents<'_> {
        BkfEvents::new(self.bytes(), ReaderOptions::default())
    }

    /// The text listing ([`crate::listing`]).
    pub fn listing(&self) -> Result<String, ReadError> {
        crate::listing::list_media(&[self.bytes()])
    }
}

/// Iterator over the events of one medium held in memory.
#[derive(Debug)]
pub struct BkfEvents<'a> {
    reader: MediaReader,
    data: &'a [u8],
    pos: usize,
    tail: VecDeque<Event<'static>>,
    done: bool,
}

impl<'a> BkfEvents<'a> {
    /// Scans `data` with a reader configured by `opts`.
    pub fn new(data: &'a [u8], opts: ReaderOptions) -> Self {
        Self::with_reader(data, MediaReader::new(opts))
    }

    /// Scans `data` with a prepared reader (e.g. [`MediaReader::at_block`] for data starting in
    /// the middle of a medium).
    pub fn with_reader(data: &'a [u8], reader: MediaReader) -> Self {
        BkfEvents {
            reader,
            data,
            pos: 0,
            tail: VecDeque::new(),
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for BkfEvents<'a> {
    type Item = Result<Event<'a>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.tail.pop_front() {
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            if self.pos >= self.data.len() || self.reader.medium_ended() {
                self.tail.extend(self.reader.end_of_data());
                self.done = true;
                continue;
            }
            let data: &'a [u8] = self.data;
            match self.reader.step(&data[self.pos..]) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(s) => {
                    self.pos += s.consumed;
                    match s.event {
                        Some(e) => return Some(Ok(e)),
                        None if s.consumed == 0 => self.pos = self.data.len(),
                        None => {}
                    }
                }
            }
        }
    }
}
