//! `ntbackup backup`: both syntaxes become one [`Plan`], which [`execute`] runs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use backup_engine::backup::{
    AppendTo, BackupContext, BackupJob, BackupOutcome, BackupReport, BackupType, Overwrite,
    run_backup,
};
use backup_engine::catalog::Catalog;
use backup_engine::policy::Stop;
use backup_engine::restore::{RestoreContext, VerifyJob, VerifyReport, run_verify};
use backup_engine::{Detail, Selection, SystemClock};

use crate::cli::{BackupArgs, LogArg, MediaArgs, TypeArg};
use crate::device::TapeSpec;
use crate::log::Console;
use crate::logfile::{LogFile, duration, ntbackup_time};
use crate::pools::{Members, PoolDef, PoolsFile};
use crate::report::JsonReport;
use crate::size::show;
use crate::{exit, home, policies};

/// A backup as the CLI will run it, whichever syntax asked for it.
pub(crate) struct Plan {
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) exclude: Vec<String>,
    pub(crate) media: MediaArgs,
    pub(crate) on_full: Option<String>,
    pub(crate) job: String,
    pub(crate) description: String,
    pub(crate) overwrite: Overwrite,
    pub(crate) block_size: Option<u64>,
    /// `--read-threads`.
    pub(crate) read_threads: Option<u16>,
    pub(crate) catalog_on_tape: bool,
    pub(crate) verbose: bool,
    pub(crate) log: LogArg,
    pub(crate) json: bool,
    pub(crate) no_progress: bool,
    pub(crate) pool: Option<PoolChoice>,
    pub(crate) media_name: String,
    pub(crate) backup_type: BackupType,
    /// Said before the job starts (what Windows-only switches mean here).
    pub(crate) notes: Vec<String>,
    /// Said before the job starts; they make the exit code at least "warnings".
    pub(crate) warnings: Vec<String>,
    /// NTBackup's `/UP`: the default chain asks an operator before it gives up.
    pub(crate) prompt: bool,
    /// Read the set back after the backup and compare (`--verify`, `/V:yes`).
    pub(crate) verify: bool,
    /// Append the set to a family instead of starting a new one (`--append`, `/A`).
    pub(crate) append: Option<Append>,
    /// A drive-speed model in front of the drive: rate and buffer, bytes (`--drive-rate`).
    pub(crate) drive_rate: Option<crate::size::DriveRate>,
}

/// Which family a set is appended to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Append {
    /// The family whose media carry this name (`/T`), else the medium in the drive, else the
    /// family this job wrote last.
    pub(crate) media_name: Option<String>,
}

/// The pool a job takes its cartridges from.
pub(crate) struct PoolChoice {
    pub(crate) name: String,
    pub(crate) def: PoolDef,
    /// `None`: every cartridge of the library (an undefined pool under `/UM`).
    pub(crate) members: Option<Members>,
}

/// Resolves `/P name`: a pool of `pools.json`; an unknown name under `/UM` means the embedded
/// library's cartridges (so NTBackup lines run on a fresh machine).
pub(crate) fn resolve_pool(
    name: &str,
    unmanaged: bool,
) -> anyhow::Result<(PoolChoice, Option<String>)> {
    let pools = PoolsFile::load()?;
    if let Some(def) = pools.get(name) {
        return Ok((
            PoolChoice {
                name: name.to_owned(),
                def: def.clone(),
                members: Some(def.barcodes.clone()),
            },
            None,
        ));
    }
    if !unmanaged {
        let known: Vec<&str> = pools.pools.keys().map(String::as_str).collect();
        anyhow::bail!(
            "no media pool named {name:?} (known: {}); create it with `ntbackup pool create {name:?} BARCODE...`, \
             or add /UM to use the first usable cartridge of the embedded library",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        );
    }
    Ok((
        PoolChoice {
            name: name.to_owned(),
            def: PoolDef::default(),
            members: None,
        },
        Some(format!(
            "Media pool {name:?} is not defined in $NTBACKUP_HOME/pools.json: with /UM the job takes the first \
             usable (blank or expired) cartridge of the embedded library"
        )),
    ))
}

impl From<TypeArg> for BackupType {
    fn from(t: TypeArg) -> Self {
        match t {
            TypeArg::Normal => Self::Normal,
            TypeArg::Copy => Self::Copy,
            TypeArg::Incremental => Self::Incremental,
            TypeArg::Differential => Self::Differential,
            TypeArg::Daily => Self::Daily,
        }
    }
}

