//! The hostile suite (`tape_format::hostile`): built the same way every time, and every medium
//! survives the reader, the fuzz oracle and the listing. What a restore does with them is tested
//! in the engine (`backup-engine/tests/hostile`). With `HOSTILE_OUT=DIR` set, the media are also
//! written there as `.bkf` files to look at by hand (`ntbackup list --tape file:DIR/NAME.bkf`).

use tape_format::hostile::{Case, suite};
use tape_format::io::BkfEvents;
use tape_format::reader::{Event, ReaderOptions};

const OUTSIDE: &str = "/nonexistent/hostile-outside";

fn file_names(case: &Case) -> Vec<String> {
    match case.media.len() {
        1 => vec![format!("{}.bkf", case.name)],
        n => (1..=n).map(|i| format!("{}.{i}.bkf", case.name)).collect(),
    }
}

#[test]
fn the_suite_is_reproducible_and_names_are_unique() {
    let a = suite(OUTSIDE);
    let b = suite(OUTSIDE);
    assert_eq!(a.len(), b.len());
    let mut names = std::collections::HashSet::new();
    for (x, y) in a.iter().zip(&b) {
        assert!(names.insert(x.name), "{} twice", x.name);
        assert_eq!(x.media, y.media, "{} differs between two builds", x.name);
        assert_eq!(x.expect, y.expect);
        assert!(!x.media.iter().any(Vec::is_empty), "{}", x.name);
    }
    assert!(a.len() >= 20, "{} cases", a.len());
    if let Ok(dir) = std::env::var("HOSTILE_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        for case in &a {
            for (name, m) in file_names(case).iter().zip(&case.media) {
                std::fs::write(std::path::Path::new(&dir).join(name), m).unwrap();
            }
        }
    }
}

#[test]
fn every_hostile_medium_reads_without_panic_and_lists() {
    for case in suite(OUTSIDE) {
        for m in &case.media {
            tape_format::fuzzing::scan_medium(m);
            let mut delivered = 0;
            for e in BkfEvents::new(m, ReaderOptions::default()) {
                match e {
                    Ok(Event::Data(d)) => delivered += d.len(),
                    Ok(_) => {}
                    Err(e) => panic!("{}: {e}", case.name),
                }
            }
            assert!(delivered <= m.len(), "{}", case.name);
            let _ = tape_format::listing::list_media(&[m.as_slice()]);
        }
    }
}

/// The events of a medium, as (kind, detail) pairs, for order checks.
fn kinds(m: &[u8]) -> Vec<String> {
    BkfEvents::new(m, ReaderOptions::default())
        .filter_map(|e| match e.unwrap() {
            Event::File(f) => Some(format!("file {}", f.name)),
            Event::Damaged { .. } => Some("damaged".into()),
            Event::StreamCut { id, .. } => Some(format!("cut {id}")),
            _ => None,
        })
        .collect()
}

#[test]
fn damage_in_a_files_streams_comes_after_the_file_it_cuts_off() {
    use tape_format::hostile::craft::Craft;
    let mut c = Craft::new(7, 1);
    c.begin_set(1);
    c.volume("/");
    c.dir(&["d"], None);
    let at = c.bytes().len();
    c.file("victim", b"data", None);
    let stan = c.find(at, b"STAN").unwrap();
    c.patch(stan + 4, &[0x40]); // the stream header's checksum no longer matches
    c.file("after", b"more", None);
    c.end_set();
    assert_eq!(
        kinds(&c.finish()),
        ["file victim", "damaged", "file after"],
        "the consumer learns which file the damage cut off"
    );
}

#[test]
fn a_set_ending_inside_a_metadata_stream_reports_the_file_first() {
    use tape_format::hostile::craft::{Craft, lxmd, utf16};
    let mut c = Craft::new(8, 1);
    c.begin_set(1);
    c.volume("/");
    let mut s = lxmd(&tape_format::stream::unix::UnixMeta::default());
    s.0.length = 1 << 20; // more than the set holds
    c.file_raw(utf16("liar"), 0, &[s]);
    c.end_set();
    assert_eq!(kinds(&c.finish()), ["file liar", "cut LXMD"]);
}

#[test]
fn a_lost_block_hands_back_the_file_it_cuts_off() {
    use tape_format::hostile::craft::Craft;
    use tape_format::reader::MediaReader;
    let mut c = Craft::new(9, 1);
    c.begin_set(1);
    c.volume("/");
    let at = c.bytes().len();
    c.file("victim", &[7; 3000], None);
    let m = c.finish();
    let stan = m.windows(4).position(|w| w == b"STAN").unwrap();
    // The drive returns everything up to the FILE's first stream, then cannot read a block.
    let mut r = MediaReader::new(ReaderOptions::default());
    let mut input = &m[..stan];
    let mut seen = Vec::new();
    while !input.is_empty() {
        let s = r.step(input).unwrap();
        input = &input[s.consumed..];
        match s.event {
            Some(e) => seen.push(format!("{e:?}").chars().take(12).collect::<String>()),
            None if s.consumed == 0 => break,
            None => {}
        }
    }
    assert!(at < stan);
    assert!(!seen.iter().any(|e| e.starts_with("File(")), "{seen:?}");
    let due = r.lost_block(None);
    assert!(
        matches!(due.as_slice(), [Event::File(f)] if f.name == "victim"),
        "{due:?}"
    );
}
