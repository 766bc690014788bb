//! A simulated tape drive and a test job: drives a `MediaWriter` through whole families with
//! early warning or physical end at chosen places, and reads them back with a `MediaReader`.

use tape_format::attrs::SetAttributes;
use tape_format::reader::{ChecksumStatus, Event, MediaReader, ReaderOptions};
use tape_format::stream::unix::{UnixFileType, UnixMeta, UnixTime};
use tape_format::writer::{
    DirectoryInfo, FileInfo, MediaWriter, MediumInfo, Outcome, Output, SetInfo, StreamInfo,
    VolumeInfo, WriterOptions,
};

/// One record on a simulated tape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rec {
    Block(Vec<u8>),
    Filemark,
}

/// Where the simulated drive reports early warning / physical end.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Trigger {
    /// Output index (blocks and filemarks counted together) on medium 1 that gets EarlyWarning.
    pub(crate) ew_at: Option<usize>,
    /// Output index on medium 1 that overflows (is not written).
    pub(crate) overflow_at: Option<usize>,
    /// Apply the trigger on every medium (not only the first).
    pub(crate) every_medium: bool,
    /// The drive reports Overflow but the block did reach the medium (duplicates on re-framing).
    pub(crate) overflow_written: bool,
    /// This medium (1-based, counting every medium offered) refuses its very first output.
    pub(crate) dead_medium: Option<usize>,
    /// `(medium, index)`: that output of that medium (1-based, counting every medium offered)
    /// overflows.
    pub(crate) overflow_on: Option<(usize, usize)>,
    /// `(medium, index)`: that output of that medium reports early warning.
    pub(crate) ew_on: Option<(usize, usize)>,
    /// For media 1, 2 and 3 (counting every medium offered): the output that reports early
    /// warning, or physical end with `true`.
    pub(crate) on_media: [Option<(usize, bool)>; 3],
}

/// The simulated family.
#[derive(Debug, Default)]
pub(crate) struct Drive {
    pub(crate) media: Vec<Vec<Rec>>,
    pub(crate) trigger: Trigger,
}

impl Drive {
    fn outcome(&self, index: usize) -> Outcome {
        let m = self.media.len();
        if self.trigger.dead_medium == Some(m) && index == 0 {
            return Outcome::Overflow;
        }
        if self.trigger.overflow_on == Some((m, index)) {
            return Outcome::Overflow;
        }
        if self.trigger.ew_on == Some((m, index)) {
            return Outcome::EarlyWarning;
        }
        match self.trigger.on_media.get(m.wrapping_sub(1)) {
            Some(Some((k, true))) if *k == index => return Outcome::Overflow,
            Some(Some((k, false))) if *k == index => return Outcome::EarlyWarning,
            _ => {}
        }
        if m > 1 && !self.trigger.every_medium {
            return Outcome::Written;
        }
        if m > 6 {
            return Outcome::Written;
        }
        if self.trigger.overflow_at == Some(index) {
            return Outcome::Overflow;
        }
        if self.trigger.ew_at == Some(index) {
            return Outcome::EarlyWarning;
        }
        Outcome::Written
    }

    /// Executes all pending outputs; returns true if the medium must be changed.
    pub(crate) fn drain(&mut self, w: &mut MediaWriter) -> bool {
        loop {
            if w.needs_medium() {
                return true;
            }
            let out = w.poll().unwrap();
            let Some(out) = out else { return false };
            let medium = self.media.last_mut().unwrap();
            let index = medium.len();
            let rec = match out {
                Output::Block(b) => Rec::Block(b.to_vec()),
                Output::Filemark => Rec::Filemark,
            };
            let outcome = self.outcome(index);
            if outcome != Outcome::Overflow || self.trigger.overflow_written {
                self.media.last_mut().unwrap().push(rec);
            }
            w.complete(outcome).unwrap();
            if outcome == Outcome::EarlyWarning {
                return true;
            }
        }
    }

