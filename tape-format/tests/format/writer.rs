//! Writer → reader round trips, including every end-of-medium position.

use crate::harness::*;
use tape_format::writer::WriterOptions;

fn small_tape() -> WriterOptions {
    WriterOptions::default()
        .sizes(512, 1024, 1024)
        .family(0xF00D)
}

#[test]
fn single_medium_round_trip() {
    let sets = sample_sets();
    let media = write_family(small_tape(), &sets, Trigger::default());
    assert_eq!(media.len(), 1);
    let back = read_family(&media);
    assert_eq!(back.damaged, Vec::<String>::new());
    let want: Vec<TFile> = sets.concat();
    assert_eq!(back.files, want);
    assert_eq!(back.sets, vec![1, 2]);
    assert_eq!(back.set_ends, 2);
}

/// With a Type 1 catalog: every VOLB/DIRB/FILE has its FDD entry, and the last medium holds
/// the complete Set Map (mtf.md §9.5 case o).
fn check_catalog(opts: &WriterOptions, back: &ReadBack, ctx: &str) {
    if !opts.catalog {
        assert_eq!(back.set_maps, 0, "{ctx}");
        return;
    }
    // Set 1: VOLB + 3 DIRB + 5 FILE; set 2: VOLB + DIRB + 2 FILE.
    assert_eq!(back.fdd, 13, "{ctx} FDD entries");
    assert!(
        back.last_medium_set_maps >= 1,
        "{ctx} last medium holds a Set Map"
    );
    let mut sets = back.last_set_map.clone();
    sets.dedup();
    assert_eq!(sets, [1, 2], "{ctx} Set Map covers both sets");
}

/// Name, length and checksum of each file, for readable failures.
fn summary(files: &[TFile]) -> Vec<(String, usize, u32)> {
    files
        .iter()
        .map(|f| {
            (
                format!("{:?}/{}", f.dir, f.name),
                f.data.len(),
                tape_format::checksum::csum32(&f.data),
            )
        })
        .collect()
}

/// Number of outputs on medium 1 of an unconstrained run.
fn outputs(opts: &WriterOptions) -> usize {
    write_family(opts.clone(), &sample_sets(), Trigger::default())[0].len()
}

fn check_every_position(opts: WriterOptions, overflow: bool) {
    let sets = sample_sets();
    let want: Vec<TFile> = sets.concat();
    let n = outputs(&opts);
    for k in 0..n {
        let trigger = if overflow {
            Trigger {
                overflow_at: Some(k),
                ..Trigger::default()
            }
        } else {
            Trigger {
                ew_at: Some(k),
                ..Trigger::default()
            }
        };
        let media = write_family(opts.clone(), &sets, trigger);
        let back = read_family(&media);
        assert_eq!(
            back.damaged,
            Vec::<String>::new(),
            "k={k} overflow={overflow}"
        );
        assert_eq!(
            summary(&back.files),
            summary(&want),
            "k={k} overflow={overflow}"
        );
        assert!(
            back.files == want,
            "k={k} overflow={overflow}: metadata differs"
        );
        assert_eq!(back.set_ends, 2, "k={k}");
        check_catalog(&opts, &back, &format!("k={k} overflow={overflow}"));
        let used = media.iter().filter(|m| !m.is_empty()).count();
        let seqs: Vec<u16> = (1..=used as u16).collect();
        assert_eq!(back.media_seen, seqs, "k={k}");
    }
}

#[test]
fn early_warning_at_every_output_tape() {
    check_every_position(small_tape(), false);
}

#[test]
fn overflow_at_every_output_tape() {
    check_every_position(small_tape(), true);
}

fn bkf_small() -> WriterOptions {
    WriterOptions::bkf().sizes(1024, 1024, 2048).family(0xB0F)
}

fn tape_4k_catalog() -> WriterOptions {
    WriterOptions::default()
        .sizes(1024, 4096, 4096)
        .family(7)
        .with_catalog(true)
}

#[test]
fn early_warning_at_every_output_bkf() {
    check_every_position(bkf_small(), false);
}

#[test]
fn overflow_at_every_output_bkf() {
    check_every_position(bkf_small(), true);
}

#[test]
fn early_warning_at_every_output_with_catalog() {
    check_every_position(small_tape().with_catalog(true), false);
    check_every_position(bkf_small().with_catalog(true), false);
    check_every_position(tape_4k_catalog(), false);
}

#[test]
fn overflow_at_every_output_with_catalog() {
    check_every_position(small_tape().with_catalog(true), true);
    check_every_position(bkf_small().with_catalog(true), true);
    check_every_position(tape_4k_catalog(), true);
}

#[test]
fn families_of_several_media() {
    let sets = sample_sets();
    let want: Vec<TFile> = sets.concat();
    for opts in [
        small_tape(),
        bkf_small(),
        small_tape().with_catalog(true),
        tape_4k_catalog(),
    ] {
        for k in 3..14 {
            for overflow in [false, true] {
                let trigger = Trigger {
                    ew_at: (!overflow).then_some(k),
                    overflow_at: overflow.then_some(k),
                    every_medium: true,
                    ..Trigger::default()
                };
                let media = write_family(opts.clone(), &sets, trigger);
                let ctx = format!("k={k} overflow={overflow} catalog={}", opts.catalog);
                assert!(media.len() >= 2, "{ctx}");
                let back = read_family(&media);
                assert_eq!(back.damaged, Vec::<String>::new(), "{ctx}");
                assert_eq!(summary(&back.files), summary(&want), "{ctx}");
                assert!(back.files == want, "{ctx}");
                check_catalog(&opts, &back, &ctx);
            }
        }
    }
}
