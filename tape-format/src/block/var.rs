//! Helpers for the variable part of a DBLK: strings and OS data addressed by TAPE_ADDRESS fields
//! (mtf.md §1). The encoder places them after the fixed part, in field order, then the OS data.

use super::header::TapeAddress;
use crate::date::MtfDate;
use crate::error::DecodeError;
use crate::le::{arr, put, put_u16, put_u32, put_u64, u8_at, u16_at, u32_at, u64_at};

/// Read access to a decoded DBLK region (`[0, first_event)`).
pub(crate) struct Region<'a> {
    pub(crate) b: &'a [u8],
}

impl Region<'_> {
    pub(crate) fn u8(&self, off: usize) -> u8 {
        u8_at(self.b, off)
    }
    pub(crate) fn u16(&self, off: usize) -> u16 {
        u16_at(self.b, off)
    }
    pub(crate) fn u32(&self, off: usize) -> u32 {
        u32_at(self.b, off)
    }
    pub(crate) fn u64(&self, off: usize) -> u64 {
        u64_at(self.b, off)
    }
    pub(crate) fn date(&self, off: usize) -> MtfDate {
        MtfDate::from_bytes(arr(self.b, off))
    }
    /// The bytes addressed by the TAPE_ADDRESS at `off`.
    pub(crate) fn addr(&self, off: usize, field: &'static str) -> Result<Vec<u8>, DecodeError> {
        TapeAddress::read(self.b, off)
            .slice(self.b, field)
            .map(<[u8]>::to_vec)
    }
}

/// Builder of a DBLK image: fixed fields at absolute offsets, variable data appended.
pub(crate) struct VarWriter {
    pub(crate) buf: Vec<u8>,
}

impl VarWriter {
    pub(crate) fn new(fixed_len: usize) -> Self {
        VarWriter {
            buf: vec![0; fixed_len],
        }
    }
    pub(crate) fn u8(&mut self, off: usize, v: u8) {
        put(&mut self.buf, off, &[v]);
    }
    pub(crate) fn u16(&mut self, off: usize, v: u16) {
        put_u16(&mut self.buf, off, v);
    }
    pub(crate) fn u32(&mut self, off: usize, v: u32) {
        put_u32(&mut self.buf, off, v);
    }
    pub(crate) fn u64(&mut self, off: usize, v: u64) {
        put_u64(&mut self.buf, off, v);
    }
    pub(crate) fn date(&mut self, off: usize, d: MtfDate) {
        put(&mut self.buf, off, &d.to_bytes());
    }
    /// Appends `data` and stores its TAPE_ADDRESS at `off` (size 0 when empty).
    pub(crate) fn addr(&mut self, off: usize, data: &[u8]) {
        let a = self.append(data);
        a.write(&mut self.buf, off);
    }
    /// Appends `data` to the variable area and returns its address. Sizes beyond `u16` are
    /// rejected later by [`crate::block::Dblk::encode`], which checks the total length first.
    pub(crate) fn append(&mut self, data: &[u8]) -> TapeAddress {
        if data.is_empty() {
            return TapeAddress::default();
        }
        let offset = u16::try_from(self.buf.len()).unwrap_or(u16::MAX);
        let size = u16::try_from(data.len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(data);
        TapeAddress { size, offset }
    }
}
