//! `ntbackup`: tape backup in the line of Windows NTBackup, on Linux.
//!
//! This binary is a thin layer: it parses the command line, chooses concrete devices from device
//! strings, prints, and maps outcomes to exit codes. Everything else is in the library crates.

mod backup_cmd;
mod catalog_cmd;
mod cli;
mod device;
mod devices_cmd;
mod exit;
mod files;
mod home;
mod list_cmd;
mod log;
mod operator;
mod policies;
mod restore_cmd;
mod size;
mod tape_cmd;
mod vtl_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            exit::code(exit::FAILED)
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
    }
}

/// Prints an error and its causes, one per line.
#[allow(clippy::print_stderr)] // the CLI owns stderr
fn report(e: &anyhow::Error) {
    eprintln!("ntbackup: error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
