//! Descriptor-block rules checked on whole written media: FLAs, Control Block IDs, layout.

use crate::harness::*;
use tape_format::attrs::BlockAttributes;
use tape_format::block::{Body, Dblk, decode_dblk, looks_like_header};
use tape_format::decoded::Decoded;
use tape_format::ids::BlockType;
use tape_format::writer::WriterOptions;

/// Every DBLK found on FLB boundaries of a medium's data (filemarks dropped), with its offset.
pub(crate) fn raw_dblks(medium: &[Rec], flb: usize) -> Vec<(usize, Dblk)> {
    let bytes: Vec<u8> = medium
        .iter()
        .filter_map(|r| match r {
            Rec::Block(b) => Some(b.as_slice()),
            Rec::Filemark => None,
        })
        .flatten()
        .copied()
        .collect();
    let mut out = Vec::new();
    let mut off = 0;
    while off + 52 <= bytes.len() {
        if looks_like_header(&bytes[off..])
            && let Ok(Decoded::Complete { value, .. }) = decode_dblk(&bytes[off..])
        {
            out.push((off, value));
        }
        off += flb;
    }
    out
}

/// Seek rule (mtf.md §6.2, Fig. 11): within a medium, a body DBLK's FLA minus its SSET's FLA is
/// its distance in FLBs from that SSET. Control Block IDs: SSET 0, +1 per DBLK, continuation
/// DBLKs repeat their originals, ESET continues the sequence.
fn check_rules(media: &[Vec<Rec>], flb: usize, ctx: &str) {
    for (m, medium) in media.iter().enumerate() {
        let mut sset: Option<(usize, u64)> = None;
        let mut last_cbid: Option<u32> = None;
        let mut after_cont = false;
        for (off, d) in raw_dblks(medium, flb) {
            let h = &d.header;
            let cont = h.attributes.contains(BlockAttributes::CONTINUATION);
            match h.block_type {
                BlockType::TAPE | BlockType::EOTM => {
                    assert_eq!((h.fla, h.cbid), (0, 0), "{ctx} m{m} @{off}")
                }
                BlockType::SFMB => assert_eq!(h.fla as usize, off / flb, "{ctx} SFMB FLA = PBA"),
                BlockType::SSET => {
                    assert_eq!(h.cbid, 0, "{ctx}");
                    if !cont {
                        assert_eq!(h.fla, 0, "{ctx} m{m} @{off}");
                    }
                    if let Body::Sset(s) = &d.body {
                        assert_eq!(
                            s.pba as usize * flb,
                            off,
                            "{ctx} SSET PBA (physical = FLB here)"
                        );
                    }
                    sset = Some((off, h.fla));
                    last_cbid = Some(0);
                    after_cont = cont;
                }
                BlockType::ESET => {
                    assert_eq!(h.fla, 0, "{ctx}");
                    if let Some(c) = last_cbid {
                        assert!(h.cbid > c || cont, "{ctx} ESET CBID {} after {c}", h.cbid);
                    }
                }
                _ => {
                    let (s_off, s_fla) = sset.expect("body DBLK without SSET");
                    assert_eq!(
                        h.fla - s_fla,
                        ((off - s_off) / flb) as u64,
                        "{ctx} m{m} FLA of {} @{off}",
                        h.block_type
                    );
                    if let Some(c) = last_cbid
                        && !cont
                    {
                        if after_cont {
                            assert!(h.cbid > c, "{ctx} m{m} CBID of {} @{off}", h.block_type);
                        } else {
                            assert_eq!(h.cbid, c + 1, "{ctx} m{m} CBID of {} @{off}", h.block_type);
                        }
                    }
                    after_cont = cont;
                    last_cbid = Some(h.cbid.max(last_cbid.unwrap_or(0)));
                }
            }
        }
    }
}

#[test]
fn fla_and_cbid_rules_hold_at_every_split() {
    // Physical block = FLB so that PBAs are FLB indexes.
    for (name, opts) in [
        (
            "tape512",
            WriterOptions::default().sizes(512, 512, 512).family(1),
        ),
        (
            "bkf",
            WriterOptions::bkf()
                .sizes(1024, 1024, 1024)
                .family(2)
                .with_catalog(true),
        ),
    ] {
        let flb = usize::from(opts.flb_size);
        let n = write_family(opts.clone(), &sample_sets(), Trigger::default())[0].len();
        for k in 0..n {
            for overflow in [false, true] {
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
                let media = write_family(opts.clone(), &sample_sets(), trigger);
                check_rules(&media, flb, &format!("{name} k={k} overflow={overflow}"));
            }
        }
    }
}

