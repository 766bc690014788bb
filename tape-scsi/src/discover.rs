//! Finding tape drives and changers: `/sys/class/scsi_tape` (st), `/sys/class/scsi_generic`
//! (sg, with the SCSI device type: 1 tape, 8 changer), vendor/model/revision from sysfs, the
//! serial from VPD page 80h, and the `/dev/tape/by-id` links that point at each node.

use std::fs;
use std::path::{Path, PathBuf};

use tape_core::DeviceError;

/// What a discovered device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeviceKind {
    /// A tape drive.
    TapeDrive,
    /// A media changer.
    Changer,
}

/// One device found, as plain data for the CLI to print.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoveredDevice {
    /// Drive or changer.
    pub kind: DeviceKind,
    /// The node to open: `/dev/nstN` for drives with st, `/dev/sgN` otherwise.
    pub path: PathBuf,
    /// The SCSI generic node of the same device, if sg is loaded.
    pub sg_path: Option<PathBuf>,
    /// SCSI address `host:channel:target:lun`.
    pub scsi_address: String,
    /// Vendor (INQUIRY).
    pub vendor: String,
    /// Model (INQUIRY product).
    pub model: String,
    /// Firmware revision.
    pub revision: String,
    /// Unit serial number (VPD 80h), if sysfs has it.
    pub serial: Option<String>,
    /// Links in `/dev/tape/by-id` that resolve to `path` or `sg_path`.
    pub by_id: Vec<PathBuf>,
}

/// Lists the tape drives and changers of this machine.
pub fn discover() -> Result<Vec<DiscoveredDevice>, DeviceError> {
    discover_in(Path::new("/sys"), Path::new("/dev"))
}

/// [`discover`] over another sysfs and `/dev` root (for tests and containers).
pub fn discover_in(sys: &Path, dev: &Path) -> Result<Vec<DiscoveredDevice>, DeviceError> {
    let mut found = Vec::new();
    let generic = sg_nodes(sys);
    for (name, device) in class_entries(&sys.join("class/scsi_tape")) {
        // nstN only: skip stN (rewinding) and the mode variants nstNl/m/a.
        let is_plain_nst = name
            .strip_prefix("nst")
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        if !is_plain_nst {
            continue;
        }
        let sg = generic
            .iter()
            .find(|(_, d)| *d == device)
            .map(|(n, _)| dev.join(n));
        found.push(describe(
            DeviceKind::TapeDrive,
            dev.join(&name),
            sg,
            &device,
        ));
    }
    for (name, device) in &generic {
        let kind = match read_trimmed(&device.join("type")).as_deref() {
            Some("8") => DeviceKind::Changer,
            Some("1")
                if !found
                    .iter()
                    .any(|f| f.sg_path.as_deref() == Some(&dev.join(name))) =>
            {
                DeviceKind::TapeDrive
            }
            _ => continue,
        };
        let path = dev.join(name);
        found.push(describe(kind, path.clone(), Some(path), device));
    }
    let links = by_id_links(&dev.join("tape/by-id"));
    for d in &mut found {
        d.by_id = links
            .iter()
            .filter(|(_, target)| {
                Some(target) == canonical(&d.path).as_ref()
                    || d.sg_path.as_ref().and_then(|p| canonical(p)).as_ref() == Some(target)
            })
            .map(|(link, _)| link.clone())
            .collect();
    }
    found.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    Ok(found)
}

/// `(name, resolved device directory)` for each entry of a sysfs class.
fn class_entries(class: &Path) -> Vec<(String, PathBuf)> {
    let Ok(dir) = fs::read_dir(class) else {
        return Vec::new();
    };
    let mut v: Vec<(String, PathBuf)> = dir
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let device = fs::canonicalize(e.path().join("device")).ok()?;
            Some((name, device))
        })
        .collect();
    v.sort();
    v
}

fn sg_nodes(sys: &Path) -> Vec<(String, PathBuf)> {
    class_entries(&sys.join("class/scsi_generic"))
}