/// `ntbackup backup PATHS …`.
pub(crate) fn run(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let pool = match &args.pool {
        Some(name) => Some(resolve_pool(name, false)?.0),
        None => None,
    };
    execute(Plan {
        paths: args.paths,
        exclude: args.exclude,
        media: args.media,
        on_full: args.on_full,
        job: args.job.unwrap_or_else(|| "Backup".to_owned()),
        description: args.description.unwrap_or_default(),
        overwrite: if args.overwrite {
            Overwrite::Any
        } else {
            Overwrite::Expired
        },
        block_size: args.block_size,
        read_threads: args.read_threads,
        catalog_on_tape: !args.no_tape_catalog,
        verbose: args.verbose,
        log: args.report.log,
        json: args.report.json,
        no_progress: args.report.no_progress,
        pool,
        media_name: args.media_name.unwrap_or_default(),
        backup_type: args.backup_type.into(),
        notes: Vec::new(),
        warnings: Vec::new(),
        prompt: false,
        verify: args.verify,
        append: args.append.then(|| Append {
            media_name: args.append_to.clone(),
        }),
        drive_rate: args.drive_rate,
    })
}

/// Runs a plan: log file, progress, the job, the final report.
pub(crate) fn execute(plan: Plan) -> anyhow::Result<ExitCode> {
    let started = SystemTime::now();
    let mut console = Console::new(if plan.verbose {
        Detail::Full
    } else {
        Detail::Summary
    });
    console.log = match plan.log {
        LogArg::N => None,
        LogArg::S => Some((LogFile::next()?, Detail::Summary)),
        LogArg::F => Some((LogFile::next()?, Detail::Full)),
    };
    let log_file = console.log.as_ref().map(|(f, _)| f.path().to_owned());
    let result = go(&plan, &mut console);
    console.finish_progress();
    let mut json = JsonReport::new(&plan, started, log_file);
    json.warnings.extend(plan.warnings.iter().cloned());
    match result {
        Ok((report, verify)) => {
            let mut code = finish(&mut console, &plan, &report, started);
            if let Some(v) = &verify {
                code = code.max(verify_finish(&mut console, v));
            }
            json.warnings.extend(console.warnings.iter().cloned());
            json.fill(&report, code);
            json.verify = verify.as_ref().map(crate::report::JsonVerify::from);
            if plan.json {
                json.print();
            }
            Ok(exit::code(code))
        }
        Err(e) => {
            console.line(&format!("Error: {e:#}"));
            console.line("The operation did not successfully complete.");
            json.warnings.extend(console.warnings.iter().cloned());
            json.failed(&e);
            if plan.json {
                json.print();
            }
            Err(e)
        }
    }
}

/// The drive and changer: the pool's library, `--tape`/`--changer`, or the embedded library.
fn devices(plan: &Plan, said: &mut Vec<String>) -> anyhow::Result<(TapeSpec, Option<String>)> {
    let (tapes, changer) = match &plan.pool {
        Some(p) => (p.def.tape.iter().cloned().collect(), p.def.changer.clone()),
        None => (plan.media.tape.clone(), plan.media.changer.clone()),
    };
    if let Some(spec) = TapeSpec::parse_all(&tapes)? {
        let changer = changer.or_else(|| match &spec {
            TapeSpec::Vtl { dir, .. } if plan.pool.is_some() => {
                Some(format!("vtl:{}", dir.display()))
            }
            _ => None,
        });
        return Ok((spec, changer));
    }
    let lib = home::default_library()?;
    said.push(format!("Using the embedded virtual library {}", lib.name()));
    let dir = lib.dir().to_owned();
    let changer = changer.unwrap_or_else(|| format!("vtl:{}", dir.display()));
    Ok((TapeSpec::Vtl { dir, drive: 0 }, Some(changer)))
}

