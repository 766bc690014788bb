//! A whole backup and restore on a small virtual library with faults chosen by the input:
//! complete backups restore exactly; nothing restored differs from its source or lies outside the root.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_engine::fuzzing::engine_ops(data));
