//! `ntbackup tape …`: a drive by hand, in the manner of mt(1).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};

use anyhow::{Context, bail};
use tape_core::{BlockAddress, DriveStatus, ReadStatus, SpaceStatus, TapeDrive, WriteStatus};

use crate::cli::{TapeArgs, TapeOp};
use crate::device::TapeSpec;
use crate::size::show;

pub(crate) fn run(args: TapeArgs) -> anyhow::Result<()> {
    let Some(spec) = args.tape else {
        bail!("say which drive with --tape vtl:DIR (or set NTBACKUP_TAPE)");
    };
    let mut drive = TapeSpec::parse(&spec)?.open(true)?;
    let d = drive.as_mut();
    match args.op {
        TapeOp::Status { json } => {
            let status = d.status()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print_status(d.name(), &status);
            }
        }
        TapeOp::Rewind => d.rewind()?,
        TapeOp::Load => d.load()?,
        TapeOp::Unload => d.unload()?,
        TapeOp::Fsf { count } => space(d.space_filemarks(count)?, "filemarks")?,
        TapeOp::Bsf { count } => space(d.space_filemarks(-count)?, "filemarks")?,
        TapeOp::Fsr { count } => space(d.space_blocks(count)?, "blocks")?,
        TapeOp::Bsr { count } => space(d.space_blocks(-count)?, "blocks")?,
        TapeOp::Eod => d.space_to_end_of_data()?,
        TapeOp::Weof { count } => warn_ew(d.write_filemarks(count)?),
        TapeOp::Tell => outln!("At block {}.", d.position()?),
        TapeOp::Seek { block } => d.locate(BlockAddress(block))?,
        TapeOp::Write {
            input,
            block_size,
            filemark,
        } => write(d, input, block_size, filemark)?,
        TapeOp::Read { output, max_block } => read(d, output, max_block)?,
    }
    Ok(())
}

fn space(status: SpaceStatus, what: &str) -> anyhow::Result<()> {
    match status {
        SpaceStatus::Done => Ok(()),
        SpaceStatus::Filemark { remaining } => {
            bail!("stopped at a filemark with {remaining} {what} to go")
        }
        SpaceStatus::EndOfData { remaining } => {
            bail!("reached the end of data with {remaining} {what} to go")
        }
        SpaceStatus::BeginningOfMedium { remaining } => {
            bail!("reached the beginning of the medium with {remaining} {what} to go")
        }
    }
}

#[allow(clippy::print_stderr)]
fn warn_ew(status: WriteStatus) {
    if status.is_early_warning() {
        eprintln!("ntbackup: warning: the medium is past its early-warning point (nearly full)");
    }
}

#[allow(clippy::disallowed_methods)] // the CLI owns stdin
fn write(
    d: &mut dyn TapeDrive,
    input: Option<std::path::PathBuf>,
    block_size: u64,
    filemark: bool,
) -> anyhow::Result<()> {
    let size = usize::try_from(block_size).context("block size")?;
    d.capabilities().check_block_size(size)?;
    let mut reader: Box<dyn Read> = match &input {
        Some(p) => Box::new(File::open(p).with_context(|| format!("opening {}", p.display()))?),
        None => Box::new(io::stdin().lock()),
    };
    let mut buf = vec![0; size];
    let (mut blocks, mut bytes, mut ew) = (0u64, 0u64, false);
    loop {
        let n = fill(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        ew |= d.write_block(&buf[..n])?.is_early_warning();
        blocks += 1;
        bytes += n as u64;
    }
    if filemark {
        ew |= d.write_filemarks(1)?.is_early_warning();
    }
    outln!(
        "Wrote {blocks} block(s), {}{}",
        show(bytes),
        if filemark { " and a filemark" } else { "" }
    );
    if ew {
        warn_ew(WriteStatus::EarlyWarning);
    }
    Ok(())
}

/// Reads until the buffer is full or the input ends.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[allow(clippy::print_stderr)]
fn read(
    d: &mut dyn TapeDrive,
    output: Option<std::path::PathBuf>,
    max_block: u64,
) -> anyhow::Result<()> {
    let mut out: Box<dyn Write> = match &output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let mut buf = vec![0; usize::try_from(max_block).context("block size")?];
    let (mut blocks, mut bytes) = (0u64, 0u64);
    let end = loop {
        match d.read_block(&mut buf)? {
            ReadStatus::Data(n) => {
                out.write_all(&buf[..n])?;
                blocks += 1;
                bytes += n as u64;
            }
            ReadStatus::Filemark => break "a filemark",
            ReadStatus::EndOfData => break "the end of data",
        }
    };
    out.flush()?;
    eprintln!("Read {blocks} block(s), {}, up to {end}", show(bytes));
    Ok(())
}

fn print_status(name: &str, s: &DriveStatus) {
    outln!("Drive:      {name}");
    let Some(m) = &s.medium else {
        outln!("Medium:     none");
        return;
    };
    let barcode = m
        .barcode
        .as_ref()
        .map_or("(no barcode)".to_owned(), ToString::to_string);
    let kind = match m.kind {
        tape_core::MediumKind::Cleaning => "cleaning cartridge",
        _ => "data cartridge",
    };
    outln!(
        "Medium:     {barcode}, {kind}{}",
        if m.blank == Some(true) { ", blank" } else { "" }
    );
    outln!(
        "Protected:  {}",
        if m.write_protected {
            "yes (write-protect tab set)"
        } else {
            "no"
        }
    );
    match &s.not_ready_reason {
        None => outln!("Ready:      yes"),
        Some(r) => outln!("Ready:      no: {r}"),
    }
    if let Some(p) = &s.position {
        let mut flags = Vec::new();
        if p.at_beginning {
            flags.push("BOT");
        }
        if p.beyond_early_warning {
            flags.push("EW");
        }
        if p.at_end_of_data {
            flags.push("EOD");
        }
        let file = p.file.map(|f| format!(", file {f}")).unwrap_or_default();
        let bif = p
            .block_in_file
            .map(|b| format!(", block {b} in file"))
            .unwrap_or_default();
        outln!("Position:   block {}{file}{bif}", p.block);
        outln!(
            "Flags:      {}",
            if flags.is_empty() {
                "-".to_owned()
            } else {
                flags.join(" ")
            }
        );
    } else if s.ready {
        outln!("Position:   unknown (rewind or load first)");
    }
    if let Some(c) = &m.capacity {
        outln!(
            "Capacity:   {} used of {}, {} free; early warning {} before the end",
            show(c.used),
            show(c.total),
            show(c.remaining()),
            show(c.early_warning)
        );
    }
    if let Some(n) = &m.notice {
        outln!("Notice:     {n}");
    }
}
