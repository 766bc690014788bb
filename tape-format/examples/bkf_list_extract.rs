//! Writing, listing and extracting a `.bkf` with `tape-format` alone: no drive, no engine.
//!
//! 1. A small data set (one directory, two files) is framed by the sans-IO
//!    [`MediaWriter`](tape_format::writer::MediaWriter) and written to a `.bkf` file through
//!    [`WriteAdapter`](tape_format::io::WriteAdapter) (soft filemarks, 1 KiB blocks: the layout
//!    NTBackup gives `.bkf` files).
//! 2. The file is mapped with [`BkfFile`](tape_format::io::BkfFile) and listed.
//! 3. Its events are walked to extract every file's `STAN` (standard data) stream into a
//!    directory, checking each stream's `CSUM`; the extracted bytes must equal the originals.
//!
//! Run it with `cargo run -p tape-format --example bkf_list_extract`. Any `.bkf` written by
//! NTBackup (or by `ntbackup backup … --tape file:X.bkf`) can be given as an argument instead:
//! it is then listed and extracted into a temporary directory.
#![allow(clippy::print_stdout)] // an example reports on standard output

use std::collections::BTreeMap;
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use tape_format::ids::StreamId;
use tape_format::io::{BkfFile, WriteAdapter};
use tape_format::reader::{ChecksumStatus, Event};
use tape_format::writer::{
    DirectoryInfo, FileInfo, MediaWriter, MediumInfo, SetInfo, StreamInfo, VolumeInfo,
    WriterOptions,
};

/// The files of the demo set: (directory, name, contents).
fn demo_files() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    vec![
        ("docs", "hello.txt", b"hello, tape\n".to_vec()),
        ("docs", "pattern.bin", big),
    ]
}

/// Writes the demo set as a one-medium `.bkf`.
fn write_bkf(path: &Path) -> Result<(), Box<dyn Error>> {
    let writer = MediaWriter::new_in_memory(WriterOptions::bkf().family(0x0bad_cafe))?;
    let mut out = WriteAdapter::new(writer, fs::File::create(path)?);
    // Every input call is followed by drain(): the writer holds one output unit at most.
    out.writer().start_medium(
        MediumInfo {
            name: "example.bkf".into(),
            ..MediumInfo::default()
        },
        1,
    )?;
    out.drain()?;
    out.writer().begin_set(SetInfo {
        set_number: 1,
        name: "Set 1".into(),
        ..SetInfo::default()
    })?;
    out.drain()?;
    out.writer().volume(VolumeInfo {
        device: "C:".into(),
        ..VolumeInfo::default()
    })?;
    out.drain()?;
    out.writer().directory(DirectoryInfo {
        path: vec!["docs".into()],
        ..DirectoryInfo::default()
    })?;
    out.drain()?;
    for (_, name, data) in demo_files() {
        out.writer().begin_file(FileInfo {
            name: name.into(),
            size: data.len() as u64,
            ..FileInfo::default()
        })?;
        out.drain()?;
        out.writer()
            .begin_stream(StreamInfo::stan(data.len() as u64))?;
        out.write_stream_data(&data)?;
        out.writer().end_stream()?; // appends the CSUM stream
        out.drain()?;
    }
    out.writer().end_set()?;
    out.finish()?;
    Ok(())
}

/// Extracts the `STAN` stream of every file under `to`; returns path → bytes written.
fn extract(bkf: &BkfFile, to: &Path) -> Result<BTreeMap<PathBuf, usize>, Box<dyn Error>> {
    let mut extracted = BTreeMap::new();
    let mut current: Option<PathBuf> = None; // the file whose streams follow
    let mut open: Option<(PathBuf, Vec<u8>)> = None; // its STAN stream, while it is read
    for event in bkf.events() {
        match event? {
            Event::File(file) => {
                // MtfPath: device, directory components, name. Keep the components only, and
                // never a path that could leave `to` (a medium is untrusted input).
                current = (!file.path.has_hostile_component())
                    .then(|| file.path.components.iter().collect());
            }
            Event::Directory(_) => current = None,
            Event::StreamStart { header, .. } if header.id == StreamId::STAN => {
                open = current.clone().map(|p| (p, Vec::new()));
            }
            Event::Data(bytes) => {
                if let Some((_, buf)) = &mut open {
                    buf.extend_from_slice(bytes);
                }
            }
            Event::StreamEnd { id, checksum, .. } if id == StreamId::STAN => {
                if let Some((path, data)) = open.take() {
                    if let ChecksumStatus::Mismatch { stored, computed } = checksum {
                        return Err(format!(
                            "{}: CSUM {stored:08x} stored, {computed:08x} computed",
                            path.display()
                        )
                        .into());
                    }
                    let target = to.join(&path);
                    if let Some(dir) = target.parent() {
                        fs::create_dir_all(dir)?;
                    }
                    fs::write(&target, &data)?;
                    extracted.insert(path, data.len());
                }
            }
            _ => {}
        }
    }
    Ok(extracted)
}

fn main() -> Result<(), Box<dyn Error>> {
    let tmp = tempfile::tempdir()?;
    let given = std::env::args_os().nth(1).map(PathBuf::from);
    let path = given
        .clone()
        .unwrap_or_else(|| tmp.path().join("example.bkf"));
    if given.is_none() {
        write_bkf(&path)?;
    }

    let bkf = BkfFile::open(&path)?;
    println!("{}", bkf.listing()?);

    let out = tmp.path().join("extracted");
    let extracted = extract(&bkf, &out)?;
    for (path, len) in &extracted {
        println!("extracted {} ({len} bytes)", path.display());
    }
    if given.is_none() {
        let files = demo_files();
        assert_eq!(extracted.len(), files.len(), "every file is extracted");
        for (dir, name, data) in files {
            let back = fs::read(out.join(dir).join(name))?;
            assert_eq!(back, data, "{dir}/{name} extracted exactly");
        }
        println!("ok: {} files extracted byte for byte", extracted.len());
    }
    Ok(())
}
