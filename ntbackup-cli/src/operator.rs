//! The operator the CLI provides to the prompt policy: one [`CliOperator`] reached three ways
//! at once.
//!
//! * The request spool ([`crate::spool`]), always: each open request is a JSON file in
//!   `$NTBACKUP_HOME/requests/`, answered from any terminal with `ntbackup operator ack|cancel`.
//! * The notify command (`--notify CMD`), when given: run through `sh -c` with the request in
//!   its environment (bounded by a timeout, its failure logged, never fatal), for the first
//!   notification and every reminder (the prompt policy spaces them with a growing back-off).
//! * The terminal, when standard input is one and no `--notify` is given (attended): the
//!   request is printed and Enter means "the medium is in", `abort` cancels.
//!
//! Waiting polls the spool a few times a second (and the terminal, if attended) and returns at
//! the deadline; the prompt policy checks the drive between waits.

use std::io::{BufRead, IsTerminal};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, SystemTime};

use backup_engine::{NotifyError, Operator, OperatorReply, OperatorRequest, Resolution};

use crate::spool::{RequestFile, Spool};

/// How often a waiting job looks for an answer.
const POLL: Duration = Duration::from_millis(200);

/// How long a notify command may run before it is killed (less when the request's deadline
/// comes sooner: a notification never makes the job wait beyond what it announced).
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(120);

/// The least a notify command is given, even at a deadline already reached.
const NOTIFY_MIN: Duration = Duration::from_secs(1);

/// The environment a notify command sees.
pub(crate) fn request_env(
    request: &OperatorRequest,
    event: &str,
    spool: Option<(&str, &std::path::Path)>,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("NTBACKUP_EVENT".to_owned(), event.to_owned()),
        (
            "NTBACKUP_PURPOSE".to_owned(),
            request.purpose.name().to_owned(),
        ),
        ("NTBACKUP_JOB".to_owned(), request.job.clone()),
        ("NTBACKUP_DRIVE".to_owned(), request.drive.clone()),
        (
            "NTBACKUP_FAMILY".to_owned(),
            request
                .family
                .map(|f| format!("{f:08X}"))
                .unwrap_or_default(),
        ),
        ("NTBACKUP_SEQUENCE".to_owned(), request.sequence.to_string()),
        (
            "NTBACKUP_NOTIFICATION".to_owned(),
            request.notification.to_string(),
        ),
        (
            "NTBACKUP_MESSAGE".to_owned(),
            format!("Please insert {}", request.describe()),
        ),
        (
            "NTBACKUP_UNTIL".to_owned(),
            crate::log::timestamp(request.until),
        ),
    ];
    if let Some(b) = &request.barcode {
        env.push(("NTBACKUP_BARCODE".to_owned(), b.to_string()));
    }
    if let Some(r) = &request.refused {
        env.push(("NTBACKUP_REFUSED".to_owned(), r.clone()));
    }
    if let Some((id, path)) = spool {
        env.push(("NTBACKUP_REQUEST".to_owned(), id.to_owned()));
        env.push((
            "NTBACKUP_REQUEST_FILE".to_owned(),
            path.display().to_string(),
        ));
    }
    env
}

/// The operator: spool, notify command, terminal.
pub(crate) struct CliOperator {
    spool: Option<Spool>,
    notify: Option<String>,
    tty: Option<Receiver<String>>,
    /// The open request: its `since` (to tell reminders from new requests) and its id.
    current: Option<(SystemTime, String)>,
}

impl CliOperator {
    fn id_for(&mut self, request: &OperatorRequest) -> String {
        match &self.current {
            Some((since, id)) if *since == request.since => id.clone(),
            _ => {
                let id = Spool::new_id();
                self.current = Some((request.since, id.clone()));
                id
            }
        }
    }

    #[allow(clippy::print_stderr)] // the CLI owns stderr
    fn say(&self, text: &str) {
        crate::progress::suspend(|| eprintln!("{text}"));
    }
}

