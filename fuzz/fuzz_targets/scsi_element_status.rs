//! SMC READ ELEMENT STATUS data: parsing never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tape_scsi::fuzzing::element_status(data));
