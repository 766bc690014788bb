//! SCSI sense data, fixed or descriptor format: decoding and mapping never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tape_scsi::fuzzing::sense(data));
