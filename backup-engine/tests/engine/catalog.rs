//! The SQLite catalog, on a real database file.

use backup_engine::catalog::{Catalog, EntryRecord, MediumRecord, SetRecord, SetStatus};
use backup_engine::policy::{MediaDirectory, MediumUsage};
use tape_core::VolumeTag;

fn tag(s: &str) -> VolumeTag {
    VolumeTag::new(s).unwrap()
}

fn set(family: u32, number: u16) -> SetRecord {
    SetRecord::new(family, number, "job", "desc", "normal", 1_700_000_000, 1)
}

#[test]
fn media_sets_and_entries_persist_in_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("home/catalog.sqlite");
    {
        let c = Catalog::open(&path).unwrap();
        for seq in 1..=3 {
            c.record_medium(&MediumRecord::new(
                0xF00D,
                seq,
                Some(tag(&format!("VT000{seq}"))),
                "m",
                1_700_000_000 + i64::from(seq),
            ))
            .unwrap();
        }
        let id = c.begin_set(&set(0xF00D, 1)).unwrap();
        let entries: Vec<EntryRecord> = (0..5u64)
            .map(|i| {
                EntryRecord::new(
                    format!("d/f{i}").into_bytes(),
                    1,
                    i * 10,
                    1_600_000_000,
                    1 + (i / 2) as u16,
                    4 + i,
                )
            })
            .collect();
        c.add_entries(id, &entries).unwrap();
        c.finish_set(id, SetStatus::Complete, 3, 5, 100, 1_700_000_100)
            .unwrap();
    }
    let c = Catalog::open(&path).unwrap();
    let media = c.media(0xF00D).unwrap();
    assert_eq!(
        media.iter().map(|m| m.sequence).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let sets = c.sets().unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(
        (sets[0].status, sets[0].last_sequence, sets[0].files),
        (SetStatus::Complete, 3, 5)
    );
    let entries = c.entries(sets[0].id).unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(
        (
            entries[4].path.as_slice(),
            entries[4].sequence,
            entries[4].fla
        ),
        (&b"d/f4"[..], 3, 8)
    );
    assert_eq!(
        c.usage(&tag("VT0002")),
        MediumUsage::Live { family: 0xF00D }
    );
    assert_eq!(c.usage(&tag("VT0009")), MediumUsage::Unknown);
    assert_eq!(c.usage(&tag("CLN001")), MediumUsage::Cleaning);
}

#[test]
fn expired_families_free_their_media_and_dead_writers_are_marked() {
    let c = Catalog::in_memory().unwrap();
    c.record_medium(&MediumRecord::new(7, 1, Some(tag("VT0001")), "m", 1))
        .unwrap();
    c.expire_family(7).unwrap();
    assert_eq!(c.usage(&tag("VT0001")), MediumUsage::Expired);
    let id = c.begin_set(&set(8, 1)).unwrap();
    assert_eq!(c.mark_interrupted(|_| true).unwrap(), 0);
    assert_eq!(c.mark_interrupted(|_| false).unwrap(), 1);
    assert_eq!(
        c.sets()
            .unwrap()
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .status,
        SetStatus::Interrupted
    );
}
