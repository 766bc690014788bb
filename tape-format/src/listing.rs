//! A text listing of media: sets, volumes, directories and files with sizes and dates. Used for
//! golden files and by `ntbackup list`. One line per object, stable across versions.
//!
//! ```text
//! medium 1 family 0x0000f00d "Backup.bkf" software "ntbackup-rs" flb 1024 soft-filemarks catalog 1
//! set 1 "Set created …" normal user "DOMAIN\user" written 2024-05-17 13:45:30 tz +0
//! volume C: "" machine "HOST"
//! dir   C:\apps\fred                            modified 2024-05-17 13:45:30
//! file  C:\apps\fred\a.txt          13 bytes     modified 2024-05-17 13:45:30 attrs 0x20
//!   stream STAN 13 csum ok
//! end set 1 corrupt 0
//! ```

use std::fmt::Write as _;

use crate::attrs::SetAttributes;
use crate::reader::{ChecksumStatus, Event, MediaReader, ReadError, ReaderOptions};

/// Builds a listing from reader events.
#[derive(Debug, Default, Clone)]
pub struct Lister {
    out: String,
    fdd: u64,
    /// The line of a stream whose end has not been seen yet.
    stream: Option<String>,
}

fn backup_type(a: SetAttributes) -> &'static str {
    [
        (SetAttributes::NORMAL, "normal"),
        (SetAttributes::COPY, "copy"),
        (SetAttributes::DIFFERENTIAL, "differential"),
        (SetAttributes::INCREMENTAL, "incremental"),
        (SetAttributes::DAILY, "daily"),
    ]
    .iter()
    .find(|(bit, _)| a.contains(*bit))
    .map_or("unknown", |(_, n)| n)
}

impl Lister {
    /// An empty listing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the line(s) for one event.
    pub fn event(&mut self, e: &Event<'_>) {
        match e {
            Event::Data(_) => return,
            Event::StreamStart { header, .. } => {
                self.flush_stream(" (no end)");
                self.stream = Some(format!("  stream {} {}", header.id, header.length));
                return;
            }
            Event::StreamEnd { checksum, .. } => {
                let status = match checksum {
                    ChecksumStatus::NotRequested => "",
                    ChecksumStatus::Verified(_) => " csum ok",
                    ChecksumStatus::Mismatch { .. } => " csum MISMATCH",
                    ChecksumStatus::Missing => " csum missing",
                };
                if self.stream.is_none() {
                    self.stream = Some("  stream (continued)".to_owned());
                }
                self.flush_stream(status);
                return;
            }
            Event::EndOfMedium { .. } => self.flush_stream(" (continues)"),
            _ => self.flush_stream(" (no end)"),
        }
        let o = &mut self.out;
        let _ = match e {
            Event::Medium(m) => writeln!(
                o,
                "medium {} family {:#010x} \"{}\" software \"{}\" flb {}{} catalog {}{}",
                m.tape.media_sequence,
                m.tape.media_family_id,
                m.name,
                m.software,
                m.tape.flb_size,
                if m.tape
                    .attributes
                    .contains(crate::attrs::TapeAttributes::SOFT_FILEMARK)
                {
                    " soft-filemarks"
                } else {
                    ""
                },
                m.tape.catalog_type,
                if m.header
                    .attributes
                    .contains(crate::attrs::BlockAttributes::CONTINUATION)
                {
                    " continuation"
                } else {
                    ""
                },
            ),
            Event::SetStart(s) => writeln!(
                o,
                "set {} \"{}\" {} user \"{}\" written {} tz {}",
                s.sset.set_number,
                s.name,
                backup_type(s.sset.attributes),
                s.user,
                s.sset.media_write_date,
                if s.sset.time_zone == crate::block::LOCAL_TZ {
                    "local".to_owned()
                } else {
                    format!("{:+}", s.sset.time_zone)
                }
            ),
            Event::Volume(v) => writeln!(
                o,
                "volume {} \"{}\" machine \"{}\"",
                v.device, v.volume_name, v.machine
            ),
            Event::Directory(d) => writeln!(
                o,
                "dir   {:<40} modified {}",
                d.path.to_string(),
                d.dirb.modified
            ),
            Event::File(f) => {
                let unix = match &f.unix {
                    Some(Ok(u)) => format!(
                        " unix {:?} mode {:o} uid {} gid {}",
                        u.file_type, u.mode, u.uid, u.gid
                    ),
                    Some(Err(e)) => format!(" unix-metadata-error ({e})"),
                    None => String::new(),
                };
                writeln!(
                    o,
                    "file  {:<40} {:>10} bytes modified {} attrs {:#x}{}",
                    f.path.to_string(),
                    f.header.displayable_size,
                    f.file.modified,
                    f.nt.map_or(0, |n| n.attributes),
                    unix
                )
            }
            Event::Corrupt(c) => writeln!(
                o,
                "  corrupt stream {} at offset {} ({:?})",
                c.stream_number, c.stream_offset, c.attributes
            ),
            Event::SetEnd(s) => writeln!(
                o,
                "end set {} corrupt {}{}",
                s.1.set_number,
                s.1.corrupt_files,
                if s.0
                    .attributes
                    .contains(crate::attrs::BlockAttributes::ESET_ABORTED_SET)
                {
                    " (aborted: closed early)"
                } else {
                    ""
                }
            ),
            Event::FddEntry(_) => {
                self.fdd += 1;
                Ok(())
            }
            Event::SetMap(m) => {
                let _ = writeln!(
                    o,
                    "catalog fdd {} entries, set map {} entries",
                    self.fdd,
                    m.entries.len()
                );
                self.fdd = 0;
                Ok(())
            }
            Event::Damaged { error, offset } => writeln!(o, "DAMAGED at {offset}: {error}"),
            Event::StreamCut {
                delivered,
                expected,
                ..
            } => writeln!(
                o,
                "  stream cut at {delivered} of {expected} bytes (set closed early)"
            ),
            Event::EndOfMedium {
                eotm,
                next_sequence,
                in_set,
                ..
            } => writeln!(
                o,
                "end of medium{}{}",
                if eotm.is_some() { " (EOTM)" } else { "" },
                if *in_set || eotm.is_some() {
                    format!(", continues on medium {next_sequence}")
                } else {
                    String::new()
                }
            ),
            Event::OtherBlock(b) => writeln!(o, "block {}", b.header.block_type),
            Event::Filemark
            | Event::Data(_)
            | Event::StreamStart { .. }
            | Event::StreamEnd { .. } => Ok(()),
        };
    }

    fn flush_stream(&mut self, status: &str) {
        if let Some(line) = self.stream.take() {
            let _ = writeln!(self.out, "{line}{status}");
        }
    }

    /// The listing.
    pub fn finish(mut self) -> String {
        self.flush_stream(" (no end)");
        self.out
    }
}

/// Lists whole media given as byte slices (a `.bkf` is one medium with soft filemarks; hardware
/// filemarks cannot be represented this way). Media must be given in sequence order.
pub fn list_media(media: &[&[u8]]) -> Result<String, ReadError> {
    let mut r = MediaReader::new(ReaderOptions::default());
    let mut l = Lister::new();
    for (i, m) in media.iter().enumerate() {
        if i > 0 {
            r.next_medium();
        }
        let mut pos = 0;
        while pos < m.len() && !r.medium_ended() {
            let s = r.step(&m[pos..])?;
            pos += s.consumed;
            match s.event {
                Some(e) => l.event(&e),
                None if s.consumed == 0 => break,
                None => {}
            }
        }
        for e in r.end_of_data() {
            l.event(&e);
        }
    }
    Ok(l.finish())
}
