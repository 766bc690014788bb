//! `--json`: the machine-readable report printed on standard output when a backup ends.
//!
//! ```json
//! { "job": "Test", "status": "completed", "exit_code": 0, "family": "1A2B3C4D", "set": 1,
//!   "media": [{"sequence": 1, "barcode": "VT0001"}], "directories": 3, "files": 20,
//!   "bytes": 123456, "skipped": [], "corrupt": [], "warnings": [], "notes": [],
//!   "stop": null, "error": null, "log_file": "…/logs/backup01.log",
//!   "started": "2026-11-25T16:10:03+01:00", "finished": "…", "seconds": 12.5 }
//! ```
//!
//! `status` is `completed`, `completed-with-warnings`, `stopped` (no further medium: the set
//! was closed early; `stop` says why) or `failed` (`error` says why).

use std::path::PathBuf;
use std::time::SystemTime;

use backup_engine::backup::{BackupOutcome, BackupReport};
use serde::Serialize;

use crate::backup_cmd::Plan;
use crate::exit;

/// One medium of the report.
#[derive(Debug, Serialize)]
pub(crate) struct JsonMedium {
    sequence: u16,
    barcode: Option<String>,
}

/// A path and why.
#[derive(Debug, Serialize)]
pub(crate) struct JsonIssue {
    path: String,
    reason: String,
}

/// The report.
#[derive(Debug, Serialize)]
pub(crate) struct JsonReport {
    job: String,
    status: &'static str,
    exit_code: u8,
    family: Option<String>,
    set: Option<u16>,
    media: Vec<JsonMedium>,
    directories: u64,
    files: u64,
    bytes: u64,
    skipped: Vec<JsonIssue>,
    corrupt: Vec<JsonIssue>,
    pub(crate) warnings: Vec<String>,
    notes: Vec<String>,
    stop: Option<String>,
    error: Option<String>,
    log_file: Option<PathBuf>,
    started: String,
    finished: String,
    seconds: f64,
    /// The verify after backup, when one ran.
    pub(crate) verify: Option<JsonVerify>,
    #[serde(skip)]
    started_at: Option<SystemTime>,
}

/// A verify after backup.
#[derive(Debug, Serialize)]
pub(crate) struct JsonVerify {
    files: u64,
    bytes: u64,
    different: Vec<JsonIssue>,
    damaged: Vec<String>,
    incomplete: Option<String>,
}

impl From<&backup_engine::restore::VerifyReport> for JsonVerify {
    fn from(v: &backup_engine::restore::VerifyReport) -> Self {
        Self {
            files: v.files,
            bytes: v.bytes,
            different: v
                .different
                .iter()
                .map(|(path, reason)| JsonIssue {
                    path: path.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            damaged: v.damaged.clone(),
            incomplete: v.incomplete.clone(),
        }
    }
}

fn rfc3339(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t)
        .map(|ts| {
            ts.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

impl JsonReport {
    pub(crate) fn new(plan: &Plan, started: SystemTime, log_file: Option<PathBuf>) -> Self {
        Self {
            job: plan.job.clone(),
            status: "failed",
            exit_code: exit::FAILED,
            family: None,
            set: None,
            media: Vec::new(),
            directories: 0,
            files: 0,
            bytes: 0,
            skipped: Vec::new(),
            corrupt: Vec::new(),
            warnings: Vec::new(),
            notes: plan.notes.clone(),
            stop: None,
            error: None,
            log_file,
            started: rfc3339(started),
            finished: String::new(),
            seconds: 0.0,
            verify: None,
            started_at: Some(started),
        }
    }

    fn end(&mut self) {
        let now = SystemTime::now();
        self.finished = rfc3339(now);
        self.seconds = self
            .started_at
            .and_then(|s| now.duration_since(s).ok())
            .map_or(0.0, |d| d.as_secs_f64());
    }

    /// Fills in a finished backup's figures.
    pub(crate) fn fill(&mut self, r: &BackupReport, code: u8) {
        let issues = |v: &[(PathBuf, String)]| {
            v.iter()
                .map(|(p, why)| JsonIssue {
                    path: p.display().to_string(),
                    reason: why.clone(),
                })
                .collect()
        };
        self.family = Some(format!("{:08X}", r.family));
        self.set = Some(r.set_number);
        self.media = r
            .media
            .iter()
            .map(|m| JsonMedium {
                sequence: m.sequence,
                barcode: m.barcode.as_ref().map(ToString::to_string),
            })
            .collect();
        self.directories = r.directories;
        self.files = r.files;
        self.bytes = r.bytes;
        self.skipped = issues(&r.skipped);
        self.corrupt = issues(&r.corrupt);
        self.exit_code = code;
        (self.status, self.stop) = match &r.outcome {
            BackupOutcome::Complete if code == exit::SUCCESS => ("completed", None),
            BackupOutcome::Complete => ("completed-with-warnings", None),
            BackupOutcome::Stopped(stop) => ("stopped", Some(stop.to_string())),
        };
        self.end();
    }

    /// The backup failed before it could report.
    pub(crate) fn failed(&mut self, e: &anyhow::Error) {
        self.status = "failed";
        self.exit_code = exit::FAILED;
        self.error = Some(format!("{e:#}"));
        self.end();
    }

    /// Prints the report on standard output.
    pub(crate) fn print(&self) {
        match serde_json::to_string_pretty(self) {
            Ok(text) => outln!("{text}"),
            Err(e) => outln!("{{\"status\": \"failed\", \"error\": \"JSON: {e}\"}}"),
        }
    }
}