    /// Drains, handling end of medium as often as needed.
    pub(crate) fn pump(&mut self, w: &mut MediaWriter) {
        while self.drain(w) {
            if !w.needs_medium() {
                w.end_of_medium().unwrap();
                // EW during the EOTM sequence is ignored by the writer.
                while let Some(out) = w.poll().unwrap() {
                    let rec = match out {
                        Output::Block(b) => Rec::Block(b.to_vec()),
                        Output::Filemark => Rec::Filemark,
                    };
                    self.media.last_mut().unwrap().push(rec);
                    w.complete(Outcome::Written).unwrap();
                }
            }
            assert!(w.needs_medium());
            self.media.push(Vec::new());
            w.continue_on_new_medium(medium_info()).unwrap();
        }
    }
}

pub(crate) fn medium_info() -> MediumInfo {
    MediumInfo {
        name: "test medium".into(),
        ..MediumInfo::default()
    }
}

/// A file of the test job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TFile {
    pub(crate) dir: Vec<String>,
    pub(crate) name: String,
    pub(crate) data: Vec<u8>,
    pub(crate) unix: Option<UnixMeta>,
}

/// Deterministic test content.
pub(crate) fn content(seed: u32, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// A small job: two sets, a few directories and files of awkward sizes.
pub(crate) fn sample_sets() -> Vec<Vec<TFile>> {
    let f = |d: &[&str], n: &str, seed: u32, len: usize, unix: bool| TFile {
        dir: d.iter().map(|s| s.to_string()).collect(),
        name: n.into(),
        data: content(seed, len),
        unix: unix.then(|| UnixMeta {
            file_type: UnixFileType::Regular,
            mode: 0o100_644,
            uid: 1000,
            gid: 1000,
            user: b"user".to_vec(),
            mtime: UnixTime {
                secs: 1_700_000_000,
                nanos: 123,
            },
            name: n.as_bytes().to_vec(),
            ..UnixMeta::default()
        }),
    };
    vec![
        vec![
            f(&[], "a.txt", 1, 13, false),
            f(&[], "empty", 2, 0, true),
            f(&["d1"], "b.bin", 3, 3000, true),
            f(&["d1"], "c.bin", 4, 1002, false),
            f(&["d1", "d2"], "d.bin", 5, 5000, true),
        ],
        vec![
            f(&["x"], "e.bin", 6, 2500, false),
            f(&["x"], "f.bin", 7, 1, true),
        ],
    ]
}

/// A file of `len` bytes, then `more` files in a directory whose long names have `pad` more
/// characters (the last one `last` more again): a few physical blocks of FDD with a catalog.
pub(crate) fn alignment_job(len: usize, more: u32, pad: usize, last: usize) -> Vec<Vec<TFile>> {
    let mut set = vec![TFile {
        dir: vec![],
        name: "a".into(),
        data: content(len as u32, len),
        unix: None,
    }];
    set.extend((0..more).map(|i| TFile {
        dir: vec!["dir".into()],
        name: format!(
            "file-with-a-long-name-{i}-{}",
            "x".repeat(pad + if i + 1 == more { last } else { 0 })
        ),
        data: content(i, 40 * i as usize),
        unix: None,
    }));
    vec![set]
}

/// Offset on the medium where each record ends.
pub(crate) fn record_ends(medium: &[Rec]) -> Vec<usize> {
    medium
        .iter()
        .scan(0, |end, r| {
            if let Rec::Block(b) = r {
                *end += b.len();
            }
            Some(*end)
        })
        .collect()
}

/// Writes `sets` as one family.
pub(crate) fn write_family(
    opts: WriterOptions,
    sets: &[Vec<TFile>],
    trigger: Trigger,
) -> Vec<Vec<Rec>> {
    let mut w = MediaWriter::new_in_memory(opts).unwrap();
    let mut d = Drive {
        media: vec![Vec::new()],
        trigger,
    };
    w.start_medium(medium_info(), 1).unwrap();
    d.pump(&mut w);
    for (i, set) in sets.iter().enumerate() {
        let info = SetInfo {
            backup_type: SetAttributes::NORMAL,
            set_number: u16::try_from(i + 1).unwrap(),
            name: format!("set {}", i + 1),
            ..SetInfo::default()
        };
        w.begin_set(info).unwrap();
        d.pump(&mut w);
        w.volume(VolumeInfo {
            device: "C:".into(),
            machine: "host".into(),
            ..VolumeInfo::default()
        })
        .unwrap();
        d.pump(&mut w);
        let mut cur_dir: Option<Vec<String>> = None;
        for file in set {
            if cur_dir.as_ref() != Some(&file.dir) {
                w.directory(DirectoryInfo {
                    path: file.dir.clone(),
                    ..DirectoryInfo::default()
                })
                .unwrap();
                d.pump(&mut w);
                cur_dir = Some(file.dir.clone());
            }
            let info = FileInfo {
                name: file.name.clone(),
                size: file.data.len() as u64,
                unix: file.unix.clone(),
                ..FileInfo::default()
            };
            w.begin_file(info).unwrap();
            d.pump(&mut w);
            w.begin_stream(StreamInfo::stan(file.data.len() as u64))
                .unwrap();
            d.pump(&mut w);
            let mut rest = &file.data[..];
            while !rest.is_empty() {
                let n = w.write_data(rest).unwrap();
                rest = &rest[n..];
                d.pump(&mut w);
            }
            w.end_stream().unwrap();
            d.pump(&mut w);
        }
        w.end_set().unwrap();
        d.pump(&mut w);
    }
    w.finish().unwrap();
    d.media
}

/// What the reader saw, flattened.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ReadBack {
    pub(crate) files: Vec<TFile>,
    pub(crate) sets: Vec<u16>,
    pub(crate) set_ends: usize,
    pub(crate) checksums_ok: usize,
    pub(crate) damaged: Vec<String>,
    pub(crate) fdd: usize,
    pub(crate) set_maps: usize,
    pub(crate) media_seen: Vec<u16>,
    pub(crate) flas: Vec<(String, u64)>,
    /// Set Maps read on the last medium.
    pub(crate) last_medium_set_maps: usize,
    /// Set numbers of the last Set Map's entries.
    pub(crate) last_set_map: Vec<u16>,
}

