//! `ntbackup`: tape backup in the line of Windows NTBackup, on Linux.
//!
//! This binary is a thin layer: it parses the command line, chooses concrete devices from device
//! strings, prints, and maps outcomes to exit codes. Everything else is in the library crates.

/// `println!` that never panics: see [`write_stdout`].
macro_rules! outln {
    () => {
        $crate::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that never panics: see [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

/// See the workspace manifest for why the binary uses mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod backup_cmd;
mod catalog_cmd;
mod cli;
mod device;
mod devices_cmd;
mod docs_cmd;
mod exit;
mod files;
mod home;
mod list_cmd;
mod log;
mod logfile;
mod ntsyntax;
mod operator;
mod operator_cmd;
mod policies;
mod pool_cmd;
mod pools;
mod progress;
mod report;
mod restore_cmd;
mod size;
mod spool;
mod tape_cmd;
mod vtl_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // NTBackup's syntax (`ntbackup backup "@file.bks" /J job …`) is recognised before clap.
    let result = if ntsyntax::detect(&args) {
        ntsyntax::run(&args)
    } else {
        run(cli::Cli::parse())
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            exit::code(exit::of_error(&e))
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        cli::Command::Vtl(cmd) => vtl_cmd::run(cmd).map(|()| ExitCode::SUCCESS),
        cli::Command::Tape(cmd) => tape_cmd::run(cmd).map(|()| ExitCode::SUCCESS),
        cli::Command::Backup(args) => backup_cmd::run(args),
        cli::Command::Restore(args) => restore_cmd::run(args),
        cli::Command::List(args) => list_cmd::run(args),
        cli::Command::Devices => devices_cmd::run(),
        cli::Command::Catalog(cmd) => catalog_cmd::run(cmd),
        cli::Command::Operator(cmd) => operator_cmd::run(cmd),
        cli::Command::Pool(cmd) => pool_cmd::run(cmd),
        cli::Command::Completions { shell } => docs_cmd::completions(shell),
        cli::Command::Man { out } => docs_cmd::man(out.as_deref()),
    }
}

/// Writes to standard output. When the reader has gone away (`ntbackup list | head`) the program
/// ends quietly with status 141, as a filter killed by SIGPIPE would (Rust ignores SIGPIPE, and
/// `println!` would panic); any other write error ends it with a message.
#[allow(clippy::disallowed_methods, clippy::print_stderr)] // exiting is the point here
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    match std::io::stdout().lock().write_fmt(args) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(141),
        Err(e) => {
            eprintln!("ntbackup: error: writing to standard output: {e}");
            std::process::exit(i32::from(exit::FAILED));
        }
    }
}

/// Prints an error and its causes, one per line.
#[allow(clippy::print_stderr)] // the CLI owns stderr
fn report(e: &anyhow::Error) {
    if e.downcast_ref::<ntsyntax::Usage>().is_some() {
        eprintln!("ntbackup: error: {e}\n(see `ntbackup backup /?` for NTBackup's syntax)");
        return;
    }
    eprintln!("ntbackup: error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
