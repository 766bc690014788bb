//! [`RateModel`]: a drive-speed model wrapped around any [`TapeDrive`], counting how often a
//! drive of a given streaming rate, fed by the caller, would have stopped.
//!
//! A tape drive streams at its native rate only while its buffer holds data; when the buffer
//! runs dry the tape must stop, back up and restart ("shoe-shining"), which costs seconds and
//! wears heads and media. LTO drives match speed down to a floor (157–177 MB/s for LTO-9/10,
//! `ntbackup-and-peers.md`); below it, every stall is an underrun. The model:
//!
//! * the drive empties its buffer at `rate` bytes/s while it is streaming and the buffer is at
//!   least half full; below half it speed-matches down to its `floor` (LTO's data-rate
//!   matching; `floor == rate` models a drive without it);
//! * a stopped drive starts the tape once its buffer is half full (or when the host flushes
//!   it): it does not start for a few blocks only to stop again, and a job smaller than half
//!   the buffer goes to tape at its end in one pass (ntbackup-and-peers.md: speed tests with
//!   data smaller than the drive buffer measure nothing). Starting on the first block made a
//!   pause of a millisecond after it an underrun, which no drive would have suffered;
//! * a block written goes into the buffer; when the buffer is full the write waits (sleeps)
//!   until the drive has made room, as a real drive holds the host off — so a backup through the
//!   model takes as long as it would on the drive;
//! * if the buffer ran dry since the previous write, the drive stopped: one **underrun**;
//! * filemarks, rewinds and unloads flush the buffer (the drive stops on purpose: not an
//!   underrun), as does the end of the job.
//!
//! [`RateStats`] is shared, so the caller can read the counts after handing the drive over.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{
    BlockAddress, DeviceError, DriveCapabilities, DriveStatus, ReadStatus, SpaceStatus, TapeDrive,
    WriteStatus,
};

/// What a [`RateModel`] measured; read it at any time through the `Arc` from
/// [`RateModel::stats`].
#[derive(Debug, Default)]
pub struct RateStats {
    underruns: AtomicU64,
    bytes: AtomicU64,
    waited_ns: AtomicU64,
    dry_ns: AtomicU64,
}

impl RateStats {
    /// Times the drive ran dry while being fed.
    pub fn underruns(&self) -> u64 {
        self.underruns.load(Ordering::Relaxed)
    }

    /// Bytes written through the model.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Time writes waited for room in the drive's buffer (the feeder was faster than the drive).
    pub fn waited(&self) -> Duration {
        Duration::from_nanos(self.waited_ns.load(Ordering::Relaxed))
    }

    /// Time the drive stood with an empty buffer between writes (the feeder was slower).
    pub fn dry(&self) -> Duration {
        Duration::from_nanos(self.dry_ns.load(Ordering::Relaxed))
    }
}

/// A drive of `rate` bytes/s with a `buffer`-byte buffer in front of `D`.
pub struct RateModel<D> {
    inner: D,
    rate: f64,
    floor: f64,
    buffer: u64,
    /// Bytes in the buffer at `at`.
    level: f64,
    at: Instant,
    /// The drive is moving tape (it has been fed since its last deliberate stop).
    streaming: bool,
    stats: Arc<RateStats>,
}

impl<D: TapeDrive> RateModel<D> {
    /// Models a drive streaming at `rate` bytes per second with a buffer of `buffer` bytes
    /// (LTO drives have hundreds of MiB to over a GiB; a smaller buffer is the stricter test).
    pub fn new(inner: D, rate: u64, buffer: u64) -> Self {
        Self::with_floor(inner, rate, rate, buffer)
    }

    /// Models a drive that speed-matches between `floor` and `rate` bytes per second.
    pub fn with_floor(inner: D, rate: u64, floor: u64, buffer: u64) -> Self {
        let rate = rate.max(1) as f64;
        Self {
            inner,
            rate,
            floor: (floor.max(1) as f64).min(rate),
            buffer: buffer.max(1),
            level: 0.0,
            at: Instant::now(),
            streaming: false,
            stats: Arc::default(),
        }
    }

