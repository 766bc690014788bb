//! Integration tests of the MTF codec; modules mirror `src/`.

mod block;
mod descriptor;
mod fixtures;
mod harness;
mod reader;
mod roundtrip;
mod writer;
