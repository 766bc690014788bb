//! A media policy the workspace does not ship, composed with the built-in ones.
//!
//! `TicketPolicy` stands for a site whose cartridges are handed out by a ticketing system: at
//! each end of medium it files a ticket on a channel and waits (with a bound) for the answer —
//! the barcode of the cartridge the desk assigns, or "none left". It then finishes the full
//! medium ([`PolicyContext::release_medium`]), takes it out and loads the assigned one. Here the
//! desk is a thread and "loading" is the virtual library's hand-operated insert, but the shape
//! is the same for a robot the project does not know or a pager that wakes an operator.
//!
//! It runs in a [`PolicyChain`] before the built-in [`AbortPolicy`]: when the desk has no
//! cartridge left, the ticket policy *declines* without touching the drive, and the abort
//! policy ends the job cleanly — the set is closed on the medium in the drive, and everything
//! written completely restores. The built-in [`ChangerPolicy`] brings the media back for the
//! restore.
//!
//! Two backups show both paths: one the desk supplies to the end, one it runs short for. Each
//! asserts how many tickets were filed and what the restore gives back.
//!
//! Run it with `cargo run -p backup-engine --example custom_policy`.
#![allow(clippy::print_stdout)] // an example reports on standard output

mod common;

use std::cell::Cell;
use std::error::Error;
use std::path::Path;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use backup_engine::backup::{BackupContext, BackupJob, BackupOutcome, BackupReport, run_backup};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{
    AbortPolicy, ChangerPolicy, MediaPolicy, MediaRequest, PolicyChain, PolicyContext, Stop, Supply,
};
use backup_engine::restore::{RestoreContext, RestoreJob, RestoreReport, run_restore};
use backup_engine::{EventLog, Purpose, Selection, SystemClock};
use tape_core::vtl::{InsertSource, LibraryConfig, VirtualLibrary};
use tape_core::{DeviceError, VolumeTag};

/// What the policy asks the desk.
#[derive(Debug)]
struct Ticket {
    job: String,
    family: Option<u32>,
    sequence: u16,
}

/// Files a ticket for each medium a backup needs and loads the cartridge the desk assigns.
struct TicketPolicy {
    tickets: mpsc::Sender<Ticket>,
    answers: mpsc::Receiver<Option<VolumeTag>>,
    /// The hands that put a cartridge into the drive (here: the library's operator API).
    library: VirtualLibrary,
    drive: usize,
    /// How many times the engine asked this policy (shared with `main` to check it).
    calls: Rc<Cell<usize>>,
}

impl MediaPolicy for TicketPolicy {
    fn name(&self) -> &str {
        "ticket desk"
    }

    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        self.calls.set(self.calls.get() + 1);
        if request.purpose != Purpose::Backup {
            return Supply::Declined("the desk hands out blank cartridges only".into());
        }
        let ticket = Ticket {
            job: request.job.clone(),
            family: request.family,
            sequence: request.sequence,
        };
        if self.tickets.send(ticket).is_err() {
            return Supply::Declined("the ticket desk is closed".into());
        }
        // Ask first, touch the drive only once a cartridge is promised: a policy that declines
        // leaves the full medium in place, so the next policy (abort) can close the set on it.
        let tag = match self.answers.recv_timeout(Duration::from_secs(10)) {
            Ok(Some(tag)) => tag,
            Ok(None) => return Supply::Declined("the desk has no cartridge left".into()),
            Err(_) => return Supply::Declined("the desk did not answer in time".into()),
        };
        // Taking a medium out: let the engine finish it first (MTF end-of-medium trailer).
        if let Err(why) = cx.release_medium() {
            return Supply::Declined(format!("the full medium could not be closed: {why}"));
        }
        match cx.drive.unload() {
            Ok(()) | Err(DeviceError::NoMedium) => {}
            Err(e) => return Supply::Declined(format!("could not unload: {e}")),
        }
        match self
            .library
            .insert(self.drive, InsertSource::Barcode(tag.clone()))
        {
            // The engine checks what was loaded (blank? write-protected? ours?) and asks
            // again, with the barcode in `request.exclude`, if it refuses it.
            Ok(_) => Supply::Loaded,
            Err(e) => Supply::Declined(format!("could not load {tag}: {e}")),
        }
    }
}

/// The desk: assigns cartridges from `vault`, in order, then answers "none".
fn open_desk(
    mut vault: Vec<VolumeTag>,
) -> (mpsc::Sender<Ticket>, mpsc::Receiver<Option<VolumeTag>>) {
    let (ticket_tx, ticket_rx) = mpsc::channel::<Ticket>();
    let (answer_tx, answer_rx) = mpsc::channel();
    vault.reverse();
    std::thread::spawn(move || {
        for ticket in ticket_rx {
            let assigned = vault.pop();
            println!(
                "desk: job {:?} needs media #{} of family {:08X}: {}",
                ticket.job,
                ticket.sequence,
                ticket.family.unwrap_or(0),
                assigned
                    .as_ref()
                    .map_or_else(|| "none left".to_owned(), ToString::to_string)
            );
            if answer_tx.send(assigned).is_err() {
                break;
            }
        }
    });
    (ticket_tx, answer_rx)
}