impl Operator for CliOperator {
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError> {
        let id = self.id_for(request);
        let mut problems = Vec::new();
        let mut file = None;
        if let Some(spool) = &self.spool {
            match spool.write(&RequestFile::new(&id, request)) {
                Ok(()) => file = Some(spool.request_path(&id)),
                Err(e) => problems.push(format!("the request spool: {e:#}")),
            }
        }
        if self.tty.is_some() {
            let mut text = String::new();
            if let Some(r) = &request.refused {
                text.push_str(&format!("\nThe medium offered was refused: {r}."));
            }
            text.push_str(&format!(
                "\nPlease insert {}.\nPress Enter when it is in the drive, or type \"abort\" \
                 (request {id}; waiting until {}).",
                request.describe(),
                crate::log::timestamp(request.until)
            ));
            self.say(&text);
        } else if request.notification == 1 {
            self.say(&format!(
                "Request {id}: answer with `ntbackup operator ack {id}` once the medium is in, \
                 or `ntbackup operator cancel {id}`"
            ));
        }
        if let Some(cmd) = &self.notify {
            let event = if request.notification == 1 {
                "medium-needed"
            } else {
                "medium-needed-reminder"
            };
            let env = request_env(request, event, file.as_deref().map(|f| (id.as_str(), f)));
            if let Err(e) = run_notify(cmd, &env, request.until) {
                problems.push(e.0);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(NotifyError(problems.join("; ")))
        }
    }

    #[allow(clippy::disallowed_methods)] // the CLI implements the engine's waiting
    fn wait(&mut self, request: &OperatorRequest, until: SystemTime) -> OperatorReply {
        let id = self.id_for(request);
        loop {
            if let Some(answer) = self.spool.as_ref().and_then(|s| s.take_answer(&id)) {
                if answer.answer == "cancel" {
                    return OperatorReply::Cancel {
                        reason: format!(
                            "cancelled by {}{}",
                            answer.by,
                            answer.reason.map(|r| format!(": {r}")).unwrap_or_default()
                        ),
                    };
                }
                self.say(&format!(
                    "Request {id} acknowledged by {}: checking the drive",
                    answer.by
                ));
                return OperatorReply::Inserted;
            }
            let Ok(left) = until.duration_since(SystemTime::now()) else {
                return OperatorReply::Nothing;
            };
            if left.is_zero() {
                return OperatorReply::Nothing;
            }
            let slice = left.min(POLL);
            match &self.tty {
                Some(lines) => match lines.recv_timeout(slice) {
                    Ok(line) => return reply_to(&line),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => {
                        // Standard input closed: nobody will answer here; the spool still can.
                        self.tty = None;
                    }
                },
                None => std::thread::sleep(slice),
            }
        }
    }

    fn resolved(&mut self, request: &OperatorRequest, resolution: &Resolution) {
        let id = self.id_for(request);
        if let Some(spool) = &self.spool {
            spool.remove(&id);
        }
        self.current = None;
        if self.tty.is_some() && *resolution == Resolution::Satisfied {
            self.say("Medium detected; continuing.");
        }
    }
}

fn reply_to(line: &str) -> OperatorReply {
    match line.trim().to_ascii_lowercase().as_str() {
        "abort" | "a" | "q" | "quit" | "cancel" => OperatorReply::Cancel {
            reason: "the operator typed abort".into(),
        },
        _ => OperatorReply::Inserted,
    }
}

/// Runs a notify command with a time limit (until `until`, within [`NOTIFY_MIN`] and
/// [`NOTIFY_TIMEOUT`]); its output goes to ours. It runs in a process group of its own, and on
/// timeout the whole group is killed: a shell's children (`sleep`, a mailer that hangs) would
/// otherwise outlive it and keep our output open.
#[allow(clippy::disallowed_methods)] // bounded polling of a child process
fn run_notify(cmd: &str, env: &[(String, String)], until: SystemTime) -> Result<(), NotifyError> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .map_err(|e| NotifyError(format!("cannot run the notify command: {e}")))?;
    let limit = until
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .clamp(NOTIFY_MIN, NOTIFY_TIMEOUT);
    let deadline = SystemTime::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(NotifyError(format!("the notify command failed ({status})")));
            }
            Ok(None) if SystemTime::now() >= deadline => {
                let group = rustix::process::Pid::from_child(&child);
                let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
                let _ = child.kill();
                let _ = child.wait();
                return Err(NotifyError(format!(
                    "the notify command did not finish within {} s and was killed",
                    limit.as_secs_f64().ceil()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(NotifyError(format!("waiting for the notify command: {e}"))),
        }
    }
}

/// Reads standard input on a helper thread so waits can have deadlines.
#[allow(clippy::disallowed_methods)] // the CLI owns stdin
fn tty_lines() -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The operator for this run: the spool always; the terminal when standard input is one and no
/// `--notify` is given (attended); the notify command when given.
#[allow(clippy::disallowed_methods)] // the CLI owns stdin
pub(crate) fn choose(notify: Option<String>) -> Box<dyn Operator> {
    let attended = notify.is_none() && std::io::stdin().is_terminal();
    Box::new(CliOperator {
        spool: Spool::open().ok(),
        notify,
        tty: attended.then(tty_lines),
        current: None,
    })
}
