//! What the user sees of a job: its events as time-stamped lines on standard error.

use std::time::SystemTime;

use backup_engine::{Detail, EventSink, JobEvent};

use crate::logfile::LogFile;
use crate::progress::Progress;

/// `2026-11-25 16:10:03` local time.
pub(crate) fn timestamp(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t)
        .map(|ts| {
            ts.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// Prints events (at `detail` and above) to standard error, copies them to the log file (at
/// the log's level) and feeds the progress bar.
pub(crate) struct Console {
    pub(crate) detail: Detail,
    /// Every line printed, for the summary and the log file.
    pub(crate) lines: Vec<String>,
    /// Warnings, for the JSON report.
    pub(crate) warnings: Vec<String>,
    /// The log file and the level it records (`/L:f` full, `/L:s` summary).
    pub(crate) log: Option<(LogFile, Detail)>,
    pub(crate) progress: Option<Progress>,
}

impl Console {
    pub(crate) fn new(detail: Detail) -> Self {
        Self {
            detail,
            lines: Vec::new(),
            warnings: Vec::new(),
            log: None,
            progress: None,
        }
    }

    /// Prints one line (and logs it).
    pub(crate) fn line(&mut self, text: &str) {
        self.print(text);
        self.log(text);
    }

    /// Prints one line on the terminal only.
    #[allow(clippy::print_stderr)] // the CLI owns stderr
    pub(crate) fn print(&mut self, text: &str) {
        let line = format!("{} {text}", timestamp(SystemTime::now()));
        crate::progress::suspend(|| eprintln!("{line}"));
        self.lines.push(line);
    }

    /// Writes one line to the log file only.
    pub(crate) fn log(&mut self, text: &str) {
        if let Some((file, _)) = &mut self.log {
            file.line(text);
        }
    }

    /// Removes the progress bar (before the final report).
    pub(crate) fn finish_progress(&mut self) {
        if let Some(p) = self.progress.take() {
            p.finish();
        }
    }
}

impl EventSink for Console {
    fn event(&mut self, event: &JobEvent) {
        if let Some(p) = &mut self.progress {
            p.event(event);
        }
        let level = match event {
            JobEvent::Message { detail, .. } => *detail,
            _ => Detail::Summary,
        };
        if let JobEvent::Warning(w) = event {
            self.warnings.push(w.clone());
        }
        let logged = self.log.as_ref().is_some_and(|(_, d)| level <= *d);
        if level > self.detail && !logged {
            return;
        }
        let text = event.to_string();
        if level <= self.detail {
            self.print(&text);
        }
        if logged {
            self.log(&text);
        }
    }

    fn wants(&self, detail: Detail) -> bool {
        // The progress bar counts files by their full-detail lines.
        self.progress.is_some()
            || detail <= self.detail
            || self.log.as_ref().is_some_and(|(_, d)| detail <= *d)
    }
}
