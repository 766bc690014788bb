//! NTBackup's command line (`ntbackup backup "@file.bks" /J "job" /P "pool" /UM …`), parsed into
//! a typed [`NtCommand`] or a clear [`NtCommandError`]. Pure: no I/O, no environment.
//!
//! # The grammar
//!
//! After `backup` (any case), each token is one of:
//!
//! | token | meaning |
//! |---|---|
//! | `@FILE` | a `.bks` selection file (read by the caller, see [`crate::bks`]) |
//! | `systemstate` (any case) | Windows System State ([`NtCommand::system_state`]) |
//! | `/NAME`, `/NAME:VALUE`, `/NAME VALUE` | a switch, if `NAME` is one of NTBackup's (below) |
//! | `--option`, `--option VALUE`, `--option=VALUE` | one of this tool's options, passed through in [`NtCommand::modern`] |
//! | anything else | a path to back up (`/home`, `/srv/data`, `docs`) |
//!
//! Switch names are case-insensitive (`/v:yes`, `/M normal`) except `/UP`, which the KB 839591
//! hotfix defines in capitals: `/up` is refused rather than read as a directory. A token is a
//! switch only if its name is one of NTBackup's, so `/home` is a path; to name a directory that
//! looks like a switch (a top-level `/a`, `/t`, `/m`…), write it with a trailing slash (`/t/`) or
//! as `/./t`, which no switch matches.
//!
//! The documented conflicts are enforced: `/P` not with `/A`, `/G`, `/F` or `/T`; `/A` needs
//! `/G` or `/T`; `/N` not with `/A`; `/F` not with `/P`, `/G` or `/T`; `systemstate` only with
//! the normal or copy type. NT 4.0's switches with other meanings (`/B`, `/E`, `/TAPE:n`) are
//! refused with an explanation.

use std::fmt;

use crate::backup::BackupType;

/// NTBackup's `/L` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// `/L:f`: every file and directory.
    Full,
    /// `/L:s`: key operations only.
    #[default]
    Summary,
    /// `/L:n`: no log file.
    None,
}

/// A parsed `ntbackup backup …` line in NTBackup's syntax.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NtCommand {
    /// `@file.bks` selection files, in order.
    pub bks_files: Vec<String>,
    /// Paths given directly instead of (or besides) a `.bks` file.
    pub paths: Vec<String>,
    /// `systemstate` was named.
    pub system_state: bool,
    /// `/J`: the job name.
    pub job: Option<String>,
    /// `/P`: the media pool.
    pub pool: Option<String>,
    /// `/G`: the tape's RSM GUID.
    pub guid: Option<String>,
    /// `/T`: the tape's logical name.
    pub tape_name: Option<String>,
    /// `/N`: the name written on new media.
    pub media_name: Option<String>,
    /// `/F`: back up to this `.bkf` file.
    pub file: Option<String>,
    /// `/D`: the set description.
    pub description: Option<String>,
    /// `/DS "server"`: Exchange Directory Service (Windows only).
    pub exchange_ds: Option<String>,
    /// `/IS "server"`: Exchange Information Store (Windows only).
    pub exchange_is: Option<String>,
    /// `/A`: append.
    pub append: bool,
    /// `/V`: verify after backup.
    pub verify: Option<bool>,
    /// `/R`: restrict access to the owner.
    pub restrict: Option<bool>,
    /// `/L`: log level.
    pub log: Option<LogLevel>,
    /// `/M`: backup type.
    pub backup_type: Option<BackupType>,
    /// `/RS`: Remote Storage (Windows only).
    pub remote_storage: Option<bool>,
    /// `/HC`: hardware compression.
    pub hardware_compression: Option<bool>,
    /// `/SNAP`: volume shadow copy (Windows only).
    pub snapshot: Option<bool>,
    /// `/UM`: unmanaged: take the first usable medium of the pool and format it.
    pub unmanaged: bool,
    /// `/UP`: prompt for another medium in an unattended job (KB 839591).
    pub prompt: bool,
    /// `/?`: help.
    pub help: bool,
    /// This tool's own `--options` (with their values), in order, for the caller to parse.
    pub modern: Vec<String>,
}

/// A switch, for error messages (`/P`, `/UM` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Switch {
    /// `/J`
    J,
    /// `/P`
    P,
    /// `/G`
    G,
    /// `/T`
    T,
    /// `/N`
    N,
    /// `/F`
    F,
    /// `/D`
    D,
    /// `/DS`
    Ds,
    /// `/IS`
    Is,
    /// `/A`
    A,
    /// `/V`
    V,
    /// `/R`
    R,
    /// `/L`
    L,
    /// `/M`
    M,
    /// `/RS`
    Rs,
    /// `/HC`
    Hc,
    /// `/SNAP`
    Snap,
    /// `/UM`
    Um,
    /// `/UP`
    Up,
    /// `/?`
    Help,
}

