//! `ntbackup vtl …`: the virtual library by hand.

use anyhow::{Context, bail};
use tape_core::vtl::{
    CartridgeFaults, CartridgeReport, DriveFaults, InsertSource, LibraryConfig, LibraryStatus,
    VirtualLibrary,
};
use tape_core::{ElementKind, MediaChanger, MediumKind, VolumeTag};

use crate::cli::{FaultArgs, VtlCommand};
use crate::size::show;

pub(crate) fn run(cmd: VtlCommand) -> anyhow::Result<()> {
    match cmd {
        VtlCommand::Create {
            dir,
            slots,
            drives,
            ie_slots,
            capacity,
            early_warning,
            barcode_prefix,
        } => {
            let mut config = LibraryConfig::default();
            config.slots = slots;
            config.drives = drives;
            config.import_export = ie_slots;
            config.capacity = capacity;
            config.early_warning =
                early_warning.unwrap_or((capacity / 64).max(64 << 10).min(capacity / 2));
            config.barcode_prefix = barcode_prefix;
            let lib = VirtualLibrary::create(&dir, &config)?;
            outln!(
                "Created {}: {drives} drive(s), {slots} slot(s) with blank cartridges of {} \
                 (early warning {} before the end), {ie_slots} import/export slot(s)",
                lib.name(),
                show(config.capacity),
                show(config.early_warning)
            );
        }
        VtlCommand::Status { dir, json } => {
            let status = VirtualLibrary::open(&dir)?.status()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print_status(&status);
            }
        }
        VtlCommand::Insert {
            dir,
            drive,
            next_blank,
            barcode,
        } => {
            let source = match (next_blank, barcode) {
                (true, _) => InsertSource::NextBlank,
                (false, Some(b)) => InsertSource::Barcode(VolumeTag::new(b)?),
                (false, None) => bail!("say --next-blank or --barcode B"),
            };
            let tag = VirtualLibrary::open(&dir)?.insert(drive, source)?;
            outln!("Inserted {tag} into drive {drive}");
        }
        VtlCommand::Eject { dir, drive, force } => {
            let tag = VirtualLibrary::open(&dir)?.eject(drive, force)?;
            outln!("Ejected {tag} from drive {drive}");
        }
        VtlCommand::Protect { dir, barcode, off } => {
            VirtualLibrary::open(&dir)?
                .set_write_protect(&VolumeTag::new(barcode.clone())?, !off)?;
            outln!(
                "{barcode}: write protection {}",
                if off { "off" } else { "on" }
            );
        }
        VtlCommand::Add {
            dir,
            count,
            cleaning,
        } => {
            let kind = if cleaning {
                MediumKind::Cleaning
            } else {
                MediumKind::Data
            };
            let added = VirtualLibrary::open(&dir)?.add_cartridges(count, kind)?;
            let names: Vec<String> = added.iter().map(ToString::to_string).collect();
            outln!("Added {}", names.join(", "));
        }
        VtlCommand::Move { dir, from, to } => {
            move_cartridge(&VirtualLibrary::open(&dir)?, &from, &to)?
        }
        VtlCommand::Fault(args) => fault(args)?,
    }
    Ok(())
}

fn move_cartridge(lib: &VirtualLibrary, from: &str, to: &str) -> anyhow::Result<()> {
    let mut changer = lib.changer();
    let inventory = changer.inventory()?;
    let find = |spec: &str| -> anyhow::Result<tape_core::ElementAddress> {
        let (kind, n) = spec
            .split_once(':')
            .with_context(|| format!("{spec:?}: use slot:N, drive:N or ie:N"))?;
        let kind = match kind {
            "slot" => ElementKind::Storage,
            "drive" => ElementKind::Drive,
            "ie" => ElementKind::ImportExport,
            other => bail!("{other:?} is not an element kind: use slot, drive or ie"),
        };
        let n: u16 = n
            .parse()
            .with_context(|| format!("{spec:?}: element number"))?;
        let e = inventory
            .find(kind, n)
            .with_context(|| format!("the library has no {spec}"))?;
        Ok(e.address)
    };
    changer.move_medium(find(from)?, find(to)?)?;
    outln!("Moved {from} to {to}");
    Ok(())
}

fn fault(args: FaultArgs) -> anyhow::Result<()> {
    let lib = VirtualLibrary::open(&args.dir)?;
    if let Some(barcode) = args.barcode {
        let tag = VolumeTag::new(barcode)?;
        let mut f = if args.clear {
            CartridgeFaults::default()
        } else {
            let state = lib.state()?;
            state
                .cartridges
                .get(&tag)
                .with_context(|| format!("no cartridge {tag}"))?
                .faults
        };
        f.write_error_at = args.write_error_at.or(f.write_error_at);
        f.read_error_at = args.read_error_at.or(f.read_error_at);
        f.early_warning_at = args.early_warning_at.or(f.early_warning_at);
        f.physical_end_at = args.physical_end_at.or(f.physical_end_at);
        lib.set_cartridge_faults(&tag, f)?;
        outln!("{tag}: faults {}", serde_json::to_string(&f)?);
    } else if let Some(drive) = args.drive {
        let mut f = DriveFaults::default();
        f.not_ready = args.not_ready && !args.clear;
        lib.set_drive_faults(drive, f)?;
        outln!("drive {drive}: faults {}", serde_json::to_string(&f)?);
    }
    Ok(())
}

fn cartridge_line(c: &CartridgeReport) -> String {
    let mut line = format!("{:<10}", c.barcode.to_string());
    if c.kind == MediumKind::Cleaning {
        line.push_str(" cleaning");
        return line;
    }
    if c.blank {
        line.push_str(&format!(" blank      {:>10} free", show(c.capacity)));
    } else {
        line.push_str(&format!(
            " {:>10} used {:>10} free",
            show(c.used),
            show(c.capacity.saturating_sub(c.used))
        ));
    }
    if c.write_protected {
        line.push_str("  write-protected");
    }
    if c.faults != CartridgeFaults::default() {
        line.push_str("  (faults injected)");
    }
    line
}

fn print_status(status: &LibraryStatus) {
    for d in &status.drives {
        let what = match &d.cartridge {
            None => "empty".to_owned(),
            Some(c) => format!(
                "{} ({})",
                cartridge_line(c),
                if d.loaded { "loaded" } else { "ejected" }
            ),
        };
        let user = d
            .in_use_by
            .as_ref()
            .map(|p| format!("  [in use by process {p}]"))
            .unwrap_or_default();
        let fault = if d.faults.not_ready {
            "  [fault: not ready]"
        } else {
            ""
        };
        outln!("Drive {}:  {what}{user}{fault}", d.index);
    }
    for s in &status.slots {
        let what = s
            .cartridge
            .as_ref()
            .map_or("empty".to_owned(), cartridge_line);
        outln!("Slot {:<3} {what}", format!("{}:", s.number));
    }
    for s in &status.import_export {
        let what = s
            .cartridge
            .as_ref()
            .map_or("empty".to_owned(), cartridge_line);
        outln!("I/E {:<4} {what}", format!("{}:", s.number));
    }
}