/// Reads a family back, in order.
pub(crate) fn read_family(media: &[Vec<Rec>]) -> ReadBack {
    let mut r = MediaReader::new(ReaderOptions::default());
    let mut out = ReadBack::default();
    let mut cur: Option<TFile> = None;
    let mut dir: Vec<String> = Vec::new();
    for (i, medium) in media.iter().filter(|m| !m.is_empty()).enumerate() {
        if i > 0 {
            r.next_medium();
        }
        let maps_before = out.set_maps;
        for rec in medium {
            match rec {
                Rec::Filemark => {
                    let e = r.filemark();
                    handle(e, &mut out, &mut cur, &mut dir);
                }
                Rec::Block(b) => {
                    let mut k = 0;
                    loop {
                        if r.medium_ended() {
                            break;
                        }
                        let s = r.step(&b[k..]).unwrap();
                        k += s.consumed;
                        match s.event {
                            Some(e) => handle(e, &mut out, &mut cur, &mut dir),
                            None if s.consumed == 0 => break,
                            None => {}
                        }
                    }
                }
            }
        }
        for e in r.end_of_data() {
            handle(e, &mut out, &mut cur, &mut dir);
        }
        out.last_medium_set_maps = out.set_maps - maps_before;
    }
    if let Some(f) = cur.take() {
        out.files.push(f);
    }
    out
}

