//! Feeding a [`MediaReader`] from any [`Read`] (a `.bkf` stream, a pipe) with a bounded buffer.

use std::io::Read;

use crate::reader::{Event, MediaReader, ReadError};

/// Reads one medium from `R` and hands every event to a callback; data events borrow the
/// adapter's buffer (no further copy). Short reads of any size are fine.
#[derive(Debug)]
pub struct ReadAdapter<R> {
    inner: R,
    reader: MediaReader,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

/// Failures of the adapter: the reader's or the source's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadAdapterError {
    /// The medium could not be read as MTF.
    #[error(transparent)]
    Mtf(#[from] ReadError),
    /// The source failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl<R: Read> ReadAdapter<R> {
    /// An adapter with a 1 MiB buffer.
    pub fn new(inner: R, reader: MediaReader) -> Self {
        Self::with_capacity(inner, reader, 1024 * 1024)
    }

    /// An adapter with a buffer of `capacity` bytes (at least 128 KiB: a DBLK may need 64 KiB).
    pub fn with_capacity(inner: R, reader: MediaReader, capacity: usize) -> Self {
        ReadAdapter {
            inner,
            reader,
            buf: vec![0; capacity.max(128 * 1024)],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The reader (e.g. to call [`MediaReader::next_medium`] and continue with another source).
    pub fn reader_mut(&mut self) -> &mut MediaReader {
        &mut self.reader
    }

    /// Gives back the source and the reader.
    pub fn into_inner(self) -> (R, MediaReader) {
        (self.inner, self.reader)
    }

    /// Reads to the end of the medium, calling `f` for every event.
    pub fn for_each<E>(&mut self, mut f: impl FnMut(Event<'_>) -> Result<(), E>) -> Result<(), E>
    where
        E: From<ReadAdapterError>,
    {
        loop {
            if self.reader.medium_ended() {
                return Ok(());
            }
            if self.start == self.end && !self.eof {
                self.fill().map_err(|e| E::from(e.into()))?;
                continue;
            }
            let step = self
                .reader
                .step(&self.buf[self.start..self.end])
                .map_err(|e| E::from(e.into()))?;
            self.start += step.consumed;
            match step.event {
                Some(e) => f(e)?,
                None if step.consumed == 0 => {
                    if self.eof {
                        for e in self.reader.end_of_data() {
                            f(e)?;
                        }
                        return Ok(());
                    }
                    self.fill().map_err(|e| E::from(e.into()))?;
                }
                None => {}
            }
        }
    }

    /// Moves unread bytes to the front and reads more.
    fn fill(&mut self) -> std::io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
