//! `catalog rebuild` on damaged media: a damaged tape catalog falls back to scanning with a
//! warning, and no damage — in the Set Map, the FDD, the ESET, or anywhere in a `.bkf` — makes
//! the rebuild panic or hang.

use std::fs;
use std::path::Path;

use backup_engine::backup::BackupType;
use backup_engine::catalog::Catalog;
use backup_engine::policy::{MediaPolicy, MediaRequest, PolicyChain, PolicyContext, Supply};
use backup_engine::rebuild::{Method, RebuildContext, RebuildJob, RebuildMedia, run_rebuild};
use backup_engine::{EventLog, ManualClock};
use tape_core::FileDrive;

use crate::rebuild::{Lab, answers, as_tape_catalog_sees, same};
use crate::tree;

/// Rewrites the cartridge image's record that holds `needle`, changing the byte `at` after it
/// and fixing the record's CRC-32C (a damaged catalog that the drive reads without error).
fn corrupt_after(image: &Path, needle: &[u8], at: usize, value: u8) {
    let mut b = fs::read(image).unwrap();
    corrupt_bytes(&mut b, needle, at, value);
    fs::write(image, b).unwrap();
}

/// `corrupt_after` on the bytes of an image.
fn corrupt_bytes(b: &mut [u8], needle: &[u8], at: usize, value: u8) {
    let mut pos = 64;
    let mut hit = None;
    while pos + 16 <= b.len() {
        let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let data = pos + 16..pos + 16 + len;
        if let Some(i) = b[data.clone()]
            .windows(needle.len())
            .position(|w| w == needle)
        {
            hit = Some((pos, data.start + i));
        }
        pos = data.end;
    }
    let (rec, i) = hit.unwrap();
    let at = (i + at).min(rec + 16 + record_len(b, rec) - 1);
    b[at] = value;
    let len = u32::from_le_bytes(b[rec + 4..rec + 8].try_into().unwrap()) as usize;
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
    let mut d = crc.digest();
    d.update(&b[rec..rec + 12]);
    d.update(&b[rec + 16..rec + 16 + len]);
    let sum = d.finalize().to_le_bytes();
    b[rec + 12..rec + 16].copy_from_slice(&sum);
}

fn record_len(b: &[u8], rec: usize) -> usize {
    u32::from_le_bytes(b[rec + 4..rec + 8].try_into().unwrap()) as usize
}

#[test]
fn a_damaged_tape_catalog_is_scanned_instead_with_a_warning() {
    let mut lab = Lab::new(6);
    tree::make(&lab.src(), 1_500_000, 4);
    lab.backup("job", BackupType::Normal, true);
    let before = answers(&lab.catalog);
    let family = before.sets[0].key.0;
    let media = lab.catalog.media(family).unwrap();
    let last = media.last().unwrap().barcode.clone().unwrap();
    // This tree ends the set and its catalog on media #2, which then fills: media #3 holds only
    // the set's continuation and the rewritten Set Map (mtf.md §9.5 case o). Undamaged, the
    // tape catalog is read across both.
    assert_eq!(media.len(), 3);
    let fast = Catalog::in_memory().unwrap();
    let (report, _) = lab.rebuild_into(&fast, lab.barcodes(), true);
    assert_eq!(
        report.families[0].method,
        Method::TapeCatalog,
        "{report:#?}"
    );
    same(&answers(&fast), &as_tape_catalog_sees(before.clone()));
    // The Set Map's entry count (TSMP header 22 bytes, then family ID, then the count).
    corrupt_after(&lab.lib.image_path(&last), b"TSMP", 22 + 4, 0xFF);
    lab.lose_catalog();
    let (report, _) = lab.rebuild(true);
    let f = &report.families[0];
    assert_eq!(f.method, Method::Scan);
    assert!(
        f.scanned_because.as_ref().unwrap().contains("damaged"),
        "{f:?}"
    );
    assert!(
        report.warnings.iter().any(|w| w.contains("damaged")),
        "{:?}",
        report.warnings
    );
    same(&answers(&lab.catalog), &before);
}

/// A little deterministic noise.
fn noise(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn damage_anywhere_in_the_tape_catalog_is_survived() {
    let lab = Lab::new(6);
    tree::make(&lab.src(), 400_000, 12);
    lab.backup("job", BackupType::Normal, true);
    let family = answers(&lab.catalog).sets[0].key.0;
    let media = lab.catalog.media(family).unwrap();
    let image = lab
        .lib
        .image_path(media.last().unwrap().barcode.as_ref().unwrap());
    let original = fs::read(&image).unwrap();
    let mut seed = 0x5EED_u64;
    let mut methods = Vec::new();
    for round in 0..24 {
        let mut b = original.clone();
        // Set Map (entries, PBAs, FLAs), FDD entries and the ESETs' catalog fields.
        let (needle, span): (&[u8], u64) = match round % 3 {
            0 => (b"TSMP", 400),
            1 => (b"TFDD", 600),
            _ => (b"ESET", 90),
        };
        for _ in 0..1 + round % 4 {
            let at = 22 + (noise(&mut seed) % span) as usize;
            corrupt_bytes(&mut b, needle, at, noise(&mut seed) as u8);
        }
        fs::write(&image, &b).unwrap();
        let c = Catalog::in_memory().unwrap();
        let (report, _) = lab.rebuild_into(&c, lab.barcodes(), true);
        assert_eq!(report.families.len(), 1, "round {round}: {report:#?}");
        methods.push(report.families[0].method);
    }
    fs::write(&image, &original).unwrap();
    assert!(methods.contains(&Method::Scan), "{methods:?}");
}

/// The next `.bkf` of the magazine.
struct NextFile;

impl MediaPolicy for NextFile {
    fn name(&self) -> &str {
        "next file"
    }
    fn supply(&mut self, _: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        if cx.drive.unload().is_ok() && cx.drive.status().is_ok_and(|s| s.ready) {
            Supply::Loaded
        } else {
            Supply::Declined("no more files".into())
        }
    }
}

#[test]
fn damaged_bkf_files_never_make_the_rebuild_panic() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tape-format/tests/fixtures");
    let mut seed = 0xBADC_0FFE_u64;
    for (round, name) in ["catalog_type1.bkf", "basic.bkf", "span_in_data.2.bkf"]
        .iter()
        .cycle()
        .take(60)
        .enumerate()
    {
        let mut b = fs::read(fixtures.join(name)).unwrap();
        for _ in 0..1 + round % 8 {
            let i = (noise(&mut seed) % b.len() as u64) as usize;
            b[i] = noise(&mut seed) as u8;
        }
        if round % 5 == 4 {
            b.truncate((noise(&mut seed) % b.len() as u64) as usize);
        }
        let path = dir.path().join(format!("{round}.bkf"));
        fs::write(&path, &b).unwrap();
        let mut drive = FileDrive::open(vec![path], false).unwrap();
        let c = Catalog::in_memory().unwrap();
        let result = run_rebuild(
            &RebuildJob::new("rebuild", RebuildMedia::InOrder { count: 1 }),
            RebuildContext {
                drive: &mut drive,
                policy: &mut PolicyChain::new().then(NextFile),
                clock: &ManualClock::new(std::time::SystemTime::UNIX_EPOCH),
                events: &mut EventLog::default(),
                catalog: &c,
            },
        );
        // Damage is reported, never a panic; what could be read is catalogued.
        if let Ok(report) = result {
            for f in &report.families {
                assert!(f.sets.len() <= 3, "round {round}: {f:#?}");
            }
        }
    }
}
