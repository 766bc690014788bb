//! The attended prompt, driven through a pseudo-terminal as a person at a terminal would.

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

use crate::Env;
use crate::ntsyntax::one_cartridge_pool;

/// The job on a new pseudo-terminal: its standard input, output and error are the terminal.
struct OnPty {
    child: Child,
    master: File,
    output: Receiver<Vec<u8>>,
    seen: String,
}

impl OnPty {
    fn start(env: &Env, args: &[&str]) -> Self {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        let child = env
            .command(args)
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        let master = File::from(master);
        let mut reader = master.try_clone().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once the last process holding the terminal has gone.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            master,
            output: rx,
            seen: String::new(),
        }
    }

    /// Waits until the terminal shows `needle`.
    fn expect(&mut self, needle: &str) {
        let started = Instant::now();
        while !self.seen.contains(needle) {
            let left = Duration::from_secs(60).saturating_sub(started.elapsed());
            assert!(
                !left.is_zero(),
                "{needle:?} never appeared in:\n{}",
                self.seen
            );
            if let Ok(bytes) = self
                .output
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                self.seen.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    fn type_line(&mut self, line: &str) {
        self.master
            .write_all(format!("{line}\r").as_bytes())
            .unwrap();
    }

    fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        while let Ok(bytes) = self.output.recv_timeout(Duration::from_millis(300)) {
            self.seen.push_str(&String::from_utf8_lossy(&bytes));
        }
        (status.code().unwrap_or(-1), self.seen)
    }
}

const LINE: &[&str] = &[
    "backup",
    "@T.bks",
    "/j",
    "Attended",
    "/p",
    "4mm DDS",
    "/um",
    "/UP",
    "--prompt-timeout",
    "120",
];

#[test]
fn the_tty_prompt_takes_enter_once_the_medium_is_in() {
    let env = Env::new();
    one_cartridge_pool(&env);
    let mut job = OnPty::start(&env, LINE);
    job.expect("Press Enter when it is in the drive");
    env.ok(&["vtl", "insert", "L", "--drive", "0", "--barcode", "VT0002"]);
    let entered = Instant::now();
    job.type_line("");
    job.expect("Medium detected; continuing.");
    assert!(
        entered.elapsed() < Duration::from_secs(4),
        "Enter is acted on at once"
    );
    let (code, seen) = job.finish();
    assert_eq!(code, 0, "{seen}");
    assert!(seen.contains("Backup completed."), "{seen}");
}

#[test]
fn typing_abort_at_the_tty_prompt_cancels_the_job() {
    let env = Env::new();
    one_cartridge_pool(&env);
    let mut job = OnPty::start(&env, LINE);
    job.expect("type \"abort\"");
    job.type_line("abort");
    let (code, seen) = job.finish();
    assert_eq!(code, 4, "cancelled: {seen}");
    assert!(seen.contains("the operator typed abort"), "{seen}");
    assert!(
        seen.contains("The operation did not successfully complete."),
        "{seen}"
    );
}
