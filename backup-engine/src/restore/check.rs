//! Which medium a restore accepts: the one of the wanted family and sequence, nothing else.

use tape_core::TapeDrive;

use crate::backup::{Contents, Layout, identify};
use crate::media::{MediumCheck, Verdict};
use crate::policy::MediaRequest;

/// What an accepted medium is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mounted {
    pub(crate) family: u32,
    pub(crate) sequence: u16,
    pub(crate) layout: Layout,
}

pub(crate) struct RestoreCheck {
    pub(crate) buf: Vec<u8>,
}

impl MediumCheck for RestoreCheck {
    type Accepted = Mounted;

    fn check(&mut self, drive: &mut dyn TapeDrive, request: &MediaRequest) -> Verdict<Mounted> {
        let contents = match identify(drive, &mut self.buf) {
            Ok(c) => c,
            Err(e) => return Verdict::Refuse(format!("it cannot be read: {e}")),
        };
        let wanted = match request.family {
            Some(f) => format!("media #{} of family {f:08X}", request.sequence),
            None => format!("media #{} of a backup", request.sequence),
        };
        let verdict = match contents {
            Contents::Mtf {
                family,
                sequence,
                layout,
                ..
            } if request.family.is_none_or(|f| f == family) && sequence == request.sequence => {
                Verdict::Accept(Mounted {
                    family,
                    sequence,
                    layout,
                })
            }
            Contents::Mtf {
                family,
                sequence,
                name,
                ..
            } => Verdict::Refuse(format!(
                "it is media #{sequence} of family {family:08X} (\"{name}\"), not {wanted}"
            )),
            Contents::Blank => Verdict::Refuse(format!("it is blank, not {wanted}")),
            Contents::Foreign(what) => Verdict::Refuse(format!("{what}, not {wanted}")),
        };
        if let (Verdict::Accept(_), Err(e)) = (&verdict, drive.rewind()) {
            return Verdict::Refuse(format!("it cannot be rewound: {e}"));
        }
        verdict
    }
}
