//! Oracles for the fuzz targets (`fuzz/`): each takes arbitrary bytes and must never panic.
//! They live here, in tested code, so a crash found by fuzzing is replayed by `cargo test`.

/// NTBackup's command line: `data` split at NUL bytes into arguments (lossy UTF-8).
pub fn ntbackup_command(data: &[u8]) {
    let args: Vec<String> = data
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let _ = crate::ntcmd::is_ntbackup_syntax(&args);
    if let Ok(cmd) = crate::ntcmd::parse(&args) {
        let _ = cmd.notes();
    }
}

/// A `.bks` selection file, with and without a drive mapping.
pub fn bks(data: &[u8]) {
    let _ = crate::bks::parse(data, &crate::bks::BksOptions::default());
    let mut mapped = crate::bks::BksOptions::default();
    mapped.drives.insert('C', "/mnt/c".to_owned());
    if let Ok(f) = crate::bks::parse(data, &mapped) {
        for i in &f.include {
            assert!(!i.path.is_empty(), "an included path is never empty");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracles_take_edge_inputs() {
        for data in [
            &b""[..],
            b"\0",
            b"backup\0@",
            b"backup\0/UP\0/up",
            b"backup\0@x\0/P\0p\0/A",
            b"\xff\xfe",
            b"C:\\\n",
            b"/\n/ /exclude\n",
        ] {
            super::ntbackup_command(data);
            super::bks(data);
        }
    }
}
