//! A whole medium (a .bkf): scanning with the reader never panics, allocates boundedly.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tape_format::fuzzing::scan_medium(data));
