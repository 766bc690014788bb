//! `ntbackup completions SHELL` and `ntbackup man`, generated from the clap grammar so they
//! never drift from `--help`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;

pub(crate) fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "ntbackup", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn man(out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cmd = Cli::command();
    match out {
        None => clap_mangen::Man::new(cmd)
            .render(&mut std::io::stdout())
            .context("writing the man page")?,
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
