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
