//! NTBackup-style log files: a ring of `backup01.log` … `backup10.log` in
//! `$NTBACKUP_HOME/logs`. Each job takes the number after the one written last (recorded in
//! `logs/last`), wrapping after 10, and overwrites that file.
//!
//! The files are UTF-8, not NTBackup's UTF-16: on Linux the tools that read logs (grep, less,
//! journald, mail) expect UTF-8, and a UTF-16 file defeats exactly the `grep "The operation did
//! not successfully complete."` that scripts run. (`iconv -f UTF-8 -t UTF-16LE` converts one for
//! a Windows reader.) The lines scripts test are written exactly as NTBackup wrote them.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// How many logs the ring keeps.
pub(crate) const RING: u32 = 10;

/// An open log file.
pub(crate) struct LogFile {
    path: PathBuf,
    file: File,
}

/// The number after the last one written (1 on a fresh directory).
fn next_number(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join("last"))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|n| (1..=RING).contains(n))
        .map_or(1, |n| n % RING + 1)
}

impl LogFile {
    /// Opens the next log of the ring in `dir` (truncating it).
    pub(crate) fn next_in(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let n = next_number(dir);
        let path = dir.join(format!("backup{n:02}.log"));
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        std::fs::write(dir.join("last"), format!("{n}\n"))
            .with_context(|| format!("writing {}", dir.join("last").display()))?;
        Ok(Self { path, file })
    }

    /// Opens the next log of the ring in `$NTBACKUP_HOME/logs`.
    pub(crate) fn next() -> anyhow::Result<Self> {
        Self::next_in(&crate::home::home()?.join("logs"))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (errors writing a log are not worth failing a backup for: the same
    /// lines went to the terminal).
    pub(crate) fn line(&mut self, text: &str) {
        let _ = writeln!(self.file, "{text}");
    }
}

/// "11/25/2026 at 4:44 PM", as NTBackup's logs date things.
pub(crate) fn ntbackup_time(t: std::time::SystemTime) -> String {
    jiff::Timestamp::try_from(t)
        .map(|ts| {
            ts.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%-m/%-d/%Y at %-I:%M %p")
                .to_string()
        })
        .unwrap_or_default()
}

/// "1 minute and 3 seconds".
pub(crate) fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    let plural = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => plural(sec, "second"),
        (0, min, sec) => format!("{} and {}", plural(min, "minute"), plural(sec, "second")),
        (h, min, _) => format!("{} and {}", plural(h, "hour"), plural(min, "minute")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_wraps_after_ten() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..12)
            .map(|_| {
                let mut f = LogFile::next_in(dir.path()).unwrap();
                f.line("x");
                f.path().file_name().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(names[0], "backup01.log");
        assert_eq!(names[9], "backup10.log");
        assert_eq!(names[10], "backup01.log");
        assert_eq!(names[11], "backup02.log");
        std::fs::write(dir.path().join("last"), "garbage").unwrap();
        assert_eq!(next_number(dir.path()), 1);
    }

    #[test]
    fn durations_read_like_ntbackup() {
        use std::time::Duration;
        assert_eq!(duration(Duration::from_secs(1)), "1 second");
        assert_eq!(duration(Duration::from_secs(63)), "1 minute and 3 seconds");
        assert_eq!(duration(Duration::from_secs(7322)), "2 hours and 2 minutes");
    }
}