fn go(plan: &Plan, console: &mut Console) -> anyhow::Result<(BackupReport, Option<VerifyReport>)> {
    let mut said = Vec::new();
    let (spec, changer) = devices(plan, &mut said)?;
    let catalog_path = home::catalog_path()?;
    let catalog = Catalog::open(&catalog_path)
        .with_context(|| format!("opening the catalog {}", catalog_path.display()))?;
    let on_full = plan.on_full.clone().unwrap_or_else(|| {
        let mut chain = Vec::new();
        if changer.is_some() {
            chain.push("changer");
        }
        if plan.prompt {
            chain.push("prompt");
        }
        chain.push("abort");
        chain.join(",")
    });
    let drive_number = spec.drive_number().unwrap_or(plan.media.drive_index);
    let members = plan.pool.as_ref().and_then(|p| p.members.clone());
    let inputs = policies::PolicyInputs {
        changer: changer.as_deref(),
        drive_number,
        notify: plan.media.notify.clone(),
        prompt_timeout: Duration::from_secs(plan.media.prompt_timeout),
        catalog: Some(catalog_path.clone()),
        on_timeout: plan.media.on_timeout,
        pool: members.clone(),
    };
    let mut policy = policies::chain(&on_full, &inputs)?;
    let selection = Selection::new(&plan.paths, &plan.exclude)?;
    let mut job = BackupJob::new(plan.job.clone(), selection.clone());
    job.description = plan.description.clone();
    job.options.overwrite = plan.overwrite;
    job.options.backup_type = plan.backup_type;
    job.options.media_name = plan.media_name.clone();
    if let Some(b) = plan.block_size {
        job.options.block_size = usize::try_from(b).context("block size")?;
    }
    job.options.catalog_on_tape = plan.catalog_on_tape;
    job.options.walk.read_threads = plan.read_threads.map(usize::from);
    job.options.keep_checksums = plan.verify;
    let mut drive = spec.open(true)?;
    let mut model = None;
    if let Some(m) = plan.drive_rate {
        let modelled = tape_core::RateModel::with_floor(drive, m.rate, m.floor, m.buffer);
        model = Some((m, modelled.stats()));
        drive = Box::new(modelled);
    }
    if let Some(append) = &plan.append {
        job.options.append = Some(append_target(append, &plan.job, drive.as_mut(), &catalog)?);
    }
    log_header(console, plan, &selection, drive.name());
    for note in &plan.notes {
        console.line(&format!("Note: {note}"));
    }
    for warning in &plan.warnings {
        console.line(&format!("Warning: {warning}"));
    }
    for line in &said {
        console.line(line);
    }
    if let (Some(members), Some(changer)) = (&members, &changer) {
        let mut c = crate::device::open_changer(changer)?;
        if let Some(what) =
            crate::pools::clear_drive(c.as_mut(), drive.as_mut(), drive_number, members)?
        {
            console.line(&what);
        }
    }
    let pool = plan
        .pool
        .as_ref()
        .map(|p| format!(", media pool \"{}\"", p.name))
        .unwrap_or_default();
    console.line(&format!(
        "Backup \"{}\" to {} (media policy: {on_full}{pool})",
        plan.job,
        drive.name()
    ));
    if console.detail == Detail::Summary && !plan.no_progress && stderr_is_terminal() {
        console.progress = Some(crate::progress::Progress::start(&selection));
    }
    let report = run_backup(
        &job,
        BackupContext {
            drive: drive.as_mut(),
            policy: &mut policy,
            clock: &SystemClock,
            events: console,
            catalog: Some(&catalog),
        },
    )?;
    if let Some((m, stats)) = model {
        console.line(&format!(
            "Drive model {:.0} MB/s (floor {:.0} MB/s, {} buffer): {} underrun(s); {} written, \
             writes waited {:.1} s for the drive, the drive stood dry {:.1} s",
            m.rate as f64 / 1e6,
            m.floor as f64 / 1e6,
            crate::size::show(m.buffer),
            stats.underruns(),
            crate::size::show(stats.bytes()),
            stats.waited().as_secs_f64(),
            stats.dry().as_secs_f64(),
        ));
    }
    if !plan.verify || report.outcome != BackupOutcome::Complete {
        return Ok((report, None));
    }
    console.finish_progress();
    for line in ["", "Verify Status", "Operation: Verify After Backup"] {
        console.log(line);
    }
    let verify = run_verify(
        &VerifyJob::after(plan.job.clone(), &report),
        RestoreContext {
            drive: drive.as_mut(),
            policy: &mut policy,
            clock: &SystemClock,
            events: console,
            catalog: Some(&catalog),
        },
    )?;
    Ok((report, Some(verify)))
}