#[test]
fn span_inside_data_follows_figure_9() {
    // FLB 512 = physical; the big file's data are split; continuation DBLKs take the FLAs just
    // below the FLA of the split point and the data resume at it.
    let opts = WriterOptions::default().sizes(512, 512, 512).family(3);
    let sets = vec![vec![TFile {
        dir: vec!["d".into()],
        name: "big".into(),
        data: content(9, 20_000),
        unix: None,
    }]];
    let media = write_family(
        opts,
        &sets,
        Trigger {
            ew_at: Some(12),
            ..Trigger::default()
        },
    );
    assert_eq!(media.len(), 2);
    let m2 = raw_dblks(&media[1], 512);
    let conts: Vec<(BlockType, u64, usize)> = m2
        .iter()
        .filter(|(_, d)| {
            d.header.attributes.contains(BlockAttributes::CONTINUATION)
                && d.header.block_type != BlockType::TAPE
        })
        .map(|(o, d)| (d.header.block_type, d.header.fla, *o))
        .collect();
    let types: Vec<BlockType> = conts.iter().map(|c| c.0).collect();
    assert_eq!(
        types,
        [
            BlockType::SSET,
            BlockType::VOLB,
            BlockType::DIRB,
            BlockType::FILE
        ]
    );
    // Medium 1 holds 13 outputs: TAPE block, filemark, then 11 blocks of the set (FLAs 0..=10).
    let fla_span = 11;
    for (i, (_, fla, _)) in conts.iter().enumerate() {
        assert_eq!(*fla, fla_span - 4 + i as u64, "Fig. 9 rule");
    }
    let back = read_family(&media);
    assert_eq!(back.files, sets.concat());
    assert_eq!(back.damaged, Vec::<String>::new());
}

/// Shape of a continuation medium: its DBLKs after the TAPE (continuation flag `*`,
/// `MTF_EOS_AT_EOM` `!`) and the first stream of each (`~` = `STREAM_CONTINUE`).
fn shape(medium: &[Rec], flb: usize) -> String {
    let bytes: Vec<u8> = medium
        .iter()
        .filter_map(|r| {
            if let Rec::Block(b) = r {
                Some(b.clone())
            } else {
                None
            }
        })
        .flatten()
        .collect();
    let mut out = Vec::new();
    for (off, d) in raw_dblks(medium, flb).into_iter().skip(1).take(5) {
        let h = &d.header;
        let mut s = h.block_type.to_string();
        if h.attributes.contains(BlockAttributes::CONTINUATION) {
            s.push('*');
        }
        if h.attributes.contains(BlockAttributes::EOS_AT_EOM) {
            s.push('!');
        }
        let at = off + usize::from(h.first_event);
        if let Some(Ok(Decoded::Complete { value, .. })) = bytes
            .get(at..)
            .map(tape_format::stream::StreamHeader::decode)
            && value.id != tape_format::ids::StreamId::SPAD
        {
            s.push_str(&format!(
                "({}{})",
                value.id,
                if value.is_continuation() { "~" } else { "" }
            ));
        }
        out.push(s);
    }
    out.join(" ")
}

#[test]
fn every_end_of_medium_case_is_produced() {
    use std::collections::BTreeSet;
    let mut shapes = BTreeSet::new();
    for catalog in [false, true] {
        let opts = WriterOptions::default()
            .sizes(512, 512, 512)
            .family(9)
            .with_catalog(catalog);
        let n = write_family(opts.clone(), &sample_sets(), Trigger::default())[0].len();
        for k in 1..n {
            let media = write_family(
                opts.clone(),
                &sample_sets(),
                Trigger {
                    ew_at: Some(k),
                    ..Trigger::default()
                },
            );
            if media.len() > 1 {
                shapes.insert(shape(&media[1], 512));
            }
        }
    }
    let has = |prefix: &str| {
        let want: Vec<&str> = prefix.split(' ').collect();
        shapes
            .iter()
            .any(|s| s.split(' ').take(want.len()).eq(want.iter().copied()))
    };
    let cases = [
        ("a: after SSET", "SSET* VOLB"),
        ("b: after VOLB", "SSET* VOLB* DIRB"),
        ("c: after DIRB", "SSET* VOLB* DIRB* FILE(STAN)"),
        ("f: after a whole file", "SSET* VOLB* DIRB* DIRB"),
        (
            "d/e: inside a file's data",
            "SSET* VOLB* DIRB* FILE*(STAN~)",
        ),
        ("g/h: end of set before the ESET", "SSET*! ESET SSET"),
        (
            "i/j: between sets (ESET already written)",
            "SSET*! ESET* SSET",
        ),
        (
            "k: after the first ESET, FDD not started",
            "SSET*! ESET*(TFDD)",
        ),
        ("l: inside the FDD", "SSET*! ESET*(TFDD~)"),
        (
            "g/h with catalog: FDD written in full on the new medium",
            "SSET*! ESET(TFDD)",
        ),
        ("m-q: Set Map rewritten whole", "SSET*! ESET*(TSMP)"),
    ];
    for (case, prefix) in cases {
        assert!(
            has(prefix),
            "case {case} not produced; shapes:\n{}",
            shapes.iter().cloned().collect::<Vec<_>>().join("\n")
        );
    }
}