fn handle(e: Event<'_>, out: &mut ReadBack, cur: &mut Option<TFile>, dir: &mut Vec<String>) {
    if std::env::var("DUMP_EVENTS").is_ok() {
        match &e {
            Event::Data(d) => println!("  data {}", d.len()),
            other => println!("  {other:?}"),
        }
    }
    match e {
        Event::Medium(m) => out.media_seen.push(m.tape.media_sequence),
        Event::SetStart(s) => {
            out.sets.push(s.sset.set_number);
            out.flas.push(("SSET".into(), s.header.fla));
        }
        Event::Directory(d) => {
            *dir = d.path.components.clone();
            out.flas
                .push((format!("DIRB {:?}", d.path.components), d.header.fla));
        }
        Event::File(f) => {
            if let Some(prev) = cur.take() {
                out.files.push(prev);
            }
            out.flas.push((format!("FILE {}", f.name), f.header.fla));
            *cur = Some(TFile {
                dir: dir.clone(),
                name: f.name.clone(),
                data: Vec::new(),
                unix: f.unix.map(|u| u.unwrap()),
            });
        }
        Event::Data(d) => cur
            .as_mut()
            .expect("data without file")
            .data
            .extend_from_slice(d),
        Event::StreamEnd { checksum, .. } => match checksum {
            ChecksumStatus::Verified(_) => out.checksums_ok += 1,
            ChecksumStatus::NotRequested => {}
            other => out.damaged.push(format!("checksum {other:?}")),
        },
        Event::SetEnd(_) => out.set_ends += 1,
        Event::Damaged { error, offset } => out.damaged.push(format!("{error} @ {offset}")),
        Event::FddEntry(_) => out.fdd += 1,
        Event::SetMap(m) => {
            out.set_maps += 1;
            out.last_set_map = m.entries.iter().map(|e| e.set_number).collect();
        }
        _ => {}
    }
}

/// The DBLK headers on a medium, in order: `(offset, type, FLA, Control Block ID, attributes)`,
/// found at every FLB boundary of the medium's bytes (filemarks contribute nothing).
pub(crate) fn dblks(medium: &[Rec], flb: usize) -> Vec<(usize, String, u64, u32, u32)> {
    use tape_format::block::Header;
    use tape_format::decoded::Decoded;
    let data: Vec<u8> = medium
        .iter()
        .flat_map(|r| match r {
            Rec::Block(b) => b.clone(),
            Rec::Filemark => Vec::new(),
        })
        .collect();
    (0..data.len())
        .step_by(flb)
        .filter_map(|off| match Header::decode(&data[off..]) {
            Ok(Decoded::Complete { value: (h, _), .. }) => Some((
                off,
                h.block_type.to_string(),
                h.fla,
                h.cbid,
                h.attributes.bits(),
            )),
            _ => None,
        })
        .collect()
}

/// Header rules of mtf.md §4.11/§6.5 over a whole family, in order: TAPE and EOTM FLA 0, CBID 0;
/// SFMBs numbered 1, 2, … across the family with FLA = own PBA; in each set SSET 0 and every
/// further DBLK +1 (continuation copies repeat an earlier ID), all ESETs of the set the next ID.
/// Returns the violations, and the `(type, FLA, CBID)` of the non-continuation VOLB/DIRB/FILEs.
pub(crate) fn check_ids(
    media: &[Vec<Rec>],
    flb: usize,
    phys: usize,
) -> (Vec<String>, Vec<(String, u64, u32)>) {
    const CONTINUATION: u32 = 1;
    let mut bad = Vec::new();
    let mut objects = Vec::new();
    let mut sfmb = 1;
    let mut next = 0;
    for (m, medium) in media.iter().filter(|m| !m.is_empty()).enumerate() {
        for (off, t, fla, cbid, attrs) in dblks(medium, flb) {
            let cont = attrs & CONTINUATION != 0;
            let here = format!("medium {m} @{off}: {t} FLA {fla} CBID {cbid} attrs {attrs:#x}");
            let ok = match t.as_str() {
                "TAPE" | "EOTM" => fla == 0 && cbid == 0,
                "SFMB" => {
                    let ok = cbid == sfmb && fla == (off / phys) as u64;
                    sfmb += 1;
                    ok
                }
                "SSET" if cont => cbid == 0,
                "SSET" => {
                    next = 1;
                    cbid == 0 && fla == 0
                }
                "ESET" => cbid == next && fla == 0,
                "VOLB" | "DIRB" | "FILE" | "CFIL" | "ESPB" if cont => cbid < next,
                "VOLB" | "DIRB" | "FILE" | "CFIL" | "ESPB" => {
                    let ok = cbid == next;
                    next += 1;
                    if t != "ESPB" {
                        objects.push((t.clone(), fla, cbid));
                    }
                    ok
                }
                // Not a DBLK: stream data that happens to look like a header.
                _ => continue,
            };
            if !ok {
                bad.push(here);
            }
        }
    }
    (bad, objects)
}
