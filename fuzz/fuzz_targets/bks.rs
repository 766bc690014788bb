//! A `.bks` selection file in any encoding: parsing never panics, included paths are never empty.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_engine::fuzzing::bks(data));
