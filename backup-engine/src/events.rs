//! What a job reports while it runs. The engine never prints: it hands [`JobEvent`]s to an
//! [`EventSink`] (the CLI turns them into log lines, progress bars and JSON).

use std::fmt;
use std::time::SystemTime;

/// How much a log wants to hear (NTBackup's `/L:f|s|n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Detail {
    /// Key operations: loading tapes, starting and ending sets, waits, errors.
    Summary,
    /// Also every file and directory.
    Full,
}

/// Something that happened during a job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobEvent {
    /// A plain message at the given detail level.
    Message {
        /// Summary or full-detail line.
        detail: Detail,
        /// The text.
        text: String,
    },
    /// A warning: the job goes on, but the user must hear about it.
    Warning(String),
    /// The job waits for something until a deadline.
    Waiting {
        /// What it waits for (a cartridge, in which drive).
        what: String,
        /// Until when.
        until: SystemTime,
    },
    /// A medium was offered and refused.
    MediumRefused {
        /// The medium (barcode or description).
        medium: String,
        /// Why.
        reason: String,
    },
    /// A medium is in use for the job.
    MediumMounted {
        /// The medium (barcode or description).
        medium: String,
        /// Its place in the family, from 1.
        sequence: u16,
    },
}

impl fmt::Display for JobEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message { text, .. } => f.write_str(text),
            Self::Warning(text) => write!(f, "Warning: {text}"),
            Self::Waiting { what, until } => {
                write!(
                    f,
                    "Waiting for {what} until {}",
                    crate::time::format_local(*until)
                )
            }
            Self::MediumRefused { medium, reason } => {
                write!(f, "Medium {medium} refused: {reason}")
            }
            Self::MediumMounted { medium, sequence } => {
                write!(
                    f,
                    "Medium {medium} mounted as media #{sequence} of the family"
                )
            }
        }
    }
}

/// Receives a job's events.
pub trait EventSink {
    /// One event.
    fn event(&mut self, event: &JobEvent);

    /// Whether it would do anything with messages of `detail` (the engine skips formatting a
    /// line per file for a sink that drops them: issue 8). All of them, unless it says.
    fn wants(&self, detail: Detail) -> bool {
        let _ = detail;
        true
    }
}

/// Keeps every event (for tests and for callers that render at the end).
#[derive(Debug, Default, Clone)]
pub struct EventLog {
    /// The events, in order.
    pub events: Vec<JobEvent>,
}

impl EventLog {
    /// The events rendered as text lines.
    pub fn lines(&self) -> Vec<String> {
        self.events.iter().map(ToString::to_string).collect()
    }

    /// True if some line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.events.iter().any(|e| e.to_string().contains(needle))
    }
}

impl EventSink for EventLog {
    fn event(&mut self, event: &JobEvent) {
        self.events.push(event.clone());
    }
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    fn event(&mut self, event: &JobEvent) {
        (**self).event(event);
    }

    fn wants(&self, detail: Detail) -> bool {
        (**self).wants(detail)
    }
}
