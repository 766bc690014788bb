//! Microsoft Tape Format (MTF) 1.00a codec: descriptor blocks, streams, media layout, spanning
//! across media and the Type 1 media-based catalog. The layouts follow
//! `shared/reference/mtf.md` (cited as mtf.md §n throughout).
//!
//! # Model
//!
//! The core is **pure** (sans-IO): decoders read `&[u8]`, encoders append to `Vec<u8>`, and the
//! two state machines — [`writer::MediaWriter`] and [`reader::MediaReader`] — never touch a device,
//! a clock or a file. The caller executes what they ask for and reports back. Only [`io`] does I/O
//! (a memory-mapped `.bkf`, `Read`/`Write` adapters).
//!
//! * Layer 1, structures: [`block`] (one file per DBLK type, [`block::decode_dblk`] /
//!   [`block::Dblk::encode`]), [`stream`] (stream header, `CSUM`, `ADAT`, `SPAR`, frames, our
//!   `LXMD` Unix metadata), [`catalog`] (FDD entries, Set Map, the FDD spool), [`date`],
//!   [`strings`], [`os_nt`], [`descriptor`] (a DBLK with its streams). Every decoder returns
//!   [`decoded::Decoded`]: `Complete { value, consumed }` or `Incomplete { needed }`; every strict
//!   prefix of a valid encoding is `Incomplete`; damage is an [`error::DecodeError`] naming the
//!   structure; nothing panics and every length is capped before allocation.
//! * Layer 2, media: the writer lays blocks out into format logical blocks (512/1024), physical
//!   blocks (any multiple) and output units, with SPAD, SFMB soft filemarks, FLAs and Control
//!   Block IDs, end-of-set processing, the catalog and every end-of-medium case of mtf.md §9. The
//!   reader turns a medium (tape blocks + filemarks, or one `.bkf` buffer) back into [`reader::Event`]s,
//!   data borrowed from the input, and follows a family across media.
//!
//! # Writer protocol (for the backup engine)
//!
//! ```
//! use tape_format::writer::*;
//! # fn main() -> Result<(), WriteError> {
//! let mut w = MediaWriter::new_in_memory(WriterOptions::default().family(0x1234))?;
//! let mut tape: Vec<Vec<u8>> = Vec::new(); // stands in for the drive
//! // Execute every output before the next input call (back-pressure).
//! let mut drain = |w: &mut MediaWriter, tape: &mut Vec<Vec<u8>>| -> Result<(), WriteError> {
//!     while let Some(out) = w.poll()? {
//!         match out {
//!             Output::Block(b) => tape.push(b.to_vec()), // drive.write_block(b)
//!             Output::Filemark => tape.push(Vec::new()), // drive.write_filemarks(1)
//!         }
//!         // Report Written / EarlyWarning / Overflow as the drive answered. After
//!         // EarlyWarning: w.end_of_medium()?, drain, change tape, w.continue_on_new_medium(..)?,
//!         // drain. After Overflow: w.needs_medium() is true; change tape and continue the same way.
//!         w.complete(Outcome::Written)?;
//!     }
//!     Ok(())
//! };
//! w.start_medium(MediumInfo { name: "Tape 1".into(), ..MediumInfo::default() }, 1)?;
//! drain(&mut w, &mut tape)?;
//! w.begin_set(SetInfo { set_number: 1, name: "Set 1".into(), ..SetInfo::default() })?;
//! w.volume(VolumeInfo { device: "C:".into(), ..VolumeInfo::default() })?;
//! w.directory(DirectoryInfo { path: vec!["docs".into()], ..DirectoryInfo::default() })?;
//! w.begin_file(FileInfo { name: "a.txt".into(), size: 5, ..FileInfo::default() })?;
//! w.begin_stream(StreamInfo::stan(5))?;
//! let mut data: &[u8] = b"hello";
//! while !data.is_empty() {
//!     drain(&mut w, &mut tape)?;
//!     let n = w.write_data(data)?; // takes only what fits in the current output unit
//!     data = &data[n..];
//! }
//! w.end_stream()?; // appends the CSUM stream
//! w.end_set()?;
//! drain(&mut w, &mut tape)?;
//! w.finish()?;
//! # Ok(()) }
//! ```
//!
//! Input calls that arrive while an output is pending fail with
//! [`writer::WriteError::OutputPending`]; the writer holds one output unit plus small framing
//! state. FDD entries go to a caller-provided [`catalog::FddSpool`]; the Set Map of earlier sets is
//! passed in with [`writer::MediaWriter::set_prior_set_map`].
//!
//! # Reader protocol
//!
//! Feed bytes with [`reader::MediaReader::step`] (any piece size), hardware filemarks with
//! [`reader::MediaReader::filemark`], the end of data with [`reader::MediaReader::end_of_data`];
//! on [`reader::Event::EndOfMedium`] load the medium named by `next_sequence`, call
//! [`reader::MediaReader::next_medium`] and go on feeding — a foreign or out-of-order medium is
//! refused with [`reader::ReadError::WrongMedium`] and can be replaced. To restore a single file,
//! LOCATE to its block and start with [`reader::MediaReader::at_block`]. For a `.bkf`,
//! [`io::BkfFile`] maps the file and iterates the events; [`listing`] prints them.
//!
//! # Interoperability
//!
//! By default the writer follows mtf.md §12: UTF-16 strings, OS ID 14 with even-sized OS data,
//! VOLB before DIRB, the full path in every DIRB, SPAD ending every DBLK, SFMB of FLB size with
//! `TAPE_SOFT_FILEMARK_BIT` for `.bkf` ([`writer::WriterOptions::bkf`]). Unix metadata travel in
//! the vendor stream `LXMD` ([`stream::unix`]), which other readers skip.
//!
//! # Example program
//!
//! `cargo run -p tape-format --example bkf_list_extract [FILE.bkf]` writes a small `.bkf`
//! through [`io::WriteAdapter`], lists it with [`io::BkfFile::listing`] and extracts its files
//! by walking the [`reader::Event`]s (or does the last two to a `.bkf` given on the command
//! line). CI runs it and checks the extracted bytes.
//!
//! # Stability
//!
//! Errors, reader events and option structs are `#[non_exhaustive]`; options have `Default`
//! and builder methods ([`writer::WriterOptions::bkf`], [`writer::WriterOptions::family`] …).
//! The block structures of [`block`] and the writer's `*Info` inputs are plain structs with
//! `Default`, filled with `..Default::default()`: they mirror MTF 1.00a, a frozen format.
//! [`writer::Output`], [`writer::Outcome`] and [`decoded::Decoded`] are exhaustive on purpose:
//! they are the call protocol, and every case must be handled.

#![deny(missing_docs)]

pub mod attrs;
pub mod block;
pub mod catalog;
pub mod checksum;
pub mod date;
pub mod decoded;
pub mod descriptor;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
#[doc(hidden)]
pub mod hostile;
pub mod ids;
pub mod io;
mod le;
pub mod listing;
pub mod os_nt;
pub mod path;
pub mod reader;
pub mod stream;
pub mod strings;
pub mod writer;
