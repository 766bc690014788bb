//! Which media a backup may write on: blank ones; with permission, expired or foreign ones;
//! never a write-protected one, a cleaning cartridge, or one of the job's own family.

use tape_core::{DeviceError, MediumKind, ReadStatus, TapeDrive};
use tape_format::attrs::TapeAttributes;
use tape_format::block::{Body, decode_dblk};
use tape_format::decoded::Decoded;

use crate::media::{MediumCheck, Verdict};
use crate::policy::{MediaDirectory, MediaRequest, MediumUsage};

/// Which media holding data a backup may overwrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Overwrite {
    /// Blank media only.
    #[default]
    Never,
    /// Blank media, and media whose family the catalog marks expired.
    Expired,
    /// Anything writable, whatever it holds (NTBackup's replace mode; `/UM` on a tape it
    /// recognises). Explicit choice only.
    Any,
}

/// A medium's FLB size and soft filemark size (0 with hardware filemarks), from its TAPE block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Layout {
    pub(crate) flb_size: u16,
    pub(crate) soft_filemark_size: u64,
}

/// What is on a medium, by its first block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Contents {
    Blank,
    Mtf {
        family: u32,
        sequence: u16,
        name: String,
        /// How the medium is laid out (for a reader started in its middle).
        layout: Layout,
    },
    Foreign(String),
}

/// Reads the first block of the loaded medium (after rewinding) and says what it holds.
pub(crate) fn identify(drive: &mut dyn TapeDrive, buf: &mut [u8]) -> Result<Contents, DeviceError> {
    drive.rewind()?;
    let n = match drive.read_block(buf) {
        Ok(ReadStatus::EndOfData) => return Ok(Contents::Blank),
        Ok(ReadStatus::Filemark) => {
            return Ok(Contents::Foreign("it starts with a filemark".into()));
        }
        Ok(ReadStatus::Data(n)) => n,
        Err(DeviceError::BlockTooLarge { block_len, .. }) => {
            return Ok(Contents::Foreign(format!(
                "its first block ({} bytes) is larger than any MTF block",
                block_len.map_or_else(|| "?".into(), |l| l.to_string())
            )));
        }
        Err(e) => return Err(e),
    };
    Ok(match decode_dblk(&buf[..n]) {
        Ok(Decoded::Complete { value, .. }) => match &value.body {
            Body::Tape(t) => Contents::Mtf {
                family: t.media_family_id,
                sequence: t.media_sequence,
                name: value.text(&t.media_name),
                layout: Layout {
                    flb_size: t.flb_size,
                    soft_filemark_size: if t.attributes.contains(TapeAttributes::SOFT_FILEMARK) {
                        u64::from(t.soft_filemark_size) * 512
                    } else {
                        0
                    },
                },
            },
            _ => Contents::Foreign("MTF data that does not start with a TAPE block".into()),
        },
        _ => Contents::Foreign("data written by another program (no MTF TAPE block)".into()),
    })
}

/// The backup's medium check.
pub(crate) struct BackupCheck<'a> {
    pub(crate) overwrite: Overwrite,
    pub(crate) directory: Option<&'a dyn MediaDirectory>,
    pub(crate) buf: Vec<u8>,
}

impl MediumCheck for BackupCheck<'_> {
    type Accepted = Option<tape_core::VolumeTag>;

    fn check(
        &mut self,
        drive: &mut dyn TapeDrive,
        request: &MediaRequest,
    ) -> Verdict<Self::Accepted> {
        let status = match drive.status() {
            Ok(s) => s,
            Err(e) => return Verdict::Refuse(format!("the drive cannot report its status: {e}")),
        };
        let Some(medium) = status.medium else {
            return Verdict::Refuse("no medium in the drive".into());
        };
        if medium.kind == MediumKind::Cleaning {
            return Verdict::Refuse("it is a cleaning cartridge".into());
        }
        if medium.write_protected {
            return Verdict::Refuse("it is write-protected".into());
        }
        let barcode = medium.barcode.clone();
        let contents = match identify(drive, &mut self.buf) {
            Ok(c) => c,
            Err(e) => return Verdict::Refuse(format!("it cannot be read: {e}")),
        };
        let usage = barcode
            .as_ref()
            .zip(self.directory)
            .map(|(b, d)| d.usage(b));
        let verdict = match contents {
            Contents::Blank => Verdict::Accept(barcode),
            Contents::Mtf {
                family, sequence, ..
            } if Some(family) == request.family => Verdict::Refuse(format!(
                "it is already media #{sequence} of this backup's family"
            )),
            Contents::Mtf {
                family,
                sequence,
                name,
                ..
            } => match self.overwrite {
                Overwrite::Any => Verdict::Accept(barcode),
                Overwrite::Expired if usage == Some(MediumUsage::Expired) => {
                    Verdict::Accept(barcode)
                }
                _ => Verdict::Refuse(format!(
                    "it holds media #{sequence} of family {family:08X} (\"{name}\"); it is not overwritten \
                     unless the job says so (--overwrite)"
                )),
            },
            Contents::Foreign(what) => match self.overwrite {
                Overwrite::Any => Verdict::Accept(barcode),
                _ => Verdict::Refuse(format!(
                    "{what}; it is not overwritten unless the job says so (--overwrite)"
                )),
            },
        };
        if let (Verdict::Accept(_), Err(e)) = (&verdict, drive.rewind()) {
            return Verdict::Refuse(format!("it cannot be rewound: {e}"));
        }
        verdict
    }
}