/// Resolves which family `--append` (`/A`) writes to.
fn append_target(
    append: &Append,
    job: &str,
    drive: &mut dyn tape_core::TapeDrive,
    catalog: &Catalog,
) -> anyhow::Result<AppendTo> {
    if let Some(name) = &append.media_name {
        let family = *catalog.families_named(name)?.first().with_context(|| {
            format!(
                "the catalog knows no media named {name:?} to append to (`ntbackup catalog list` shows the sets and \
                 their media; `ntbackup catalog rebuild` reads them from the tapes)"
            )
        })?;
        return Ok(AppendTo::Family {
            family,
            sequence: None,
        });
    }
    if drive.status().is_ok_and(|s| s.medium.is_some()) {
        return Ok(AppendTo::Loaded);
    }
    let last = catalog
        .sets()?
        .into_iter()
        .rev()
        .find(|s| s.job == job)
        .with_context(|| {
            format!(
                "nothing to append to: the drive is empty and the catalog has no earlier set of job {job:?} \
                 (name the media with --append-to NAME, or load the tape)"
            )
        })?;
    Ok(AppendTo::Family {
        family: last.family,
        sequence: None,
    })
}

#[allow(clippy::disallowed_methods)] // not stdin: asks whether stderr is a terminal
fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// The head of an NTBackup log.
fn log_header(console: &mut Console, plan: &Plan, selection: &Selection, drive: &str) {
    let roots: Vec<String> = selection
        .roots()
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    let media = if plan.media_name.is_empty() {
        format!("Media created {}", ntbackup_time(SystemTime::now()))
    } else {
        plan.media_name.clone()
    };
    for line in [
        "Backup Status".to_owned(),
        "Operation: Backup".to_owned(),
        format!("Active backup destination: {drive}"),
        format!("Media name: \"{media}\""),
        String::new(),
        format!("Job: {}", plan.job),
        format!("Backup of \"{}\"", roots.join("\", \"")),
        format!("Backup description: \"{}\"", plan.description),
        format!("Backup Type: {}", type_title(plan.backup_type)),
        format!("Backup started on {}.", ntbackup_time(SystemTime::now())),
        String::new(),
    ] {
        console.log(&line);
    }
}

fn type_title(t: BackupType) -> String {
    let name = t.name();
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Reports a verify after backup; its exit code (a difference fails the job: the tape does not
/// hold what was read).
fn verify_finish(console: &mut Console, v: &VerifyReport) -> u8 {
    if v.is_clean() {
        return exit::SUCCESS;
    }
    console.line(&format!(
        "Verify found {} file(s) that differ from what was backed up{}.",
        v.different.len(),
        if v.damaged.is_empty() {
            String::new()
        } else {
            format!(" and {} unreadable place(s) on the media", v.damaged.len())
        }
    ));
    console.line("The operation did not successfully complete.");
    exit::FAILED
}

fn finish(console: &mut Console, plan: &Plan, r: &BackupReport, started: SystemTime) -> u8 {
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
    let footer = |console: &mut Console, verb: &str| {
        console.log(&format!(
            "Backup {verb} on {}.",
            ntbackup_time(SystemTime::now())
        ));
        console.log(&format!("Directories: {}", r.directories));
        console.log(&format!("Files: {}", r.files));
        console.log(&format!("Bytes: {}", r.bytes));
        console.log(&format!(
            "Time:  {}",
            duration(
                SystemTime::now()
                    .duration_since(started)
                    .unwrap_or_default()
            )
        ));
        console.log("----------------------");
    };
    match &r.outcome {
        BackupOutcome::Complete => {
            footer(console, "completed");
            console.print("Backup completed.");
            if r.skipped.is_empty() && r.corrupt.is_empty() && plan.warnings.is_empty() {
                exit::SUCCESS
            } else {
                exit::WARNINGS
            }
        }
        BackupOutcome::Stopped(stop) => {
            let last = r.media.last().map_or(1, |m| m.sequence);
            console.line(&format!("The backup stopped early: {stop}."));
            console.line(&if r.closed_early {
                format!("The set was closed on media #{last}; every file written completely before that point can be restored.")
            } else {
                format!("Media #{last} ends with an end-of-medium marker; every file written completely on the media written can be restored.")
            });
            footer(console, "stopped");
            console.line("The operation did not successfully complete.");
            match stop {
                Stop::Cancelled(_) => exit::CANCELLED,
                Stop::TimedOut { .. } => exit::TIMED_OUT,
                _ => exit::FAILED,
            }
        }
    }
}
