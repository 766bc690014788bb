//! The two operators the CLI provides to the prompt policy.
//!
//! * [`Unattended`] (no terminal, or `--notify`): runs the notify command through `sh -c` with
//!   the request in its environment (bounded by a timeout, its failure logged, never fatal), and
//!   waits by sleeping; the prompt policy checks the drive between waits.
//! * [`Attended`] (a terminal and no `--notify`): prints the request and waits for Enter
//!   (medium inserted) or `abort`, with the same deadline.

use std::io::{BufRead, IsTerminal};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, SystemTime};

use backup_engine::{NotifyError, Operator, OperatorReply, OperatorRequest, Purpose};

/// How long a notify command may run before it is killed.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(120);

/// The environment a notify command sees.
pub(crate) fn request_env(request: &OperatorRequest, event: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("NTBACKUP_EVENT".to_owned(), event.to_owned()),
        (
            "NTBACKUP_PURPOSE".to_owned(),
            match request.purpose {
                Purpose::Backup => "backup".to_owned(),
                Purpose::Restore => "restore".to_owned(),
            },
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
    env
}

/// An operator reached by a notify command, or by nobody (then the job just waits).
pub(crate) struct Unattended {
    pub(crate) notify: Option<String>,
}

impl Operator for Unattended {
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError> {
        let Some(cmd) = &self.notify else {
            return Ok(());
        };
        let event = if request.notification == 1 {
            "medium-needed"
        } else {
            "medium-needed-reminder"
        };
        run_notify(cmd, &request_env(request, event))
    }

    #[allow(clippy::disallowed_methods)] // the CLI implements the engine's waiting
    fn wait(&mut self, _request: &OperatorRequest, until: SystemTime) -> OperatorReply {
        if let Ok(d) = until.duration_since(SystemTime::now()) {
            std::thread::sleep(d.min(Duration::from_secs(60)));
        }
        OperatorReply::Nothing
    }
}

/// Runs a notify command with a time limit; its output goes to our stderr.
#[allow(clippy::disallowed_methods)] // bounded polling of a child process
fn run_notify(cmd: &str, env: &[(String, String)]) -> Result<(), NotifyError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| NotifyError(format!("cannot run the notify command: {e}")))?;
    let deadline = SystemTime::now() + NOTIFY_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(NotifyError(format!("the notify command failed ({status})")));
            }
            Ok(None) if SystemTime::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(NotifyError(format!(
                    "the notify command did not finish within {} s and was killed",
                    NOTIFY_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(NotifyError(format!("waiting for the notify command: {e}"))),
        }
    }
}

/// A person at the terminal.
pub(crate) struct Attended {
    lines: Receiver<String>,
}

impl Attended {
    /// Reads standard input on a helper thread so waits can have deadlines.
    #[allow(clippy::disallowed_methods)] // the CLI owns stdin
    pub(crate) fn new() -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { lines: rx }
    }
}

impl Operator for Attended {
    #[allow(clippy::print_stderr)]
    fn notify(&mut self, request: &OperatorRequest) -> Result<(), NotifyError> {
        if let Some(r) = &request.refused {
            eprintln!("\nThe medium offered was refused: {r}.");
        }
        eprintln!(
            "\nPlease insert {}.\nPress Enter when it is in the drive, or type \"abort\" (waiting until {}).",
            request.describe(),
            crate::log::timestamp(request.until)
        );
        Ok(())
    }

    fn wait(&mut self, _request: &OperatorRequest, until: SystemTime) -> OperatorReply {
        let timeout = until.duration_since(SystemTime::now()).unwrap_or_default();
        match self.lines.recv_timeout(timeout) {
            Ok(line) => match line.trim().to_ascii_lowercase().as_str() {
                "abort" | "a" | "q" | "quit" | "cancel" => OperatorReply::Cancel {
                    reason: "the operator typed abort".into(),
                },
                _ => OperatorReply::Inserted,
            },
            Err(RecvTimeoutError::Timeout) => OperatorReply::Nothing,
            Err(RecvTimeoutError::Disconnected) => {
                // Standard input closed: nobody will answer here; keep waiting for the drive.
                #[allow(clippy::disallowed_methods)]
                std::thread::sleep(timeout.min(Duration::from_secs(5)));
                OperatorReply::Nothing
            }
        }
    }
}

/// The operator for this run: attended on a terminal without `--notify`, else unattended.
#[allow(clippy::disallowed_methods)] // the CLI owns stdin
pub(crate) fn choose(notify: Option<String>) -> Box<dyn Operator> {
    if notify.is_none() && std::io::stdin().is_terminal() {
        Box::new(Attended::new())
    } else {
        Box::new(Unattended { notify })
    }
}
