//! The in-guest proof program: runs fill-and-span, read-back, spacing and positioning checks
//! through `StDrive` (`st /dev/nst0`) or `SgDrive` (`sg /dev/sg0`) against the real Linux st
//! and sg drivers over scsi_debug's tape emulation. `tests/kernel/run.sh` builds it statically,
//! boots it in a QEMU guest and reads its output; it also runs on any scratch tape drive.
//!
//! Test data: block `i` has a length between 1 KiB and 8 KiB and carries its number and a
//! check tag in its first 4 bytes; the rest is zero. scsi_debug stores only the length and the
//! first 4 bytes of each block (scsi-tape.md §9.1.1), so this is the richest pattern that a
//! byte-exact comparison can check on it; on a real drive the same comparison holds.
//!
//! Expectations are the `TapeDrive` protocol, never emulator specifics: early warning on the
//! write that crossed it and on every later write, `VolumeOverflow` at the physical end with
//! the refused block absent (or present at most once, truncated or whole, as the last block),
//! filemark then repeated end of data on read-back.
#![allow(clippy::print_stdout)] // A test program: its output is the report run.sh reads.

use std::process::ExitCode;

use tape_core::{BlockAddress, DeviceError, ReadStatus, SpaceStatus, TapeDrive, WriteStatus};
use tape_scsi::{SgDrive, StDrive};

/// Trailer blocks written after early warning (an MTF trailer would be a few).
const TRAILER: u64 = 3;
/// A bound on blocks written in one pass (the emulated tape holds 10,000 objects).
const MAX_BLOCKS: u64 = 2_000_000;

fn block_len(i: u64) -> usize {
    1024 + usize::try_from((i * 517) % 7168).unwrap_or(0)
}

fn block(i: u64) -> Vec<u8> {
    let mut b = vec![0u8; block_len(i)];
    let tag = u32::try_from(i & 0x00ff_ffff).unwrap_or(0) | 0xa5 << 24;
    b[..4].copy_from_slice(&tag.to_be_bytes());
    b
}

struct Report {
    passed: u32,
    failed: u32,
    label: String,
}

impl Report {
    fn check(&mut self, name: &str, result: Result<String, String>) {
        match result {
            Ok(detail) => {
                self.passed += 1;
                println!(
                    "ok - {}: {name}{}",
                    self.label,
                    if detail.is_empty() {
                        String::new()
                    } else {
                        format!(" ({detail})")
                    }
                );
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL - {}: {name}: {why}", self.label);
            }
        }
    }
}

fn e(err: DeviceError) -> String {
    err.to_string()
}

/// Phase 1: write from the beginning until early warning, then a trailer and a filemark.
/// Returns the number of data blocks (trailer included).
fn fill_to_early_warning(d: &mut dyn TapeDrive) -> Result<(u64, String), String> {
    d.rewind().map_err(e)?;
    let mut i = 0;
    loop {
        if i >= MAX_BLOCKS {
            return Err("no early warning".into());
        }
        let st = d
            .write_block(&block(i))
            .map_err(|x| format!("block {i}: {x}"))?;
        i += 1;
        if st == WriteStatus::EarlyWarning {
            break;
        }
    }
    let at_warning = i;
    for _ in 0..TRAILER {
        let st = d
            .write_block(&block(i))
            .map_err(|x| format!("trailer block {i}: {x}"))?;
        if st != WriteStatus::EarlyWarning {
            return Err(format!(
                "trailer block {i} reported {st:?}, not EarlyWarning"
            ));
        }
        i += 1;
    }
    let st = d.write_filemarks(1).map_err(|x| format!("filemark: {x}"))?;
    if st != WriteStatus::EarlyWarning {
        return Err(format!("filemark after early warning reported {st:?}"));
    }
    let pos = d.position().map_err(e)?;
    if pos != BlockAddress(i + 1) {
        return Err(format!("position {pos} after {i} blocks and a filemark"));
    }
    Ok((
        i,
        format!(
            "early warning at block {at_warning}, {TRAILER} trailer blocks and a filemark followed"
        ),
    ))
}

/// Phase 2: from the end of data, write until the physical end. Returns the blocks written.
fn fill_to_physical_end(d: &mut dyn TapeDrive, first: u64) -> Result<(u64, String), String> {
    d.space_to_end_of_data().map_err(e)?;
    let mut i = first;
    loop {
        if i - first >= MAX_BLOCKS {
            return Err("no physical end".into());
        }
        match d.write_block(&block(i)) {
            Ok(WriteStatus::EarlyWarning) => i += 1,
            Ok(WriteStatus::Written) => {
                return Err(format!("block {i} past early warning reported Written"));
            }
            Err(DeviceError::VolumeOverflow { written }) => {
                let again = d.write_block(&block(i + 1));
                if !matches!(again, Err(DeviceError::VolumeOverflow { .. })) {
                    return Err(format!("write after physical end: {again:?}"));
                }
                let fm = d.write_filemarks(1);
                if !matches!(fm, Err(DeviceError::VolumeOverflow { written: 0 })) {
                    return Err(format!("filemark after physical end: {fm:?}"));
                }
                return Ok((
                    i - first,
                    format!(
                        "{} blocks after the filemark, then VolumeOverflow {{ written: {written} }}",
                        i - first
                    ),
                ));
            }
            Err(x) => return Err(format!("block {i}: {x}")),
        }
    }
}

fn expect_block(d: &mut dyn TapeDrive, buf: &mut [u8], i: u64) -> Result<(), String> {
    match d
        .read_block(buf)
        .map_err(|x| format!("reading block {i}: {x}"))?
    {
        ReadStatus::Data(n) if buf[..n] == block(i)[..] => Ok(()),
        ReadStatus::Data(n) => Err(format!(
            "block {i}: {n} bytes differ from the {} written",
            block_len(i)
        )),
        other => Err(format!("block {i}: {other:?}")),
    }
}

