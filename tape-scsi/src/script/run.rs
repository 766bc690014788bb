//! Running the changer script with a time limit.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::ScriptError;
use crate::timing::pause;

/// Runs `command args…`, collects its output, kills it after `timeout`. Returns standard output
/// on exit code 0.
pub(super) fn run(
    command: &Path,
    args: &[String],
    timeout: Duration,
) -> Result<String, ScriptError> {
    let name = command.display().to_string();
    let verb = args.get(1).cloned().unwrap_or_default();
    let mut child = Command::new(command)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| ScriptError::Spawn {
            command: name.clone(),
            source,
        })?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < timeout => pause(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ScriptError::Timeout {
                    command: name,
                    verb,
                    seconds: timeout.as_secs(),
                });
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        Err(ScriptError::Exit {
            command: name,
            verb,
            code: status.code(),
            stderr: stderr.trim().to_owned(),
        })
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut p) = pipe {
            let mut bytes = Vec::new();
            let _ = p.read_to_end(&mut bytes);
            s = String::from_utf8_lossy(&bytes).into_owned();
        }
        s
    })
}
