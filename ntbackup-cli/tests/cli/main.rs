//! Runs the `ntbackup` binary against virtual libraries in temporary directories.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod engine;
mod faults;
mod hostile;
mod logs;
mod ntsyntax;
mod operator;
mod pty;
mod tape;
mod types;
mod vtl;

use std::path::Path;
use std::process::{Command, Output};

/// A temporary working directory in which `ntbackup` runs.
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ntbackup"));
        cmd.args(args);
        self.environment(&mut cmd);
        cmd
    }

    /// A shell command line, run as a user would type it, with `ntbackup` on the PATH.
    pub(crate) fn shell(&self, line: &str) -> Output {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(line).stdin(std::process::Stdio::null());
        self.environment(&mut cmd);
        cmd.output().unwrap()
    }

    fn environment(&self, cmd: &mut Command) {
        let bin = std::path::Path::new(env!("CARGO_BIN_EXE_ntbackup"))
            .parent()
            .unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.current_dir(self.path())
            .env_remove("NTBACKUP_TAPE")
            .env("NTBACKUP_HOME", self.path().join("home"))
            .env("PATH", path);
    }

    /// Runs `ntbackup ARGS` and returns its output, whatever the exit status.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs `ntbackup ARGS`, requires success and returns standard output.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "ntbackup {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `ntbackup ARGS`, requires failure and returns standard error.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "ntbackup {args:?} should have failed"
        );
        String::from_utf8(out.stderr).unwrap()
    }
}
