//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Examples shown by `ntbackup --help` (and in the man page).
pub(crate) const EXAMPLES: &str = "\
Examples:
  ntbackup backup /home /etc --exclude '*.tmp' --job nightly
  ntbackup backup TREE --tape file:monday.bkf
  ntbackup restore --to /srv/restored
  ntbackup backup \"@/etc/ntbackup/Test.bks\" /v:no /r:no /rs:no /hc:on /m normal /j \"Test\" /l:s /p \"4mm DDS\" /um /UP
  ntbackup operator list            # requests for media waiting for an answer
  ntbackup operator ack 4242-1      # the medium is in: the waiting job checks the drive now

NTBackup's syntax (\"ntbackup backup @file.bks /J job ...\") is accepted as written; see
`ntbackup backup /?`. Exit codes: 0 success, 1 warnings, 2 usage, 3 failed, 4 cancelled,
5 nobody supplied a medium in time.";

/// Examples shown by `ntbackup backup --help`.
const BACKUP_EXAMPLES: &str = "\
Examples:
  ntbackup backup /home /etc --exclude '*.tmp' --job nightly --log f
  ntbackup backup TREE --tape vtl:L --changer vtl:L --on-full changer,prompt,abort
  ntbackup backup TREE --on-full prompt --notify 'mail -s \"$NTBACKUP_MESSAGE\" ops' --prompt-timeout 3600
  ntbackup backup TREE --pool weekly --json > report.json
  ntbackup backup \"@nightly.bks\" /j Nightly /p \"4mm DDS\" /um /UP      (NTBackup syntax)";

/// Tape backup in the line of Windows NTBackup: jobs that fill a tape never just die.
#[derive(Debug, Parser)]
#[command(
    name = "ntbackup",
    version,
    about,
    propagate_version = true,
    after_help = EXAMPLES
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Manage a virtual tape library by hand: create it, insert and eject cartridges.
    #[command(subcommand)]
    Vtl(VtlCommand),
    /// Drive a tape drive by hand, like mt(1): status, rewind, space, read and write blocks.
    Tape(TapeArgs),
    /// Back up files and directories to tape (by default to the embedded virtual library).
    Backup(BackupArgs),
    /// Restore a backup set from tape or .bkf files into a directory.
    Restore(RestoreArgs),
    /// List the sets and files on media (.bkf files or the tape in a drive).
    List(ListArgs),
    /// List the tape drives and changers found on this machine (sysfs, /dev/tape/by-id).
    Devices,
    /// The catalog: rebuild it from the tapes alone, list the sets it knows.
    #[command(subcommand)]
    Catalog(crate::catalog_cmd::CatalogCommand),
    /// Answer requests for media from another terminal: list, ack (the medium is in), cancel.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Media pools: named groups of cartridges in a library (NTBackup's /P).
    #[command(subcommand)]
    Pool(PoolCommand),
    /// Print shell completions for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory.
    Man {
        /// Write ntbackup.1, ntbackup-backup.1, … into this directory instead.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// What the prompt policy does when nobody supplies a medium in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum OnTimeoutArg {
    /// Close the set on the media written and exit with code 5 ("waiting timed out").
    #[default]
    Stop,
    /// Pass to the next policy of the chain (with prompt,abort: abort, exit code 3).
    Next,
}

/// NTBackup's log levels (/L:f|s|n).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum LogArg {
    /// Every file and directory.
    F,
    /// Key operations only.
    #[default]
    S,
    /// No log file.
    N,
}

