//! `ntbackup catalog rebuild` (recreate the catalog from the tapes alone) and `ntbackup catalog
//! list` (the sets it knows, with the ids `restore` takes).

use std::process::ExitCode;

use anyhow::{Context, bail};
use backup_engine::catalog::{Catalog, SetRecord, process_alive};
use backup_engine::policy::{AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain};
use backup_engine::rebuild::{
    Ending, FamilySummary, Method, RebuildContext, RebuildJob, RebuildMedia, RebuildReport,
    run_rebuild,
};
use backup_engine::{Detail, SystemClock};
use clap::{Args, Subcommand};
use tape_core::{MediaChanger, VolumeTag};

use crate::device::{TapeSpec, open_changer};
use crate::log::Console;
use crate::size::show;
use crate::{exit, home};

/// `ntbackup catalog …`
#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// Recreate the catalog from the tapes alone: from each family's own tape catalog where it
    /// has one, else by reading every block (also .bkf files written by other programs).
    Rebuild(RebuildArgs),
    /// List the backup sets in the catalog, with the ids `restore` takes.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RebuildArgs {
    /// What to read, repeatable: a cartridge's barcode (loaded by the changer), .bkf files
    /// (file:X.bkf or a path ending in .bkf, a family's media in order), or a drive
    /// (vtl:DIR[#N], /dev/nstN, sg:/dev/sgN). Without it: every cartridge the changer reaches
    /// (all those of the embedded virtual library by default).
    #[arg(long)]
    pub(crate) tape: Vec<String>,
    /// The changer: vtl:DIR, /dev/sgN or "script:COMMAND [CHANGER-DEVICE]" [default: the
    /// drive's library for vtl:, the embedded library when no drive is named].
    #[arg(long)]
    pub(crate) changer: Option<String>,
    /// The drive's number in the changer, when --tape does not say.
    #[arg(long, default_value_t = 0)]
    pub(crate) drive_index: u16,
    /// Read every block even where a family has its own tape catalog.
    #[arg(long)]
    pub(crate) scan: bool,
    /// Log every medium and set in detail.
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only the sets of this media family (hexadecimal, as printed).
    #[arg(long, value_parser = family)]
    pub(crate) family: Option<u32>,
}

fn family(text: &str) -> Result<u32, String> {
    let t = text.trim_start_matches("0x").trim_start_matches("0X");
    u32::from_str_radix(t, 16).map_err(|e| format!("{text:?} is not a family ID: {e}"))
}

pub(crate) fn run(cmd: CatalogCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CatalogCommand::Rebuild(args) => rebuild(&args),
        CatalogCommand::List(args) => list(&args),
    }
}

/// The `--tape` values, sorted out.
#[derive(Debug, Default, PartialEq, Eq)]
struct Sources {
    barcodes: Vec<VolumeTag>,
    device: Option<TapeSpec>,
}

/// A barcode, or a device or `.bkf` path.
fn sources(texts: &[String]) -> anyhow::Result<Sources> {
    let mut out = Sources::default();
    for text in texts {
        let is_device = ["vtl:", "file:", "sg:", "/dev/"]
            .iter()
            .any(|p| text.starts_with(p));
        let is_file =
            !is_device && (text.to_ascii_lowercase().ends_with(".bkf") || text.contains('/'));
        if !is_device && !is_file {
            out.barcodes.push(VolumeTag::new(text.clone()).map_err(|e| {
                anyhow::anyhow!("--tape {text:?}: not a barcode, a device or a .bkf file ({e})")
            })?);
            continue;
        }
        let spec = TapeSpec::parse(&if is_file {
            format!("file:{text}")
        } else {
            text.clone()
        })?;
        out.device = Some(match (out.device.take(), spec) {
            (None, spec) => spec,
            (Some(TapeSpec::File(mut a)), TapeSpec::File(b)) => {
                a.extend(b);
                TapeSpec::File(a)
            }
            _ => bail!(
                "several --tape devices: name one drive (with barcodes for its changer), or the .bkf files of the media"
            ),
        });
    }
    if matches!(out.device, Some(TapeSpec::File(_))) && !out.barcodes.is_empty() {
        bail!("--tape: .bkf files and barcodes cannot be mixed");
    }
    Ok(out)
}

/// Every data cartridge a changer reaches.
fn all_cartridges(changer: &mut dyn MediaChanger) -> anyhow::Result<Vec<VolumeTag>> {
    let inv = changer
        .inventory()
        .with_context(|| format!("reading the inventory of {}", changer.name()))?;
    Ok(inv
        .elements
        .iter()
        .filter_map(|e| e.volume_tag.clone())
        .filter(|t| !t.is_cleaning())
        .collect())
}

