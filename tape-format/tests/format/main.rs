//! Integration tests of the MTF codec; modules mirror `src/`.

mod harness;
mod writer;
