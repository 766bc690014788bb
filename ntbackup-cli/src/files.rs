//! `.bkf` files given with several `--tape file:…`: the next medium of the family is simply
//! the next file named, in order.

use backup_engine::policy::{MediaPolicy, MediaRequest, PolicyChain, PolicyContext, Supply};

/// Loads the next file of the `--tape file:…` list.
struct NextFile;

impl MediaPolicy for NextFile {
    fn name(&self) -> &str {
        "next file"
    }

    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        let loaded = cx.drive.status().is_ok_and(|s| s.ready);
        let moved = if loaded {
            cx.release_medium()
                .map_err(|e| e.to_string())
                .and_then(|()| cx.drive.unload().map_err(|e| e.to_string()))
        } else {
            Ok(())
        };
        if let Err(e) = moved {
            return Supply::Declined(format!("could not move to the next file: {e}"));
        }
        if cx.drive.status().is_ok_and(|s| s.ready) {
            Supply::Loaded
        } else {
            Supply::Declined(format!(
                "media #{} was not among the files given (name the .bkf files of the family in order with --tape file:…)",
                request.sequence
            ))
        }
    }
}

/// The policy for restores from files.
pub(crate) fn next_file_chain() -> PolicyChain {
    PolicyChain::new().then(NextFile)
}
