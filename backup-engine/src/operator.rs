//! The [`Operator`] trait: how the prompt policy reaches a person.
//!
//! The engine does not know whether a person sits at a terminal, reads e-mail, or answers from
//! another shell: the CLI provides an attended (tty) operator and an unattended one (a notify
//! command, a request spool, back-off), and tests provide scripted ones.

use std::time::SystemTime;

use tape_core::VolumeTag;

/// Why a medium is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// A medium to write a backup on.
    Backup,
    /// A medium of a family to read from.
    Restore,
    /// The last medium of a family, to append a set to.
    Append,
}

impl Purpose {
    /// Lower-case name (`backup`, `restore`, `append`), as notify commands and the request
    /// spool show it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Backup => "backup",
            Self::Restore => "restore",
            Self::Append => "append",
        }
    }
}

/// A request for a medium, as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperatorRequest {
    /// Backup or restore.
    pub purpose: Purpose,
    /// The job's name.
    pub job: String,
    /// The drive the medium must go into.
    pub drive: String,
    /// The media family, once known (restores always; backups after the first medium).
    pub family: Option<u32>,
    /// Which medium of the family, from 1.
    pub sequence: u16,
    /// The barcode wanted, when known (restores from the catalog).
    pub barcode: Option<VolumeTag>,
    /// Why the medium offered last was refused, if one was.
    pub refused: Option<String>,
    /// When the request was first made.
    pub since: SystemTime,
    /// When the job stops waiting.
    pub until: SystemTime,
    /// 1 for the first notification, 2, 3, … for reminders.
    pub notification: u32,
}

impl OperatorRequest {
    /// One sentence: what is wanted where.
    pub fn describe(&self) -> String {
        let what = match (self.purpose, &self.barcode) {
            (Purpose::Restore, Some(b)) => format!("medium {b}"),
            (Purpose::Restore, None) => "the medium".to_owned(),
            (Purpose::Append, Some(b)) => format!("medium {b} (to append to)"),
            (Purpose::Append, None) => "the medium to append to".to_owned(),
            (Purpose::Backup, _) if self.sequence <= 1 => "a blank or expired medium".to_owned(),
            (Purpose::Backup, _) => "another blank or expired medium".to_owned(),
        };
        let place = match self.family {
            Some(f) => format!(" (media #{} of family {f:08X})", self.sequence),
            None => String::new(),
        };
        format!(
            "{what}{place} in drive {} for job \"{}\"",
            self.drive, self.job
        )
    }
}

/// What the operator said while the job waited.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperatorReply {
    /// Nothing yet (the wait ended at its deadline); the engine checks the drive anyway.
    Nothing,
    /// The operator says the medium is in the drive.
    Inserted,
    /// The operator cancels the request: stop waiting.
    Cancel {
        /// Who or why, for the log.
        reason: String,
    },
}

/// How a request ended, for the operator's records.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution {
    /// A suitable medium arrived.
    Satisfied,
    /// The operator cancelled.
    Cancelled,
    /// Nobody supplied a medium before the deadline.
    TimedOut,
}

/// An error telling the operator (e.g. the notify command failed). The prompt policy logs it
/// and keeps waiting: a broken notification must not lose the job.
#[derive(Debug, thiserror::Error)]
#[error("could not notify the operator: {0}")]
pub struct NotifyError(pub String);

/// A person, reached somehow.
///
/// # Call protocol
///
/// For one request the prompt policy calls [`notify`](Self::notify) once, then alternates
/// checking the drive and [`wait`](Self::wait) until a suitable medium is loaded, the operator
/// cancels, or the deadline passes; it calls `notify` again for reminders (with
/// `notification` counting up, spaced by a growing back-off) and finally
/// [`resolved`](Self::resolved). `wait` must return by `until` (it may return earlier, e.g. when
/// the operator answers); it is where the waiting happens, so the engine itself never sleeps.
pub trait Operator {
    /// Tells the operator what is wanted (first time or reminder).
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError>;

    /// Waits for an answer until `until` at the latest.
    fn wait(&mut self, request: &OperatorRequest, until: SystemTime) -> OperatorReply;

    /// The request is over.
    fn resolved(&mut self, request: &OperatorRequest, resolution: &Resolution) {
        let _ = (request, resolution);
    }
}

impl<O: Operator + ?Sized> Operator for &mut O {
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError> {
        (**self).notify(request)
    }
    fn wait(&mut self, request: &OperatorRequest, until: SystemTime) -> OperatorReply {
        (**self).wait(request, until)
    }
    fn resolved(&mut self, request: &OperatorRequest, resolution: &Resolution) {
        (**self).resolved(request, resolution);
    }
}

impl<O: Operator + ?Sized> Operator for Box<O> {
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError> {
        (**self).notify(request)
    }
    fn wait(&mut self, request: &OperatorRequest, until: SystemTime) -> OperatorReply {
        (**self).wait(request, until)
    }
    fn resolved(&mut self, request: &OperatorRequest, resolution: &Resolution) {
        (**self).resolved(request, resolution);
    }
}
