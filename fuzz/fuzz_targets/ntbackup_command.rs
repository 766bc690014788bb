//! NTBackup's command line (arguments split at NUL): parsing never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_engine::fuzzing::ntbackup_command(data));