fn describe(
    kind: DeviceKind,
    path: PathBuf,
    sg_path: Option<PathBuf>,
    device: &Path,
) -> DiscoveredDevice {
    let field = |name: &str| read_trimmed(&device.join(name)).unwrap_or_default();
    DiscoveredDevice {
        kind,
        path,
        sg_path,
        scsi_address: device
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        vendor: field("vendor"),
        model: field("model"),
        revision: field("rev"),
        serial: fs::read(device.join("vpd_pg80"))
            .ok()
            .and_then(|d| crate::page::decode_unit_serial(&d).ok())
            .filter(|s| !s.is_empty()),
        by_id: Vec::new(),
    }
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
}

fn canonical(path: &Path) -> Option<PathBuf> {
    fs::canonicalize(path).ok()
}

fn by_id_links(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<(PathBuf, PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.path(), fs::canonicalize(e.path()).ok()?)))
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A sysfs with a tape drive (nst0 + sg0) and a changer (sg1), and by-id links.
    fn tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let mk = |p: &str| fs::create_dir_all(r.join(p)).unwrap();
        let put = |p: &str, s: &[u8]| fs::write(r.join(p), s).unwrap();
        for (addr, kind, vendor, model) in [
            ("0:0:0:0", "1", "HP", "Ultrium 6-SCSI"),
            ("0:0:1:0", "8", "QUANTUM", "Scalar i40"),
        ] {
            let d = format!("sys/devices/host0/{addr}");
            mk(&d);
            put(&format!("{d}/type"), kind.as_bytes());
            put(&format!("{d}/vendor"), format!("{vendor:<8}\n").as_bytes());
            put(&format!("{d}/model"), format!("{model:<16}\n").as_bytes());
            put(&format!("{d}/rev"), b"J5SW\n");
        }
        put(
            "sys/devices/host0/0:0:0:0/vpd_pg80",
            b"\x01\x80\x00\x0aHU1234567A",
        );
        for (class, name, addr) in [
            ("scsi_tape", "nst0", "0:0:0:0"),
            ("scsi_tape", "st0", "0:0:0:0"),
            ("scsi_tape", "nst0l", "0:0:0:0"),
            ("scsi_generic", "sg0", "0:0:0:0"),
            ("scsi_generic", "sg1", "0:0:1:0"),
        ] {
            mk(&format!("sys/class/{class}/{name}"));
            symlink(
                r.join(format!("sys/devices/host0/{addr}")),
                r.join(format!("sys/class/{class}/{name}/device")),
            )
            .unwrap();
        }
        mk("dev/tape/by-id");
        for n in ["nst0", "sg0", "sg1"] {
            put(&format!("dev/{n}"), b"");
        }
        symlink(
            r.join("dev/nst0"),
            r.join("dev/tape/by-id/scsi-HU1234567A-nst"),
        )
        .unwrap();
        symlink(r.join("dev/sg1"), r.join("dev/tape/by-id/scsi-changer-sg")).unwrap();
        t
    }

    #[test]
    fn finds_drive_and_changer() {
        let t = tree();
        let found = discover_in(&t.path().join("sys"), &t.path().join("dev")).unwrap();
        assert_eq!(found.len(), 2, "{found:#?}");
        let drive = &found[0];
        assert_eq!(drive.kind, DeviceKind::TapeDrive);
        assert!(drive.path.ends_with("nst0"));
        assert!(drive.sg_path.as_ref().unwrap().ends_with("sg0"));
        assert_eq!(
            (drive.vendor.as_str(), drive.model.as_str()),
            ("HP", "Ultrium 6-SCSI")
        );
        assert_eq!(drive.serial.as_deref(), Some("HU1234567A"));
        assert_eq!(drive.scsi_address, "0:0:0:0");
        assert!(drive.by_id[0].ends_with("scsi-HU1234567A-nst"));
        let changer = &found[1];
        assert_eq!(changer.kind, DeviceKind::Changer);
        assert!(changer.path.ends_with("sg1"));
        assert_eq!(changer.by_id.len(), 1);
        assert_eq!(changer.serial, None);
    }

    #[test]
    fn empty_system() {
        let t = tempfile::tempdir().unwrap();
        assert!(discover_in(t.path(), t.path()).unwrap().is_empty());
    }
}
