//! Driving a [`MediaWriter`] into any [`Write`] (a `.bkf` file): every output block is written
//! as it comes, so memory stays at one output unit.

use std::io::Write;

use crate::catalog::{FddSpool, MemorySpool};
use crate::writer::{MediaWriter, Outcome, Output, WriteError};

/// Failures of the write adapter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The writer refused.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The destination failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The writer asked for a hardware filemark, which a byte stream cannot hold: use
    /// [`crate::writer::WriterOptions::bkf`] (soft filemarks).
    #[error("hardware filemark requested on a byte stream; enable soft filemarks")]
    HardwareFilemark,
}

/// A writer plus its destination. Use [`WriteAdapter::writer`] for the input calls and call
/// [`WriteAdapter::drain`] after each; file data can be copied in with [`std::io::copy`] since
/// the adapter implements [`Write`] for the open stream.
#[derive(Debug)]
pub struct WriteAdapter<W: Write, S: FddSpool = MemorySpool> {
    writer: MediaWriter<S>,
    out: W,
}

impl<W: Write, S: FddSpool> WriteAdapter<W, S> {
    /// Wraps a writer (already configured, medium not necessarily started).
    pub fn new(writer: MediaWriter<S>, out: W) -> Self {
        WriteAdapter { writer, out }
    }

    /// The writer, for input calls.
    pub fn writer(&mut self) -> &mut MediaWriter<S> {
        &mut self.writer
    }

    /// Writes every pending output to the destination.
    pub fn drain(&mut self) -> Result<(), AdapterError> {
        while let Some(out) = self.writer.poll()? {
            match out {
                Output::Block(b) => self.out.write_all(b)?,
                Output::Filemark => return Err(AdapterError::HardwareFilemark),
            }
            self.writer.complete(Outcome::Written)?;
        }
        Ok(())
    }

    /// Writes all of `data` into the open stream.
    pub fn write_stream_data(&mut self, mut data: &[u8]) -> Result<(), AdapterError> {
        while !data.is_empty() {
            self.drain()?;
            let n = self.writer.write_data(data)?;
            data = &data[n..];
        }
        self.drain()
    }

    /// Checks the writer is finished, flushes and gives back both parts.
    pub fn finish(mut self) -> Result<(MediaWriter<S>, W), AdapterError> {
        self.drain()?;
        while let Err(WriteError::OutputPending) = self.writer.finish() {
            self.drain()?;
        }
        self.writer.finish()?;
        self.out.flush()?;
        Ok((self.writer, self.out))
    }
}

impl<W: Write, S: FddSpool> Write for WriteAdapter<W, S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let to_io = |e: AdapterError| std::io::Error::other(e);
        self.drain().map_err(to_io)?;
        let n = self.writer.write_data(buf).map_err(|e| to_io(e.into()))?;
        self.drain().map_err(to_io)?;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.drain().map_err(std::io::Error::other)?;
        self.out.flush()
    }
}
