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

/// Reads bytes of the fuzz input in order, with zeros once it is used up.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
}

/// A whole job as an operation sequence: the input chooses a small tree (up to 8 files of up to
/// 64 KiB), a virtual library of small cartridges, faults on the first cartridges (early warning
/// or physical end anywhere, a write error), the block size and whether the job may change
/// media; the backup runs, then a restore of what it wrote. Invariants, whatever happened:
///
/// * nothing panics; every failure is a typed error;
/// * a backup that completes restores exactly;
/// * a backup that stopped (or failed after writing) leaves media whose restore never panics,
///   never writes a file that differs from its source under the file's name, and writes nothing
///   outside the restore root.
///
/// Runs in a scratch directory under the system temporary directory, removed afterwards.
#[allow(clippy::too_many_lines)] // one scenario, read top to bottom
pub fn engine_ops(data: &[u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static RUN: AtomicU64 = AtomicU64::new(0);

    let mut input = Input(data);
    let dir = std::env::temp_dir().join(format!(
        "ntbackup-fuzz-engine-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let scratch = Scratch(dir.clone());
    let src = dir.join("src");
    let files = usize::from(input.byte() % 9);
    let mut expected = std::collections::BTreeMap::new();
    for i in 0..files {
        let sub = src.join(format!("d{}", i % 3));
        if std::fs::create_dir_all(&sub).is_err() {
            return;
        }
        let len = usize::from(input.u16());
        let seed = input.byte();
        let body: Vec<u8> = (0..len)
            .map(|k| {
                u8::try_from(k % 251)
                    .unwrap_or(0)
                    .wrapping_mul(31)
                    .wrapping_add(seed)
            })
            .collect();
        let path = sub.join(format!("f{i}"));
        if std::fs::write(&path, &body).is_err() {
            return;
        }
        expected.insert(path, body);
    }
    if std::fs::create_dir_all(&src).is_err() {
        return;
    }
    let mut config = tape_core::vtl::LibraryConfig::default();
    config.slots = 4;
    config.capacity = 64 * 1024 * (1 + u64::from(input.byte() % 8));
    config.early_warning = 4 * 1024 * (1 + u64::from(input.byte() % 16));
    let Ok(lib) = tape_core::vtl::VirtualLibrary::create(dir.join("lib"), &config) else {
        return;
    };
    for tag in ["VT0001", "VT0002"] {
        let mut faults = tape_core::vtl::CartridgeFaults::default();
        let what = input.byte();
        let at = u64::from(input.byte());
        match what % 5 {
            1 => faults.early_warning_at = Some(at),
            2 => faults.physical_end_at = Some(at),
            3 => faults.write_error_at = Some(at),
            _ => {}
        }
        if let Ok(tag) = tape_core::VolumeTag::new(tag) {
            let _ = lib.set_cartridge_faults(&tag, faults);
        }
    }
    let changer = input.byte() % 4 != 0;
    let block = 1024usize << (input.byte() % 5);
    let Ok(catalog) = crate::catalog::Catalog::in_memory() else {
        return;
    };
    let clock = crate::ManualClock::new(std::time::SystemTime::UNIX_EPOCH);
    let chain = |lib: &tape_core::vtl::VirtualLibrary| {
        let mut chain = crate::policy::PolicyChain::new();
        if changer {
            chain = chain.then(crate::policy::ChangerPolicy::new(
                lib.changer(),
                0,
                Box::new(crate::policy::NoDirectory),
            ));
        }
        chain.then(crate::policy::AbortPolicy)
    };
    let Ok(selection) = crate::Selection::new([&src], [] as [&str; 0]) else {
        return;
    };
    let mut job = crate::backup::BackupJob::new("fuzz", selection);
    job.options.block_size = block;
    job.options.buffer_size = 64 * 1024;
    let Ok(mut drive) = lib.drive(0) else { return };
    let mut policy = chain(&lib);
    let mut events = crate::EventLog::default();
    let backup = crate::backup::run_backup(
        &job,
        crate::backup::BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&catalog),
        },
    );
    drop(drive);
    let complete = matches!(
        &backup,
        Ok(r) if r.outcome == crate::backup::BackupOutcome::Complete
    );
    let family = match &backup {
        Ok(r) => Some(r.family),
        Err(_) => None,
    };
    let out = dir.join("out");
    let mut restore = crate::restore::RestoreJob::new("fuzz", &out);
    restore.family = family;
    let Ok(mut drive) = lib.drive(0) else { return };
    let mut policy = chain(&lib);
    let mut events = crate::EventLog::default();
    let restored = crate::restore::run_restore(
        &restore,
        crate::restore::RestoreContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock,
            events: &mut events,
            catalog: Some(&catalog),
        },
    );
    if complete {
        match &restored {
            Ok(report) => assert!(
                report.is_clean(),
                "a complete backup restores cleanly: {report:?}"
            ),
            Err(e) => panic!("a complete backup does not restore: {e}"),
        }
    }
    // Whatever was restored is exact, and only where it belongs.
    let inside = out.join(src.strip_prefix("/").unwrap_or(&src));
    let mut found = 0;
    for (path, body) in &expected {
        let Ok(rel) = path.strip_prefix(&src) else {
            continue;
        };
        if let Ok(got) = std::fs::read(inside.join(rel)) {
            assert!(
                got == *body,
                "{} restored with other contents",
                rel.display()
            );
            found += 1;
        }
    }
    if complete {
        assert_eq!(
            found,
            expected.len(),
            "every file of a complete backup restores"
        );
    }
    let mut stray = Vec::new();
    list_files(&out, &mut stray);
    for path in stray {
        let known = path
            .strip_prefix(&inside)
            .is_ok_and(|rel| expected.contains_key(&src.join(rel)));
        assert!(known, "unexpected file restored: {}", path.display());
    }
    drop(scratch);
}

/// Removes the scratch directory when dropped (also when an assertion fails).
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn list_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => list_files(&path, out),
            Ok(_) => out.push(path),
            Err(_) => {}
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

    #[test]
    fn the_engine_oracle_runs_whole_jobs() {
        // Nothing; a few files on roomy cartridges; tiny cartridges with early warning at once
        // and a write error on the second.
        for data in [
            &b""[..],
            &[5, 0x10, 0x27, 1, 0x20, 0x03, 2, 7, 3, 0, 0, 0, 0, 1, 4][..],
            &[
                8, 0xff, 0xff, 9, 0xff, 0x7f, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                1, 5, 3, 7, 1, 2,
            ][..],
        ] {
            super::engine_ops(data);
        }
    }
}