fn rebuild(args: &RebuildArgs) -> anyhow::Result<ExitCode> {
    let mut console = Console::new(if args.verbose {
        Detail::Full
    } else {
        Detail::Summary
    });
    let src = sources(&args.tape)?;
    let (spec, changer_text) = match (src.device, &args.changer) {
        (Some(TapeSpec::Vtl { dir, drive }), changer) => {
            let changer = changer
                .clone()
                .unwrap_or_else(|| format!("vtl:{}", dir.display()));
            (TapeSpec::Vtl { dir, drive }, Some(changer))
        }
        (Some(spec), changer) => (spec, changer.clone()),
        (None, Some(changer)) if changer.starts_with("vtl:") => {
            let dir = changer["vtl:".len()..].to_owned();
            let dir = dir
                .rsplit_once('#')
                .map_or(dir.clone(), |(d, _)| d.to_owned());
            (
                TapeSpec::Vtl {
                    dir: dir.into(),
                    drive: usize::from(args.drive_index),
                },
                Some(changer.clone()),
            )
        }
        (None, Some(_)) => bail!("--changer needs a drive to read with: give it with --tape"),
        (None, None) => {
            let lib = home::default_library()?;
            let dir = lib.dir().to_owned();
            (
                TapeSpec::Vtl {
                    dir: dir.clone(),
                    drive: usize::from(args.drive_index),
                },
                Some(format!("vtl:{}", dir.display())),
            )
        }
    };
    let catalog_path = home::catalog_path()?;
    let catalog = Catalog::open(&catalog_path)
        .with_context(|| format!("opening the catalog {}", catalog_path.display()))?;
    let (media, mut policy) = match (&spec, &changer_text) {
        (TapeSpec::File(paths), _) => (
            RebuildMedia::InOrder { count: paths.len() },
            crate::files::next_file_chain(),
        ),
        (_, Some(text)) => {
            let mut changer = open_changer(text)?;
            let tags = if src.barcodes.is_empty() {
                all_cartridges(changer.as_mut())?
            } else {
                src.barcodes.clone()
            };
            let drive = spec.drive_number().unwrap_or(args.drive_index);
            let policy = PolicyChain::new()
                .then(ChangerPolicy::new(changer, drive, Box::new(NoDirectory)))
                .then(AbortPolicy);
            (RebuildMedia::Barcodes(tags), policy)
        }
        (_, None) if !src.barcodes.is_empty() => {
            bail!("barcodes need a changer to load them: give --changer")
        }
        // A stand-alone drive: the tape in it (and nothing the drive cannot reach).
        (_, None) => (
            RebuildMedia::InOrder { count: 1 },
            PolicyChain::new().then(AbortPolicy),
        ),
    };
    let mut drive = spec.open(false)?;
    console.line(&format!(
        "Rebuilding the catalog {} from {}",
        catalog_path.display(),
        drive.name()
    ));
    let mut job = RebuildJob::new("Catalog rebuild", media);
    job.options.use_tape_catalog = !args.scan;
    let result = run_rebuild(
        &job,
        RebuildContext {
            drive: drive.as_mut(),
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut console,
            catalog: &catalog,
        },
    );
    match result {
        Ok(report) => Ok(summary(&mut console, &report)),
        Err(e) => {
            console.line(&format!("Error: {e:#}"));
            console.line("The operation did not successfully complete.");
            Err(e.into())
        }
    }
}

fn ending(e: &Ending) -> String {
    match e {
        Ending::Complete => "complete".into(),
        Ending::ClosedEarly => "closed early (the backup stopped for want of a medium)".into(),
        Ending::ContinuesOn(n) => format!(
            "ends with the media read: it continues on media #{n}, which was not read, or its \
             backup stopped there (interrupted)"
        ),
        Ending::Unclosed => "cut off (the media read end inside it)".into(),
        _ => "incomplete".into(),
    }
}

fn family_lines(f: &FamilySummary) -> Vec<String> {
    let media: Vec<String> = f.media.iter().map(|s| format!("#{s}")).collect();
    let how = match (f.method, &f.scanned_because) {
        (Method::TapeCatalog, _) => "read through its tape catalog".to_owned(),
        (Method::Scan, Some(why)) => format!("scanned block by block ({why})"),
        (Method::Scan, None) => "scanned block by block".to_owned(),
    };
    let mut out = vec![format!(
        "Family {:08X}, media {}: {how}",
        f.family,
        media.join(", ")
    )];
    for s in &f.sets {
        let id =
            s.id.map_or_else(|| "kept".to_owned(), |id| format!("id {id}"));
        out.push(format!(
            "  set #{} ({id}) {} \"{}\" {}: {} directories, {} files, {}, media #{}-#{}, {}",
            s.number,
            s.backup_type,
            s.job,
            date(s.started_at),
            s.directories,
            s.files,
            show(s.bytes),
            s.first_sequence,
            s.last_sequence,
            if s.kept {
                "only partly on the media read: the catalog's fuller record was kept".to_owned()
            } else {
                ending(&s.ending)
            }
        ));
    }
    out
}

