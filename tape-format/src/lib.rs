//! Microsoft Tape Format (MTF) 1.00a codec.
//!
//! Pure: every decoder works on `&[u8]` and every encoder on `&mut Vec<u8>`; nothing here touches a
//! device. See `../shared/reference/mtf.md` for the layouts this crate implements.
