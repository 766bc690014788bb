//! Verify after backup: the set is read back through the media policy and every file compared
//! with the checksum kept while it was backed up; a bit flipped on the cartridge afterwards is
//! caught whether the drive notices (a medium error) or not (silent corruption).

use std::fs;
use std::path::{Path, PathBuf};

use backup_engine::backup::{BackupContext, BackupJob, BackupOutcome, BackupReport, run_backup};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain};
use backup_engine::restore::{RestoreContext, VerifyJob, VerifyReport, run_verify};
use backup_engine::{EventLog, Selection};
use crc::{CRC_32_ISCSI, Crc};
use tape_core::vtl::{LibraryConfig, VirtualLibrary};

use crate::{clock, tree};

struct Setup {
    dir: tempfile::TempDir,
    lib: VirtualLibrary,
    catalog: Catalog,
    report: BackupReport,
}

fn chain(lib: &VirtualLibrary) -> PolicyChain {
    PolicyChain::new()
        .then(ChangerPolicy::new(lib.changer(), 0, Box::new(NoDirectory)))
        .then(AbortPolicy)
}

/// A tree of about 1.5 MB backed up across two 1 MiB cartridges with checksums kept.
fn backed_up() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    tree::make(&dir.path().join("src"), 1_500_000, 11);
    let mut config = LibraryConfig::default();
    config.slots = 4;
    config.capacity = 1 << 20;
    config.early_warning = 64 << 10;
    let lib = VirtualLibrary::create(dir.path().join("lib"), &config).unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    let mut job = BackupJob::new(
        "verify",
        Selection::new([dir.path().join("src")], [] as [&str; 0]).unwrap(),
    );
    job.options.block_size = 32 << 10;
    job.options.keep_checksums = true;
    let mut drive = lib.drive(0).unwrap();
    let mut policy = chain(&lib);
    let mut events = EventLog::default();
    let report = run_backup(
        &job,
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &clock(),
            events: &mut events,
            catalog: Some(&catalog),
        },
    )
    .unwrap();
    assert_eq!(report.outcome, BackupOutcome::Complete);
    assert!(report.media.len() >= 2, "{:?}", report.media);
    Setup {
        dir,
        lib,
        catalog,
        report,
    }
}

impl Setup {
    fn verify(&self, job: &VerifyJob) -> (VerifyReport, Vec<String>) {
        let mut drive = self.lib.drive(0).unwrap();
        let mut policy = chain(&self.lib);
        let mut events = EventLog::default();
        let report = run_verify(
            job,
            RestoreContext {
                drive: &mut drive,
                policy: &mut policy,
                clock: &clock(),
                events: &mut events,
                catalog: Some(&self.catalog),
            },
        )
        .unwrap();
        (report, events.lines())
    }

    /// A regular file of the backup at least `min` bytes long.
    fn file_of_size(&self, min: u64) -> PathBuf {
        self.report
            .checksums
            .iter()
            .map(|(p, _)| p.clone())
            .find(|p| fs::metadata(p).unwrap().len() >= min && !p.ends_with("hard"))
            .unwrap()
    }

    /// Flips one bit in the middle of `file`'s data on its cartridge; with `silently`, the
    /// record's CRC is recomputed so the drive does not notice and returns the wrong data.
    fn flip_bit(&self, file: &Path, silently: bool) {
        let data = fs::read(file).unwrap();
        let needle = &data[data.len() / 2..data.len() / 2 + 64];
        for entry in fs::read_dir(self.dir.path().join("lib/cartridges")).unwrap() {
            let path = entry.unwrap().path();
            let mut image = fs::read(&path).unwrap();
            let Some(at) = image.windows(needle.len()).position(|w| w == needle) else {
                continue;
            };
            image[at + 10] ^= 0x08;
            if silently {
                fix_record_crc(&mut image, at + 10);
            }
            fs::write(&path, image).unwrap();
            return;
        }
        panic!("{} not found on any cartridge", file.display());
    }
}

/// Recomputes the CRC-32C of the VTL record holding byte `at` (record: magic, length, object
/// number, CRC of bytes 0..12 and the data; tape-core's image format).
fn fix_record_crc(image: &mut [u8], at: usize) {
    let crc = Crc::<u32>::new(&CRC_32_ISCSI);
    let mut pos = 64;
    loop {
        let len = u32::from_le_bytes(image[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let end = pos + 16 + len;
        if at < end {
            let mut d = crc.digest();
            d.update(&image[pos..pos + 12]);
            d.update(&image[pos + 16..end]);
            let sum = d.finalize().to_le_bytes();
            image[pos + 12..pos + 16].copy_from_slice(&sum);
            return;
        }
        pos = end;
    }
}

#[test]
fn a_clean_set_verifies_and_says_so() {
    let s = backed_up();
    let (report, log) = s.verify(&VerifyJob::after("verify", &s.report));
    assert!(report.is_clean(), "{report:?}\n{log:?}");
    assert_eq!(report.files as usize, s.report.checksums.len());
    assert_eq!(report.bytes, s.report.bytes);
    assert_eq!(report.media.len(), s.report.media.len());
    assert!(
        log.iter().any(|l| l.contains("Verify completed on")),
        "{log:?}"
    );
    // The catalog kept the same checksums: a later verify from it agrees.
    let job = VerifyJob::from_catalog("later", &s.catalog, s.report.set_id.unwrap()).unwrap();
    assert_eq!(job.expected.len(), s.report.checksums.len());
    let (again, log) = s.verify(&job);
    assert!(again.is_clean(), "{again:?}\n{log:?}");
}

#[test]
fn a_bit_flipped_on_the_cartridge_is_caught_when_the_drive_reports_it() {
    let s = backed_up();
    let victim = s.file_of_size(200_000);
    s.flip_bit(&victim, false);
    let (report, log) = s.verify(&VerifyJob::after("verify", &s.report));
    assert!(!report.is_clean());
    assert!(!report.damaged.is_empty(), "{report:?}");
    let shown = victim.strip_prefix("/").unwrap().display().to_string();
    // The unreadable block lay inside the victim's data: only the victim differs, reading
    // resumed at the next DBLK after it.
    assert_eq!(report.different.len(), 1, "{report:?}\n{log:?}");
    assert!(
        report.different[0].0.ends_with(&shown),
        "{victim:?} not reported: {report:?}"
    );
    assert_eq!(report.files as usize, s.report.checksums.len());
    assert!(log.iter().any(|l| l.contains("Verify completed on")));
}

#[test]
fn a_bit_flipped_silently_is_caught_by_the_checksums() {
    let s = backed_up();
    let victim = s.file_of_size(200_000);
    s.flip_bit(&victim, true);
    let (report, log) = s.verify(&VerifyJob::after("verify", &s.report));
    assert!(report.damaged.is_empty(), "{report:?}");
    let shown = victim.strip_prefix("/").unwrap().display().to_string();
    let different: Vec<_> = report
        .different
        .iter()
        .filter(|(p, _)| p.ends_with(&shown))
        .collect();
    assert_eq!(report.different.len(), 1, "{report:?}\n{log:?}");
    assert_eq!(different.len(), 1, "{report:?}");
    assert!(
        log.iter()
            .any(|l| l.contains("Verify completed on") && l.contains("different files: 1")),
        "{log:?}"
    );
}
