//! `ntbackup devices`: tape drives and changers on this machine, and the virtual libraries the
//! user has.

use std::process::ExitCode;

use tape_scsi::{DeviceKind, discover};

use crate::{exit, home};

pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let found = discover()?;
    if found.is_empty() {
        outln!(
            "No SCSI tape drives or changers found (sysfs /sys/class/scsi_tape, /sys/class/scsi_generic)."
        );
    }
    for d in &found {
        let (kind, how) = match d.kind {
            DeviceKind::TapeDrive if d.path.to_string_lossy().contains("nst") => {
                ("drive", format!("--tape {}", d.path.display()))
            }
            DeviceKind::TapeDrive => ("drive", format!("--tape sg:{}", d.path.display())),
            DeviceKind::Changer => ("changer", format!("--changer {}", d.path.display())),
        };
        let serial = d
            .serial
            .as_deref()
            .map(|s| format!(" serial {s}"))
            .unwrap_or_default();
        outln!(
            "{kind:<8} {:<14} {} {} {}{serial}  [{}]  use: {how}",
            d.path.display(),
            d.vendor,
            d.model,
            d.revision,
            d.scsi_address
        );
        if let Some(sg) = d.sg_path.as_ref().filter(|sg| **sg != d.path) {
            outln!(
                "         also {} (SCSI generic: --tape sg:{})",
                sg.display(),
                sg.display()
            );
        }
        for link in &d.by_id {
            outln!("         {}", link.display());
        }
    }
    let lib = home::home()?.join("library");
    if lib.join("library.json").is_file() {
        outln!(
            "virtual  {}  (the embedded default library)  use: --tape vtl:{} --changer vtl:{}",
            lib.display(),
            lib.display(),
            lib.display()
        );
    }
    Ok(exit::code(exit::SUCCESS))
}
