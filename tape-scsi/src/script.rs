//! [`ScriptChanger`]: any library through the Bacula `mtx-changer` script interface, so users
//! bring the scripts they already have.
//!
//! The script is run as `SCRIPT CHANGER-DEVICE COMMAND SLOT ARCHIVE-DEVICE DRIVE-INDEX` with
//! these commands: `load`, `unload`, `loaded` (prints the slot in the drive, 0 if empty),
//! `list` (`slot:barcode` lines), `listall` (`D:drive:F:slot:barcode`, `S:slot:F:barcode`,
//! `I:slot:E` …), `slots` (prints the slot count) and `transfer` (slot to slot; the destination
//! slot goes in the ARCHIVE-DEVICE position, as Bacula's script expects). Exit code 0 is
//! success; anything else is a failure whose standard error is reported.
//!
//! Element addresses are synthetic: slot `n` (storage or import/export, numbered as the script
//! numbers them) is address `n`, drive `i` is address [`DRIVE_BASE`]` + i`.

mod parse;
mod run;

use std::path::PathBuf;
use std::time::Duration;

use tape_core::{DeviceError, ElementAddress, ElementKind, Inventory, MediaChanger};

pub use parse::{Listed, parse_list, parse_listall, parse_number};

/// Address of drive 0; drive `i` is at `DRIVE_BASE + i`.
pub const DRIVE_BASE: u16 = 0xf000;

/// A failure of the changer script.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The script could not be started.
    #[error("cannot run {command}: {source}")]
    Spawn {
        /// The script.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The script did not finish in time and was killed.
    #[error("{command} {verb} did not finish within {seconds} s")]
    Timeout {
        /// The script.
        command: String,
        /// Its command word.
        verb: String,
        /// The limit.
        seconds: u64,
    },
    /// Non-zero exit.
    #[error("{command} {verb} failed (exit {code:?}): {stderr}")]
    Exit {
        /// The script.
        command: String,
        /// Its command word.
        verb: String,
        /// Exit code, if it exited rather than being killed by a signal.
        code: Option<i32>,
        /// What it printed on standard error.
        stderr: String,
    },
    /// Output that is not in the interface's format.
    #[error("{command} {verb}: unexpected output line {line:?}")]
    Output {
        /// The script.
        command: String,
        /// Its command word.
        verb: String,
        /// The offending line.
        line: String,
    },
}

impl From<ScriptError> for DeviceError {
    fn from(e: ScriptError) -> Self {
        match e {
            ScriptError::Spawn { command, source } => {
                DeviceError::io(format!("changer script {command}"), source)
            }
            e @ ScriptError::Timeout { .. } => DeviceError::Busy(e.to_string()),
            other => DeviceError::Hardware(other.to_string()),
        }
    }
}

/// A media changer driven through an `mtx-changer`-style script. Implements [`MediaChanger`].
#[derive(Debug, Clone)]
pub struct ScriptChanger {
    command: PathBuf,
    changer_device: String,
    drives: Vec<String>,
    timeout: Duration,
    name: String,
}

impl ScriptChanger {
    /// A changer run by `command` (the script's path) for `changer_device` (its first
    /// argument, e.g. `/dev/sg3`). One drive, index 0, with archive device `/dev/nst0`, until
    /// [`with_drives`](Self::with_drives) says otherwise. Each call may take up to 10 minutes.
    pub fn new(command: impl Into<PathBuf>, changer_device: impl Into<String>) -> Self {
        let command = command.into();
        Self {
            name: format!("script:{}", command.display()),
            command,
            changer_device: changer_device.into(),
            drives: vec!["/dev/nst0".to_owned()],
            timeout: Duration::from_secs(600),
        }
    }

    /// The archive devices of the drives, by drive index.
    pub fn with_drives(mut self, archive_devices: Vec<String>) -> Self {
        self.drives = archive_devices;
        self
    }