/// NTBackup's backup types (/M).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum TypeArg {
    /// Everything selected.
    #[default]
    Normal,
    /// Everything selected, without disturbing a rotation.
    Copy,
    /// Changed since the last normal or incremental.
    Incremental,
    /// Changed since the last normal or incremental (kept).
    Differential,
    /// Changed today.
    Daily,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OperatorCommand {
    /// List the open requests for media (from every job using this $NTBACKUP_HOME).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Say that the medium is in the drive: the waiting job checks the drive at once.
    Ack {
        /// The request's id (from `operator list`); may be left out when only one is open.
        id: Option<String>,
    },
    /// Cancel a request: the job stops, closes its set and exits with code 4.
    Cancel {
        /// The request's id (from `operator list`); may be left out when only one is open.
        id: Option<String>,
        /// Why, for the job's log.
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PoolCommand {
    /// Create a pool of cartridges (by barcode) in a library.
    Create {
        /// The pool's name, e.g. "4mm DDS".
        name: String,
        /// The library's drive [default: the embedded virtual library].
        #[arg(long)]
        tape: Option<String>,
        /// The library's changer [default: vtl:DIR for --tape vtl:DIR].
        #[arg(long)]
        changer: Option<String>,
        /// Cartridges in the pool.
        barcodes: Vec<String>,
    },
    /// Add cartridges to a pool.
    Add {
        /// The pool.
        name: String,
        /// The cartridges.
        #[arg(required = true)]
        barcodes: Vec<String>,
    },
    /// Take cartridges out of a pool.
    Remove {
        /// The pool.
        name: String,
        /// The cartridges.
        #[arg(required = true)]
        barcodes: Vec<String>,
    },
    /// Delete a pool (its cartridges are not touched).
    Delete {
        /// The pool.
        name: String,
    },
    /// List the pools.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Where the media are and what supplies the next one.
#[derive(Debug, Args)]
pub(crate) struct MediaArgs {
    /// The drive: vtl:DIR[#N], file:X.bkf, /dev/nstN, sg:/dev/sgN or null: [default: the embedded
    /// virtual library in $NTBACKUP_HOME]. Restore and list take several file: media in order.
    #[arg(long, env = "NTBACKUP_TAPE")]
    pub(crate) tape: Vec<String>,
    /// The changer: vtl:DIR, /dev/sgN or "script:COMMAND [CHANGER-DEVICE]".
    #[arg(long)]
    pub(crate) changer: Option<String>,
    /// The drive's number in the changer, when --tape does not say.
    #[arg(long, default_value_t = 0)]
    pub(crate) drive_index: u16,
    /// Command run (through sh -c) when an operator must supply a medium; it sees
    /// NTBACKUP_EVENT, NTBACKUP_JOB, NTBACKUP_DRIVE, NTBACKUP_FAMILY, NTBACKUP_SEQUENCE,
    /// NTBACKUP_BARCODE (when known), NTBACKUP_MESSAGE and NTBACKUP_UNTIL.
    #[arg(long)]
    pub(crate) notify: Option<String>,
    /// Seconds the prompt policy waits for a medium before its final action.
    #[arg(long, default_value_t = 8 * 3600, env = "NTBACKUP_PROMPT_TIMEOUT")]
    pub(crate) prompt_timeout: u64,
    /// The prompt policy's final action after --prompt-timeout.
    #[arg(long, value_enum, default_value_t, env = "NTBACKUP_ON_TIMEOUT")]
    pub(crate) on_timeout: OnTimeoutArg,
}

#[derive(Debug, Args)]
#[command(after_help = BACKUP_EXAMPLES)]
pub(crate) struct BackupArgs {
    /// Files and directories to back up (relative paths stay relative, as with tar).
    #[arg(required = true)]
    pub(crate) paths: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub(crate) media: MediaArgs,
    /// What to do when a medium fills: abort, prompt, changer, or a chain such as
    /// changer,prompt,abort [default: changer,abort with a changer, else abort].
    #[arg(long)]
    pub(crate) on_full: Option<String>,
    /// The job's name (logs, operator requests, catalog).
    #[arg(long)]
    pub(crate) job: Option<String>,
    /// The set description.
    #[arg(long)]
    pub(crate) description: Option<String>,
    /// Leave out paths matching this glob (a name such as *.tmp, or a path with a slash).
    #[arg(long)]
    pub(crate) exclude: Vec<String>,
    /// Allow overwriting media that hold data (of another backup or another program).
    #[arg(long)]
    pub(crate) overwrite: bool,
    /// Tape block size [default: 256KiB].
    #[arg(long, value_parser = size)]
    pub(crate) block_size: Option<u64>,
    /// Do not write the MTF catalog (set map and file details) after the set.
    #[arg(long)]
    pub(crate) no_tape_catalog: bool,
    /// Threads that read ahead of the walk while files or directories come from the disk,
    /// keeping several reads going at once: files (every file of a normal or copy backup, the
    /// changed ones of the other types) and directories [default: 8; 0 for none]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=64))]
    pub(crate) read_threads: Option<u16>,
    /// Model a drive streaming at RATE, e.g. 400MB/s, or 400MB/s,floor=157MB/s,buffer=1GiB
    /// for one that speed-matches down to a floor (buffer 64MiB by default): writes are held to
    /// the drive, and every time it would have run dry (an underrun: the tape stops and
    /// repositions) is counted and reported
    #[arg(long, value_name = "RATE", value_parser = crate::size::rate)]
    pub(crate) drive_rate: Option<crate::size::DriveRate>,
    /// Log every file and directory.
    #[arg(long, short)]
    pub(crate) verbose: bool,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
    /// Take cartridges from this media pool (see `ntbackup pool`).
    #[arg(long)]
    pub(crate) pool: Option<String>,
    /// The backup type.
    #[arg(long = "type", value_enum, default_value_t)]
    pub(crate) backup_type: TypeArg,
    /// The name written on new media [default: "Media created DATE at TIME"].
    #[arg(long)]
    pub(crate) media_name: Option<String>,
    /// After the backup, read the set back and compare every file with what was read
    /// (NTBackup /V:yes); a difference fails the job.
    #[arg(long)]
    pub(crate) verify: bool,
    /// Append the set after the last set of a family instead of starting a new one on a blank
    /// medium (NTBackup /A): the medium in the drive, else the family this job wrote last.
    #[arg(long, conflicts_with_all = ["media_name", "overwrite"])]
    pub(crate) append: bool,
    /// With --append: the family whose media carry this name (NTBackup /T).
    #[arg(long, requires = "append", value_name = "MEDIA-NAME")]
    pub(crate) append_to: Option<String>,
}

/// How a job reports: the log file, progress, JSON.
#[derive(Debug, Args, Clone, Copy)]
pub(crate) struct ReportArgs {
    /// The log file in $NTBACKUP_HOME/logs (backup01.log … backup10.log): f every file,
    /// s summary, n none.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) log: LogArg,
    /// Print a machine-readable JSON report on standard output at the end.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub(crate) no_progress: bool,
}

/// This tool's options that NTBackup's syntax accepts after the switches.
#[derive(Debug, Parser)]
#[command(name = "ntbackup backup", no_binary_name = true)]
pub(crate) struct NtExtras {
    #[command(flatten)]
    pub(crate) media: MediaArgs,
    /// A media policy chain, replacing the one the switches imply.
    #[arg(long)]
    pub(crate) on_full: Option<String>,
    /// Allow overwriting media that hold data (of another backup or another program).
    #[arg(long)]
    pub(crate) overwrite: bool,
    /// Tape block size.
    #[arg(long, value_parser = size)]
    pub(crate) block_size: Option<u64>,
    /// Map a Windows drive letter of the .bks file to a directory, e.g. C=/mnt/c.
    #[arg(long)]
    pub(crate) map_drive: Vec<String>,
    /// Leave out paths matching this glob.
    #[arg(long)]
    pub(crate) exclude: Vec<String>,
    /// Print a machine-readable JSON report on standard output at the end.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub(crate) no_progress: bool,
    /// Show every file and directory on the terminal.
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// Restore only these files or directories (as backed up, e.g. /home/ann/report.odt);
    /// with the catalog only the media holding them are read, from where they lie.
    pub(crate) paths: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub(crate) media: MediaArgs,
    /// The directory to restore into (created if missing). A path stored as /abs/x restores to
    /// DIR/abs/x, C:\x to DIR/C/x; nothing is ever written outside DIR.
    #[arg(long, required_unless_present = "list_media")]
    pub(crate) to: Option<std::path::PathBuf>,
    /// Restore the tree as it was at this backup (a set id from `ntbackup catalog list`): an
    /// incremental or differential brings its normal backup and the sets between.
    #[arg(long, conflicts_with_all = ["set", "all_sets"], value_name = "SET-ID")]
    pub(crate) as_of: Option<i64>,
    /// Only print which media the restore needs, in order (* = the changer can reach it).
    #[arg(long)]
    pub(crate) list_media: bool,
    /// What to do when the next medium is not in the drive: abort, prompt, changer, or a chain
    /// [default: changer,abort with a changer, else abort].
    #[arg(long)]
    pub(crate) on_missing: Option<String>,
    /// Restore the set with this number [default: the newest set of the family].
    #[arg(long)]
    pub(crate) set: Option<u16>,
    /// Restore every set, in order.
    #[arg(long, conflicts_with = "set")]
    pub(crate) all_sets: bool,
    /// The job's name (logs, operator requests).
    #[arg(long)]
    pub(crate) job: Option<String>,
    /// Log every file and directory.
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The media: file:X.bkf (several in order for a family), or a drive.
    #[arg(long, env = "NTBACKUP_TAPE")]
    pub(crate) tape: Vec<String>,
}

fn size(text: &str) -> Result<u64, String> {
    crate::size::parse(text)
}

#[derive(Debug, Subcommand)]
pub(crate) enum VtlCommand {
    /// Create a library in DIR with a blank cartridge in every slot.
    Create {
        /// Directory for the library (created; must be empty).
        dir: PathBuf,
        /// Storage slots, each holding a new blank cartridge.
        #[arg(long, default_value_t = 6)]
        slots: u16,
        /// Drives.
        #[arg(long, default_value_t = 1)]
        drives: u16,
        /// Import/export (mail) slots, created empty.
        #[arg(long, default_value_t = 1)]
        ie_slots: u16,
        /// Capacity of each cartridge (KiB/MiB/GiB or KB/MB/GB).
        #[arg(long, default_value = "1GiB", value_parser = size)]
        capacity: u64,
        /// Early-warning zone before the physical end [default: capacity/64, at least 64KiB].
        #[arg(long, value_parser = size)]
        early_warning: Option<u64>,
        /// Barcode prefix: cartridges are named prefix + 4 digits.
        #[arg(long, default_value = "VT")]
        barcode_prefix: String,
    },
    /// Show drives, slots, barcodes, used and free space, write-protect tabs.
    Status {
        /// The library directory.
        dir: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Insert a cartridge into a drive by hand (the drive loads it).
    Insert {
        /// The library directory.
        dir: PathBuf,
        /// Drive number (from 0).
        #[arg(long, default_value_t = 0)]
        drive: usize,
        /// The first never-written, writable data cartridge in the slots.
        #[arg(long, conflicts_with = "barcode", required_unless_present = "barcode")]
        next_blank: bool,
        /// The cartridge with this barcode.
        #[arg(long)]
        barcode: Option<String>,
    },
    /// Eject the cartridge from a drive and put it back in its slot.
    Eject {
        /// The library directory.
        dir: PathBuf,
        /// Drive number (from 0).
        #[arg(long, default_value_t = 0)]
        drive: usize,
        /// Pull the cartridge out even while a job has it loaded (a fault test).
        #[arg(long)]
        force: bool,
    },
    /// Set (or with --off clear) a cartridge's write-protect tab.
    Protect {
        /// The library directory.
        dir: PathBuf,
        /// The cartridge.
        #[arg(long)]
        barcode: String,
        /// Clear the tab instead.
        #[arg(long)]
        off: bool,
    },
    /// Add new blank cartridges to empty slots (adding slots as needed).
    Add {
        /// The library directory.
        dir: PathBuf,
        /// How many.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Add cleaning cartridges (barcodes CLNnnn) instead of data cartridges.
        #[arg(long)]
        cleaning: bool,
    },
    /// Move a cartridge with the robot, e.g. `--from slot:3 --to drive:0` (also `ie:1`).
    Move {
        /// The library directory.
        dir: PathBuf,
        /// Source element: slot:N, drive:N or ie:N.
        #[arg(long)]
        from: String,
        /// Destination element: slot:N, drive:N or ie:N.
        #[arg(long)]
        to: String,
    },
    /// Inject faults for tests (addresses count blocks and filemarks from 0).
    Fault(FaultArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["barcode", "drive"])))]
pub(crate) struct FaultArgs {
    /// The library directory.
    pub(crate) dir: PathBuf,
    /// Cartridge to inject into.
    #[arg(long)]
    pub(crate) barcode: Option<String>,
    /// Drive to inject into.
    #[arg(long)]
    pub(crate) drive: Option<usize>,
    /// Writing the object at this address fails with a medium error.
    #[arg(long, requires = "barcode")]
    pub(crate) write_error_at: Option<u64>,
    /// Reading the block at this address fails with a medium error.
    #[arg(long, requires = "barcode")]
    pub(crate) read_error_at: Option<u64>,
    /// Writes at this address and after report early warning.
    #[arg(long, requires = "barcode")]
    pub(crate) early_warning_at: Option<u64>,
    /// Writes at this address and after fail at the physical end.
    #[arg(long, requires = "barcode")]
    pub(crate) physical_end_at: Option<u64>,
    /// The drive reports "not ready" to every command.
    #[arg(long, requires = "drive")]
    pub(crate) not_ready: bool,
    /// Remove all faults of the target.
    #[arg(long)]
    pub(crate) clear: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TapeArgs {
    /// The drive: vtl:DIR (drive 0 of the library in DIR) or vtl:DIR#N.
    #[arg(long, env = "NTBACKUP_TAPE", global = true)]
    pub(crate) tape: Option<String>,
    #[command(subcommand)]
    pub(crate) op: TapeOp,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TapeOp {
    /// Medium present? Barcode, position, early warning / end of data, write protection.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Rewind to the beginning.
    Rewind,
    /// Load (thread) the cartridge in the drive.
    Load,
    /// Rewind and eject the cartridge.
    #[command(alias = "eject", alias = "offline")]
    Unload,
    /// Space forward over N filemarks.
    Fsf {
        /// How many.
        #[arg(default_value_t = 1)]
        count: i64,
    },
    /// Space backward over N filemarks (ends before the last one).
    Bsf {
        /// How many.
        #[arg(default_value_t = 1)]
        count: i64,
    },
    /// Space forward over N blocks.
    Fsr {
        /// How many.
        #[arg(default_value_t = 1)]
        count: i64,
    },
    /// Space backward over N blocks.
    Bsr {
        /// How many.
        #[arg(default_value_t = 1)]
        count: i64,
    },
    /// Go to the end of recorded data.
    Eod,
    /// Write N filemarks.
    Weof {
        /// How many.
        #[arg(default_value_t = 1)]
        count: u32,
    },
    /// Print the current block address.
    Tell,
    /// Go to a block address.
    Seek {
        /// Block address (counts blocks and filemarks).
        block: u64,
    },
    /// Write a file (or standard input) as blocks at the current position.
    Write {
        /// Input file; standard input if absent.
        input: Option<PathBuf>,
        /// Block size.
        #[arg(long, default_value = "256KiB", value_parser = size)]
        block_size: u64,
        /// Write a filemark after the data.
        #[arg(long)]
        filemark: bool,
    },
    /// Read blocks up to the next filemark (or end of data) into a file (or standard output).
    Read {
        /// Output file; standard output if absent.
        output: Option<PathBuf>,
        /// Largest block expected.
        #[arg(long, default_value = "16MiB", value_parser = size)]
        max_block: u64,
    },
}
