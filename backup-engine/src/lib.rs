//! The backup engine: jobs, media policies, restore, verify and catalog, generic over the device
//! traits of `tape-core` and writing the Microsoft Tape Format through `tape-format`.
//!
//! # The model
//!
//! **What does I/O, and what does not.** The engine reads the files of a [`Selection`], writes
//! restored files under a target directory, keeps the SQLite [`Catalog`](catalog::Catalog), and
//! drives the [`TapeDrive`](tape_core::TapeDrive) and [`MediaChanger`](tape_core::MediaChanger)
//! it is *given* — nothing else. It never prints (it reports [`JobEvent`]s to an
//! [`EventSink`]), never exits, never reads stdin and never sleeps: asking a person goes through
//! an [`Operator`], time comes from a [`Clock`]. The MTF framing itself is pure
//! (`tape_format::writer::MediaWriter` and `tape_format::reader::MediaReader` are sans-IO state
//! machines); the engine executes what they ask of the drive. So every job runs the same on a
//! real drive, a `.bkf` file, the virtual library, or a test double, and every scenario test is
//! deterministic.
//!
//! **A job is a function call.** [`run_backup`](backup::run_backup),
//! [`run_restore`](restore::run_restore), [`run_verify`](restore::run_verify) and
//! [`run_rebuild`](rebuild::run_rebuild) each take a *job* (what to do: a `*Job` with its
//! defaultable `*Options`) and a *context* (what it works with: a `*Context` of the drive, the
//! media policy, the clock, the event sink and the catalog, all borrowed), and return a
//! *report* or an error typed for that operation ([`BackupError`](backup::BackupError),
//! [`RestoreError`](restore::RestoreError), [`RebuildError`](rebuild::RebuildError),
//! [`CatalogError`](catalog::CatalogError)). A full tape is not an error: a backup that ran out
//! of media ends with [`BackupOutcome::Stopped`](backup::BackupOutcome::Stopped) and its set
//! closed, so every file written completely restores.
//!
//! # The call protocols
//!
//! * [`TapeDrive`](tape_core::TapeDrive) (from `tape-core`; its documentation is the protocol):
//!   early warning, filemarks and end of data are *outcomes*
//!   ([`WriteStatus`](tape_core::WriteStatus), [`ReadStatus`](tape_core::ReadStatus)), not
//!   errors. On early warning the engine finishes the medium (MTF filemark, EOTM, filemark) and
//!   asks the media policy for the next one; a write refused at the physical end is written again
//!   in full on the next medium. A drive adapter only has to forward those outcomes faithfully
//!   (`examples/throttled_drive.rs` wraps a drive to limit its rate).
//! * [`MediaChanger`](tape_core::MediaChanger): used only by
//!   [`ChangerPolicy`](policy::ChangerPolicy), which reads the inventory, unloads the drive
//!   before moving a cartridge out of it, and picks a cartridge the
//!   [`MediaDirectory`](policy::MediaDirectory) (the catalog) says may be written.
//! * [`MediaPolicy`](policy::MediaPolicy): called when a job starts without a usable medium, when
//!   a backup's medium is full, and when a restore needs the next medium of a family. It gets a
//!   [`MediaRequest`](policy::MediaRequest) (purpose, family, sequence, barcode wanted, media to
//!   leave out, refusals so far) and a [`PolicyContext`](policy::PolicyContext), and answers
//!   [`Supply::Loaded`](policy::Supply::Loaded) (a medium is in the drive),
//!   [`Supply::Declined`](policy::Supply::Declined) (cannot help: the next policy of a
//!   [`PolicyChain`](policy::PolicyChain) gets its turn) or
//!   [`Supply::Stop`](policy::Supply::Stop) (end the search). A policy that takes a medium out
//!   of the drive first calls [`PolicyContext::release_medium`](policy::PolicyContext::release_medium);
//!   one that declines or stops leaves the drive alone, so the engine can close the set on the
//!   medium it has. The engine checks every medium loaded (write-protected, foreign data, wrong
//!   family or sequence) and, if it refuses it, asks again with the medium added to
//!   `request.exclude`. Built in: [`AbortPolicy`](policy::AbortPolicy),
//!   [`PromptPolicy`](policy::PromptPolicy), [`ChangerPolicy`](policy::ChangerPolicy)
//!   (`examples/custom_policy.rs` writes one of its own and chains it with them).
//! * [`Operator`]: the person behind [`PromptPolicy`](policy::PromptPolicy). For one request it
//!   is told once ([`Operator::notify`]), then waited on ([`Operator::wait`], which must return
//!   by its deadline — it is where all waiting happens), reminded with a growing back-off, and
//!   finally told how the request ended ([`Operator::resolved`]).
//! * [`EventSink`] receives every [`JobEvent`] as it happens ([`EventLog`] keeps them), a
//!   backup's line per file only if [`EventSink::wants`] full detail; [`Clock`] gives the
//!   time ([`SystemClock`], or [`ManualClock`] in tests).
//!
//! # Main types
//!
//! | to … | use |
//! |---|---|
//! | back up | [`backup::BackupJob`], [`backup::BackupOptions`], [`backup::BackupContext`], [`backup::run_backup`] → [`backup::BackupReport`] |
//! | restore, verify | [`restore::RestoreJob`], [`restore::RestoreContext`], [`restore::run_restore`], [`restore::run_verify`] |
//! | supply media | [`policy::MediaPolicy`], [`policy::PolicyChain`], [`policy::AbortPolicy`], [`policy::PromptPolicy`], [`policy::ChangerPolicy`] |
//! | remember what is where | [`catalog::Catalog`]; [`rebuild::run_rebuild`] recreates it from the media |
//! | select files | [`Selection`], [`walk`] |
//! | read NTBackup's command lines and `.bks` files | [`ntcmd`], [`bks`] |
//!
//! # Example
//!
//! A backup of a directory onto the cartridges of a virtual library, the changer loading each
//! next one, then a restore (the examples directory has the complete programs):
//!
//! ```
//! use backup_engine::backup::{run_backup, BackupContext, BackupJob, BackupOutcome};
//! use backup_engine::policy::{AbortPolicy, ChangerPolicy, NoDirectory, PolicyChain};
//! use backup_engine::restore::{run_restore, RestoreContext, RestoreJob};
//! use backup_engine::{EventLog, Selection, SystemClock};
//! use tape_core::vtl::{LibraryConfig, VirtualLibrary};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tmp = tempfile::tempdir()?;
//! let src = tmp.path().join("src");
//! std::fs::create_dir(&src)?;
//! std::fs::write(src.join("a.txt"), b"hello, tape")?;
//!
//! let mut config = LibraryConfig::default();
//! config.capacity = 8 << 20;
//! config.early_warning = 1 << 20;
//! let library = VirtualLibrary::create(tmp.path().join("library"), &config)?;
//! let mut drive = library.drive(0)?;
//! let mut policy = PolicyChain::new()
//!     .then(ChangerPolicy::new(library.changer(), 0, Box::new(NoDirectory)))
//!     .then(AbortPolicy);
//! let mut events = EventLog::default();
//!
//! let job = BackupJob::new("nightly", Selection::new([&src], [] as [&str; 0])?);
//! let report = run_backup(&job, BackupContext {
//!     drive: &mut drive,
//!     policy: &mut policy,
//!     clock: &SystemClock,
//!     events: &mut events,
//!     catalog: None,
//! })?;
//! assert_eq!(report.outcome, BackupOutcome::Complete);
//!
//! let out = tmp.path().join("out");
//! let restored = run_restore(&RestoreJob::new("restore", &out), RestoreContext {
//!     drive: &mut drive,
//!     policy: &mut policy,
//!     clock: &SystemClock,
//!     events: &mut events,
//!     catalog: None,
//! })?;
//! assert!(restored.is_clean());
//! // Absolute paths are restored under the target without their leading '/'.
//! let back = out.join(src.strip_prefix("/")?).join("a.txt");
//! assert_eq!(std::fs::read(back)?, b"hello, tape");
//! # Ok(()) }
//! ```
//!
//! # Examples
//!
//! Run in CI by `.ci/run`, each asserting its result:
//!
//! * `cargo run -p backup-engine --example backup_restore` — a backup spanning cartridges and
//!   its restore, byte for byte;
//! * `cargo run -p backup-engine --example custom_policy` — a media policy of one's own (a
//!   ticket desk answering over a channel) chained before [`AbortPolicy`](policy::AbortPolicy);
//! * `cargo run -p backup-engine --example throttled_drive` — a [`TapeDrive`](tape_core::TapeDrive)
//!   adapter the engine runs through unchanged.
//!
//! # Stability
//!
//! Enums a caller matches on and records the engine returns are `#[non_exhaustive]`; options
//! have `Default` (set the fields you need on `BackupOptions::default()`). Deliberately
//! exhaustive: [`backup::BackupOutcome`] (complete, or stopped for a
//! [`Stop`](policy::Stop) reason, which is itself non-exhaustive) and the `*Context` structs,
//! whose every field is required.
#![deny(missing_docs)]

pub mod backup;
pub mod bks;
pub mod catalog;
mod clock;
mod events;
#[doc(hidden)]
pub mod fuzzing;
// Getting a checked medium into the drive: the engine's own machinery, public only for the
// scenario tests of `tests/engine/policy.rs`. Callers plug in a `MediaPolicy` instead.
#[doc(hidden)]
pub mod media;
pub mod ntcmd;
mod operator;
mod pipeline;
pub mod policy;
pub mod rebuild;
pub mod restore;
mod selection;
#[cfg(test)]
mod testing;
mod time;
pub mod walk;

pub use clock::{Clock, ManualClock, SystemClock};
pub use events::{Detail, EventLog, EventSink, JobEvent};
pub use operator::{NotifyError, Operator, OperatorReply, OperatorRequest, Purpose, Resolution};
pub use selection::{Selection, SelectionError};
