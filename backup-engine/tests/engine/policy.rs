//! The three media policies and their chain, through `media::acquire`.

use std::time::Duration;

use backup_engine::media::{MediumCheck, Verdict, acquire};
use backup_engine::policy::{
    AbortPolicy, ChangerPolicy, MediaDirectory, MediaRequest, MediumUsage, NoDirectory,
    NothingToRelease, OnTimeout, PolicyChain, PromptOptions, PromptPolicy, Stop,
};
use backup_engine::{
    Clock, EventLog, ManualClock, NotifyError, Operator, OperatorReply, OperatorRequest, Purpose,
};
use tape_core::vtl::{InsertSource, VirtualLibrary};
use tape_core::{TapeDrive, VolumeTag};

use crate::{clock, library};

fn tag(s: &str) -> VolumeTag {
    VolumeTag::new(s).unwrap()
}

/// Accepts a writable blank medium and reports its barcode.
struct BlankOnly;

impl MediumCheck for BlankOnly {
    type Accepted = VolumeTag;
    fn check(&mut self, drive: &mut dyn TapeDrive, _request: &MediaRequest) -> Verdict<VolumeTag> {
        let medium = drive.status().unwrap().medium.unwrap();
        if medium.write_protected {
            return Verdict::Refuse("write-protected".into());
        }
        if medium.blank != Some(true) {
            return Verdict::Refuse("holds data".into());
        }
        Verdict::Accept(medium.barcode.unwrap())
    }
}

type Act = dyn FnMut(usize, &VirtualLibrary) -> OperatorReply;

/// An operator whose actions are scripted per wait; waiting advances the manual clock.
struct Scripted {
    clock: ManualClock,
    lib: VirtualLibrary,
    notified: Vec<OperatorRequest>,
    notified_at: Vec<std::time::SystemTime>,
    waits: usize,
    fail_notify: bool,
    act: Box<Act>,
}

impl Scripted {
    fn new(
        clock: &ManualClock,
        lib: &VirtualLibrary,
        act: impl FnMut(usize, &VirtualLibrary) -> OperatorReply + 'static,
    ) -> Self {
        Self {
            clock: clock.clone(),
            lib: lib.clone(),
            notified: vec![],
            notified_at: vec![],
            waits: 0,
            fail_notify: false,
            act: Box::new(act),
        }
    }
}

impl Operator for Scripted {
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError> {
        self.notified.push(request.clone());
        self.notified_at.push(self.clock.now());
        if self.fail_notify {
            Err(NotifyError("mail server down".into()))
        } else {
            Ok(())
        }
    }
    fn wait(&mut self, _request: &OperatorRequest, until: std::time::SystemTime) -> OperatorReply {
        self.waits += 1;
        let reply = (self.act)(self.waits, &self.lib);
        self.clock.advance_to(until);
        reply
    }
}

fn request(purpose: Purpose, sequence: u16) -> MediaRequest {
    MediaRequest::new(purpose, "nightly", Some(0xABCD), sequence)
}

#[test]
fn prompt_waits_for_an_operator_who_inserts_a_blank_tape() {
    let (_dir, lib) = library(3);
    let clock = clock();
    let start = clock.now();
    let op = Scripted::new(&clock, &lib, |n, lib| {
        if n == 3 {
            lib.insert(0, InsertSource::NextBlank).unwrap();
        }
        OperatorReply::Nothing
    });
    let mut policy = PromptPolicy::new(op, PromptOptions::with_timeout(Duration::from_secs(600)));
    let mut drive = lib.drive(0).unwrap();
    let mut events = EventLog::default();
    let mut req = request(Purpose::Backup, 2);
    let (got, _) = acquire(
        &mut req,
        &mut policy,
        &mut BlankOnly,
        &mut drive,
        &clock,
        &mut events,
        &mut NothingToRelease,
        true,
    )
    .unwrap();
    assert_eq!(got, tag("VT0001"));
    let op = policy.operator();
    assert_eq!(op.waits, 3);
    assert_eq!(op.notified.len(), 1);
    let asked = &op.notified[0];
    assert_eq!(
        (asked.family, asked.sequence, asked.drive.as_str()),
        (Some(0xABCD), 2, drive.name())
    );
    assert_eq!(asked.until, start + Duration::from_secs(600));
    assert!(
        events
            .contains("Waiting for another blank or expired medium (media #2 of family 0000ABCD)"),
        "{:?}",
        events.lines()
    );
    assert!(events.contains("mounted as media #2"));
    assert!(
        clock.now() < start + Duration::from_secs(600),
        "it stopped waiting as soon as the tape was in"
    );
}

