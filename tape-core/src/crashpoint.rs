//! Named crash points: deterministic process death for crash-safety tests.
//!
//! The crash tests (`ntbackup-cli/tests/cli/crash.rs`) run the real `ntbackup` binary with
//! `NTBACKUP_CRASH_AT=NAME[:N]` in its environment; the N-th time (default the first) the
//! process reaches the point `NAME` it dies at once with [`std::process::abort`] — no
//! destructors, no flush, no `Drop` of the drive handle, the same as `kill -9` or a power cut
//! as far as the process's own files are concerned. Points that model a half-finished write
//! (a torn record) ask [`reached`] and leave the half-written state behind themselves before
//! calling [`crash`].
//!
//! Unset (always, outside those tests), a point costs one load of an initialised
//! [`OnceLock`] and a comparison. The points, in the order a backup meets them:
//!
//! | name | where |
//! |---|---|
//! | `vtl.record.torn` | a cartridge record half appended: its header and half its data are in the image |
//! | `vtl.record.written` | just after a record (block or filemark) was appended, before any sync |
//! | `vtl.filemark.synced` | a filemark written and the image synced |
//! | `vtl.changer.move` | the robot is about to move a cartridge (a media change) |
//! | `vtl.state.written` | the library state written to its temporary file, not yet renamed |
//! | `catalog.entries.uncommitted` | a batch of catalog entries inserted, its transaction not committed |
//! | `catalog.close.uncommitted` | the set's closing update made, its transaction not committed |
//! | `catalog.close.committed` | the set closed in the catalog, before the job reports and exits |

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the point to die at: `NAME` or `NAME:N`.
pub const ENV: &str = "NTBACKUP_CRASH_AT";

struct Armed {
    name: String,
    at: u64,
    hits: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let text = std::env::var(ENV).ok()?;
            let (name, at) = match text.rsplit_once(':') {
                Some((name, n)) => (name, n.trim().parse().ok()?),
                None => (text.as_str(), 1),
            };
            Some(Armed {
                name: name.trim().to_owned(),
                at,
                hits: AtomicU64::new(0),
            })
        })
        .as_ref()
}

/// Counts a passage through point `name`; `true` exactly when this is the passage to die at.
/// The caller then leaves the state the point models and calls [`crash`].
pub fn reached(name: &str) -> bool {
    match armed() {
        Some(a) if a.name == name => a.hits.fetch_add(1, Ordering::Relaxed) + 1 == a.at,
        _ => false,
    }
}

/// Dies at point `name` when [`reached`] says so.
pub fn hit(name: &str) {
    if reached(name) {
        crash(name);
    }
}

/// Dies now, as a power cut would: no destructor runs, no buffer is flushed.
pub fn crash(name: &str) -> ! {
    // One unbuffered line, so a test's failure message can tell where the process died.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("crash point {name} reached: aborting\n").as_bytes(),
    );
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unarmed_point_is_never_reached() {
        // The test process has no NTBACKUP_CRASH_AT (set, it would only name a point of a
        // child ntbackup process).
        if std::env::var_os(ENV).is_none() {
            for _ in 0..3 {
                assert!(!reached("vtl.record.written"));
            }
        }
    }
}
