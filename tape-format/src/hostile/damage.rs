//! Hostile structure: lengths and offsets far beyond the medium, checksums that lie, media cut
//! inside a header or inside data, a medium offered as its own continuation.

use super::craft::{Craft, RawStream, lxmd, stan_with_csum, utf16};
use super::{Body, Case, Expect};
use crate::ids::StreamId;
use crate::stream::StreamHeader;
use crate::stream::unix::UnixMeta;

/// Deterministic file contents: `len` bytes from `seed`.
pub fn content(seed: usize, len: usize) -> Vec<u8> {
    let mut x = u32::try_from(seed).unwrap_or(0).wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

pub(super) fn huge_lengths(b: &mut Body<'_>, mut next: u16) -> u16 {
    b.craft.dir(&["huge"], None);
    super::paths::good(b, &["huge"], "before", 30);
    // A file claiming 2^64-1 bytes, with ten.
    b.craft.file_raw(
        utf16("huge-size1"),
        u64::MAX,
        &stan_with_csum(b"ten bytes!", None),
    );
    b.expect.refuse("huge-size1", "FILE block says");
    super::paths::good(b, &["huge"], "between", 31);
    // Each liar below swallows the rest of its set: it ends the set.
    let liars: [(&str, RawStream, &str); 3] = [
        (
            "huge-stan2",
            (
                StreamHeader::new(StreamId::STAN, u64::MAX),
                b"ten bytes!".to_vec(),
            ),
            "cut short",
        ),
        (
            "huge-lxmd3",
            {
                let mut s = lxmd(&UnixMeta::default());
                s.0.length = 15 << 20; // under the reader's metadata limit: collected as it comes
                s
            },
            "LXMD stream",
        ),
        (
            "huge-lxmd4",
            {
                let mut s = lxmd(&UnixMeta::default());
                s.0.length = 1 << 40; // over it: passed over as data
                s
            },
            "LXMD stream",
        ),
    ];
    for (name, stream, why) in liars {
        b.craft.dir(&["huge"], None);
        b.craft.file_raw(utf16(name), 10, &[stream]);
        b.expect.refuse(name, why);
        b.next_set(next);
        next += 1;
    }
    // Lengths inside our metadata that point far beyond its end.
    b.craft.dir(&["huge"], None);
    let mut body = UnixMeta::default().encode();
    body[64..68].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes()); // user name length
    let data = content(32, 64);
    let mut streams = vec![(StreamHeader::new(StreamId::LXMD, body.len() as u64), body)];
    streams.extend(stan_with_csum(&data, None));
    b.craft.file_raw(utf16("huge-inner5"), 64, &streams);
    b.expect.file("huge/huge-inner5", &data);
    b.expect.damaged.push("huge-inner5");
    // A name whose TAPE_ADDRESS points 60 KiB past its DBLK.
    let at = b.craft.bytes().len();
    b.craft.file("huge-offset6", b"x", None);
    b.craft.patch(at + 84 + 2, &0xF000u16.to_le_bytes());
    b.expect.damaged.push("FILE.name");
    // A DBLK claiming a 64 KiB region (Offset To First Event): it swallows what follows.
    let at = b.craft.bytes().len();
    b.craft.file("huge-region7", b"x", None);
    b.craft.patch(at + 8, &0xFFFFu16.to_le_bytes());
    b.craft.fix_header_checksum(at);
    b.craft.file("swallowed", &content(33, 70 << 10), None);
    b.expect.refuse("huge-region7", "damaged");
    b.expect.damaged.push("header checksum");
    b.next_set(next);
    next + 1
}

pub(super) fn lying_checksums(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["csum"], None);
    super::paths::good(b, &["csum"], "before", 40);
    let data = content(41, 1000);
    b.craft.file_raw(
        utf16("csum-lie1"),
        data.len() as u64,
        &stan_with_csum(&data, Some(0xDEAD_BEEF)),
    );
    b.expect.refuse("csum-lie1", "checksum");
    // A DBLK header byte changed, its checksum not.
    let at = b.craft.bytes().len();
    b.craft.file("csum-hdr2", b"header", None);
    b.craft.patch(at + 20, &[0x55]);
    b.expect.damaged.push("FILE header checksum");
    b.expect.absent.push("csum/csum-hdr2".into());
    super::paths::good(b, &["csum"], "middle", 42);
    // A stream header byte changed, its checksum not.
    let at = b.craft.bytes().len();
    b.craft.file("csum-stream3", b"stream", None);
    let stan = b.craft.find(at, b"STAN").unwrap_or(at);
    b.craft.patch(stan + 4, &[0x40]);
    b.expect.damaged.push("header checksum");
    b.expect.refuse("csum-stream3", "damaged");
    b.expect.absent.push("csum/csum-stream3".into());
    b.craft.dir(&["csum"], None);
    super::paths::good(b, &["csum"], "after", 43);
    next
}

