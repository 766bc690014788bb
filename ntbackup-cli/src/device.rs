//! Device strings: the CLI is the one place that turns a name into a concrete device.
//!
//! * `vtl:DIR` — drive 0 of the virtual library in DIR; `vtl:DIR#N` — drive N.

use std::path::PathBuf;

use anyhow::{Context, bail};
use tape_core::TapeDrive;
use tape_core::vtl::VirtualLibrary;

/// A parsed `--tape` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TapeSpec {
    /// A drive of a virtual library.
    Vtl { dir: PathBuf, drive: usize },
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
        bail!("unknown tape device {text:?}: use vtl:DIR or vtl:DIR#N (a virtual library drive)")
    }

    /// Opens the drive.
    pub(crate) fn open(&self) -> anyhow::Result<Box<dyn TapeDrive>> {
        match self {
            Self::Vtl { dir, drive } => {
                let lib = VirtualLibrary::open(dir)?;
                Ok(Box::new(lib.drive(*drive).with_context(|| {
                    format!("opening drive {drive} of {}", lib.name())
                })?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TapeSpec;

    #[test]
    fn vtl_drive_numbers() {
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
        assert!(TapeSpec::parse("vtl:").is_err());
        assert!(TapeSpec::parse("vtl:#2").is_err());
        assert!(TapeSpec::parse("/dev/zero").is_err());
    }
}