#[test]
fn prompt_times_out_with_reminders_backing_off_and_stops() {
    let (_dir, lib) = library(1);
    let clock = clock();
    let start = clock.now();
    let op = Scripted::new(&clock, &lib, |_, _| OperatorReply::Nothing);
    let mut options = PromptOptions::with_timeout(Duration::from_secs(3600));
    options.first_reminder = Duration::from_secs(600);
    let mut policy = PromptPolicy::new(op, options);
    let mut drive = lib.drive(0).unwrap();
    let mut events = EventLog::default();
    let result = acquire(
        &mut request(Purpose::Backup, 1),
        &mut policy,
        &mut BlankOnly,
        &mut drive,
        &clock,
        &mut events,
        &mut NothingToRelease,
        true,
    );
    assert_eq!(
        result.unwrap_err(),
        Stop::TimedOut {
            waited: Duration::from_secs(3600)
        }
    );
    let at: Vec<u64> = policy
        .operator()
        .notified_at
        .iter()
        .map(|t| t.duration_since(start).unwrap().as_secs())
        .collect();
    assert_eq!(
        at,
        vec![0, 600, 1800],
        "first notice, then reminders after 10 and 20 more minutes (doubling)"
    );
    assert_eq!(
        policy
            .operator()
            .notified
            .iter()
            .map(|r| r.notification)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(events.contains("reminder 2"));
    assert!(events.contains("nobody supplied a blank or expired medium"));
    assert_eq!(
        clock.now(),
        start + Duration::from_secs(3600),
        "it waited exactly as long as allowed"
    );
}

#[test]
fn prompt_refuses_a_write_protected_tape_and_asks_again_with_the_reason() {
    let (_dir, lib) = library(3);
    lib.set_write_protect(&tag("VT0001"), true).unwrap();
    let clock = clock();
    let op = Scripted::new(&clock, &lib, |n, lib| {
        match n {
            1 => drop(lib.insert(0, InsertSource::Barcode(tag("VT0001"))).unwrap()),
            2 => drop(lib.insert(0, InsertSource::Barcode(tag("VT0002"))).unwrap()),
            _ => {}
        }
        OperatorReply::Inserted
    });
    let mut policy = PromptPolicy::new(op, PromptOptions::with_timeout(Duration::from_secs(600)));
    let mut drive = lib.drive(0).unwrap();
    let mut events = EventLog::default();
    let mut req = request(Purpose::Backup, 1);
    let (got, _) = acquire(
        &mut req,
        &mut policy,
        &mut BlankOnly,
        &mut drive,
        &clock,
        &mut events,
        &mut NothingToRelease,
        true,
    )
    .unwrap();
    assert_eq!(got, tag("VT0002"));
    assert_eq!(req.exclude, vec![tag("VT0001")]);
    let asked = &policy.operator().notified;
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[1].refused.as_deref(), Some("write-protected"));
    assert!(events.contains("Medium VT0001 refused: write-protected"));
}

#[test]
fn prompt_cancel_and_failing_notifications() {
    let (_dir, lib) = library(1);
    let clock = clock();
    let mut op = Scripted::new(&clock, &lib, |n, _| {
        if n == 2 {
            OperatorReply::Cancel {
                reason: "operator went home".into(),
            }
        } else {
            OperatorReply::Nothing
        }
    });
    op.fail_notify = true;
    let mut policy = PromptPolicy::new(op, PromptOptions::with_timeout(Duration::from_secs(600)));
    let mut drive = lib.drive(0).unwrap();
    let mut events = EventLog::default();
    let result = acquire(
        &mut request(Purpose::Backup, 1),
        &mut policy,
        &mut BlankOnly,
        &mut drive,
        &clock,
        &mut events,
        &mut NothingToRelease,
        true,
    );
    assert_eq!(
        result.unwrap_err(),
        Stop::Cancelled("operator went home".into())
    );
    assert!(events.contains("could not notify the operator: mail server down; still waiting"));
}

#[test]
fn prompt_timeout_can_fall_through_to_the_next_policy() {
    let (_dir, lib) = library(1);
    let clock = clock();
    let op = Scripted::new(&clock, &lib, |_, _| OperatorReply::Nothing);
    let mut options = PromptOptions::with_timeout(Duration::from_secs(60));
    options.on_timeout = OnTimeout::Decline;
    let mut chain = PolicyChain::new()
        .then(PromptPolicy::new(op, options))
        .then(AbortPolicy);
    let mut drive = lib.drive(0).unwrap();
    let result = acquire(
        &mut request(Purpose::Backup, 1),
        &mut chain,
        &mut BlankOnly,
        &mut drive,
        &clock,
        &mut EventLog::default(),
        &mut NothingToRelease,
        true,
    );
    assert_eq!(result.unwrap_err(), Stop::Abort);
    assert_eq!(chain.len(), 2);
}

