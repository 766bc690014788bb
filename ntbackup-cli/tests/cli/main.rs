//! Runs the `ntbackup` binary against virtual libraries in temporary directories.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod catalog;
mod crash;
mod engine;
mod faults;
mod hostile;
mod logs;
mod model;
mod ntsyntax;
mod operator;
mod pty;
mod tape;
mod types;
mod vtl;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// `len` incompressible bytes from `seed` (xorshift).
pub(crate) fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Every entry under `root` by relative path: file contents, link targets, "dir".
pub(crate) fn describe(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let m = fs::symlink_metadata(&p).unwrap();
            let v = if m.file_type().is_symlink() {
                fs::read_link(&p)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else if m.is_dir() {
                stack.push(p.clone());
                b"dir".to_vec()
            } else {
                fs::read(&p).unwrap()
            };
            out.insert(rel, v);
        }
    }
    out
}

/// Standard output and standard error together.
pub(crate) fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

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
