//! `ntbackup`: tape backup in the line of Windows NTBackup, on Linux.
//!
//! This binary is a thin layer: it parses the command line, chooses concrete devices from device
//! strings, prints, and maps outcomes to exit codes. Everything else is in the library crates.

mod cli;
mod device;
mod size;
mod tape_cmd;
mod vtl_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            ExitCode::FAILURE
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<()> {
    match cli.command {
        cli::Command::Vtl(cmd) => vtl_cmd::run(cmd),
        cli::Command::Tape(cmd) => tape_cmd::run(cmd),
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