/// A set with good files and the file `name` of 5000 bytes; returns the medium, the offset of
/// that file's DBLK and of its data.
fn with_victim(family: u32, name: &str, expect: &mut Expect) -> (Vec<u8>, usize, usize) {
    let mut c = Craft::new(family, 1);
    c.begin_set(1);
    c.volume("/");
    let (at, data_at) = victim(&mut c, name, expect);
    (c.finish(), at, data_at)
}

fn victim(c: &mut Craft, name: &str, expect: &mut Expect) -> (usize, usize) {
    c.dir(&["trunc"], None);
    for i in 0..3 {
        let data = content(50 + i, 900 + i * 111);
        c.file(&format!("good-{name}-{i}"), &data, None);
        expect.file(&format!("trunc/good-{name}-{i}"), &data);
    }
    let at = c.bytes().len();
    c.file(name, &content(60, 5000), Some(&UnixMeta::default()));
    let data_at = c.find(at, b"STAN").unwrap_or(at) + 22;
    expect.absent.push(format!("trunc/{name}"));
    expect.incomplete = true;
    (at, data_at)
}

/// Where to cut a medium, from the victim's DBLK offset, its data offset and the medium.
type Cut = fn(usize, usize, &[u8]) -> usize;

/// Media cut inside a DBLK header, a stream header, our metadata, file data.
pub(super) fn truncations(family: u32) -> Vec<Case> {
    let cuts: [(&'static str, &'static str, Cut); 4] = [
        (
            "truncated_mid_header",
            "the medium ends 30 bytes into a FILE header",
            |at, _, _| at + 30,
        ),
        (
            "truncated_mid_stream_header",
            "the medium ends 10 bytes into a stream header",
            |_, data, _| data - 12,
        ),
        (
            "truncated_mid_metadata",
            "the medium ends inside an LXMD stream",
            |_, _, m| {
                let lx = m.windows(4).rposition(|w| w == b"LXMD").unwrap_or(0);
                lx + 40
            },
        ),
        (
            "truncated_mid_data",
            "the medium ends inside a file's data",
            |_, data, _| data + 2500,
        ),
    ];
    cuts.into_iter()
        .enumerate()
        .map(|(i, (name, about, cut))| {
            let mut expect = Expect::default();
            let victim = format!("cut-{i}");
            let (mut m, at, data_at) =
                with_victim(family + u32::try_from(i).unwrap_or(0), &victim, &mut expect);
            let end = cut(at, data_at, &m);
            m.truncate(end);
            if name == "truncated_mid_data" {
                expect.refuse(&victim, "cut short");
            }
            Case {
                name,
                about,
                media: vec![m],
                expect,
            }
        })
        .collect()
}

/// The end of the mixed medium: good files, then a file cut inside its data.
pub(super) fn cut_in_data(c: &mut Craft, expect: &mut Expect) -> Vec<u8> {
    let (_, data_at) = victim(c, "cut-mixed", expect);
    expect.refuse("cut-mixed", "cut short");
    let mut m = c.bytes().to_vec();
    m.truncate(data_at + 2500);
    m
}

/// A medium that ends inside its set, offered again as its own continuation (and a third copy):
/// each offer is refused and the restore ends, the set reported incomplete.
pub(super) fn self_continuation(family: u32) -> Case {
    let mut expect = Expect::default();
    let (mut m, _, data_at) = with_victim(family, "cut-self", &mut expect);
    m.truncate(data_at + 1000);
    expect.refuse("cut-self", "cut short");
    Case {
        name: "self_continuation",
        about: "a medium that ends inside its set, offered as its own continuation",
        media: vec![m.clone(), m.clone(), m],
        expect,
    }
}
