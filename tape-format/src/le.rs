//! Bounds-checked little-endian field access. Callers check lengths first; these helpers still never
//! panic (an out-of-range read yields zeros) so a missed check cannot turn into a crash.

pub(crate) fn arr<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    off.checked_add(N)
        .and_then(|end| b.get(off..end))
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .unwrap_or([0; N])
}

pub(crate) fn u8_at(b: &[u8], off: usize) -> u8 {
    b.get(off).copied().unwrap_or(0)
}

pub(crate) fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(arr(b, off))
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(arr(b, off))
}

pub(crate) fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(arr(b, off))
}

/// Writes `v` at `off`, growing `buf` with zeros if needed.
pub(crate) fn put(buf: &mut Vec<u8>, off: usize, v: &[u8]) {
    let end = off + v.len();
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[off..end].copy_from_slice(v);
}

pub(crate) fn put_u16(buf: &mut Vec<u8>, off: usize, v: u16) {
    put(buf, off, &v.to_le_bytes());
}

pub(crate) fn put_u32(buf: &mut Vec<u8>, off: usize, v: u32) {
    put(buf, off, &v.to_le_bytes());
}

pub(crate) fn put_u64(buf: &mut Vec<u8>, off: usize, v: u64) {
    put(buf, off, &v.to_le_bytes());
}

/// Rounds `v` up to a multiple of `to` (`to` > 0).
pub(crate) fn align_up(v: u64, to: u64) -> u64 {
    v.div_ceil(to) * to
}

/// `u64` → `usize`, saturating (lengths beyond the address space are clamped; callers cap them).
pub(crate) fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// `usize` → `u64` (lossless on every supported target).
pub(crate) fn to_u64(v: usize) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}
