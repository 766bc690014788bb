//! Fuzz oracles: functions that take arbitrary bytes, exercise the codec and assert its
//! invariants. They never panic unless an invariant is broken. The cargo-fuzz shims in `fuzz/`
//! call these; the integration tests replay a corpus through them.

use crate::block::{Dblk, decode_dblk};
use crate::catalog::{SetMap, decode_fdd_entry};
use crate::decoded::Decoded;
use crate::descriptor::decode_descriptor;
use crate::reader::{ChecksumStatus, Event, MediaReader, ReaderOptions};
use crate::stream::StreamHeader;
use crate::stream::unix::UnixMeta;
use crate::writer::{
    DirectoryInfo, FileInfo, MediaWriter, MediumInfo, Outcome, Output, SetInfo, StreamInfo,
    VolumeInfo, WriterOptions,
};

/// Every decoder on `data`: no panic; a complete DBLK re-encodes to an equal block; every strict
/// prefix of it is incomplete.
pub fn decode_block(data: &[u8]) {
    if let Ok(Decoded::Complete { value, consumed }) = decode_dblk(data) {
        assert!(consumed <= data.len());
        check_reencode(&value);
        for n in (0..consumed).step_by(consumed / 64 + 1) {
            assert!(
                matches!(decode_dblk(&data[..n]), Ok(Decoded::Incomplete { .. })),
                "prefix {n}"
            );
        }
    }
    if let Ok(Decoded::Complete { consumed, .. }) = decode_descriptor(data) {
        assert!(consumed <= data.len());
    }
    let _ = StreamHeader::decode(data);
    let _ = decode_fdd_entry(data);
    let _ = SetMap::decode(data);
    let _ = UnixMeta::decode(data);
    let _ = crate::stream::dumpdir::DumpDir::decode(data);
    let _ = crate::stream::job::JobInfo::decode(data);
    let _ = crate::stream::frame::FrameHeader::decode(data);
}

fn check_reencode(d: &Dblk) {
    let mut bytes = Vec::new();
    if d.encode(&mut bytes).is_err() {
        return;
    }
    match decode_dblk(&bytes) {
        Ok(Decoded::Complete { value, .. }) => {
            assert_eq!(value.header.block_type, d.header.block_type);
            assert_eq!(value.body, d.body, "body changed by re-encoding");
            assert_eq!(value.os_data, d.os_data);
        }
        other => panic!("re-encoded block does not decode: {other:?}"),
    }
}

/// Scans `data` as a medium, fed in pieces whose sizes come from the first byte; no panic, no
/// more data delivered than given, listing works.
pub fn scan_medium(data: &[u8]) {
    let piece = usize::from(data.first().copied().unwrap_or(0)).max(1) * 7;
    for chunk in [piece, data.len().max(1)] {
        let mut r = MediaReader::new(ReaderOptions::default());
        let mut delivered = 0usize;
        let mut fed = 0usize;
        let mut carry_from = 0usize;
        'outer: while carry_from < data.len() {
            fed = (fed + chunk).min(data.len());
            loop {
                match r.step(&data[carry_from..fed]) {
                    Err(_) => break 'outer,
                    Ok(s) => {
                        carry_from += s.consumed;
                        if let Some(Event::Data(d)) = &s.event {
                            delivered += d.len();
                        }
                        if s.event.is_none() && s.consumed == 0 {
                            break;
                        }
                        if r.medium_ended() {
                            break 'outer;
                        }
                    }
                }
            }
            if fed == data.len() {
                break;
            }
        }
        let _ = r.end_of_data();
        assert!(delivered <= data.len());
    }
    let _ = crate::listing::list_media(&[data]);
}

/// Builds a small job from `data` (file sizes, names, where early warning or the physical end
/// strikes, catalog on or off), writes it, reads it back and asserts the files are identical.
pub fn roundtrip(data: &[u8]) {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let catalog = byte(0) & 1 == 1;
    let soft = byte(0) & 2 == 2;
    let overflow = byte(0) & 4 == 4;
    let trigger = usize::from(byte(1));
    let opts = if soft {
        WriterOptions::bkf().sizes(1024, 1024, 2048)
    } else {
        WriterOptions::default().sizes(512, 1024, 1024)
    }
    .with_catalog(catalog)
    .family(u32::from(byte(2)));
    let files: Vec<(String, Vec<u8>)> = data
        .get(3..)
        .unwrap_or(&[])
        .chunks(3)
        .take(8)
        .enumerate()
        .map(|(i, c)| {
            let len = usize::from(c[0]) * 37 + c.get(1).map_or(0, |&b| usize::from(b));
            (
                format!("f{i}-{}", c.get(2).copied().unwrap_or(0)),
                (0..len).map(|k| (k * 31 + i).to_le_bytes()[0]).collect(),
            )
        })
        .collect();
    let media = write_job(opts, &files, trigger, overflow);
    let got = read_job(&media);
    assert_eq!(got.len(), files.len(), "file count");
    for ((n1, d1), (n2, d2)) in files.iter().zip(&got) {
        assert_eq!(n1, n2);
        assert!(d1 == d2, "data of {n1} differ");
    }
}