/// Phase 3: read everything back byte-exact.
fn read_back(d: &mut dyn TapeDrive, first_file: u64, second_file: u64) -> Result<String, String> {
    d.rewind().map_err(e)?;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..first_file {
        expect_block(d, &mut buf, i)?;
    }
    match d.read_block(&mut buf).map_err(e)? {
        ReadStatus::Filemark => {}
        other => {
            return Err(format!(
                "after {first_file} blocks: {other:?}, not the filemark"
            ));
        }
    }
    for i in first_file..first_file + second_file {
        expect_block(d, &mut buf, i)?;
    }
    // The refused block may appear once as the last block (truncated or whole).
    let mut extra = 0;
    loop {
        match d.read_block(&mut buf).map_err(e)? {
            ReadStatus::EndOfData => break,
            ReadStatus::Data(n)
                if extra == 0 && buf[..n] == block(first_file + second_file)[..n] =>
            {
                extra += 1
            }
            other => return Err(format!("after the last block: {other:?}")),
        }
    }
    for _ in 0..2 {
        let again = d.read_block(&mut buf).map_err(e)?;
        if again != ReadStatus::EndOfData {
            return Err(format!("end of data not repeated: {again:?}"));
        }
    }
    Ok(format!(
        "{} blocks and the filemark byte-exact, end of data repeated",
        first_file + second_file
    ))
}

/// Phase 4: spacing, locating, a block larger than the buffer.
fn positioning(d: &mut dyn TapeDrive, first_file: u64) -> Result<String, String> {
    let mut buf = vec![0u8; 64 * 1024];
    d.rewind().map_err(e)?;
    let s = d.space_filemarks(1).map_err(e)?;
    if s != SpaceStatus::Done || d.position().map_err(e)? != BlockAddress(first_file + 1) {
        return Err(format!("space 1 filemark: {s:?}"));
    }
    expect_block(d, &mut buf, first_file)?;
    let s = d.space_filemarks(1).map_err(e)?;
    if !matches!(s, SpaceStatus::EndOfData { remaining: 1 }) {
        return Err(format!("space past the last filemark: {s:?}"));
    }
    let s = d.space_filemarks(-1).map_err(e)?;
    let pos = d.position().map_err(e)?;
    if s != SpaceStatus::Done || pos != BlockAddress(first_file) {
        return Err(format!("space back 1 filemark: {s:?} at {pos}"));
    }
    let s = d.space_blocks(-2).map_err(e)?;
    if s != SpaceStatus::Done {
        return Err(format!("space back 2 blocks: {s:?}"));
    }
    expect_block(d, &mut buf, first_file - 2)?;
    let s = d.space_blocks(3).map_err(e)?;
    if !matches!(s, SpaceStatus::Filemark { remaining: 2 }) {
        return Err(format!("space 3 blocks over the filemark: {s:?}"));
    }
    d.locate(BlockAddress(100)).map_err(e)?;
    expect_block(d, &mut buf, 100)?;
    d.locate(BlockAddress(7)).map_err(e)?;
    let small = &mut buf[..512];
    match d.read_block(small) {
        Err(DeviceError::BlockTooLarge { .. }) => {}
        other => {
            return Err(format!(
                "block 7 ({} bytes) into 512: {other:?}",
                block_len(7)
            ));
        }
    }
    if d.position().map_err(e)? != BlockAddress(8) {
        return Err("not past the block after BlockTooLarge".into());
    }
    match d.locate(BlockAddress(20_000)) {
        Err(DeviceError::BeyondEndOfData { .. }) => {}
        other => return Err(format!("locate beyond end of data: {other:?}")),
    }
    Ok("space filemarks/blocks both ways, locate, block too large, locate beyond EOD".into())
}

fn run(label: &str, d: &mut dyn TapeDrive) -> Report {
    let mut r = Report {
        passed: 0,
        failed: 0,
        label: label.to_owned(),
    };
    let caps = d.capabilities();
    println!(
        "# {label}: {} block limits {}..={}",
        d.name(),
        caps.min_block,
        caps.max_block
    );
    let first = fill_to_early_warning(d);
    let first_file = first.as_ref().map(|f| f.0).ok();
    r.check(
        "write until early warning, trailer, filemark",
        first.map(|f| f.1),
    );
    let Some(first_file) = first_file else {
        return r;
    };
    let second = fill_to_physical_end(d, first_file);
    let second_file = second.as_ref().map(|s| s.0).ok();
    r.check("write until physical end", second.map(|s| s.1));
    let Some(second_file) = second_file else {
        return r;
    };
    r.check(
        "rewind and read back",
        read_back(d, first_file, second_file),
    );
    r.check("positioning", positioning(d, first_file));
    r
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kind), Some(path)) = (args.get(1), args.get(2)) else {
        println!("usage: kernel-proof st|sg DEVICE");
        return ExitCode::from(2);
    };
    let label = format!("{kind} {path}");
    let report = match kind.as_str() {
        "st" => StDrive::open(path).map(|mut d| run(&label, &mut d)),
        "sg" => SgDrive::open(path).map(|mut d| run(&label, &mut d)),
        _ => {
            println!("unknown transport {kind}");
            return ExitCode::from(2);
        }
    };
    let report = report.unwrap_or_else(|err| {
        println!("FAIL - {label}: open: {err}");
        Report {
            passed: 0,
            failed: 1,
            label,
        }
    });
    println!(
        "{}: {} passed, {} failed",
        report.label, report.passed, report.failed
    );
    if report.failed == 0 && report.passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
