//! Device strings: the CLI is the one place that turns a name into a concrete device.
//!
//! | `--tape` | device |
//! |---|---|
//! | `vtl:DIR`, `vtl:DIR#N` | drive 0 (or N) of the virtual library in DIR |
//! | `file:X.bkf` | a `.bkf` file (several `--tape file:…` in order form one family) |
//! | `/dev/nstN` | a drive through the Linux st driver |
//! | `sg:/dev/sgN` | a drive through SCSI generic (SSC over SG_IO) |
//! | `null:` | a drive that keeps nothing, to measure what feeds a drive |
//!
//! | `--changer` | device |
//! |---|---|
//! | `vtl:DIR` | the virtual library's robot |
//! | `/dev/sgN` | an SMC changer over SG_IO |
//! | `script:CMD` | any library through a Bacula `mtx-changer` style script |

use std::path::PathBuf;

use anyhow::{Context, bail};
use tape_core::vtl::VirtualLibrary;
use tape_core::{FileDrive, MediaChanger, TapeDrive};

/// A parsed `--tape` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TapeSpec {
    /// A drive of a virtual library.
    Vtl { dir: PathBuf, drive: usize },
    /// `.bkf` files.
    File(Vec<PathBuf>),
    /// A Linux st device node.
    St(PathBuf),
    /// A SCSI generic node driven with SSC commands.
    Sg(PathBuf),
    /// A drive that keeps nothing (measuring what feeds a drive).
    Null,
}

impl TapeSpec {
    pub(crate) fn parse(text: &str) -> anyhow::Result<Self> {
        if let Some(rest) = text.strip_prefix("vtl:") {
            let (dir, drive) = match rest.rsplit_once('#') {
                Some((dir, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => (
                    dir,
                    n.parse()
                        .with_context(|| format!("drive number in {text:?}"))?,
                ),
                _ => (rest, 0),
            };
            if dir.is_empty() {
                bail!(
                    "{text:?}: vtl: needs a library directory, e.g. vtl:/srv/tapes or vtl:/srv/tapes#1"
                );
            }
            return Ok(Self::Vtl {
                dir: dir.into(),
                drive,
            });
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                bail!("{text:?}: file: needs a path, e.g. file:/backups/monday.bkf");
            }
            return Ok(Self::File(vec![path.into()]));
        }
        if text == "null:" {
            return Ok(Self::Null);
        }
        if let Some(path) = text.strip_prefix("sg:") {
            return Ok(Self::Sg(path.into()));
        }
        if text.starts_with("/dev/") {
            return Ok(Self::St(text.into()));
        }
        bail!(
            "unknown tape device {text:?}: use vtl:DIR[#N], file:X.bkf, /dev/nstN, sg:/dev/sgN or null:"
        )
    }

    /// Parses every `--tape`; several are allowed only as `file:` media of one family.
    pub(crate) fn parse_all(texts: &[String]) -> anyhow::Result<Option<Self>> {
        let specs = texts
            .iter()
            .map(|t| Self::parse(t))
            .collect::<anyhow::Result<Vec<_>>>()?;
        match specs.len() {
            0 => Ok(None),
            1 => Ok(specs.into_iter().next()),
            _ => {
                let mut files = Vec::new();
                for s in specs {
                    match s {
                        Self::File(mut p) => files.append(&mut p),
                        _ => bail!(
                            "several --tape are allowed only for file: media (the .bkf files of one family, in order)"
                        ),
                    }
                }
                Ok(Some(Self::File(files)))
            }
        }
    }

    /// Opens the drive; `writable` matters for files.
    pub(crate) fn open(&self, writable: bool) -> anyhow::Result<Box<dyn TapeDrive>> {
        Ok(match self {
            Self::Vtl { dir, drive } => {
                let lib = VirtualLibrary::open(dir)?;
                Box::new(
                    lib.drive(*drive)
                        .with_context(|| format!("opening drive {drive} of {}", lib.name()))?,
                )
            }
            Self::File(paths) => Box::new(FileDrive::open(paths.clone(), writable)?),
            Self::Null => Box::new(tape_core::NullDrive::new()),
            Self::St(path) => Box::new(
                tape_scsi::StDrive::open(path)
                    .with_context(|| format!("opening {}", path.display()))?,
            ),
            Self::Sg(path) => Box::new(
                tape_scsi::SgDrive::open(path)
                    .with_context(|| format!("opening {}", path.display()))?,
            ),
        })
    }

    /// The drive's number in its changer, when the device string says.
    pub(crate) fn drive_number(&self) -> Option<u16> {
        match self {
            Self::Vtl { drive, .. } => u16::try_from(*drive).ok(),
            _ => None,
        }
    }
}

/// Opens a `--changer`.
pub(crate) fn open_changer(text: &str) -> anyhow::Result<Box<dyn MediaChanger>> {
    if let Some(dir) = text.strip_prefix("vtl:") {
        let dir = dir.rsplit_once('#').map_or(dir, |(d, _)| d);
        return Ok(Box::new(VirtualLibrary::open(dir)?.changer()));
    }
    if let Some(cmd) = text.strip_prefix("script:") {
        let (cmd, device) = cmd.split_once(' ').unwrap_or((cmd, ""));
        return Ok(Box::new(tape_scsi::ScriptChanger::new(cmd, device.trim())));
    }
    if text.starts_with("/dev/") {
        return Ok(Box::new(
            tape_scsi::SgChanger::open(text).with_context(|| format!("opening changer {text}"))?,
        ));
    }
    bail!("unknown changer {text:?}: use vtl:DIR, /dev/sgN or script:COMMAND [CHANGER-DEVICE]")
}

#[cfg(test)]
mod tests {
    use super::TapeSpec;

    #[test]
    fn device_strings() {
        let spec = |s| TapeSpec::parse(s).unwrap();
        assert_eq!(
            spec("vtl:L"),
            TapeSpec::Vtl {
                dir: "L".into(),
                drive: 0
            }
        );
        assert_eq!(
            spec("vtl:/a/b#3"),
            TapeSpec::Vtl {
                dir: "/a/b".into(),
                drive: 3
            }
        );
        assert_eq!(
            spec("vtl:/a#b"),
            TapeSpec::Vtl {
                dir: "/a#b".into(),
                drive: 0
            }
        );
        assert_eq!(spec("file:x.bkf"), TapeSpec::File(vec!["x.bkf".into()]));
        assert_eq!(spec("/dev/nst0"), TapeSpec::St("/dev/nst0".into()));
        assert_eq!(spec("sg:/dev/sg3"), TapeSpec::Sg("/dev/sg3".into()));
        assert_eq!(spec("null:"), TapeSpec::Null);
        assert!(TapeSpec::parse("vtl:").is_err());
        assert!(TapeSpec::parse("vtl:#2").is_err());
        assert!(TapeSpec::parse("file:").is_err());
        assert!(TapeSpec::parse("zero").is_err());
        let all = TapeSpec::parse_all(&["file:a".into(), "file:b".into()]).unwrap();
        assert_eq!(all, Some(TapeSpec::File(vec!["a".into(), "b".into()])));
        assert!(TapeSpec::parse_all(&["file:a".into(), "vtl:L".into()]).is_err());
    }
}
