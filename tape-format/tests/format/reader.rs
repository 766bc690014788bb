//! Reader behaviour: media order and identity, starting mid-medium, damage, short reads.

use crate::harness::*;
use tape_format::io::{ReadAdapter, ReadAdapterError};
use tape_format::reader::{Event, MediaReader, ReadError, ReaderOptions, StartContext};
use tape_format::writer::WriterOptions;

fn bytes_of(medium: &[Rec]) -> Vec<u8> {
    medium
        .iter()
        .filter_map(|r| match r {
            Rec::Block(b) => Some(b.clone()),
            Rec::Filemark => None,
        })
        .flatten()
        .collect()
}

fn feed_all(r: &mut MediaReader, data: &[u8]) -> Result<Vec<String>, ReadError> {
    let mut seen = Vec::new();
    let mut pos = 0;
    while !r.medium_ended() {
        let s = r.step(&data[pos..])?;
        pos += s.consumed;
        match s.event {
            Some(e) => seen.push(kind(&e)),
            None if s.consumed == 0 => break,
            None => {}
        }
    }
    seen.extend(r.end_of_data().iter().map(kind));
    Ok(seen)
}

fn kind(e: &Event<'_>) -> String {
    match e {
        Event::File(f) => format!("file {}", f.name),
        Event::Damaged { offset, .. } => format!("damaged {offset}"),
        Event::EndOfMedium { next_sequence, .. } => format!("eom {next_sequence}"),
        other => format!("{other:?}")
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or("")
            .to_owned(),
    }
}

fn two_media() -> Vec<Vec<Rec>> {
    let opts = WriterOptions::bkf().sizes(1024, 1024, 4096).family(0xABCD);
    write_family(
        opts,
        &sample_sets(),
        Trigger {
            ew_at: Some(4),
            ..Trigger::default()
        },
    )
}

#[test]
fn out_of_order_and_foreign_media_are_refused_and_recoverable() {
    let family = two_media();
    assert_eq!(family.len(), 2);
    let foreign = write_family(
        WriterOptions::bkf().family(0x1234),
        &sample_sets(),
        Trigger::default(),
    );
    let (m1, m2, other) = (
        bytes_of(&family[0]),
        bytes_of(&family[1]),
        bytes_of(&foreign[0]),
    );
    let mut r = MediaReader::new(ReaderOptions::default());
    let first = feed_all(&mut r, &m1).unwrap();
    assert_eq!(first.last().map(String::as_str), Some("eom 2"));
    // Medium 1 again: wrong sequence.
    r.next_medium();
    let err = r.step(&m1).unwrap_err();
    assert_eq!(
        err,
        ReadError::WrongMedium {
            expected_family: 0xABCD,
            expected_sequence: 2,
            found_family: 0xABCD,
            found_sequence: 1
        }
    );
    // A foreign family.
    r.next_medium();
    assert!(matches!(
        r.step(&other),
        Err(ReadError::WrongMedium {
            found_family: 0x1234,
            ..
        })
    ));
    // The right one continues the split file seamlessly.
    r.next_medium();
    let rest = feed_all(&mut r, &m2).unwrap();
    assert!(!rest.iter().any(|e| e.starts_with("damaged")), "{rest:?}");
    assert!(rest.iter().any(|e| e == "file e.bin"));
}

