//! The MTF codec on its hot paths: framing file data into tape blocks, and scanning a large
//! `.bkf` (reading every block, verifying checksums, delivering file data without copying).
#![allow(clippy::expect_used, missing_docs)] // a benchmark aborts on setup failure

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ntbackup_benches::random_bytes;
use tape_format::reader::{Event, MediaReader, ReaderOptions};
use tape_format::writer::{
    DirectoryInfo, FileInfo, MediaWriter, MediumInfo, Output, SetInfo, StreamInfo, VolumeInfo,
    WriterOptions,
};

const FILE: usize = 1 << 20;
const FILES: usize = 64;

/// Writes FILES files of FILE bytes as one set; returns the medium and the bytes of file data.
fn build(opts: WriterOptions, data: &[u8]) -> (Vec<u8>, u64) {
    let mut w = MediaWriter::new_in_memory(opts).expect("writer");
    let mut out = Vec::new();
    let drain = |w: &mut MediaWriter, out: &mut Vec<u8>| {
        while let Some(o) = w.poll().expect("poll") {
            if let Output::Block(b) = o {
                out.extend_from_slice(b);
            }
            w.complete(tape_format::writer::Outcome::Written)
                .expect("complete");
        }
    };
    w.start_medium(MediumInfo::default(), 1).expect("medium");
    drain(&mut w, &mut out);
    w.begin_set(SetInfo::default()).expect("set");
    drain(&mut w, &mut out);
    w.volume(VolumeInfo {
        device: "/".into(),
        ..VolumeInfo::default()
    })
    .expect("volume");
    drain(&mut w, &mut out);
    w.directory(DirectoryInfo {
        path: vec!["bench".into()],
        ..DirectoryInfo::default()
    })
    .expect("dir");
    drain(&mut w, &mut out);
    for i in 0..FILES {
        w.begin_file(FileInfo {
            name: format!("f{i}"),
            size: FILE as u64,
            ..FileInfo::default()
        })
        .expect("file");
        drain(&mut w, &mut out);
        w.begin_stream(StreamInfo::stan(FILE as u64))
            .expect("stream");
        let mut rest = data;
        while !rest.is_empty() {
            drain(&mut w, &mut out);
            let n = w.write_data(rest).expect("data");
            rest = &rest[n..];
        }
        drain(&mut w, &mut out);
        w.end_stream().expect("end stream");
        drain(&mut w, &mut out);
    }
    w.end_set().expect("end set");
    drain(&mut w, &mut out);
    w.finish().expect("finish");
    drain(&mut w, &mut out);
    (out, (FILE * FILES) as u64)
}

fn scan(medium: &[u8]) -> u64 {
    let mut r = MediaReader::new(ReaderOptions::default());
    let mut data = 0u64;
    let mut pos = 0;
    while pos < medium.len() {
        let step = r.step(&medium[pos..]).expect("step");
        pos += step.consumed;
        match step.event {
            Some(Event::Data(d)) => data += d.len() as u64,
            Some(_) => {}
            None if step.consumed == 0 => break,
            None => {}
        }
    }
    data
}

fn bench(c: &mut Criterion) {
    let data = random_bytes(FILE, 7);
    let mut group = c.benchmark_group("mtf");
    group.sample_size(10);
    group.throughput(Throughput::Bytes((FILE * FILES) as u64));
    group.bench_function("encode 64 MiB into 256 KiB tape blocks", |b| {
        b.iter(|| build(WriterOptions::default(), &data))
    });
    group.bench_function("encode 64 MiB into a .bkf (1 MiB writes)", |b| {
        b.iter(|| build(WriterOptions::bkf(), &data))
    });
    let (bkf, bytes) = build(WriterOptions::bkf(), &data);
    assert_eq!(
        scan(&bkf),
        bytes,
        "the scan delivers every byte of file data"
    );
    group.throughput(Throughput::Bytes(bkf.len() as u64));
    group.bench_function("scan a 64 MiB .bkf", |b| b.iter(|| scan(&bkf)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
