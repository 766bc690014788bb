//! NTBackup's command line, run as written: `ntbackup backup "@file.bks" /J "job" /P "pool"
//! /UM /UP …` is parsed by [`backup_engine::ntcmd`] (pure), then translated here into the same
//! [`Plan`] as `ntbackup backup PATHS …`.
//!
//! | NTBackup | here |
//! |---|---|
//! | `@file.bks` | its paths and exclusions ([`backup_engine::bks`]); wildcards expanded |
//! | path | the path (a Windows path is refused unless `--map-drive` maps its letter) |
//! | `systemstate` | Windows-only: a warning (exit code 1), nothing else backed up for it |
//! | `/J` `/D` `/N` | job name, set description, name written on new media |
//! | `/P pool` | cartridges of that pool (`ntbackup pool`), blank or expired |
//! | `/UM` | first usable medium of the pool; an undefined pool means the embedded library |
//! | `/UP` | the prompt policy before abort: `changer,prompt,abort` |
//! | `/F file.bkf` | `--tape file:file.bkf`; an existing `.bkf` is replaced, as NTBackup does |
//! | `/M type` | backup type |
//! | `/L:f\|s\|n` | log level of `$NTBACKUP_HOME/logs/backupNN.log` |
//! | `/V:yes` | verify after backup (`--verify`) |
//! | `/A`, `/T` | append (`--append`, with `/T` `--append-to NAME`) |
//! | `/G` | refused: Windows RSM GUIDs do not exist here |
//! | `/V:no` `/R` `/RS` `/HC` `/SNAP` | accepted; what they mean on Linux is said in a note |
//! | `/DS` `/IS` | refused: Exchange is Windows-only |
//! | `--option …` | this tool's options (`--prompt-timeout 60`, `--notify CMD`, `--json` …) |

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use backup_engine::backup::{BackupType, Overwrite};
use backup_engine::bks::{self, BksOptions};
use backup_engine::ntcmd::{self, LogLevel, NtCommand};
use clap::Parser;

use crate::backup_cmd::{Plan, execute, resolve_pool};
use crate::cli::{LogArg, NtExtras};

/// A command line that cannot be run as written (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Usage(pub(crate) String);

const HELP: &str = "\
NTBackup's command line, accepted as written:

  ntbackup backup [systemstate] \"@file.bks\" | PATH... /J \"job\" [/P \"pool\"] [/G \"guid\"]
      [/T \"tape\"] [/N \"media name\"] [/F \"file.bkf\"] [/D \"description\"] [/A]
      [/V:yes|no] [/R:yes|no] [/L:f|s|n] [/M normal|copy|incremental|differential|daily]
      [/RS:yes|no] [/HC:on|off] [/SNAP:on|off] [/UM] [/UP] [--option VALUE...]

Switches are case-insensitive except /UP; /X:value and /X value are the same.
/P takes cartridges from a media pool (see `ntbackup pool`); /UM takes the first usable one
(blank, or our label of an expired set; never foreign or live data) and, for a pool not
defined, the embedded library's; /UP asks an operator for another medium (on the terminal,
through the request spool `ntbackup operator`, and --notify) before the job gives up.
/F writes a .bkf file (an existing .bkf is replaced). /L:f|s|n sets the log
($NTBACKUP_HOME/logs/backup01.log ... backup10.log).
/A appends to the medium in the drive, or with /T \"media name\" to the family of that name
(from the catalog). /G (an RSM GUID) does not exist on Linux.
Windows-only: systemstate (warned about), /DS and /IS (refused), /SNAP /RS /R /HC (noted).
A token is a switch only if its name is one of the above: /home is a path. Name a directory
that looks like a switch with a trailing slash: /t/ or /./t.
This tool's options may follow: --prompt-timeout SECONDS, --on-timeout stop|next,
--notify CMD, --tape DEV, --changer DEV, --overwrite, --map-drive C=/mnt/c, --json.

Example:
  ntbackup backup \"@/etc/ntbackup/Test.bks\" /v:no /r:no /rs:no /hc:on /m normal /j \"Test\" \\
      /l:s /p \"4mm DDS\" /um /UP";

/// True if `args` (after the program name) are in NTBackup's syntax.
pub(crate) fn detect(args: &[String]) -> bool {
    ntcmd::is_ntbackup_syntax(args)
}