/// The blank cartridges in the library's storage slots, in barcode order.
fn blanks(library: &VirtualLibrary) -> Result<Vec<VolumeTag>, Box<dyn Error>> {
    let mut tags: Vec<VolumeTag> = library
        .status()?
        .slots
        .into_iter()
        .filter_map(|slot| slot.cartridge)
        .filter(|c| c.blank)
        .map(|c| c.barcode)
        .collect();
    tags.sort();
    Ok(tags)
}

/// Backs `src` up with `ticket desk, then abort`, the first cartridge put in by hand.
fn backup(
    library: &VirtualLibrary,
    catalog: &Catalog,
    src: &Path,
    desk_cartridges: usize,
) -> Result<(BackupReport, usize), Box<dyn Error>> {
    let mut blank = blanks(library)?.into_iter();
    let first = blank.next().ok_or("no blank cartridge")?;
    library.insert(0, InsertSource::Barcode(first))?;
    let (tickets, answers) = open_desk(blank.take(desk_cartridges).collect());
    let calls = Rc::new(Cell::new(0));
    let mut policy = PolicyChain::new()
        .then(TicketPolicy {
            tickets,
            answers,
            library: library.clone(),
            drive: 0,
            calls: Rc::clone(&calls),
        })
        .then(AbortPolicy);
    let mut drive = library.drive(0)?;
    let mut job = BackupJob::new("tickets", Selection::new([src], [] as [&str; 0])?);
    job.options.block_size = 64 << 10;
    let report = run_backup(
        &job,
        BackupContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut EventLog::default(),
            catalog: Some(catalog),
        },
    )?;
    Ok((report, calls.get()))
}

/// Restores the newest set with the built-in `changer, then abort` chain.
fn restore(
    library: &VirtualLibrary,
    catalog: &Catalog,
    catalog_path: &Path,
    out: &Path,
) -> Result<RestoreReport, Box<dyn Error>> {
    let mut policy = PolicyChain::new()
        .then(ChangerPolicy::new(
            library.changer(),
            0,
            Box::new(Catalog::open(catalog_path)?),
        ))
        .then(AbortPolicy);
    let mut drive = library.drive(0)?;
    Ok(run_restore(
        &RestoreJob::new("tickets", out),
        RestoreContext {
            drive: &mut drive,
            policy: &mut policy,
            clock: &SystemClock,
            events: &mut EventLog::default(),
            catalog: Some(catalog),
        },
    )?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let tmp = tempfile::tempdir()?;
    let src = tmp.path().join("src");
    common::make_tree(&src, 3 << 20)?;
    let mut config = LibraryConfig::default();
    config.slots = 10;
    config.capacity = 1 << 20; // small cartridges: the policy is asked at each early warning
    config.early_warning = 192 << 10;
    let library = VirtualLibrary::create(tmp.path().join("library"), &config)?;
    let catalog_path = tmp.path().join("catalog.sqlite");
    let catalog = Catalog::open(&catalog_path)?;

    // 1. The desk has cartridges enough: one ticket per medium after the first.
    let (report, calls) = backup(&library, &catalog, &src, 8)?;
    println!(
        "backup 1: {:?} on {} media, {calls} tickets",
        report.outcome,
        report.media.len()
    );
    assert_eq!(report.outcome, BackupOutcome::Complete);
    assert!(report.media.len() >= 3, "the set spans several cartridges");
    assert_eq!(
        calls,
        report.media.len() - 1,
        "one ticket per further medium"
    );
    let restored = restore(&library, &catalog, &catalog_path, &tmp.path().join("out1"))?;
    assert!(restored.is_clean(), "{restored:?}");
    let back = tmp.path().join("out1").join(src.strip_prefix("/")?);
    assert_eq!(common::contents(&back)?, common::contents(&src)?);
    println!("backup 1 restored byte for byte");

    // 2. The desk has one cartridge: the second ticket is declined, abort closes the set on
    //    media #2, and every file written completely restores.
    let (report, calls) = backup(&library, &catalog, &src, 1)?;
    println!(
        "backup 2: {:?} on {} media, {calls} tickets",
        report.outcome,
        report.media.len()
    );
    assert_eq!(calls, 2, "a ticket granted, then one the desk cannot serve");
    assert_eq!(report.media.len(), 2);
    assert_eq!(report.outcome, BackupOutcome::Stopped(Stop::Abort));
    assert!(report.closed_early, "the set is closed on the last medium");
    let out = tmp.path().join("out2");
    let restored = restore(&library, &catalog, &catalog_path, &out)?;
    let back = out.join(src.strip_prefix("/")?);
    let whole = common::contents(&back)?;
    let original = common::contents(&src)?;
    assert!(
        !whole.is_empty(),
        "files written before the stop restore: {restored:?}"
    );
    for (path, bytes) in &whole {
        let (_, expected) = original
            .iter()
            .find(|(p, _)| p == path)
            .ok_or("a restored file that was never backed up")?;
        assert_eq!(bytes, expected, "{path} restored exactly");
    }
    println!(
        "backup 2 stopped as planned; {} of {} files restored exactly ({} refused: cut off)",
        whole.len(),
        original.len(),
        restored.refused.len()
    );
    Ok(())
}