fn write_job(
    opts: WriterOptions,
    files: &[(String, Vec<u8>)],
    trigger: usize,
    overflow: bool,
) -> Vec<Vec<Option<Vec<u8>>>> {
    let Ok(mut w) = MediaWriter::new_in_memory(opts) else {
        panic!("options")
    };
    let mut media: Vec<Vec<Option<Vec<u8>>>> = vec![Vec::new()];
    let ok = |r: Result<(), crate::writer::WriteError>| assert!(r.is_ok(), "{r:?}");
    ok(w.start_medium(MediumInfo::default(), 1));
    // The next output as a record (`None` = filemark); a writer error is a broken invariant.
    let next = |w: &mut MediaWriter| match w.poll() {
        Ok(Some(Output::Block(b))) => Some(Some(b.to_vec())),
        Ok(Some(Output::Filemark)) => Some(None),
        Ok(None) => None,
        Err(e) => panic!("poll: {e}"),
    };
    // The writer's call protocol (writer module docs, step 4): after early warning, end the
    // medium and write its end-of-medium outputs; after a physical end, change the medium at
    // once. Then continue on the next medium.
    let pump = |w: &mut MediaWriter, media: &mut Vec<Vec<Option<Vec<u8>>>>| loop {
        let mut eom = w.needs_medium();
        while !eom {
            let Some(rec) = next(w) else { break };
            let m = media.len();
            let idx = media.last().map_or(0, Vec::len);
            let hit = m < 4 && idx == trigger + 2;
            let outcome = match (hit, overflow) {
                (true, true) => Outcome::Overflow,
                (true, false) => Outcome::EarlyWarning,
                _ => Outcome::Written,
            };
            if outcome != Outcome::Overflow
                && let Some(last) = media.last_mut()
            {
                last.push(rec);
            }
            assert!(w.complete(outcome).is_ok());
            eom = outcome != Outcome::Written;
        }
        if !eom {
            return;
        }
        if !w.needs_medium() {
            assert!(w.end_of_medium().is_ok());
            while let Some(rec) = next(w) {
                if let Some(last) = media.last_mut() {
                    last.push(rec);
                }
                assert!(w.complete(Outcome::Written).is_ok());
            }
        }
        media.push(Vec::new());
        assert!(w.continue_on_new_medium(MediumInfo::default()).is_ok());
    };
    pump(&mut w, &mut media);
    ok(w.begin_set(SetInfo {
        set_number: 1,
        ..SetInfo::default()
    }));
    pump(&mut w, &mut media);
    ok(w.volume(VolumeInfo {
        device: "C:".into(),
        ..VolumeInfo::default()
    }));
    pump(&mut w, &mut media);
    ok(w.directory(DirectoryInfo::default()));
    pump(&mut w, &mut media);
    for (name, bytes) in files {
        ok(w.begin_file(FileInfo {
            name: name.clone(),
            size: bytes.len() as u64,
            ..FileInfo::default()
        }));
        pump(&mut w, &mut media);
        ok(w.begin_stream(StreamInfo::stan(bytes.len() as u64)));
        pump(&mut w, &mut media);
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let Ok(n) = w.write_data(rest) else {
                panic!("write_data")
            };
            rest = &rest[n..];
            pump(&mut w, &mut media);
        }
        ok(w.end_stream());
        pump(&mut w, &mut media);
    }
    ok(w.end_set());
    pump(&mut w, &mut media);
    ok(w.finish());
    media
}

fn read_job(media: &[Vec<Option<Vec<u8>>>]) -> Vec<(String, Vec<u8>)> {
    let mut r = MediaReader::new(ReaderOptions::default());
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let on = |e: Event<'_>, files: &mut Vec<(String, Vec<u8>)>| match e {
        Event::File(f) => files.push((f.name.clone(), Vec::new())),
        Event::Data(d) => {
            if let Some(last) = files.last_mut() {
                last.1.extend_from_slice(d);
            }
        }
        Event::StreamEnd { checksum, .. } => {
            assert!(
                !matches!(
                    checksum,
                    ChecksumStatus::Mismatch { .. } | ChecksumStatus::Missing
                ),
                "{checksum:?}"
            );
        }
        Event::Damaged { error, offset } => panic!("damage in our own output at {offset}: {error}"),
        _ => {}
    };
    for (i, medium) in media.iter().filter(|m| !m.is_empty()).enumerate() {
        if i > 0 {
            r.next_medium();
        }
        for rec in medium {
            let Some(block) = rec else {
                on(r.filemark(), &mut files);
                continue;
            };
            let mut k = 0;
            while !r.medium_ended() {
                let Ok(s) = r.step(&block[k..]) else {
                    panic!("reader error")
                };
                k += s.consumed;
                match s.event {
                    Some(e) => on(e, &mut files),
                    None if s.consumed == 0 => break,
                    None => {}
                }
            }
        }
        for e in r.end_of_data() {
            on(e, &mut files);
        }
    }
    files
}
