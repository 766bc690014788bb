//! Microsoft Tape Format (MTF) 1.00a codec.
//!
//! Pure: every decoder works on `&[u8]` and every encoder on `&mut Vec<u8>`; nothing here touches a
//! device. See `../shared/reference/mtf.md` for the layouts this crate implements.

pub mod attrs;
pub mod block;
pub mod catalog;
pub mod checksum;
pub mod date;
pub mod decoded;
pub mod descriptor;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod ids;
pub mod io;
mod le;
pub mod listing;
pub mod os_nt;
pub mod path;
pub mod reader;
pub mod stream;
pub mod strings;
pub mod writer;
