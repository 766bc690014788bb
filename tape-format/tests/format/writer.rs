//! Writer → reader round trips, including every end-of-medium position.

use crate::harness::*;
use tape_format::writer::WriterOptions;

pub(crate) fn small_tape() -> WriterOptions {
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
pub(crate) fn summary(files: &[TFile]) -> Vec<(String, usize, u32)> {
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
        check_headers(&opts, &media, &format!("k={k} overflow={overflow}"));
        if used >= 2 {
            check_last_alone(
                &media[used - 1],
                &want,
                &format!("k={k} overflow={overflow}"),
            );
        }
    }
}

/// A continuation medium read on its own (the earlier media lost or not wanted): no structure
/// is reported damaged, the stream continued from the previous medium gives exactly the tail of
/// its file (its checksum, over the whole stream, cannot match), and every file that starts on
/// it is whole.
fn check_last_alone(medium: &[Rec], want: &[TFile], ctx: &str) {
    let back = read_family(std::slice::from_ref(&medium.to_vec()));
    let checksum_only = back
        .damaged
        .iter()
        .all(|d| d.starts_with("checksum Mismatch"));
    assert!(
        checksum_only && back.damaged.len() <= 1,
        "{ctx}: {:?}",
        back.damaged
    );
    for got in &back.files {
        let orig = want
            .iter()
            .find(|w| w.name == got.name && w.dir == got.dir)
            .unwrap_or_else(|| {
                panic!(
                    "{ctx}: unknown file {:?}/{} in {:?}",
                    got.dir,
                    got.name,
                    want.iter().map(|w| (&w.dir, &w.name)).collect::<Vec<_>>()
                )
            });
        assert!(
            orig.data.ends_with(&got.data),
            "{ctx}: {} is not the tail of the original ({} of {} bytes)",
            got.name,
            got.data.len(),
            orig.data.len()
        );
    }
    let whole = back
        .files
        .iter()
        .filter(|g| want.iter().any(|w| w.name == g.name && w.data == g.data))
        .count();
    assert!(
        back.files.len() - whole <= 1,
        "{ctx}: more than one partial file on the last medium"
    );
}

#[test]
fn early_warning_at_every_output_tape() {
    check_every_position(small_tape(), false);
}

#[test]
fn overflow_at_every_output_tape() {
    check_every_position(small_tape(), true);
}

pub(crate) fn bkf_small() -> WriterOptions {
    WriterOptions::bkf().sizes(1024, 1024, 2048).family(0xB0F)
}

