//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tape backup in the line of Windows NTBackup: jobs that fill a tape never just die.
#[derive(Debug, Parser)]
#[command(name = "ntbackup", version, about, propagate_version = true)]
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