/// What a switch takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    Text,
    YesNo,
    OnOff,
    Level,
    Type,
    Nothing,
}

const SWITCHES: &[(&str, Switch, Takes)] = &[
    ("J", Switch::J, Takes::Text),
    ("P", Switch::P, Takes::Text),
    ("G", Switch::G, Takes::Text),
    ("T", Switch::T, Takes::Text),
    ("N", Switch::N, Takes::Text),
    ("F", Switch::F, Takes::Text),
    ("D", Switch::D, Takes::Text),
    ("DS", Switch::Ds, Takes::Text),
    ("IS", Switch::Is, Takes::Text),
    ("A", Switch::A, Takes::Nothing),
    ("V", Switch::V, Takes::YesNo),
    ("R", Switch::R, Takes::YesNo),
    ("L", Switch::L, Takes::Level),
    ("M", Switch::M, Takes::Type),
    ("RS", Switch::Rs, Takes::YesNo),
    ("HC", Switch::Hc, Takes::OnOff),
    ("SNAP", Switch::Snap, Takes::OnOff),
    ("UM", Switch::Um, Takes::Nothing),
    ("UP", Switch::Up, Takes::Nothing),
    ("?", Switch::Help, Takes::Nothing),
];

impl Switch {
    /// The switch as written in NTBackup's documentation.
    pub fn name(self) -> &'static str {
        SWITCHES
            .iter()
            .find(|(_, s, _)| *s == self)
            .map_or("?", |(n, _, _)| n)
    }
}

impl fmt::Display for Switch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.name())
    }
}

/// Options of this tool that take a value (so `--notify CMD` keeps `CMD` with it).
pub const MODERN_WITH_VALUE: &[&str] = &[
    "--tape",
    "--changer",
    "--drive-index",
    "--notify",
    "--prompt-timeout",
    "--on-timeout",
    "--on-full",
    "--block-size",
    "--map-drive",
    "--exclude",
];

/// Why an NTBackup command line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NtCommandError {
    /// The line does not start with `backup`.
    #[error(
        "NTBackup's command line has only the backup operation (\"ntbackup backup @file.bks /J job …\"); \
         restores use `ntbackup restore`"
    )]
    NotBackup,
    /// A switch needs a value and has none.
    #[error(
        "{switch} needs a value: {expected} (a directory named like the switch is written with a \
         trailing slash, e.g. \"{switch}/\")"
    )]
    MissingValue {
        /// The switch.
        switch: Switch,
        /// What it takes.
        expected: &'static str,
    },
    /// A switch's value is not one it takes.
    #[error("{switch}: {value:?} is not valid; expected {expected}")]
    BadValue {
        /// The switch.
        switch: Switch,
        /// The value given.
        value: String,
        /// What it takes.
        expected: &'static str,
    },
    /// A switch that takes no value was given one.
    #[error("{switch} takes no value (found \"{switch}:{value}\")")]
    UnexpectedValue {
        /// The switch.
        switch: Switch,
        /// The value given.
        value: String,
    },
    /// A switch was given twice.
    #[error("{0} is given twice")]
    Duplicate(Switch),
    /// Two switches that may not be combined.
    #[error("{a} cannot be combined with {b}: {why}")]
    Conflict {
        /// The first switch.
        a: Switch,
        /// The second switch.
        b: Switch,
        /// Why (from NTBackup's documentation).
        why: &'static str,
    },
    /// A switch that needs another.
    #[error("{switch} needs {needs}")]
    Requires {
        /// The switch.
        switch: Switch,
        /// What it needs.
        needs: &'static str,
    },
    /// `/up` in lower case.
    #[error(
        "\"{0}\": the prompt switch is /UP in capitals (as the KB 839591 hotfix defines it); \
         to back up a directory with that name write it with a trailing slash (\"{0}/\")"
    )]
    LowercaseUp(String),
    /// An NT 4.0 switch whose meaning changed.
    #[error("\"{token}\" is NT 4.0 syntax ({meaning}), which this tool does not take: {instead}")]
    Nt4 {
        /// The token.
        token: String,
        /// What it meant in NT 4.0.
        meaning: &'static str,
        /// What to write instead.
        instead: &'static str,
    },
    /// An Exchange switch: nothing on Linux to back up.
    #[error(
        "{switch} \"{server}\" backs up a Microsoft Exchange server's {what}, which exists only on Windows; \
         this tool backs up files (name them in the .bks file or on the command line)"
    )]
    Exchange {
        /// `/DS` or `/IS`.
        switch: Switch,
        /// The server named.
        server: String,
        /// Directory Service or Information Store.
        what: &'static str,
    },
    /// `@` without a file name.
    #[error("\"@\" must be followed by the .bks file's name, e.g. \"@/etc/ntbackup/nightly.bks\"")]
    EmptyBks,
    /// A `--option` that needs a value is last.
    #[error("{0} needs a value")]
    ModernMissingValue(String),
    /// Nothing to back up.
    #[error("nothing to back up: name a selection file (\"@file.bks\") or paths after \"backup\"")]
    NoSelection,
    /// `systemstate` with a type other than normal or copy.
    #[error("systemstate can only be backed up with /M normal or /M copy (found /M {0})")]
    SystemStateType(&'static str),
}

