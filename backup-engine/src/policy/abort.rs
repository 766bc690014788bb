//! [`AbortPolicy`]: never supply a medium (Windows Server 2003 NTBackup's unattended behaviour,
//! done cleanly: the engine closes the set on the medium it has, so every file completely
//! written restores).

use super::{MediaPolicy, MediaRequest, PolicyContext, Stop, Supply};

/// Stops the search: the job ends at the end of the current medium.
#[derive(Debug, Clone, Copy, Default)]
pub struct AbortPolicy;

impl MediaPolicy for AbortPolicy {
    fn name(&self) -> &str {
        "abort"
    }

    fn supply(&mut self, _request: &MediaRequest, _cx: &mut PolicyContext<'_>) -> Supply {
        Supply::Stop(Stop::Abort)
    }
}
