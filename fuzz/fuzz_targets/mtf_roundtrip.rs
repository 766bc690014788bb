//! Structures built from fuzz input encode and decode back to themselves.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tape_format::fuzzing::roundtrip(data));