/// True if `args` (the arguments after the program name) are in NTBackup's syntax:
/// `backup` (any case) followed by a `@file`, `systemstate`, or a token that matches the switch
/// grammar. `ntbackup backup /home --job x` is the modern syntax (`/home` is not a switch).
pub fn is_ntbackup_syntax(args: &[impl AsRef<str>]) -> bool {
    let Some((first, rest)) = args.split_first() else {
        return false;
    };
    if !first.as_ref().eq_ignore_ascii_case("backup") {
        return false;
    }
    // `Backup` / `BACKUP` is only ever NTBackup's: the modern subcommand is lower case.
    if first.as_ref() != "backup" && !rest.is_empty() {
        return true;
    }
    let mut after_option = false;
    rest.iter().any(|t| {
        let t = t.as_ref();
        // The value of a modern option (`--exclude /a`, `--job /j`) is never evidence.
        let value = std::mem::replace(
            &mut after_option,
            !t.contains('=')
                && (MODERN_WITH_VALUE.contains(&t) || MODERN_ONLY_WITH_VALUE.contains(&t)),
        );
        !value
            && (t.starts_with('@')
                || t.eq_ignore_ascii_case("systemstate")
                || !matches!(classify(t), Ok(Token::Path(_) | Token::Modern(_))))
    })
}

/// Options of the modern `ntbackup backup` that take a value, besides [`MODERN_WITH_VALUE`].
const MODERN_ONLY_WITH_VALUE: &[&str] = &[
    "--job",
    "--description",
    "--pool",
    "--type",
    "--media-name",
    "--log",
];

/// One token, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Bks(&'a str),
    SystemState,
    Switch(Switch, Takes, Option<&'a str>),
    Modern(&'a str),
    Path(&'a str),
}

fn classify(t: &str) -> Result<Token<'_>, NtCommandError> {
    if t.starts_with("--") {
        return Ok(Token::Modern(t));
    }
    if let Some(name) = t.strip_prefix('@') {
        return Ok(Token::Bks(name));
    }
    if t.eq_ignore_ascii_case("systemstate") {
        return Ok(Token::SystemState);
    }
    let Some(body) = t.strip_prefix('/') else {
        return Ok(Token::Path(t));
    };
    let (name, value) = match body.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    };
    if name == "?" {
        return Ok(Token::Switch(Switch::Help, Takes::Nothing, value));
    }
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Ok(Token::Path(t));
    }
    if name.eq_ignore_ascii_case("up") && name != "UP" {
        return Err(NtCommandError::LowercaseUp(t.to_owned()));
    }
    if let Some(err) = nt4(t, name) {
        return Err(err);
    }
    Ok(SWITCHES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map_or(Token::Path(t), |(_, s, k)| Token::Switch(*s, *k, value)))
}

fn nt4(token: &str, name: &str) -> Option<NtCommandError> {
    let (meaning, instead) = if name.eq_ignore_ascii_case("b") {
        (
            "back up the registry",
            "the registry is Windows-only; back up /etc and the directories you need",
        )
    } else if name.eq_ignore_ascii_case("e") {
        (
            "log exceptions only",
            "use /L:s for a summary log (or write the directory as \"/e/\")",
        )
    } else if name.eq_ignore_ascii_case("tape") {
        (
            "the drive number",
            "choose the drive with --tape vtl:DIR#N, /dev/nstN or sg:/dev/sgN",
        )
    } else {
        return None;
    };
    Some(NtCommandError::Nt4 {
        token: token.to_owned(),
        meaning,
        instead,
    })
}

fn yes_no(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "y" => Some(true),
        "no" | "n" => Some(false),
        _ => None,
    }
}

