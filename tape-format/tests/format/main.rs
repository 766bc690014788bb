//! Integration tests of the MTF codec; modules mirror `src/`.

// Test helpers outside `#[test]` functions: panicking on unexpected values is the point, and the
// sizes involved are tiny.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    clippy::print_stdout
)]

mod block;
mod descriptor;
mod fixtures;
mod fuzzing;
mod harness;
mod hostile;
mod layout;
mod random_jobs;
mod reader;
mod roundtrip;
mod writer;