#[test]
fn reading_starts_at_a_dblk_with_catalog_context() {
    let opts = WriterOptions::bkf().sizes(1024, 1024, 1 << 20).family(5);
    let media = write_family(opts, &sample_sets(), Trigger::default());
    let data = bytes_of(&media[0]);
    // Find the FILE d.bin with a first pass, as an engine's catalog would have it.
    let mut r = MediaReader::new(ReaderOptions::default());
    let mut target = None;
    let mut pos = 0;
    while target.is_none() {
        let s = r.step(&data[pos..]).unwrap();
        pos += s.consumed;
        if let Some(Event::File(f)) = s.event
            && f.name == "d.bin"
        {
            target = Some((f.offset, f.path.clone()));
        }
    }
    let (offset, path) = target.unwrap();
    let ctx = StartContext {
        offset,
        flb_size: 1024,
        soft_filemark_size: 1024,
        family: 5,
        sequence: 1,
        set_number: Some(1),
        device: path.device.clone(),
        directory: path.components[..path.components.len() - 1].to_vec(),
    };
    let mut r = MediaReader::at_block(ReaderOptions::default(), ctx);
    let mut got = Vec::new();
    let mut name = None;
    let mut p = usize::try_from(offset).unwrap();
    loop {
        let s = r.step(&data[p..]).unwrap();
        p += s.consumed;
        match s.event {
            Some(Event::File(f)) => name = Some(f.path.to_string()),
            Some(Event::Data(d)) => got.extend_from_slice(d),
            Some(Event::StreamEnd { .. }) => break,
            _ => {}
        }
    }
    assert_eq!(name.as_deref(), Some("C:\\d1\\d2\\d.bin"));
    assert_eq!(got, content(5, 5000));
}

#[test]
fn a_damaged_block_is_reported_and_reading_resumes() {
    let opts = WriterOptions::bkf().sizes(1024, 1024, 1 << 20).family(5);
    let media = write_family(opts, &sample_sets(), Trigger::default());
    let mut data = bytes_of(&media[0]);
    // Break the header checksum of the FILE "c.bin".
    let at = tape_format_find(&data, "c.bin");
    data[at + 4] ^= 0xFF;
    let mut r = MediaReader::new(ReaderOptions::default());
    let seen = feed_all(&mut r, &data).unwrap();
    assert!(seen.contains(&format!("damaged {at}")), "{seen:?}");
    assert!(
        seen.contains(&"file d.bin".to_owned()),
        "resumed after the damage: {seen:?}"
    );
    assert!(!seen.contains(&"file c.bin".to_owned()));
}

/// Offset of the FILE DBLK named `name` (UTF-16) in `data`.
fn tape_format_find(data: &[u8], name: &str) -> usize {
    let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let at = data.windows(utf16.len()).position(|w| w == utf16).unwrap();
    at / 1024 * 1024
}

/// A reader that returns 1..=n bytes per call (tar-rs `RandomReader` style).
struct ShortReads<'a> {
    data: &'a [u8],
    state: u32,
}

impl std::io::Read for ShortReads<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.state = self.state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let n = (self.state >> 16) as usize % 700 + 1;
        let n = n.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn the_read_adapter_copes_with_short_reads() {
    let opts = WriterOptions::bkf()
        .sizes(1024, 1024, 1 << 20)
        .family(5)
        .with_catalog(true);
    let sets = sample_sets();
    let media = write_family(opts, &sets, Trigger::default());
    let data = bytes_of(&media[0]);
    let mut adapter = ReadAdapter::new(
        ShortReads {
            data: &data,
            state: 7,
        },
        MediaReader::default(),
    );
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut fdd = 0;
    adapter
        .for_each(|e| {
            match e {
                Event::File(f) => files.push((f.name.clone(), Vec::new())),
                Event::Data(d) => files.last_mut().unwrap().1.extend_from_slice(d),
                Event::FddEntry(_) => fdd += 1,
                Event::Damaged { error, .. } => panic!("{error}"),
                _ => {}
            }
            Ok::<(), ReadAdapterError>(())
        })
        .unwrap();
    let want: Vec<(String, Vec<u8>)> = sets
        .concat()
        .into_iter()
        .map(|f| (f.name, f.data))
        .collect();
    assert_eq!(files, want);
    assert_eq!(fdd, 13);
}

#[test]
fn a_medium_cut_short_reports_end_of_medium_in_set() {
    let opts = WriterOptions::bkf().sizes(1024, 1024, 1 << 20).family(5);
    let media = write_family(opts, &sample_sets(), Trigger::default());
    let data = bytes_of(&media[0]);
    let mut r = MediaReader::new(ReaderOptions::default());
    let seen = feed_all(&mut r, &data[..5000]).unwrap();
    assert_eq!(seen.last().map(String::as_str), Some("eom 2"));
}