pub(crate) fn tape_4k_catalog() -> WriterOptions {
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

/// Header rules over the family (mtf.md §4.11, §6.5) and the FLAs and Control Block IDs of the
/// VOLB/DIRB/FILEs: the same as when the job fits on one medium.
fn check_headers(opts: &WriterOptions, media: &[Vec<Rec>], ctx: &str) {
    check_headers_of(opts, &sample_sets(), media, ctx);
}

/// [`check_headers`] for a family holding `sets`.
pub(crate) fn check_headers_of(
    opts: &WriterOptions,
    sets: &[Vec<TFile>],
    media: &[Vec<Rec>],
    ctx: &str,
) {
    let single = write_family(opts.clone(), sets, Trigger::default());
    check_headers_against(opts, &single, media, ctx);
}

/// [`check_headers`] against `single`, the family written on one medium.
fn check_headers_against(opts: &WriterOptions, single: &[Vec<Rec>], media: &[Vec<Rec>], ctx: &str) {
    let flb = usize::from(opts.flb_size);
    let phys = opts.physical_block_size;
    let (bad, objects) = check_ids(media, flb, phys);
    assert_eq!(bad, Vec::<String>::new(), "{ctx}");
    let (bad1, objects1) = check_ids(single, flb, phys);
    assert_eq!(bad1, Vec::<String>::new(), "{ctx} (one medium)");
    assert_eq!(objects, objects1, "{ctx}: FLAs/IDs of VOLB, DIRB, FILE");
}

/// Writes `sets` with early warning or physical end at outputs `ks` of medium 1 and checks that
/// the family reads back whole, with the FLAs and Control Block IDs of one medium.
fn check_split_at(opts: &WriterOptions, sets: &[Vec<TFile>], ks: &[usize], ctx: &str) {
    let want = sets.concat();
    let single = write_family(opts.clone(), sets, Trigger::default());
    let entries = 1 + want.len() + want.iter().filter(|f| !f.dir.is_empty()).count().min(1) + 1;
    for &k in ks {
        for overflow in [false, true] {
            let trigger = Trigger {
                ew_at: (!overflow).then_some(k),
                overflow_at: overflow.then_some(k),
                ..Trigger::default()
            };
            let media = write_family(opts.clone(), sets, trigger);
            let back = read_family(&media);
            let ctx = format!("{ctx} k={k} overflow={overflow} {opts:?}");
            assert_eq!(back.damaged, Vec::<String>::new(), "{ctx}");
            assert_eq!(summary(&back.files), summary(&want), "{ctx}");
            assert_eq!(back.set_ends, 1, "{ctx}");
            if opts.catalog {
                // VOLB, root DIRB, "dir" DIRB, the FILEs.
                assert_eq!(back.fdd, entries, "{ctx}");
                assert!(back.last_medium_set_maps >= 1, "{ctx}");
            }
            check_headers_against(opts, &single, &media, &ctx);
        }
    }
}

/// The end of a file's data, its `CSUM` stream and its `SPAD` at every 4-byte offset around the
/// end of an output that gets early warning or physical end: a `STREAM_CONTINUE` of one byte or
/// none, a `CSUM` header or value cut in two (with soft filemarks, by the closing `SFMB`), a
/// `SPAD` header cut in two (dropped, and the next DBLK keeps its FLA).
fn check_data_end_sweep(opts: WriterOptions) {
    let unit = opts.write_unit;
    let probe = write_family(opts.clone(), &alignment_job(8, 1, 0, 0), Trigger::default());
    let bytes: Vec<u8> = probe[0]
        .iter()
        .flat_map(|r| match r {
            Rec::Block(b) => b.clone(),
            Rec::Filemark => Vec::new(),
        })
        .collect();
    // Where file "a"'s data start (behind the first STAN header), and an output boundary past it.
    let stan = (0..bytes.len())
        .step_by(4)
        .find(|&o| bytes[o..].starts_with(b"STAN"))
        .unwrap();
    let data = stan + 22;
    let boundary = (data + 600).div_ceil(unit) * unit;
    for len in boundary - data - 60..boundary - data + 4 {
        let sets = alignment_job(len, 1, 0, 0);
        let single = write_family(opts.clone(), &sets, Trigger::default());
        let k = record_ends(&single[0])
            .iter()
            .position(|&e| e >= boundary)
            .unwrap();
        let ks: Vec<usize> = (k.saturating_sub(1)..k + 2).collect();
        check_split_at(&opts, &sets, &ks, &format!("len={len}"));
    }
}

/// Early warning or physical end at every output holding part of the FDD, for FDDs whose entries
/// fall differently on the block boundaries, among them FDDs whose `FEND` entry is cut by an
/// output boundary: an FDD entry cut by the end of the medium, by a filemark or an `SFMB`, and
/// continued behind the `TFDD` copy on the next medium.
fn check_fdd_sweep(opts: WriterOptions) {
    let unit = opts.write_unit;
    // Offsets of the TFDD header and of the FEND entry, and the family on one medium.
    let layout = |more: u32, last: usize| {
        let sets = alignment_job(300, more, 3, last);
        let single = write_family(opts.clone(), &sets, Trigger::default());
        let bytes: Vec<u8> = single[0]
            .iter()
            .flat_map(|r| match r {
                Rec::Block(b) => b.clone(),
                Rec::Filemark => Vec::new(),
            })
            .collect();
        let find = |what: &[u8]| {
            (0..bytes.len())
                .step_by(2)
                .find(|&o| bytes[o..].starts_with(what))
        };
        let tfdd = find(b"TFDD").unwrap();
        let fend = find(b"FEND").unwrap() - 2;
        (sets, single, tfdd, fend)
    };
    let mut jobs: Vec<(u32, usize)> = vec![(20, 0), (24, 5), (28, 11)];
    // A longer name of the last file moves the FEND by two bytes a character (in steps of four):
    // find jobs whose FEND entry is cut by an output boundary.
    let mut cut = 0;
    for more in 20..60 {
        let (.., fend) = layout(more, 0);
        // Two characters move the FEND by four bytes (up to 150 characters, short of FNAM).
        if (unit - fend % unit) % unit > 300 + 36 {
            continue;
        }
        let target = (2 * unit - 34 - fend % unit) % unit / 2;
        if let Some(last) = std::iter::once(0)
            .chain(target.saturating_sub(4)..=target + 20)
            .find(|&last| layout(more, last).3 % unit + 36 > unit)
        {
            jobs.push((more, last));
            cut += 1;
        }
        if cut == 2 {
            break;
        }
    }
    assert!(cut > 0, "no FEND entry cut by an output boundary");
    for (more, last) in jobs {
        let (sets, single, tfdd, fend) = layout(more, last);
        let ends = record_ends(&single[0]);
        let from = ends.iter().position(|&e| e > tfdd).unwrap();
        let to = ends.iter().position(|&e| e > fend + 36).unwrap();
        let ks: Vec<usize> = (from..=to).collect();
        check_split_at(&opts, &sets, &ks, &format!("more={more} last={last}"));
    }
}

#[test]
fn ends_of_medium_around_the_end_of_a_file_tape() {
    check_data_end_sweep(small_tape());
    check_data_end_sweep(small_tape().with_catalog(true));
    check_data_end_sweep(WriterOptions::default().sizes(1024, 1024, 1024).family(2));
}

#[test]
fn ends_of_medium_around_the_end_of_a_file_bkf() {
    check_data_end_sweep(bkf_small());
    check_data_end_sweep(WriterOptions::bkf().sizes(512, 1024, 8192).family(4));
}

#[test]
fn ends_of_medium_around_the_end_of_a_file_large_blocks() {
    check_data_end_sweep(tape_4k_catalog());
    check_data_end_sweep(WriterOptions::default().sizes(512, 1024, 4096).family(3));
}

#[test]
fn ends_of_medium_inside_the_fdd() {
    check_fdd_sweep(small_tape().with_catalog(true));
    check_fdd_sweep(bkf_small().with_catalog(true));
    check_fdd_sweep(tape_4k_catalog());
    check_fdd_sweep(
        WriterOptions::bkf()
            .sizes(512, 1024, 1024)
            .family(5)
            .with_catalog(true),
    );
}

/// Early warning anywhere on medium 1, then medium 2 refuses even its first block (a damaged
/// cartridge): medium 3 takes over as sequence 2 and the family still reads back whole. The
/// same with physical end (no early warning) on medium 1.
fn check_dead_continuation(opts: WriterOptions) {
    let sets = sample_sets();
    let want: Vec<TFile> = sets.concat();
    let n = outputs(&opts);
    for overflow in [false, true] {
        for k in 0..n {
            let trigger = Trigger {
                ew_at: (!overflow).then_some(k),
                overflow_at: overflow.then_some(k),
                dead_medium: Some(2),
                ..Trigger::default()
            };
            let media = write_family(opts.clone(), &sets, trigger);
            let back = read_family(&media);
            let ctx = format!("k={k} overflow={overflow}");
            assert_eq!(back.damaged, Vec::<String>::new(), "{ctx}");
            assert_eq!(summary(&back.files), summary(&want), "{ctx}");
            for (got, exp) in back.files.iter().zip(&want) {
                assert_eq!(got, exp, "{ctx}");
            }
            assert_eq!(back.files.len(), want.len(), "{ctx}");
            assert_eq!(back.set_ends, 2, "{ctx}");
            check_catalog(&opts, &back, &ctx);
            let used = media.iter().filter(|m| !m.is_empty()).count();
            assert_eq!(
                back.media_seen,
                (1..=used as u16).collect::<Vec<_>>(),
                "{ctx}"
            );
            check_headers(&opts, &media, &ctx);
        }
    }
}

#[test]
fn a_continuation_medium_refusing_its_first_block_is_replaced_tape() {
    check_dead_continuation(small_tape());
}

#[test]
fn a_continuation_medium_refusing_its_first_block_is_replaced_with_catalog() {
    check_dead_continuation(tape_4k_catalog());
}

#[test]
fn a_continuation_medium_refusing_its_first_block_is_replaced_bkf() {
    check_dead_continuation(bkf_small());
    check_dead_continuation(bkf_small().with_catalog(true));
}

#[test]
fn a_continuation_medium_refusing_its_first_block_is_replaced_large_units() {
    // Several physical blocks per output: more than the header is framed before the refusal.
    check_dead_continuation(WriterOptions::default().sizes(512, 1024, 4096).family(3));
    check_dead_continuation(
        WriterOptions::bkf()
            .sizes(512, 1024, 8192)
            .family(4)
            .with_catalog(true),
    );
}

/// The medium that took nothing leaves no trace: the media after it are, byte for byte, those of
/// the same family written without it (same sequence numbers, FLAs, Control Block IDs, SFMBs).
#[test]
fn a_dead_continuation_medium_leaves_no_trace() {
    let sets = sample_sets();
    for opts in [
        small_tape(),
        small_tape().with_catalog(true),
        tape_4k_catalog(),
        bkf_small(),
        bkf_small().with_catalog(true),
        WriterOptions::default()
            .sizes(512, 1024, 4096)
            .family(3)
            .with_catalog(true),
        WriterOptions::bkf().sizes(1024, 1024, 8192).family(4),
        WriterOptions::bkf().family(9).with_catalog(true),
    ] {
        for overflow in [false, true] {
            for k in 0..outputs(&opts) {
                let plain = Trigger {
                    ew_at: (!overflow).then_some(k),
                    overflow_at: overflow.then_some(k),
                    ..Trigger::default()
                };
                let without = write_family(opts.clone(), &sets, plain);
                let with = write_family(
                    opts.clone(),
                    &sets,
                    Trigger {
                        dead_medium: Some(2),
                        ..plain
                    },
                );
                let ctx = format!("k={k} overflow={overflow} {opts:?}");
                if without.len() == 1 {
                    assert_eq!(with, without, "{ctx}");
                    continue;
                }
                assert_eq!(with.len(), without.len() + 1, "{ctx}");
                assert!(with[1].is_empty(), "{ctx}");
                assert!(with[0] == without[0], "{ctx}: medium 1");
                assert!(
                    with[2..] == without[1..],
                    "{ctx}: the media after the dead one"
                );
            }
        }
    }
}

/// A second end of medium while medium 2 is still writing its header and continuation blocks
/// (early warning or physical end at each of its first outputs), and a medium refusing its first
/// block before or after it: each next medium starts over from the same continuation blocks.
#[test]
fn end_of_medium_inside_the_continuation_blocks() {
    let sets = sample_sets();
    let want: Vec<TFile> = sets.concat();
    for opts in [
        small_tape(),
        tape_4k_catalog(),
        bkf_small().with_catalog(true),
        WriterOptions::bkf().sizes(512, 1024, 8192).family(4),
    ] {
        for overflow in [false, true] {
            for k in 0..outputs(&opts) {
                let first = Trigger {
                    ew_at: (!overflow).then_some(k),
                    overflow_at: overflow.then_some(k),
                    ..Trigger::default()
                };
                let mut triggers = vec![Trigger {
                    dead_medium: Some(2),
                    overflow_on: Some((3, 0)),
                    ..first
                }];
                for i in 0..6 {
                    triggers.extend([
                        Trigger {
                            overflow_on: Some((2, i)),
                            dead_medium: Some(3),
                            ..first
                        },
                        Trigger {
                            ew_on: Some((2, i)),
                            dead_medium: Some(3),
                            ..first
                        },
                        Trigger {
                            dead_medium: Some(2),
                            overflow_on: Some((3, i)),
                            ..first
                        },
                        Trigger {
                            dead_medium: Some(2),
                            ew_on: Some((3, i)),
                            overflow_on: Some((4, 0)),
                            ..first
                        },
                    ]);
                }
                for trigger in triggers {
                    let media = write_family(opts.clone(), &sets, trigger);
                    let back = read_family(&media);
                    let ctx = format!("{trigger:?} catalog={}", opts.catalog);
                    assert_eq!(back.damaged, Vec::<String>::new(), "{ctx}");
                    assert_eq!(summary(&back.files), summary(&want), "{ctx}");
                    assert!(back.files == want, "{ctx}: metadata differs");
                    assert_eq!(back.set_ends, 2, "{ctx}");
                    check_catalog(&opts, &back, &ctx);
                    let used = media.iter().filter(|m| !m.is_empty()).count();
                    let seqs: Vec<u16> = (1..=used as u16).collect();
                    assert_eq!(back.media_seen, seqs, "{ctx}");
                    check_headers(&opts, &media, &ctx);
                }
            }
        }
    }
}

/// With soft filemarks the end-of-medium sequence (SFMB, EOTM, SFMB) is written even when it
/// does not fill a write unit (a `.bkf` is written 1 MiB at a time).
#[test]
fn bkf_end_of_medium_is_written_whole() {
    for opts in [
        WriterOptions::bkf().family(9),
        WriterOptions::bkf().sizes(1024, 1024, 8192).family(4),
    ] {
        let media = write_family(
            opts.clone(),
            &sample_sets(),
            Trigger {
                ew_at: Some(0),
                ..Trigger::default()
            },
        );
        assert!(media.len() >= 2);
        let kinds: Vec<String> = dblks(&media[0], 1024)
            .into_iter()
            .map(|(_, t, ..)| t)
            .collect();
        assert!(
            kinds.ends_with(&["SFMB".into(), "EOTM".into(), "SFMB".into()]),
            "{kinds:?}"
        );
        let back = read_family(&media);
        assert_eq!(back.damaged, Vec::<String>::new());
        assert_eq!(back.files, sample_sets().concat());
        check_headers(&opts, &media, "bkf");
    }
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
                check_headers(&opts, &media, &ctx);
            }
        }
    }
}

