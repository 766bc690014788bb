//! Random jobs across media: proptest over the writer's option sets.

use crate::harness::*;
use crate::writer::{bkf_small, check_headers_of, small_tape, summary, tape_4k_catalog};
use proptest::prelude::*;
use tape_format::writer::WriterOptions;

/// The option sets of these tests, with and without a catalog.
fn option_sets() -> Vec<WriterOptions> {
    [
        small_tape(),
        bkf_small(),
        tape_4k_catalog().with_catalog(false),
        WriterOptions::default().sizes(512, 1024, 4096).family(3),
        WriterOptions::bkf().sizes(512, 1024, 8192).family(4),
        WriterOptions::default().sizes(1024, 1024, 1024).family(5),
    ]
    .into_iter()
    .flat_map(|o| [o.clone(), o.with_catalog(true)])
    .collect()
}

/// A random job: up to two sets of up to six files of random sizes, some in a directory.
fn random_sets() -> impl Strategy<Value = Vec<Vec<TFile>>> {
    let size = prop_oneof![0..64usize, 0..1500usize, 0..12_000usize];
    let set = proptest::collection::vec((size, any::<bool>(), 0..30usize), 0..7);
    proptest::collection::vec(set, 1..3).prop_map(|sets| {
        sets.into_iter()
            .enumerate()
            .map(|(s, files)| {
                files
                    .into_iter()
                    .enumerate()
                    .map(|(i, (len, in_dir, name))| TFile {
                        dir: if in_dir {
                            vec![format!("d{s}")]
                        } else {
                            vec![]
                        },
                        name: format!("s{s}f{i}{}", "n".repeat(name)),
                        data: content((s * 10 + i) as u32, len),
                        unix: None,
                    })
                    .collect()
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random jobs with early warning or physical end anywhere on media 1, 2 and 3 (a medium
    /// refusing its first block included): the family reads back whole, with the header rules
    /// and the FLAs and Control Block IDs of one medium.
    #[test]
    fn random_jobs_across_media(
        opts in proptest::sample::select(option_sets()),
        sets in random_sets(),
        on_media in [
            proptest::option::of((0..30usize, any::<bool>())),
            proptest::option::of((0..30usize, any::<bool>())),
            proptest::option::of((0..30usize, any::<bool>())),
        ],
    ) {
        let trigger = Trigger { on_media, ..Trigger::default() };
        let want: Vec<TFile> = sets.concat();
        let media = write_family(opts.clone(), &sets, trigger);
        let back = read_family(&media);
        prop_assert_eq!(back.damaged, Vec::<String>::new());
        prop_assert_eq!(summary(&back.files), summary(&want));
        prop_assert!(back.files == want);
        prop_assert_eq!(back.set_ends, sets.len());
        let used = media.iter().filter(|m| !m.is_empty()).count();
        prop_assert_eq!(back.media_seen, (1..=used as u16).collect::<Vec<_>>());
        if opts.catalog {
            prop_assert!(back.last_medium_set_maps >= 1);
        }
        check_headers_of(&opts, &sets, &media, &format!("{trigger:?}"));
    }
}
