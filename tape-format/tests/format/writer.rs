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

#[test]
#[ignore]
fn debug_dump() {
    let k: usize = std::env::var("K").unwrap().parse().unwrap();
    let trigger = if std::env::var("OVF").is_ok() {
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
    let media = write_family(small_tape(), &sample_sets(), trigger);
    for (i, m) in media.iter().enumerate() {
        println!("=== medium {}", i + 1);
        let mut pos = 0usize;
        for rec in m {
            match rec {
                Rec::Filemark => println!("  FILEMARK"),
                Rec::Block(b) => {
                    for off in (0..b.len()).step_by(4) {
                        let w = &b[off..off + 4];
                        if w.iter()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                        {
                            println!("  {:6} {}", pos + off, String::from_utf8_lossy(w));
                        }
                    }
                    pos += b.len();
                }
            }
        }
    }
    let back = read_family(&media);
    println!("{:?}", back.damaged);
    println!("{:?}", back.flas);
}