#[test]
fn options_are_validated() {
    use tape_format::writer::{MediaWriter, WriteError};
    let bad = [
        WriterOptions::default().sizes(2048, 4096, 4096),
        WriterOptions::default().sizes(1024, 1536, 1536),
        WriterOptions::default().sizes(1024, 4096, 6144),
        WriterOptions::default().sizes(1024, 0, 4096),
    ];
    for o in bad {
        assert!(matches!(
            MediaWriter::new_in_memory(o),
            Err(WriteError::Option { .. })
        ));
    }
    assert!(
        MediaWriter::new_in_memory(WriterOptions::default().sizes(512, 1 << 20, 1 << 20)).is_ok()
    );
}

#[test]
fn calls_out_of_order_are_refused() {
    use tape_format::writer::*;
    let mut w = MediaWriter::new_in_memory(small_tape()).unwrap();
    assert!(matches!(
        w.begin_set(SetInfo::default()),
        Err(WriteError::Sequence { .. })
    ));
    w.start_medium(medium_info(), 1).unwrap();
    // The TAPE block is waiting to be written.
    assert!(matches!(
        w.begin_set(SetInfo::default()),
        Err(WriteError::OutputPending)
    ));
    while w.poll().unwrap().is_some() {
        w.complete(Outcome::Written).unwrap();
    }
    assert!(matches!(
        w.complete(Outcome::Written),
        Err(WriteError::NoPendingOutput)
    ));
    assert!(matches!(
        w.volume(VolumeInfo::default()),
        Err(WriteError::Sequence { .. })
    ));
    w.begin_set(SetInfo::default()).unwrap();
    assert!(matches!(
        w.write_data(b"x"),
        Err(WriteError::Sequence { .. })
    ));
    w.begin_file(FileInfo {
        name: "f".into(),
        size: 3,
        ..FileInfo::default()
    })
    .unwrap();
    w.begin_stream(StreamInfo::stan(3)).unwrap();
    assert!(matches!(
        w.begin_file(FileInfo::default()),
        Err(WriteError::Sequence { .. })
    ));
    assert_eq!(w.write_data(b"ab").unwrap(), 2);
    assert!(matches!(
        w.end_stream(),
        Err(WriteError::StreamIncomplete {
            expected: 3,
            written: 2
        })
    ));
    assert_eq!(w.write_data(b"cdef").unwrap(), 1);
    assert!(matches!(
        w.write_data(b"x"),
        Err(WriteError::Sequence { .. })
    ));
    w.end_stream().unwrap();
    assert!(matches!(
        w.finish(),
        Err(WriteError::Sequence { .. } | WriteError::OutputPending)
    ));
}