/// Runs an NTBackup command line.
pub(crate) fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let cmd = ntcmd::parse(args).map_err(|e| Usage(e.to_string()))?;
    if cmd.help {
        outln!("{HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let extras = NtExtras::try_parse_from(&cmd.modern).map_err(|e| Usage(e.to_string()))?;
    execute(translate(cmd, extras)?)
}

/// Refuses what cannot be done here, with the reason.
fn unsupported(cmd: &NtCommand) -> Result<(), Usage> {
    if cmd.guid.is_some() {
        return Err(Usage(
            "/G names a tape by its Windows RSM GUID, which Linux does not have; name it with /T \"media name\" \
             (`ntbackup catalog list` shows the names) or use a media pool (/P)"
                .into(),
        ));
    }
    if cmd.tape_name.is_some() && !cmd.append {
        return Err(Usage(
            "/T without /A would replace the named tape; this tool overwrites a tape that holds data only when \
             told to: load it and add --overwrite (or give /A to append to it)"
                .into(),
        ));
    }
    Ok(())
}

fn translate(cmd: NtCommand, extras: NtExtras) -> anyhow::Result<Plan> {
    unsupported(&cmd)?;
    let options = bks_options(&extras.map_drive)?;
    let mut paths = Vec::new();
    let mut exclude = extras.exclude.clone();
    let mut warnings = Vec::new();
    for file in &cmd.bks_files {
        let (p, x, system_state) = read_bks(Path::new(file), &options, &mut warnings)?;
        paths.extend(p);
        exclude.extend(x);
        if system_state {
            warnings.push(system_state_warning(&format!("{file} names systemstate")));
        }
    }
    for p in &cmd.paths {
        let unix = bks::map_path(p, &options).map_err(|why| Usage(format!("{p:?}: {why}")))?;
        paths.push(PathBuf::from(unix));
    }
    if cmd.system_state {
        warnings.push(system_state_warning("systemstate was named"));
    }
    if paths.is_empty() {
        bail!(Usage(
            "nothing to back up on Linux: the selection names only Windows System State".into()
        ));
    }
    let mut notes = cmd.notes();
    let mut overwrite = Overwrite::Expired;
    let mut media = extras.media;
    if let Some(file) = &cmd.file {
        if !media.tape.is_empty() || media.changer.is_some() {
            bail!(Usage(
                "/F names the .bkf file: --tape and --changer cannot be added".into()
            ));
        }
        if replaces_bkf(Path::new(file))? && !cmd.append {
            overwrite = Overwrite::Any;
            notes.push(format!(
                "/F {file}: the existing .bkf file is replaced (no /A)"
            ));
        }
        media.tape = vec![format!("file:{file}")];
    }
    let pool = match &cmd.pool {
        Some(name) => {
            if !media.tape.is_empty() || media.changer.is_some() {
                bail!(Usage(
                    "/P takes the pool's library (see `ntbackup pool list`): --tape and --changer cannot be added"
                        .into()
                ));
            }
            let (pool, note) = resolve_pool(name, cmd.unmanaged)?;
            notes.extend(note);
            Some(pool)
        }
        None => None,
    };
    if extras.overwrite {
        overwrite = Overwrite::Any;
    }
    Ok(Plan {
        paths,
        exclude,
        media,
        on_full: extras.on_full,
        job: cmd.job.clone().unwrap_or_else(|| "Backup".to_owned()),
        description: cmd.description.clone().unwrap_or_default(),
        overwrite,
        block_size: extras.block_size,
        read_threads: None,
        catalog_on_tape: true,
        verbose: extras.verbose,
        log: match cmd.log.unwrap_or_default() {
            LogLevel::Full => LogArg::F,
            LogLevel::Summary => LogArg::S,
            LogLevel::None => LogArg::N,
        },
        json: extras.json,
        no_progress: extras.no_progress,
        pool,
        media_name: cmd.media_name.clone().unwrap_or_default(),
        backup_type: cmd.backup_type.unwrap_or(BackupType::Normal),
        notes,
        warnings,
        prompt: cmd.prompt,
        verify: cmd.verify == Some(true),
        append: cmd.append.then(|| crate::backup_cmd::Append {
            media_name: cmd.tape_name.clone(),
        }),
        drive_rate: None,
    })
}

fn system_state_warning(why: &str) -> String {
    format!(
        "{why}, but System State (registry, COM+ database, boot files) exists only on Windows: nothing was \
         backed up for it; on Linux name /etc and the directories you need"
    )
}

/// `--map-drive C=/mnt/c`.
fn bks_options(maps: &[String]) -> Result<BksOptions, Usage> {
    let mut options = BksOptions::default();
    for m in maps {
        let (letter, dir) = m
            .split_once('=')
            .ok_or_else(|| Usage(format!("--map-drive {m:?}: write it as C=/mnt/c")))?;
        let letter = letter.trim_end_matches(':');
        let mut chars = letter.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() && dir.starts_with('/') => {
                options
                    .drives
                    .insert(c.to_ascii_uppercase(), dir.to_owned());
            }
            _ => {
                return Err(Usage(format!(
                    "--map-drive {m:?}: write a drive letter and an absolute directory, e.g. C=/mnt/c"
                )));
            }
        }
    }
    Ok(options)
}

