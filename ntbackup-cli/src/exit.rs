//! Exit codes, documented for scripts.

use std::process::ExitCode;

/// The job did everything it was asked.
pub(crate) const SUCCESS: u8 = 0;
/// The job completed, but some objects were skipped or changed while being read.
pub(crate) const WARNINGS: u8 = 1;
/// The command line cannot be run as written (clap uses 2 for its usage errors too).
pub(crate) const USAGE: u8 = 2;
/// The job failed or stopped early ("The operation did not successfully complete.").
pub(crate) const FAILED: u8 = 3;
/// The operator cancelled a request for a medium.
pub(crate) const CANCELLED: u8 = 4;
/// Nobody supplied a medium in time.
pub(crate) const TIMED_OUT: u8 = 5;

pub(crate) fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}

/// The code of a job that ended in an error: a request for its first medium that nobody
/// answered in time, or that the operator cancelled, ends as such a request does later in the
/// job (5, 4); a command line that cannot be run is 2; anything else 3.
pub(crate) fn of_error(e: &anyhow::Error) -> u8 {
    use backup_engine::backup::BackupError;
    use backup_engine::policy::Stop;
    use backup_engine::restore::RestoreError;
    if e.downcast_ref::<crate::ntsyntax::Usage>().is_some() {
        return USAGE;
    }
    let stop = match (
        e.downcast_ref::<BackupError>(),
        e.downcast_ref::<RestoreError>(),
    ) {
        (Some(BackupError::NoMedium(stop)), _) | (_, Some(RestoreError::NoMedium(stop))) => stop,
        _ => return FAILED,
    };
    match stop {
        Stop::TimedOut { .. } => TIMED_OUT,
        Stop::Cancelled(_) => CANCELLED,
        _ => FAILED,
    }
}
