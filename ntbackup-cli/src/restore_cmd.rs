//! `ntbackup restore`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use backup_engine::catalog::{Catalog, process_alive};
use backup_engine::restore::{
    RestoreContext, RestoreJob, RestoreReport, SetSelection, media_needed, run_restore,
};
use backup_engine::{Detail, SystemClock};

use crate::cli::RestoreArgs;
use crate::device::TapeSpec;
use crate::log::Console;
use crate::size::show;
use crate::{exit, home, policies};

pub(crate) fn run(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let mut console = Console::new(if args.verbose {
        Detail::Full
    } else {
        Detail::Summary
    });
    let (spec, changer) = match TapeSpec::parse_all(&args.media.tape)? {
        Some(spec) => (spec, args.media.changer.clone()),
        None => {
            let lib = home::default_library()?;
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
    let files = matches!(spec, TapeSpec::File(_));
    let catalog_path = home::catalog_path()?;
    // A .bkf brought from elsewhere needs no catalog: the files themselves say everything.
    let catalog = if files {
        None
    } else {
        let c = Catalog::open(&catalog_path)
            .with_context(|| format!("opening the catalog {}", catalog_path.display()))?;
        // A set whose backup died is restorable as what it is: interrupted.
        c.mark_interrupted(process_alive)?;
        Some(c)
    };
    let default = if files {
        "prompt"
    } else {
        policies::default_spec(changer.is_some())
    };
    let on_missing = args
        .on_missing
        .clone()
        .unwrap_or_else(|| default.to_owned());
    let inputs = policies::PolicyInputs {
        changer: changer.as_deref(),
        drive_number: spec.drive_number().unwrap_or(args.media.drive_index),
        notify: args.media.notify.clone(),
        prompt_timeout: Duration::from_secs(args.media.prompt_timeout),
        catalog: catalog.as_ref().map(|_| catalog_path.clone()),
        on_timeout: args.media.on_timeout,
        pool: None,
    };
    let mut policy = if files {
        crate::files::next_file_chain()
    } else {
        policies::chain(&on_missing, &inputs)?
    };
    let to = args.to.clone().unwrap_or_default();
    let mut job = RestoreJob::new(
        args.job.clone().unwrap_or_else(|| "Restore".to_owned()),
        to.clone(),
    );
    job.sets = match (args.as_of, args.set, args.all_sets || files) {
        (Some(id), _, _) => SetSelection::AsOf(id),
        (None, Some(n), _) => SetSelection::Number(n),
        (None, None, true) => SetSelection::All,
        (None, None, false) => SetSelection::Latest,
    };
    job.paths.clone_from(&args.paths);
    let mut drive = spec.open(false)?;
    if args.list_media {
        return list_media(&job, drive.as_mut(), catalog.as_ref(), changer.as_deref());
    }
    console.line(&format!(
        "Restore from {} to {}",
        drive.name(),
        to.display()
    ));
    let report = run_restore(
        &job,
        RestoreContext {
            drive: drive.as_mut(),
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut console,
            catalog: catalog.as_ref(),
        },
    );
    match report {
        Ok(r) => Ok(finish(&mut console, &r)),
        Err(e) => {
            console.line(&format!("Error: {e:#}"));
            console.line("The operation did not successfully complete.");
            Err(e.into())
        }
    }
}

/// `restore --list-media`: the media the restore needs, in order, marking those the changer
/// can reach.
fn list_media(
    job: &RestoreJob,
    drive: &mut dyn tape_core::TapeDrive,
    catalog: Option<&Catalog>,
    changer: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let needed = media_needed(job, drive, catalog)?;
    let reachable: Vec<tape_core::VolumeTag> = match changer {
        Some(c) => {
            let mut changer = crate::device::open_changer(c)?;
            changer
                .inventory()
                .map(|inv| {
                    inv.elements
                        .into_iter()
                        .filter_map(|e| e.volume_tag)
                        .collect()
                })
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    let label = |family: u32, seq: u16| {
        catalog
            .and_then(|c| c.media(family).ok())
            .and_then(|m| m.into_iter().find(|m| m.sequence == seq))
            .map(|m| m.label)
            .unwrap_or_default()
    };
    outln!("Media needed, in order (* = in the library, the changer loads it):");
    for (family, seq, barcode) in &needed {
        let mark = if barcode.as_ref().is_some_and(|b| reachable.contains(b)) {
            "*"
        } else {
            " "
        };
        outln!(
            "{mark} {:<10} family {family:08X}  media #{seq:<3} {:?}",
            barcode
                .as_ref()
                .map_or_else(|| "(no barcode)".to_owned(), ToString::to_string),
            label(*family, *seq)
        );
    }
    Ok(exit::code(exit::SUCCESS))
}

fn finish(console: &mut Console, r: &RestoreReport) -> ExitCode {
    let sets: Vec<String> = r.sets.iter().map(|s| format!("#{s}")).collect();
    console.line(&format!(
        "Restored set(s) {} of family {}: {} directories, {} files, {} from {} medium(s)",
        sets.join(", "),
        r.family
            .map_or_else(|| "?".to_owned(), |f| format!("{f:08X}")),
        r.directories,
        r.files,
        show(r.bytes),
        r.media.len()
    ));
    for (what, why) in &r.refused {
        console.line(&format!("Not restored: {what}: {why}"));
    }
    for what in &r.damaged {
        console.line(&format!("Damaged on the media: {what}"));
    }
    for (what, why) in &r.corrupt {
        console.line(&format!("Restored with a zero-filled range: {what}: {why}"));
    }
    if let Some(why) = &r.incomplete {
        console.line(&format!("The set is incomplete: {why}"));
    }
    if r.sets.is_empty() {
        console.line("No backup set was found to restore.");
    }
    if r.is_clean() {
        console.line("Restore completed.");
        exit::code(exit::SUCCESS)
    } else {
        console.line("The operation did not successfully complete.");
        exit::code(exit::FAILED)
    }
}