/// Reads a `.bks`: paths (wildcards expanded), exclusions, and whether it names System State.
fn read_bks(
    file: &Path,
    options: &BksOptions,
    warnings: &mut Vec<String>,
) -> anyhow::Result<(Vec<PathBuf>, Vec<String>, bool)> {
    let bytes = std::fs::read(file)
        .with_context(|| format!("reading the selection file {}", file.display()))?;
    let parsed = bks::parse(&bytes, options)
        .map_err(|e| Usage(format!("selection file {}: {e}", file.display())))?;
    let mut paths = Vec::new();
    for include in &parsed.include {
        if !include.pattern {
            paths.push(PathBuf::from(&include.path));
            continue;
        }
        let found = expand(&include.path)?;
        if found.is_empty() {
            warnings.push(format!(
                "{} line {}: nothing matches {}",
                file.display(),
                include.line,
                include.path
            ));
        }
        paths.extend(found);
    }
    Ok((paths, parsed.exclude, parsed.system_state))
}

/// Expands a wildcard in the last component of `pattern`.
fn expand(pattern: &str) -> anyhow::Result<Vec<PathBuf>> {
    let (parent, name) = pattern.rsplit_once('/').unwrap_or((".", pattern));
    let parent = if parent.is_empty() { "/" } else { parent };
    let glob = globset::Glob::new(name)
        .map_err(|e| Usage(format!("{pattern}: {e}")))?
        .compile_matcher();
    let mut out: Vec<PathBuf> = match std::fs::read_dir(parent) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| glob.is_match(e.file_name()))
            .map(|e| Path::new(parent).join(e.file_name()))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    Ok(out)
}

/// `/F` on an existing file: true if it is an MTF `.bkf` (replaced, as NTBackup does); an
/// existing file of anything else is never overwritten.
fn replaces_bkf(path: &Path) -> anyhow::Result<bool> {
    let bytes = match std::fs::File::open(path) {
        Ok(f) => {
            use std::io::Read;
            let mut head = Vec::new();
            f.take(4)
                .read_to_end(&mut head)
                .with_context(|| format!("reading {}", path.display()))?;
            head
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
    };
    if bytes.is_empty() {
        return Ok(false);
    }
    if bytes != b"TAPE" {
        bail!(
            "/F {}: the file exists and is not an NTBackup .bkf (no MTF TAPE block): it is not replaced",
            path.display()
        );
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use backup_engine::ntcmd::{is_ntbackup_syntax, parse};
    use proptest::prelude::*;

    /// A valid NTBackup line as (switch, value) pairs; `None` for switches without a value.
    fn line() -> impl Strategy<Value = Vec<(&'static str, Option<String>)>> {
        let name = "[A-Za-z0-9 ._-]{1,12}";
        (
            name,
            prop::option::of(name),
            prop::sample::select(vec!["yes", "no", "YES", "No"]),
            prop::sample::select(vec!["f", "s", "n", "F"]),
            prop::sample::select(vec![
                "normal",
                "copy",
                "incremental",
                "Differential",
                "DAILY",
            ]),
            prop::sample::select(vec!["on", "off", "ON"]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(job, pool, yn, l, m, hc, um, up)| {
                let mut v = vec![
                    ("J", Some(job)),
                    ("V", Some(yn.to_owned())),
                    ("L", Some(l.to_owned())),
                    ("M", Some(m.to_owned())),
                    ("HC", Some(hc.to_owned())),
                    ("RS", Some(yn.to_owned())),
                ];
                if let Some(p) = pool {
                    v.push(("P", Some(p)));
                }
                if um {
                    v.push(("UM", None));
                }
                if up {
                    v.push(("UP", None));
                }
                v
            })
    }

    fn render(switches: &[(&str, Option<String>)], colon: bool, lower: bool) -> Vec<String> {
        let mut args = vec!["backup".to_owned(), "@x.bks".to_owned()];
        for (name, value) in switches {
            let name = if lower && *name != "UP" {
                name.to_ascii_lowercase()
            } else {
                (*name).to_owned()
            };
            match (value, colon) {
                (Some(v), true) => args.push(format!("/{name}:{v}")),
                (Some(v), false) => {
                    args.push(format!("/{name}"));
                    args.push(v.clone());
                }
                (None, _) => args.push(format!("/{name}")),
            }
        }
        args
    }

    proptest! {
        #[test]
        fn both_value_forms_and_any_case_mean_the_same(switches in line()) {
            let reference = parse(&render(&switches, true, false)).unwrap();
            prop_assert!(is_ntbackup_syntax(&render(&switches, false, true)));
            prop_assert_eq!(&parse(&render(&switches, false, false)).unwrap(), &reference);
            prop_assert_eq!(&parse(&render(&switches, true, true)).unwrap(), &reference);
            prop_assert_eq!(&parse(&render(&switches, false, true)).unwrap(), &reference);
        }

        #[test]
        fn any_arguments_give_a_command_or_an_error(args in prop::collection::vec(".{0,12}", 0..8)) {
            let mut all = vec!["backup".to_owned()];
            all.extend(args);
            let _ = is_ntbackup_syntax(&all);
            if let Ok(cmd) = parse(&all) {
                let _ = cmd.notes();
            }
        }

        #[test]
        fn any_bks_bytes_give_a_selection_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            backup_engine::fuzzing::bks(&bytes);
            backup_engine::fuzzing::ntbackup_command(&bytes);
        }
    }
}