    /// The counts, shared with the model.
    pub fn stats(&self) -> Arc<RateStats> {
        Arc::clone(&self.stats)
    }

    /// The drive underneath.
    pub fn into_inner(self) -> D {
        self.inner
    }

    /// Lets the drive run until `now`: an empty buffer while streaming is an underrun.
    fn run_until(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        if !self.streaming {
            return;
        }
        // At full speed down to half a buffer, then at the floor speed.
        let half = self.buffer as f64 / 2.0;
        let mut elapsed = elapsed;
        if self.level > half {
            let fast = (self.level - half) / self.rate;
            if elapsed <= fast {
                self.level -= elapsed * self.rate;
                return;
            }
            elapsed -= fast;
            self.level = half;
        }
        let drained = elapsed * self.floor;
        if drained >= self.level {
            let dry = (drained - self.level) / self.floor;
            self.stats
                .dry_ns
                .fetch_add(nanos(Duration::from_secs_f64(dry)), Ordering::Relaxed);
            self.stats.underruns.fetch_add(1, Ordering::Relaxed);
            self.level = 0.0;
            self.streaming = false;
        } else {
            self.level -= drained;
        }
    }

    /// Puts `len` bytes into the buffer, waiting for room first.
    fn feed(&mut self, bytes: u64) {
        self.run_until(Instant::now());
        let len = bytes as f64;
        if self.level + len >= self.buffer as f64 / 2.0 {
            self.streaming = true;
        }
        let over = self.level + len - self.buffer as f64;
        if over > 0.0 && self.streaming {
            let wait = Duration::from_secs_f64(over / self.rate);
            hold(wait);
            self.stats
                .waited_ns
                .fetch_add(nanos(wait), Ordering::Relaxed);
            // The drive drained `over` bytes meanwhile (never dry: it had more than that).
            self.at += wait;
            self.level = (self.level - over).max(0.0);
        }
        self.level += len;
        self.stats.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The drive writes out its buffer and stops on purpose (filemark, rewind, unload).
    fn flush(&mut self) {
        self.run_until(Instant::now());
        if self.level > 0.0 {
            let wait = Duration::from_secs_f64(self.level / self.rate);
            hold(wait);
            self.stats
                .waited_ns
                .fetch_add(nanos(wait), Ordering::Relaxed);
        }
        self.level = 0.0;
        self.streaming = false;
        self.at = Instant::now();
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Holds the writer off, as a drive with a full buffer does.
#[allow(clippy::disallowed_methods)] // A device model blocks like the hardware it models; the
// engine's own waits still go through its injected clock.
fn hold(wait: Duration) {
    std::thread::sleep(wait);
}

impl<D: TapeDrive> TapeDrive for RateModel<D> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> DriveCapabilities {
        self.inner.capabilities()
    }

    fn status(&mut self) -> Result<DriveStatus, DeviceError> {
        self.inner.status()
    }

    fn load(&mut self) -> Result<(), DeviceError> {
        self.flush();
        self.inner.load()
    }

    fn unload(&mut self) -> Result<(), DeviceError> {
        self.flush();
        self.inner.unload()
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.flush();
        self.inner.rewind()
    }

    fn position(&mut self) -> Result<BlockAddress, DeviceError> {
        self.inner.position()
    }

    fn locate(&mut self, address: BlockAddress) -> Result<(), DeviceError> {
        self.flush();
        self.inner.locate(address)
    }

    fn space_blocks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.flush();
        self.inner.space_blocks(count)
    }

    fn space_filemarks(&mut self, count: i64) -> Result<SpaceStatus, DeviceError> {
        self.flush();
        self.inner.space_filemarks(count)
    }

    fn space_to_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.flush();
        self.inner.space_to_end_of_data()
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteStatus, DeviceError> {
        let status = self.inner.write_block(block)?;
        self.feed(block.len() as u64);
        Ok(status)
    }

    fn write_filemarks(&mut self, count: u32) -> Result<WriteStatus, DeviceError> {
        let status = self.inner.write_filemarks(count)?;
        self.flush();
        Ok(status)
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadStatus, DeviceError> {
        self.flush();
        self.inner.read_block(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NullDrive;

    #[test]
    fn a_fast_feeder_never_underruns_and_is_held_to_the_drive_rate() {
        // 10 MB/s, 1 MB buffer; 20 blocks of 64 KiB as fast as possible: 1.31 MB takes at
        // least (1.31 - 1) MB / 10 MB/s = 31 ms. (A full buffer lasts 100 ms: no stall even
        // on a loaded machine.)
        let mut d = RateModel::new(NullDrive::new(), 10_000_000, 1_000_000);
        let stats = d.stats();
        let start = Instant::now();
        for _ in 0..20 {
            let _ = d.write_block(&[0; 64 << 10]).unwrap();
        }
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_eq!(stats.underruns(), 0);
        assert!(stats.waited() > Duration::ZERO);
        let _ = d.write_filemarks(1).unwrap();
        assert_eq!(stats.underruns(), 0, "a filemark is a deliberate stop");
        assert_eq!(stats.bytes(), 20 * (64 << 10));
    }

    #[test]
    fn a_slow_feeder_underruns_once_per_stall() {
        // 1 GB/s with a 128 KiB buffer: a 64 KiB block, half the buffer, starts the tape and
        // drains in 65 µs, so a 5 ms pause between writes leaves the drive dry every time.
        let mut d = RateModel::new(NullDrive::new(), 1_000_000_000, 128 << 10);
        let stats = d.stats();
        for _ in 0..4 {
            let _ = d.write_block(&[0; 64 << 10]).unwrap();
            hold(Duration::from_millis(5));
        }
        // The pause after the 4th write is not yet seen: three stalls were.
        assert_eq!(stats.underruns(), 3);
        assert!(stats.dry() >= Duration::from_millis(12));
        d.rewind().unwrap();
        assert_eq!(
            stats.underruns(),
            4,
            "the last stall shows when the drive is next used"
        );
    }

    #[test]
    fn speed_matching_rides_out_a_feeder_above_the_floor() {
        // 64 KiB every ~2 ms is ~30 MB/s: below a 1 GB/s drive, above its 1 MB/s floor (at
        // which even the first block lasts 65 ms).
        let feed = |floor| {
            let mut d = RateModel::with_floor(NullDrive::new(), 1_000_000_000, floor, 128 << 10);
            let stats = d.stats();
            for _ in 0..10 {
                let _ = d.write_block(&[0; 64 << 10]).unwrap();
                hold(Duration::from_millis(2));
            }
            let _ = d.write_filemarks(1).unwrap();
            stats.underruns()
        };
        assert_eq!(feed(1_000_000), 0);
        assert_eq!(
            feed(1_000_000_000),
            10,
            "without speed matching it stops every time"
        );
    }

    #[test]
    fn a_stopped_drive_starts_only_with_half_a_buffer_and_writes_the_rest_out_when_flushed() {
        // 10 MB/s, 1 MB buffer: seven 64 KiB blocks (458,752 bytes) are less than half of it,
        // so however slowly they come the tape has not moved, and nothing ran dry (a drive
        // started by the first would have run dry after each: a block lasts 6.5 ms).
        let mut d = RateModel::new(NullDrive::new(), 10_000_000, 1_000_000);
        let stats = d.stats();
        for _ in 0..7 {
            let _ = d.write_block(&[0; 64 << 10]).unwrap();
            hold(Duration::from_millis(10));
        }
        assert_eq!(stats.underruns(), 0);
        assert_eq!(stats.waited(), Duration::ZERO);
        // The eighth makes half a buffer: the tape starts, and 524 KB at 10 MB/s last 52 ms,
        // which a 60 ms pause outlasts.
        let _ = d.write_block(&[0; 64 << 10]).unwrap();
        hold(Duration::from_millis(60));
        let _ = d.write_block(&[0; 64 << 10]).unwrap();
        assert_eq!(stats.underruns(), 1);
        // A filemark writes out what is buffered (65 KB: 6.5 ms) and stops on purpose.
        let _ = d.write_filemarks(1).unwrap();
        assert_eq!(stats.underruns(), 1);
        assert!(stats.waited() >= Duration::from_millis(6));
    }
}