fn on_off(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

fn level(v: &str) -> Option<LogLevel> {
    match v.to_ascii_lowercase().as_str() {
        "f" | "full" => Some(LogLevel::Full),
        "s" | "summary" => Some(LogLevel::Summary),
        "n" | "none" => Some(LogLevel::None),
        _ => None,
    }
}

fn backup_type(v: &str) -> Option<BackupType> {
    match v.to_ascii_lowercase().as_str() {
        "normal" => Some(BackupType::Normal),
        "copy" => Some(BackupType::Copy),
        "incremental" => Some(BackupType::Incremental),
        "differential" => Some(BackupType::Differential),
        "daily" => Some(BackupType::Daily),
        _ => None,
    }
}

impl Takes {
    fn expected(self) -> &'static str {
        match self {
            Self::Text => "a name in quotes",
            Self::YesNo => "yes or no",
            Self::OnOff => "on or off",
            Self::Level => "f (full), s (summary) or n (none)",
            Self::Type => "normal, copy, incremental, differential or daily",
            Self::Nothing => "nothing",
        }
    }
}

/// True if the token after `/V`, `/M`… is its value (checked next), not another switch.
fn takes_next(v: &str) -> bool {
    matches!(classify(v), Ok(Token::Path(_)))
}

/// Parses `args` (the arguments after the program name, starting with `backup`).
pub fn parse(args: &[impl AsRef<str>]) -> Result<NtCommand, NtCommandError> {
    let Some((first, rest)) = args.split_first() else {
        return Err(NtCommandError::NotBackup);
    };
    if !first.as_ref().eq_ignore_ascii_case("backup") {
        return Err(NtCommandError::NotBackup);
    }
    let mut cmd = NtCommand::default();
    let mut seen = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let token = rest[i].as_ref();
        i += 1;
        match classify(token)? {
            Token::Bks("") => return Err(NtCommandError::EmptyBks),
            Token::Bks(name) => cmd.bks_files.push(name.to_owned()),
            Token::SystemState => cmd.system_state = true,
            Token::Path(p) => cmd.paths.push(p.to_owned()),
            Token::Modern(m) => {
                cmd.modern.push(m.to_owned());
                if !m.contains('=') && MODERN_WITH_VALUE.contains(&m) {
                    let v = rest
                        .get(i)
                        .ok_or_else(|| NtCommandError::ModernMissingValue(m.to_owned()))?;
                    cmd.modern.push(v.as_ref().to_owned());
                    i += 1;
                }
            }
            Token::Switch(switch, takes, inline) => {
                if seen.contains(&switch) {
                    return Err(NtCommandError::Duplicate(switch));
                }
                seen.push(switch);
                let value = match (takes, inline) {
                    (Takes::Nothing, Some(v)) => {
                        return Err(NtCommandError::UnexpectedValue {
                            switch,
                            value: v.to_owned(),
                        });
                    }
                    (Takes::Nothing, None) => String::new(),
                    (_, Some(v)) => v.to_owned(),
                    (_, None) => match rest.get(i).map(AsRef::as_ref) {
                        Some(v) if takes == Takes::Text || takes_next(v) => {
                            i += 1;
                            v.to_owned()
                        }
                        _ => {
                            return Err(NtCommandError::MissingValue {
                                switch,
                                expected: takes.expected(),
                            });
                        }
                    },
                };
                apply(&mut cmd, switch, takes, value)?;
            }
        }
    }
    validate(&cmd)?;
    Ok(cmd)
}

fn apply(
    cmd: &mut NtCommand,
    switch: Switch,
    takes: Takes,
    value: String,
) -> Result<(), NtCommandError> {
    let bad = |value: &str| NtCommandError::BadValue {
        switch,
        value: value.to_owned(),
        expected: takes.expected(),
    };
    if takes == Takes::Text && value.is_empty() && !matches!(switch, Switch::D | Switch::N) {
        return Err(NtCommandError::MissingValue {
            switch,
            expected: takes.expected(),
        });
    }
    match switch {
        Switch::J => cmd.job = Some(value),
        Switch::P => cmd.pool = Some(value),
        Switch::G => cmd.guid = Some(value),
        Switch::T => cmd.tape_name = Some(value),
        Switch::N => cmd.media_name = Some(value),
        Switch::F => cmd.file = Some(value),
        Switch::D => cmd.description = Some(value),
        Switch::Ds => cmd.exchange_ds = Some(value),
        Switch::Is => cmd.exchange_is = Some(value),
        Switch::A => cmd.append = true,
        Switch::V => cmd.verify = Some(yes_no(&value).ok_or_else(|| bad(&value))?),
        Switch::R => cmd.restrict = Some(yes_no(&value).ok_or_else(|| bad(&value))?),
        Switch::Rs => cmd.remote_storage = Some(yes_no(&value).ok_or_else(|| bad(&value))?),
        Switch::Hc => cmd.hardware_compression = Some(on_off(&value).ok_or_else(|| bad(&value))?),
        Switch::Snap => cmd.snapshot = Some(on_off(&value).ok_or_else(|| bad(&value))?),
        Switch::L => cmd.log = Some(level(&value).ok_or_else(|| bad(&value))?),
        Switch::M => cmd.backup_type = Some(backup_type(&value).ok_or_else(|| bad(&value))?),
        Switch::Um => cmd.unmanaged = true,
        Switch::Up => cmd.prompt = true,
        Switch::Help => cmd.help = true,
    }
    Ok(())
}