struct Directory(Vec<(&'static str, MediumUsage)>);

impl MediaDirectory for Directory {
    fn usage(&self, barcode: &VolumeTag) -> MediumUsage {
        self.0
            .iter()
            .find(|(t, _)| *t == barcode.as_str())
            .map_or(MediumUsage::Unknown, |(_, u)| *u)
    }
}

#[test]
fn changer_skips_live_used_and_cleaning_cartridges_and_prefers_known_blanks() {
    let (_dir, lib) = library(5);
    lib.add_cartridges(1, tape_core::MediumKind::Cleaning)
        .unwrap();
    let directory = Directory(vec![
        ("VT0002", MediumUsage::Live { family: 7 }),
        ("VT0004", MediumUsage::Blank),
        ("CLN006", MediumUsage::Cleaning),
    ]);
    let clock = clock();
    let mut drive = lib.drive(0).unwrap();
    let mut policy = ChangerPolicy::new(lib.changer(), 0, Box::new(directory));
    let mut events = EventLog::default();
    let mut req = request(Purpose::Backup, 2);
    req.exclude.push(tag("VT0001"));
    let (got, _) = acquire(
        &mut req,
        &mut policy,
        &mut BlankOnly,
        &mut drive,
        &clock,
        &mut events,
        &mut NothingToRelease,
        true,
    )
    .unwrap();
    assert_eq!(
        got,
        tag("VT0004"),
        "a cartridge the catalog knows is blank comes first"
    );
    // Next medium: the full one goes back home, the next unknown one is loaded and checked.
    let mut req = request(Purpose::Backup, 3);
    req.exclude = vec![tag("VT0001"), tag("VT0004")];
    let (got, _) = acquire(
        &mut req,
        &mut policy,
        &mut BlankOnly,
        &mut drive,
        &clock,
        &mut events,
        &mut NothingToRelease,
        false,
    )
    .unwrap();
    assert_eq!(got, tag("VT0003"));
    let status = lib.status().unwrap();
    assert_eq!(
        status.slots[3].cartridge.as_ref().unwrap().barcode,
        tag("VT0004"),
        "back in its home slot"
    );
    assert!(events.contains("loading VT0003 from slot 3 into drive 0"));
}

#[test]
fn changer_out_of_media_falls_through_to_prompt_then_abort() {
    let (_dir, lib) = library(2);
    let clock = clock();
    let mut drive = lib.drive(0).unwrap();
    let op = Scripted::new(&clock, &lib, |_, _| OperatorReply::Nothing);
    let mut options = PromptOptions::with_timeout(Duration::from_secs(30));
    options.on_timeout = OnTimeout::Decline;
    let mut chain = PolicyChain::new()
        .then(ChangerPolicy::new(lib.changer(), 0, Box::new(NoDirectory)))
        .then(PromptPolicy::new(op, options))
        .then(AbortPolicy);
    assert_eq!(
        backup_engine::policy::MediaPolicy::name(&chain),
        "changer, then prompt, then abort"
    );
    let mut req = request(Purpose::Backup, 3);
    req.exclude = vec![tag("VT0001"), tag("VT0002")];
    let mut events = EventLog::default();
    let result = acquire(
        &mut req,
        &mut chain,
        &mut BlankOnly,
        &mut drive,
        &clock,
        &mut events,
        &mut NothingToRelease,
        false,
    );
    assert_eq!(result.unwrap_err(), Stop::Abort);
    assert!(events.contains("no blank or expired cartridge left in the library"));
    assert!(events.contains("Waiting for another blank or expired medium"));
}

#[test]
fn changer_restores_ask_for_a_barcode_and_refuse_what_is_not_there() {
    let (_dir, lib) = library(3);
    let clock = clock();
    let mut drive = lib.drive(0).unwrap();
    let mut policy = ChangerPolicy::new(lib.changer(), 0, Box::new(NoDirectory));
    struct Any;
    impl MediumCheck for Any {
        type Accepted = ();
        fn check(&mut self, _: &mut dyn TapeDrive, _: &MediaRequest) -> Verdict<()> {
            Verdict::Accept(())
        }
    }
    let mut req = request(Purpose::Restore, 2);
    req.barcode = Some(tag("VT0003"));
    let (_, got) = acquire(
        &mut req,
        &mut policy,
        &mut Any,
        &mut drive,
        &clock,
        &mut EventLog::default(),
        &mut NothingToRelease,
        false,
    )
    .unwrap();
    assert_eq!(got, Some(tag("VT0003")));
    req.barcode = Some(tag("VT0009"));
    let err = acquire(
        &mut req,
        &mut policy,
        &mut Any,
        &mut drive,
        &clock,
        &mut EventLog::default(),
        &mut NothingToRelease,
        false,
    )
    .unwrap_err();
    assert_eq!(err, Stop::NoMedium("VT0009 is not in the library".into()));
}
