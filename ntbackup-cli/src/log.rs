//! What the user sees of a job: its events as time-stamped lines on standard error.

use std::time::SystemTime;

use backup_engine::{Detail, EventSink, JobEvent};

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

/// Prints events (at `detail` and above) to standard error.
pub(crate) struct Console {
    pub(crate) detail: Detail,
    /// Every line printed, for the summary and the log file.
    pub(crate) lines: Vec<String>,
}

impl Console {
    pub(crate) fn new(detail: Detail) -> Self {
        Self {
            detail,
            lines: Vec::new(),
        }
    }

    /// Prints one line.
    #[allow(clippy::print_stderr)] // the CLI owns stderr
    pub(crate) fn line(&mut self, text: &str) {
        let line = format!("{} {text}", timestamp(SystemTime::now()));
        eprintln!("{line}");
        self.lines.push(line);
    }
}

impl EventSink for Console {
    fn event(&mut self, event: &JobEvent) {
        let wanted = match event {
            JobEvent::Message { detail, .. } => *detail <= self.detail,
            _ => true,
        };
        if wanted {
            self.line(&event.to_string());
        }
    }
}
