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
