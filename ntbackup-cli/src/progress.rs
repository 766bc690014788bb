//! The progress bar of an attended backup (standard error is a terminal): bytes, files, rate,
//! current tape and ETA, with indicatif. Without a terminal nothing is drawn and the job's lines
//! are the whole story.
//!
//! The engine reports no byte-level progress yet, so the bar is fed from what it does report:
//! one full-detail message per file or directory (the file's size is looked up when it is
//! announced, so the byte count runs one file ahead) and media events; the totals come from a
//! quick walk of the selection on a helper thread. The exact figures are in the report at the
//! end.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backup_engine::{Detail, JobEvent, Selection};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar currently shown, so that any line printed meanwhile goes above it.
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `f` (which prints) with the bar, if any, hidden.
pub(crate) fn suspend<R>(f: impl FnOnce() -> R) -> R {
    let bar = CURRENT.lock().ok().and_then(|g| g.clone());
    match bar {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// Totals found by the helper thread.
#[derive(Default)]
struct Totals {
    files: AtomicU64,
    bytes: AtomicU64,
    done: AtomicBool,
}

/// A progress bar fed by job events.
pub(crate) struct Progress {
    bar: ProgressBar,
    totals: Arc<Totals>,
    files: u64,
    bytes: u64,
    tape: String,
}

impl Progress {
    /// A bar on standard error, with totals counted in the background.
    pub(crate) fn start(selection: &Selection) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:20}] {binary_bytes}/{binary_total_bytes} \
             {binary_bytes_per_sec} ETA {eta} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(250));
        let totals = Arc::new(Totals::default());
        let roots: Vec<PathBuf> = selection.roots().to_vec();
        let (sel, t) = (selection.clone(), Arc::clone(&totals));
        std::thread::spawn(move || {
            for root in roots {
                count(&root, &sel, &t);
            }
            t.done.store(true, Ordering::Relaxed);
        });
        if let Ok(mut g) = CURRENT.lock() {
            *g = Some(bar.clone());
        }
        Self {
            bar,
            totals,
            files: 0,
            bytes: 0,
            tape: String::new(),
        }
    }

    /// Updates the bar from one event.
    pub(crate) fn event(&mut self, event: &JobEvent) {
        match event {
            JobEvent::Message {
                detail: Detail::Full,
                text,
            } if !text.ends_with('/') => {
                self.files += 1;
                self.bytes += std::fs::symlink_metadata(text)
                    .ok()
                    .filter(std::fs::Metadata::is_file)
                    .map_or(0, |m| m.len());
            }
            JobEvent::MediumMounted { medium, sequence } => {
                self.tape = format!("tape #{sequence} {medium}");
            }
            JobEvent::Waiting { .. } => "waiting for a medium".clone_into(&mut self.tape),
            _ => return,
        }
        self.refresh();
    }

    fn refresh(&self) {
        let total = self.totals.bytes.load(Ordering::Relaxed);
        if self.totals.done.load(Ordering::Relaxed) || total > self.bytes {
            self.bar.set_length(total.max(self.bytes));
        }
        self.bar.set_position(self.bytes);
        let files = self.totals.files.load(Ordering::Relaxed);
        self.bar.set_message(format!(
            "{}/{}{} files, {}",
            self.files,
            files,
            if self.totals.done.load(Ordering::Relaxed) {
                ""
            } else {
                "+"
            },
            self.tape
        ));
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
        if let Ok(mut g) = CURRENT.lock() {
            *g = None;
        }
    }
}

/// Counts files and bytes under `path` (not following symbolic links), skipping exclusions.
fn count(path: &Path, selection: &Selection, totals: &Totals) {
    if selection.is_excluded(path) {
        return;
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for e in entries.flatten() {
            count(&e.path(), selection, totals);
        }
    } else {
        totals.files.fetch_add(1, Ordering::Relaxed);
        if meta.is_file() {
            totals.bytes.fetch_add(meta.len(), Ordering::Relaxed);
        }
    }
}
