//! `ntbackup backup`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use backup_engine::backup::{
    BackupContext, BackupJob, BackupOutcome, BackupReport, Overwrite, run_backup,
};
use backup_engine::catalog::Catalog;
use backup_engine::policy::Stop;
use backup_engine::{Detail, Selection, SystemClock};

use crate::cli::BackupArgs;
use crate::device::TapeSpec;
use crate::log::Console;
use crate::size::show;
use crate::{exit, home, policies};

pub(crate) fn run(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let mut console = Console::new(if args.verbose {
        Detail::Full
    } else {
        Detail::Summary
    });
    let (spec, changer) = match TapeSpec::parse_all(&args.media.tape)? {
        Some(spec) => (spec, args.media.changer.clone()),
        None => {
            let lib = home::default_library()?;
            console.line(&format!(
                "Using the embedded virtual library {}",
                lib.name()
            ));
            let dir = lib.dir().to_owned();
            (
                TapeSpec::Vtl {
                    dir: dir.clone(),
                    drive: 0,
                },
                Some(
                    args.media
                        .changer
                        .clone()
                        .unwrap_or_else(|| format!("vtl:{}", dir.display())),
                ),
            )
        }
    };
    let catalog_path = home::catalog_path()?;
    let catalog = Catalog::open(&catalog_path)
        .with_context(|| format!("opening the catalog {}", catalog_path.display()))?;
    let on_full = args
        .on_full
        .clone()
        .unwrap_or_else(|| policies::default_spec(changer.is_some()).to_owned());
    let inputs = policies::PolicyInputs {
        changer: changer.as_deref(),
        drive_number: spec.drive_number().unwrap_or(args.media.drive_index),
        notify: args.media.notify.clone(),
        prompt_timeout: Duration::from_secs(args.media.prompt_timeout),
        catalog: Some(catalog_path.clone()),
    };
    let mut policy = policies::chain(&on_full, &inputs)?;
    let selection = Selection::new(&args.paths, &args.exclude)?;
    let name = args.job.clone().unwrap_or_else(|| "Backup".to_owned());
    let mut job = BackupJob::new(name.clone(), selection);
    job.description = args.description.clone().unwrap_or_default();
    job.options.overwrite = if args.overwrite {
        Overwrite::Any
    } else {
        Overwrite::Expired
    };
    if let Some(b) = args.block_size {
        job.options.block_size = usize::try_from(b).context("block size")?;
    }
    job.options.catalog_on_tape = !args.no_tape_catalog;
    let mut drive = spec.open(true)?;
    console.line(&format!(
        "Backup \"{name}\" to {} (media policy: {on_full})",
        drive.name()
    ));
    let result = run_backup(
        &job,
        BackupContext {
            drive: drive.as_mut(),
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut console,
            catalog: Some(&catalog),
        },
    );
    match result {
        Ok(report) => Ok(finish(&mut console, &report)),
        Err(e) => {
            console.line(&format!("Error: {e:#}"));
            console.line("The operation did not successfully complete.");
            Err(e.into())
        }
    }
}

fn finish(console: &mut Console, r: &BackupReport) -> ExitCode {
    let media: Vec<String> = r
        .media
        .iter()
        .map(|m| {
            format!(
                "#{} {}",
                m.sequence,
                m.barcode
                    .as_ref()
                    .map_or_else(|| "(no barcode)".to_owned(), ToString::to_string)
            )
        })
        .collect();
    console.line(&format!(
        "Backup set #{} of family {:08X}: {} directories, {} files, {} on {} medium(s): {}",
        r.set_number,
        r.family,
        r.directories,
        r.files,
        show(r.bytes),
        r.media.len(),
        media.join(", ")
    ));
    for (path, why) in &r.skipped {
        console.line(&format!("Skipped {}: {why}", path.display()));
    }
    match &r.outcome {
        BackupOutcome::Complete => {
            console.line("Backup completed.");
            exit::code(if r.skipped.is_empty() && r.corrupt.is_empty() {
                exit::SUCCESS
            } else {
                exit::WARNINGS
            })
        }
        BackupOutcome::Stopped(stop) => {
            let last = r.media.last().map_or(1, |m| m.sequence);
            console.line(&format!("The backup stopped early: {stop}."));
            console.line(&if r.closed_early {
                format!("The set was closed on media #{last}; every file written completely before that point can be restored.")
            } else {
                format!("Media #{last} ends with an end-of-medium marker; every file written completely on the media written can be restored.")
            });
            console.line("The operation did not successfully complete.");
            exit::code(match stop {
                Stop::Cancelled(_) => exit::CANCELLED,
                Stop::TimedOut { .. } => exit::TIMED_OUT,
                _ => exit::FAILED,
            })
        }
    }
}
