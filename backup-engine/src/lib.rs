//! The backup engine: jobs, media policies, restore and catalog, generic over the device traits
//! of `tape-core` and writing the Microsoft Tape Format through `tape-format`.
//!
//! # The model
//!
//! * The engine does I/O on files and devices it is given, and nothing else: it never prints
//!   (it reports [`JobEvent`]s to an [`EventSink`]), never exits, never reads stdin and never
//!   sleeps. Asking a person goes through the [`Operator`] trait; time comes from a [`Clock`].
//! * What happens when a medium is full or missing is a [`MediaPolicy`](policy::MediaPolicy):
//!   [`AbortPolicy`](policy::AbortPolicy), [`PromptPolicy`](policy::PromptPolicy),
//!   [`ChangerPolicy`](policy::ChangerPolicy), composed with a
//!   [`PolicyChain`](policy::PolicyChain). The same machinery brings the right media back, in
//!   order, for a restore.

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
mod time;
pub mod walk;

pub use clock::{Clock, ManualClock, SystemClock};
pub use events::{Detail, EventLog, EventSink, JobEvent};
pub use operator::{NotifyError, Operator, OperatorReply, OperatorRequest, Purpose, Resolution};
pub use selection::{Selection, SelectionError};
