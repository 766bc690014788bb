//! I/O adapters around the pure core: `.bkf` files through `memmap2`, a [`std::io::Read`]
//! adapter for the reader and a [`std::io::Write`] adapter for the writer. Nothing else in the
//! crate performs I/O.

mod bkf;
mod read;
mod write;

pub use bkf::{BkfEvents, BkfFile};
pub use read::{ReadAdapter, ReadAdapterError};
pub use write::{AdapterError, WriteAdapter};
