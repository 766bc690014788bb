//! One MTF descriptor block (with its streams): decoding never panics and re-encodes consistently.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tape_format::fuzzing::decode_block(data));