/// Every single-byte corruption of a written medium: no panic, and file data never differ
/// silently — damage or a CSUM mismatch is reported, or the byte was padding. (DBLK bodies are
/// not covered by any MTF checksum, so names and dates can change undetected: a format limit.)
#[test]
fn every_single_byte_corruption_of_a_medium_is_caught_or_harmless() {
    let opts = WriterOptions::bkf().sizes(512, 512, 1 << 20).family(5);
    let sets = vec![vec![TFile {
        dir: vec!["d".into()],
        name: "f".into(),
        data: content(1, 700),
        unix: None,
    }]];
    let media = write_family(opts, &sets, Trigger::default());
    let data = bytes_of(&media[0]);
    let want = content(1, 700);
    for i in 0..data.len() {
        let mut m = data.clone();
        m[i] ^= 0xA5;
        let mut r = MediaReader::new(ReaderOptions::default());
        let mut got = Vec::new();
        let mut flagged = false;
        let mut pos = 0;
        loop {
            let s = match r.step(&m[pos..]) {
                Ok(s) => s,
                Err(_) => {
                    flagged = true;
                    break;
                }
            };
            pos += s.consumed;
            match s.event {
                Some(Event::Data(d)) => got.extend_from_slice(d),
                Some(Event::Damaged { .. }) => flagged = true,
                Some(Event::StreamEnd { checksum, .. }) => {
                    flagged |= !matches!(checksum, tape_format::reader::ChecksumStatus::Verified(_))
                }
                Some(_) => {}
                None if s.consumed == 0 || r.medium_ended() => break,
                None => {}
            }
            if r.medium_ended() {
                break;
            }
        }
        assert!(
            flagged || got == want,
            "byte {i}: data changed without a report"
        );
    }
}

#[test]
fn bytes_duplicated_by_a_physical_end_are_dropped() {
    // The drive says "not written" but the block made it: the continuation header's remaining
    // length tells the reader which bytes it has already delivered.
    let opts = WriterOptions::default().sizes(512, 512, 512).family(8);
    let sets = vec![vec![TFile {
        dir: vec![],
        name: "big".into(),
        data: content(4, 20_000),
        unix: None,
    }]];
    for k in 8..40 {
        let trigger = Trigger {
            overflow_at: Some(k),
            overflow_written: true,
            ..Trigger::default()
        };
        let media = write_family(opts.clone(), &sets, trigger);
        let back = read_family(&media);
        assert_eq!(back.damaged, Vec::<String>::new(), "k={k}");
        assert!(back.files == sets.concat(), "k={k}");
    }
}

#[test]
fn type2_catalog_streams_are_skipped() {
    use tape_format::block::{Body, Dblk, Eset, Sset, Tape};
    use tape_format::descriptor::encode_descriptor;
    use tape_format::ids::StreamId;
    use tape_format::stream::StreamHeader;
    let mut m = Vec::new();
    let tape = Tape {
        media_family_id: 3,
        media_sequence: 1,
        flb_size: 1024,
        catalog_type: 2,
        ..Tape::default()
    };
    encode_descriptor(&Dblk::new(Body::Tape(tape)), &[], 1024, &mut m).unwrap();
    encode_descriptor(
        &Dblk::new(Body::Sset(Sset {
            set_number: 1,
            catalog_version: 1,
            ..Sset::default()
        })),
        &[],
        1024,
        &mut m,
    )
    .unwrap();
    let map2 = vec![0x55u8; 300];
    let fdd2 = vec![0xAAu8; 1500];
    let streams = [
        (StreamHeader::new(StreamId::MAP2, 300), &map2[..]),
        (StreamHeader::new(StreamId::FDD2, 1500), &fdd2[..]),
    ];
    encode_descriptor(
        &Dblk::new(Body::Eset(Eset {
            set_number: 1,
            ..Eset::default()
        })),
        &streams,
        1024,
        &mut m,
    )
    .unwrap();
    let mut r = MediaReader::default();
    let seen = feed_all(&mut r, &m).unwrap();
    assert!(seen.iter().any(|e| e == "SetEnd"), "{seen:?}");
    assert!(!seen.iter().any(|e| e.starts_with("damaged")), "{seen:?}");
}

