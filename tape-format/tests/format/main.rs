//! Integration tests of the MTF codec; modules mirror `src/`.

mod block;
mod harness;
mod writer;
