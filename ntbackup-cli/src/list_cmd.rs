//! `ntbackup list`: the sets and files on media.

use std::process::ExitCode;

use anyhow::Context;
use tape_core::{ReadStatus, TapeDrive};
use tape_format::io::BkfFile;
use tape_format::listing::{Lister, list_media};
use tape_format::reader::{MediaReader, ReaderOptions};

use crate::cli::ListArgs;
use crate::device::TapeSpec;
use crate::exit;

pub(crate) fn run(args: ListArgs) -> anyhow::Result<ExitCode> {
    let Some(spec) = TapeSpec::parse_all(&args.tape)? else {
        anyhow::bail!(
            "say which media to list with --tape file:X.bkf (several, in order, for a family) or --tape vtl:DIR"
        );
    };
    let text = match &spec {
        TapeSpec::File(paths) => {
            let maps = paths
                .iter()
                .map(|p| BkfFile::open(p).with_context(|| format!("opening {}", p.display())))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let media: Vec<&[u8]> = maps.iter().map(BkfFile::bytes).collect();
            list_media(&media)?
        }
        _ => list_drive(spec.open(false)?.as_mut())?,
    };
    out!("{text}");
    Ok(exit::code(exit::SUCCESS))
}

/// Lists the medium in a drive, from its beginning.
fn list_drive(drive: &mut dyn TapeDrive) -> anyhow::Result<String> {
    drive
        .rewind()
        .with_context(|| format!("rewinding {}", drive.name()))?;
    let mut reader = MediaReader::new(ReaderOptions::default());
    let mut lister = Lister::new();
    let mut buf = vec![0u8; 4 << 20];
    loop {
        match drive.read_block(&mut buf)? {
            ReadStatus::Data(n) => {
                let mut input = &buf[..n];
                while !input.is_empty() && !reader.medium_ended() {
                    let step = reader.step(input)?;
                    input = &input[step.consumed..];
                    match step.event {
                        Some(e) => lister.event(&e),
                        None if step.consumed == 0 => break,
                        None => {}
                    }
                }
            }
            ReadStatus::Filemark => lister.event(&reader.filemark()),
            ReadStatus::EndOfData => {
                for e in reader.end_of_data() {
                    lister.event(&e);
                }
                break;
            }
        }
        if reader.medium_ended() {
            break;
        }
    }
    Ok(lister.finish())
}