#[test]
fn duplicates_are_dropped_even_when_the_whole_stream_was_read() {
    // Overflow on the block that holds the end of the data and what follows.
    for opts in [
        WriterOptions::default().sizes(512, 512, 512).family(8),
        WriterOptions::bkf().sizes(1024, 1024, 1024).family(8),
        WriterOptions::default()
            .sizes(512, 512, 512)
            .family(8)
            .with_catalog(true),
    ] {
        duplicates_case(opts);
    }
}

fn duplicates_case(opts: WriterOptions) {
    let mut sets = sample_sets();
    sets[0].insert(
        0,
        TFile {
            dir: vec![],
            name: "a".into(),
            data: content(5, 1700),
            unix: None,
        },
    );
    let n = write_family(opts.clone(), &sets, Trigger::default())[0].len();
    for k in 2..n {
        let trigger = Trigger {
            overflow_at: Some(k),
            overflow_written: true,
            ..Trigger::default()
        };
        let media = write_family(opts.clone(), &sets, trigger);
        let back = read_family(&media);
        let ok_data = back
            .files
            .iter()
            .filter(|f| {
                sets.concat()
                    .iter()
                    .any(|s| s.name == f.name && s.data == f.data)
            })
            .count();
        // Re-framed DBLKs may be read twice (the drive wrote what it reported as lost), but data
        // never come out wrong and nothing is reported damaged.
        assert_eq!(back.damaged, Vec::<String>::new(), "k={k} {opts:?}");
        assert_eq!(ok_data, back.files.len(), "k={k} {opts:?}");
        assert!(back.files.len() >= sets.concat().len(), "k={k} {opts:?}");
    }
}

#[test]
fn a_continuation_medium_read_on_its_own_reports_where_the_data_resume() {
    let family = two_media();
    let m2 = bytes_of(&family[1]);
    let mut r = MediaReader::default();
    let mut pos = 0;
    let mut start = None;
    let mut bytes = 0u64;
    while !r.medium_ended() {
        let s = r.step(&m2[pos..]).unwrap();
        pos += s.consumed;
        match s.event {
            Some(Event::StreamStart { header, offset, .. })
                if start.is_none() && header.is_continuation() =>
            {
                start = Some((offset, header.length))
            }
            Some(Event::Data(d)) if start.is_some() && bytes < start.unwrap().1 => {
                bytes += d.len() as u64
            }
            None if s.consumed == 0 => break,
            _ => {}
        }
    }
    let (offset, remaining) = start.expect("the split stream continues on medium 2");
    assert!(offset > 0);
    assert_eq!(bytes, remaining);
}

/// The drive wrote the block it reported as lost in the end-of-set blocks: the FDD (cut inside an
/// entry) is continued on the next medium from an earlier point. The duplicated entries and bytes
/// are dropped; nothing is reported damaged.
#[test]
fn duplicates_in_the_fdd_are_dropped() {
    for opts in [
        WriterOptions::default()
            .sizes(512, 512, 512)
            .family(8)
            .with_catalog(true),
        WriterOptions::bkf()
            .sizes(1024, 1024, 1024)
            .family(8)
            .with_catalog(true),
        WriterOptions::bkf()
            .sizes(512, 512, 1536)
            .family(8)
            .with_catalog(true),
    ] {
        for more in [20, 23] {
            let sets = alignment_job(300, more, 3, 0);
            let single = write_family(opts.clone(), &sets, Trigger::default());
            let first_eset = dblks(&single[0], usize::from(opts.flb_size))
                .into_iter()
                .find(|(_, t, ..)| t == "ESET")
                .map(|(off, ..)| off)
                .unwrap();
            let ends = record_ends(&single[0]);
            let from = ends.iter().position(|&e| e > first_eset).unwrap();
            for k in from..ends.len() {
                let trigger = Trigger {
                    overflow_at: Some(k),
                    overflow_written: true,
                    ..Trigger::default()
                };
                let media = write_family(opts.clone(), &sets, trigger);
                let back = read_family(&media);
                let ctx = format!("more={more} k={k} {opts:?}");
                assert_eq!(back.damaged, Vec::<String>::new(), "{ctx}");
                assert!(back.files == sets.concat(), "{ctx}");
            }
        }
    }
}
