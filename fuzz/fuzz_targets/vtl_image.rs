//! A virtual cartridge image from disk: mounting and reading it must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tape_core::vtl::fuzzing::mount_image(data));