fn summary(console: &mut Console, r: &RebuildReport) -> ExitCode {
    for m in &r.media {
        let name = m
            .barcode
            .as_ref()
            .map_or_else(|| "the medium".to_owned(), ToString::to_string);
        if let Some(why) = &m.skipped {
            console.line(&format!("{name}: not used ({why})"));
        }
    }
    for f in &r.families {
        for line in family_lines(f) {
            console.line(&line);
        }
    }
    let sets: usize = r.families.iter().map(|f| f.sets.len()).sum();
    let files: u64 = r
        .families
        .iter()
        .flat_map(|f| &f.sets)
        .map(|s| s.files)
        .sum();
    console.line(&format!(
        "Catalog rebuilt: {} media read, {} families, {sets} sets, {files} files; archive state replayed from {} set(s)",
        r.media.iter().filter(|m| m.mtf.is_some()).count(),
        r.families.len(),
        r.archive_sets.len()
    ));
    console.line(&format!(
        "The drive read {} blocks ({}), located {} times and spaced over filemarks {} times",
        r.tally.blocks,
        show(r.tally.bytes),
        r.tally.locates,
        r.tally.spaces
    ));
    if r.families.is_empty() {
        console.line("No backup was found on the media read.");
        return exit::code(exit::FAILED);
    }
    exit::code(if r.warnings.is_empty() {
        exit::SUCCESS
    } else {
        exit::WARNINGS
    })
}

/// `2027-01-15 08:00` local time.
fn date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn set_line(s: &SetRecord, media: &str) -> String {
    format!(
        "{:>5}  {:08X}  {:>4}  {:<12}  {:<16}  {}  {:<11}  {:>7}  {:>10}  {media}",
        s.id,
        s.family,
        format!("#{}", s.number),
        s.backup_type,
        s.job,
        date(s.started_at),
        s.status.name(),
        s.files,
        show(s.bytes),
    )
}

fn list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let path = home::catalog_path()?;
    let catalog =
        Catalog::open(&path).with_context(|| format!("opening the catalog {}", path.display()))?;
    // A set whose backup died (killed, crashed, power cut) is shown as interrupted, not running.
    catalog.mark_interrupted(process_alive)?;
    let sets = match args.family {
        Some(f) => catalog.sets_of_family(f)?,
        None => catalog.sets()?,
    };
    if sets.is_empty() {
        outln!("The catalog {} holds no backup set.", path.display());
        return Ok(exit::code(exit::SUCCESS));
    }
    outln!(
        "{:>5}  {:<8}  {:>4}  {:<12}  {:<16}  {:<16}  {:<11}  {:>7}  {:>10}  MEDIA",
        "ID",
        "FAMILY",
        "SET",
        "TYPE",
        "JOB",
        "DATE",
        "STATUS",
        "FILES",
        "SIZE"
    );
    for s in &sets {
        let media: Vec<String> = catalog
            .media(s.family)?
            .iter()
            .filter(|m| (s.first_sequence..=s.last_sequence).contains(&m.sequence))
            .map(|m| match &m.barcode {
                Some(b) => format!("#{} {b}", m.sequence),
                None => format!("#{}", m.sequence),
            })
            .collect();
        outln!("{}", set_line(s, &media.join(", ")));
    }
    Ok(exit::code(exit::SUCCESS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tape_values_are_barcodes_devices_or_bkf_files() {
        let s = |v: &[&str]| sources(&v.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>());
        let got = s(&["VT0001", "VT0002"]).unwrap();
        assert_eq!(got.barcodes.len(), 2);
        assert_eq!(got.device, None);
        let got = s(&["a.bkf", "file:b.bkf", "dir/c"]).unwrap();
        assert_eq!(
            got.device,
            Some(TapeSpec::File(vec![
                "a.bkf".into(),
                "b.bkf".into(),
                "dir/c".into()
            ]))
        );
        let got = s(&["vtl:/lib#1", "VT0003"]).unwrap();
        assert!(matches!(got.device, Some(TapeSpec::Vtl { drive: 1, .. })));
        assert_eq!(got.barcodes.len(), 1);
        assert!(s(&["/dev/nst0", "vtl:/lib"]).is_err());
        assert!(s(&["a.bkf", "VT0001"]).is_err());
        assert!(s(&["has space"]).is_err());
        assert_eq!(family("0x1A2b"), Ok(0x1A2B));
        assert!(family("xyz").is_err());
    }
}
