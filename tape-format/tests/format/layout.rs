//! What the writer produces beyond round trips: bounded memory and the interop layout.

use crate::harness::*;
use tape_format::writer::WriterOptions;

#[test]
fn memory_stays_at_one_output_unit_for_many_files() {
    use tape_format::catalog::FddSpool;
    use tape_format::writer::*;
    let opts = WriterOptions::bkf()
        .sizes(1024, 1024, 64 * 1024)
        .with_catalog(true);
    let unit = opts.write_unit;
    let mut w = MediaWriter::new_in_memory(opts).unwrap();
    let mut written = 0usize;
    let mut max_buffered = 0usize;
    let mut drain = |w: &mut MediaWriter, max: &mut usize| {
        *max = (*max).max(w.buffered());
        while let Some(out) = w.poll().unwrap() {
            if let Output::Block(b) = out {
                assert!(b.len() <= unit);
                written += b.len();
            }
            w.complete(Outcome::Written).unwrap();
        }
    };
    w.start_medium(medium_info(), 1).unwrap();
    drain(&mut w, &mut max_buffered);
    w.begin_set(SetInfo {
        set_number: 1,
        ..SetInfo::default()
    })
    .unwrap();
    w.volume(VolumeInfo {
        device: "/".into(),
        ..VolumeInfo::default()
    })
    .unwrap();
    drain(&mut w, &mut max_buffered);
    for d in 0..20 {
        w.directory(DirectoryInfo {
            path: vec![format!("d{d}")],
            ..DirectoryInfo::default()
        })
        .unwrap();
        drain(&mut w, &mut max_buffered);
        for f in 0..250 {
            w.begin_file(FileInfo {
                name: format!("f{f}"),
                size: 100,
                ..FileInfo::default()
            })
            .unwrap();
            drain(&mut w, &mut max_buffered);
            w.begin_stream(StreamInfo::stan(100)).unwrap();
            let data = [f as u8; 100];
            let mut rest = &data[..];
            while !rest.is_empty() {
                drain(&mut w, &mut max_buffered);
                let n = w.write_data(rest).unwrap();
                rest = &rest[n..];
            }
            w.end_stream().unwrap();
            drain(&mut w, &mut max_buffered);
        }
    }
    w.end_set().unwrap();
    drain(&mut w, &mut max_buffered);
    w.finish().unwrap();
    assert!(max_buffered <= unit + 8 * 1024, "buffered {max_buffered}");
    assert!(
        w.spool().len() > 5000 * 60,
        "FDD entries are in the spool, not the writer"
    );
    assert!(written > 5000 * 1024);
}

/// mtf.md §12: what independent readers need, checked on a `.bkf` we write.
#[test]
fn bkf_layout_follows_the_interop_rules() {
    use tape_format::block::Body;
    use tape_format::ids::{BlockType, StreamId};
    let media = write_family(
        WriterOptions::bkf().family(1),
        &sample_sets(),
        Trigger::default(),
    );
    let data: Vec<u8> = media[0]
        .iter()
        .flat_map(|r| match r {
            Rec::Block(b) => b.clone(),
            Rec::Filemark => Vec::new(),
        })
        .collect();
    let mut order = Vec::new();
    let mut off = 0;
    while off < data.len() {
        let Ok(tape_format::decoded::Decoded::Complete { value, consumed }) =
            tape_format::descriptor::decode_descriptor(&data[off..])
        else {
            panic!(
                "no descriptor at {off} of {}: {:?} {:?}",
                data.len(),
                &data[off..off + 64],
                order
            )
        };
        let h = &value.dblk.header;
        order.push(h.block_type.to_string());
        if h.block_type == BlockType::SFMB {
            assert_eq!(consumed, 1024, "SFMB of FLB size");
        } else {
            assert_eq!(
                value.streams.last().map(|s| s.0.id),
                Some(StreamId::SPAD),
                "{} ends with SPAD",
                h.block_type
            );
            assert_eq!(h.os_id, 14);
            assert_eq!(value.dblk.os_data.len() % 2, 0, "even OS data");
        }
        if matches!(
            h.block_type,
            BlockType::TAPE | BlockType::SSET | BlockType::VOLB | BlockType::DIRB | BlockType::FILE
        ) {
            assert_eq!(h.string_type, tape_format::strings::StringType::Unicode);
        }
        if let Body::Tape(t) = &value.dblk.body {
            assert!(
                t.attributes
                    .contains(tape_format::attrs::TapeAttributes::SOFT_FILEMARK)
            );
        }
        off += consumed.div_ceil(1024) * 1024;
    }
    let text = order.join(" ");
    assert!(text.starts_with("TAPE SFMB SSET VOLB DIRB FILE"), "{text}");
    assert!(text.ends_with("FILE SFMB ESET SFMB"), "{text}");
}