/// The conflict matrix of NTBackup's command reference, and the Windows-only refusals.
fn validate(cmd: &NtCommand) -> Result<(), NtCommandError> {
    if cmd.help {
        return Ok(());
    }
    let given = |s: Switch| match s {
        Switch::P => cmd.pool.is_some(),
        Switch::G => cmd.guid.is_some(),
        Switch::T => cmd.tape_name.is_some(),
        Switch::F => cmd.file.is_some(),
        Switch::N => cmd.media_name.is_some(),
        Switch::A => cmd.append,
        _ => false,
    };
    const RULES: &[(Switch, Switch, &str)] = &[
        (
            Switch::P,
            Switch::A,
            "a pool supplies new media, and appending names the tape with /G or /T",
        ),
        (
            Switch::P,
            Switch::G,
            "/P takes media from a pool, /G names one tape",
        ),
        (
            Switch::P,
            Switch::T,
            "/P takes media from a pool, /T names one tape",
        ),
        (Switch::P, Switch::F, "/P backs up to tape, /F to a file"),
        (
            Switch::F,
            Switch::G,
            "/F backs up to a file, /G names a tape",
        ),
        (
            Switch::F,
            Switch::T,
            "/F backs up to a file, /T names a tape",
        ),
        (
            Switch::N,
            Switch::A,
            "/N names new media, and appending keeps the medium's name",
        ),
    ];
    for &(a, b, why) in RULES {
        if given(a) && given(b) {
            return Err(NtCommandError::Conflict { a, b, why });
        }
    }
    if cmd.append && !given(Switch::G) && !given(Switch::T) && !given(Switch::F) {
        return Err(NtCommandError::Requires {
            switch: Switch::A,
            needs: "/G \"guid\" or /T \"tape name\" (the tape to append to), or /F \"file.bkf\"",
        });
    }
    if let Some(server) = &cmd.exchange_ds {
        return Err(NtCommandError::Exchange {
            switch: Switch::Ds,
            server: server.clone(),
            what: "Directory Service",
        });
    }
    if let Some(server) = &cmd.exchange_is {
        return Err(NtCommandError::Exchange {
            switch: Switch::Is,
            server: server.clone(),
            what: "Information Store",
        });
    }
    if cmd.system_state
        && let Some(t) = cmd.backup_type
        && !matches!(t, BackupType::Normal | BackupType::Copy)
    {
        return Err(NtCommandError::SystemStateType(t.name()));
    }
    if cmd.bks_files.is_empty() && cmd.paths.is_empty() && !cmd.system_state {
        return Err(NtCommandError::NoSelection);
    }
    Ok(())
}

impl NtCommand {
    /// What the Windows-only switches mean here, one sentence each, for the log (NTBackup's
    /// meaning is never dropped silently).
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.snapshot == Some(true) {
            notes.push(
                "/SNAP:on: Linux has no volume shadow copies; files are read live, and a file that \
                 changes while it is read is reported and marked corrupt in the set"
                    .to_owned(),
            );
        }
        if self.remote_storage == Some(true) {
            notes.push(
                "/RS:yes: there is no Remote Storage on Linux, so no migrated data to include"
                    .to_owned(),
            );
        }
        if self.restrict == Some(true) {
            notes.push(
                "/R:yes: access is not recorded on the medium; the catalog and logs in $NTBACKUP_HOME are \
                 private to your user, and restores keep each file's own owner and mode"
                    .to_owned(),
            );
        }
        if let Some(hc) = self.hardware_compression {
            notes.push(format!(
                "/HC:{}: the drive's compression is left as it is set (mt compression / the library's setting)",
                if hc { "on" } else { "off" }
            ));
        }
        notes
    }
}

#[cfg(test)]
#[path = "ntcmd_tests.rs"]
mod tests;