    /// The longest a script call may take before it is killed.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn call(&self, verb: &str, slot: u16, drive: usize) -> Result<String, ScriptError> {
        let archive = self.drives.get(drive).cloned().unwrap_or_default();
        let args = [
            self.changer_device.clone(),
            verb.to_owned(),
            slot.to_string(),
            archive,
            drive.to_string(),
        ];
        run::run(&self.command, &args, self.timeout)
    }

    /// The slot loaded in drive `drive`, if any (`loaded`).
    pub fn loaded(&self, drive: usize) -> Result<Option<u16>, ScriptError> {
        let out = self.call("loaded", 0, drive)?;
        let n = parse_number(&out).ok_or_else(|| self.bad_output("loaded", &out))?;
        Ok(u16::try_from(n).ok().filter(|n| *n > 0))
    }

    /// The number of slots (`slots`).
    pub fn slots(&self) -> Result<u16, ScriptError> {
        let out = self.call("slots", 0, 0)?;
        let n = parse_number(&out).ok_or_else(|| self.bad_output("slots", &out))?;
        u16::try_from(n).map_err(|_| self.bad_output("slots", &out))
    }

    fn bad_output(&self, verb: &str, out: &str) -> ScriptError {
        ScriptError::Output {
            command: self.command.display().to_string(),
            verb: verb.to_owned(),
            line: out.lines().next().unwrap_or("").to_owned(),
        }
    }

    /// Inventory from `listall`, or from `slots`, `list` and `loaded` for scripts without it.
    fn read_inventory(&self) -> Result<Vec<Listed>, ScriptError> {
        if let Ok(out) = self.call("listall", 0, 0) {
            return parse_listall(&out).map_err(|line| self.bad_output("listall", &line));
        }
        let slots = self.slots()?;
        let out = self.call("list", 0, 0)?;
        let full = parse_list(&out).map_err(|line| self.bad_output("list", &line))?;
        let mut listed = parse::storage_from_list(slots, &full);
        for drive in 0..self.drives.len() {
            let loaded = self.loaded(drive)?;
            listed.push(Listed::Drive {
                index: u16::try_from(drive).unwrap_or(u16::MAX),
                source: loaded,
                barcode: None,
            });
        }
        Ok(listed)
    }
}

fn drive_index(address: ElementAddress) -> Option<usize> {
    address.0.checked_sub(DRIVE_BASE).map(usize::from)
}

impl MediaChanger for ScriptChanger {
    fn name(&self) -> &str {
        &self.name
    }

    fn inventory(&mut self) -> Result<Inventory, DeviceError> {
        Ok(Inventory::new(parse::to_elements(&self.read_inventory()?)))
    }

    fn move_medium(
        &mut self,
        source: ElementAddress,
        destination: ElementAddress,
    ) -> Result<(), DeviceError> {
        match (drive_index(source), drive_index(destination)) {
            (None, Some(drive)) => {
                if let Some(slot) = self.loaded(drive)? {
                    return Err(DeviceError::DestinationFull(format!(
                        "drive {drive} (holds slot {slot})"
                    )));
                }
                self.call("load", source.0, drive)?;
            }
            (Some(drive), None) => {
                if self.loaded(drive)?.is_none() {
                    return Err(DeviceError::SourceEmpty(format!("drive {drive}")));
                }
                self.call("unload", destination.0, drive)?;
            }
            (None, None) => {
                let archive = destination.0.to_string();
                let args = [
                    self.changer_device.clone(),
                    "transfer".to_owned(),
                    source.0.to_string(),
                    archive,
                    "0".to_owned(),
                ];
                run::run(&self.command, &args, self.timeout)?;
            }
            (Some(_), Some(_)) => {
                return Err(DeviceError::IllegalRequest(
                    "the script interface cannot move between drives".into(),
                ));
            }
        }
        Ok(())
    }
}

/// The element kind a listed line describes, for callers that show raw script output.
pub fn kind_of(listed: &Listed) -> ElementKind {
    match listed {
        Listed::Drive { .. } => ElementKind::Drive,
        Listed::Slot {
            import_export: true,
            ..
        } => ElementKind::ImportExport,
        Listed::Slot { .. } => ElementKind::Storage,
    }
}

#[cfg(test)]
mod tests;
