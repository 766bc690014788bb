//! Helpers the unit tests share.

#![allow(clippy::unwrap_used)] // test set-up: a failure is the test's failure

use std::path::Path;

/// Makes a FIFO at `path` (owner read and write).
pub(crate) fn fifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
}
