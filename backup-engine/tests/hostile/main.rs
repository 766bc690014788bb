//! The hostile suite (`tape_format::hostile`) restored for real: each crafted medium into a fresh
//! root inside a sandbox that also holds a canary directory the media aim their links at.
//! Nothing outside the root may change, no link may be followed out, every hostile entry is
//! refused with its reason, good files restore exactly, memory stays bounded.
//!
//! Memory is measured, not assumed: this binary's global allocator counts the bytes each thread
//! holds, and a restore's peak is checked against a bound far below the lengths the media
//! declare (2^64-1 bytes, 1 TiB of metadata, 64 KiB DBLK regions).
//!
//! `HOSTILE_SHOW=1 cargo test -p backup-engine --test hostile -- --nocapture` prints each
//! report and the job's log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::print_stdout,
    missing_docs
)]

mod alloc;
mod cases;
mod sandbox;
