//! Rebuilding the catalog from the tapes alone (`ntbackup catalog rebuild`).
//!
//! The catalog is a cache of what the media say; this recreates its media, sets and entries
//! (with drive addresses for LOCATE) and the archive state, for `.bkf` files of other programs
//! too.
//!
//! # Two ways to read a family
//!
//! * **The tape's own catalog** (mtf.md §10, Type 1): the last medium of a family ends with
//!   the last set's ESET, its File/Directory Detail and the family's Set Map, between the last
//!   two filemarks (§10.2). The rebuild maps each medium's filemarks by spacing over them (no
//!   data read), reads that region, each set's FDD region, and each set's SSET block (for its
//!   `LXJB` job stream); entries are placed with the Set Map's SSET PBA and FLA (§6.2:
//!   `PBA = (FLA − SSET.FLA) / (physical / FLB) + SSET.PBA`). Data blocks are never read.
//! * **Scanning** every block: sets without a tape catalog, families whose last medium is
//!   missing or does not end one, `.bkf` files, damaged catalogs. Everything is then exact,
//!   including what the tape catalog does not hold (Unix names that are not UTF-8, link sizes,
//!   times to the nanosecond, directory listings).
//!
//! # What the tapes cannot give back
//!
//! When a set finished (`finished_at` stays empty), the CRC-32C a job kept for verify, and the
//! device and inode numbers of the archive state (rebuilt states have inode 0: "identity
//! unknown", compared on size and times, see [`ArchiveState::unchanged`]). Through the tape's
//! catalog, also: the sizes of hard links, sub-second times, raw (non-UTF-8) names, and which
//! files an incremental set saw deleted (their archive state stays; harmless, as the selection
//! only looks up files that exist).
//!
//! Re-running is safe: a set is found by family and number and its rows are replaced; rows of
//! families not read are never touched, and a set read only in part never replaces a fuller
//! record.
//!
//! [`ArchiveState::unchanged`]: crate::catalog::ArchiveState::unchanged

mod address;
mod archive;
mod collect;
mod fast;
mod mount;
mod order;
mod scan;

use tape_core::{DeviceError, TapeDrive, VolumeTag};

use crate::catalog::{Catalog, CatalogError, MediumRecord, SetStatus};
use crate::policy::{MediaPolicy, Stop};
use crate::{Clock, EventSink, JobEvent};
use collect::{Collector, local_to_unix};
use mount::{Found, Medium, Mounter};

/// Which media to read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RebuildMedia {
    /// These cartridges, each loaded through the media policy (a changer) by its barcode.
    Barcodes(Vec<VolumeTag>),
    /// The medium in the drive and then `count - 1` more, in order, as the media policy
    /// supplies them (`.bkf` files given in order, an operator at a stand-alone drive). A
    /// family that continues on a later medium is followed there in any case.
    InOrder {
        /// How many media to read, at least 1.
        count: usize,
    },
}

/// Knobs of a rebuild.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RebuildOptions {
    /// Read a family through the tape's own catalog when its last medium holds one (else, or
    /// when `false`, every block is read).
    pub use_tape_catalog: bool,
}

impl Default for RebuildOptions {
    fn default() -> Self {
        Self {
            use_tape_catalog: true,
        }
    }
}

/// What to rebuild from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RebuildJob {
    /// The job's name (operator requests, logs).
    pub name: String,
    /// The media.
    pub media: RebuildMedia,
    /// Options.
    pub options: RebuildOptions,
}

impl RebuildJob {
    /// A rebuild from `media` with default options.
    pub fn new(name: impl Into<String>, media: RebuildMedia) -> Self {
        Self {
            name: name.into(),
            media,
            options: RebuildOptions::default(),
        }
    }
}

/// What a rebuild is given to work with.
pub struct RebuildContext<'a> {
    /// The drive.
    pub drive: &'a mut dyn TapeDrive,
    /// Loads each medium (a changer by barcode, the next `.bkf` file, an operator).
    pub policy: &'a mut dyn MediaPolicy,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Where the job reports.
    pub events: &'a mut dyn EventSink,
    /// The catalog written.
    pub catalog: &'a Catalog,
}

/// How a family was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Through the tape's own catalog (Set Map and File/Directory Detail).
    TapeCatalog,
    /// Block by block.
    Scan,
}

/// How a set ends on the media read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ending {
    /// Its ESET closes it normally.
    Complete,
    /// Its ESET says it was cut short (MTF_ABORTED_SET: the job stopped for want of a medium).
    ClosedEarly,
    /// It continues on this medium of the family, which was not read.
    ContinuesOn(u16),
    /// The media read end inside it (truncated or damaged), with no end-of-medium marker.
    Unclosed,
}

/// One set found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetSummary {
    /// Its catalog id (`None` when the catalog's fuller record was kept).
    pub id: Option<i64>,
    /// Media family.
    pub family: u32,
    /// Data set number.
    pub number: u16,
    /// Job name (from `LXJB`; else the set's name or description).
    pub job: String,
    /// Backup type.
    pub backup_type: String,
    /// Start, seconds since the epoch.
    pub started_at: i64,
    /// The status recorded: complete, or incomplete (closed early, continues on a medium not
    /// read, or cut off).
    pub status: SetStatus,
    /// How it ends on the media read.
    pub ending: Ending,
    /// First and last medium holding it.
    pub first_sequence: u16,
    /// Last medium holding it.
    pub last_sequence: u16,
    /// Directories.
    pub directories: u64,
    /// Files and links.
    pub files: u64,
    /// Bytes of file data.
    pub bytes: u64,
    /// Only part of it was read and the catalog's fuller record of it was kept.
    pub kept: bool,
}

/// One family found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FamilySummary {
    /// Media family ID.
    pub family: u32,
    /// How it was read.
    pub method: Method,
    /// Why it was scanned although the tape catalog was wanted.
    pub scanned_because: Option<String>,
    /// The media read, by sequence number.
    pub media: Vec<u16>,
    /// Its sets.
    pub sets: Vec<SetSummary>,
}

/// One medium looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediumSummary {
    /// Its barcode, if known.
    pub barcode: Option<VolumeTag>,
    /// `(family, sequence, name)` of an MTF medium.
    pub mtf: Option<(u32, u16, String)>,
    /// Why it was not used (blank, not MTF, could not be loaded).
    pub skipped: Option<String>,
}

/// How much the rebuild made the drive do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tally {
    /// Blocks read (`read_block` calls that returned data).
    pub blocks: u64,
    /// Bytes in them.
    pub bytes: u64,
    /// LOCATE commands.
    pub locates: u64,
    /// Filemark SPACE commands.
    pub spaces: u64,
}

/// The result of a rebuild.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RebuildReport {
    /// Every medium looked at, in the order read.
    pub media: Vec<MediumSummary>,
    /// Every family found.
    pub families: Vec<FamilySummary>,
    /// Sets whose archive state was replayed.
    pub archive_sets: Vec<i64>,
    /// What went wrong without stopping the rebuild.
    pub warnings: Vec<String>,
    /// What the drive did.
    pub tally: Tally,
}

/// A rebuild that could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RebuildError {
    /// The first medium could not be had.
    #[error("no medium to read: {0}")]
    NoMedium(Stop),
    /// The drive failed.
    #[error("drive {drive}: {source}")]
    Device {
        /// The drive.
        drive: String,
        /// What it reported.
        #[source]
        source: DeviceError,
    },
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Rebuilds the catalog's records of the families on the given media.
pub fn run_rebuild(
    job: &RebuildJob,
    cx: RebuildContext<'_>,
) -> Result<RebuildReport, RebuildError> {
    let RebuildContext {
        drive,
        policy,
        clock,
        events,
        catalog,
    } = cx;
    let mut m = Mounter {
        drive,
        policy,
        clock,
        events,
        job: job.name.clone(),
        buf: vec![0; 1 << 20],
        tally: Tally::default(),
        current: None,
    };
    let mut out = Output {
        catalog,
        options: job.options.clone(),
        report: RebuildReport::default(),
        archive: Vec::new(),
    };
    match &job.media {
        RebuildMedia::Barcodes(tags) => {
            let media = survey_all(&mut m, tags, &mut out.report)?;
            for family in families(media, &mut out.report.warnings) {
                read_family(&mut m, &mut out, &family)?;
            }
        }
        RebuildMedia::InOrder { count } => order::in_order(&mut m, &mut out, (*count).max(1))?,
    }
    let Output {
        mut report,
        archive,
        ..
    } = out;
    report.archive_sets = archive::replay(catalog, archive, &mut report.warnings)?;
    report.tally = m.tally;
    for w in &report.warnings {
        m.events.event(&JobEvent::Warning(w.clone()));
    }
    Ok(report)
}

/// What the rebuild writes to, and what it has found so far.
pub(crate) struct Output<'c> {
    pub(crate) catalog: &'c Catalog,
    pub(crate) options: RebuildOptions,
    pub(crate) report: RebuildReport,
    pub(crate) archive: Vec<collect::ArchiveSet>,
}

impl Output<'_> {
    /// Records a medium of a family; `family_date` stands in for a TAPE date the writer left
    /// unknown (our continuation media).
    pub(crate) fn medium(
        &mut self,
        m: &Medium,
        family_date: Option<i64>,
    ) -> Result<(), CatalogError> {
        let known = || {
            self.catalog
                .media(m.family)
                .ok()?
                .into_iter()
                .find(|r| r.sequence == m.sequence)
                .map(|r| r.written_at)
        };
        let written = local_to_unix(m.date)
            .or(family_date)
            .or_else(known)
            .unwrap_or(0);
        self.catalog.record_medium(&MediumRecord::new(
            m.family,
            m.sequence,
            m.barcode.clone(),
            &m.name,
            written,
        ))
    }

    /// A family is done: its collector's sets, warnings and archive candidates join the report.
    pub(crate) fn family(
        &mut self,
        c: Collector<'_>,
        family: u32,
        method: Method,
        scanned_because: Option<String>,
        media: Vec<u16>,
    ) {
        self.report.warnings.extend(c.warnings);
        self.archive.extend(c.archive);
        self.report.families.push(FamilySummary {
            family,
            method,
            scanned_because,
            media,
            sets: c.sets,
        });
    }
}

/// Loads every cartridge named and reads its TAPE block (and filemarks).
fn survey_all(
    m: &mut Mounter<'_>,
    tags: &[VolumeTag],
    report: &mut RebuildReport,
) -> Result<Vec<Medium>, RebuildError> {
    let mut found = Vec::new();
    for tag in tags {
        if let Err(stop) = m.mount(Some(tag), None, 1, false) {
            report
                .warnings
                .push(format!("{tag} could not be loaded: {stop}"));
            report.media.push(MediumSummary {
                barcode: Some(tag.clone()),
                mtf: None,
                skipped: Some(format!("could not be loaded: {stop}")),
            });
            continue;
        }
        match m.survey(Some(tag.clone()))? {
            Found::Mtf(medium) => {
                m.message(format!(
                    "{tag}: media #{} of family {:08X} (\"{}\")",
                    medium.sequence, medium.family, medium.name
                ));
                report.media.push(MediumSummary {
                    barcode: Some(tag.clone()),
                    mtf: Some((medium.family, medium.sequence, medium.name.clone())),
                    skipped: None,
                });
                found.push(medium);
            }
            Found::Other(why) => {
                m.message(format!("{tag}: {why}; skipped"));
                report.media.push(MediumSummary {
                    barcode: Some(tag.clone()),
                    mtf: None,
                    skipped: Some(why),
                });
            }
        }
    }
    Ok(found)
}

/// The media grouped by family, each in sequence order (one medium per sequence number),
/// families in the order they were written.
fn families(media: Vec<Medium>, warnings: &mut Vec<String>) -> Vec<Vec<Medium>> {
    let mut by: std::collections::BTreeMap<u32, Vec<Medium>> = std::collections::BTreeMap::new();
    for m in media {
        by.entry(m.family).or_default().push(m);
    }
    let mut out: Vec<Vec<Medium>> = by
        .into_values()
        .map(|mut v| {
            v.sort_by_key(|m| m.sequence);
            v.dedup_by(|b, a| {
                let dup = a.sequence == b.sequence;
                if dup {
                    warnings.push(format!(
                        "{} and {} both hold media #{} of family {:08X}; only the first is read",
                        show(a.barcode.as_ref()),
                        show(b.barcode.as_ref()),
                        a.sequence,
                        a.family
                    ));
                }
                dup
            });
            v
        })
        .collect();
    out.sort_by_key(|v| {
        (
            v.first().and_then(|m| local_to_unix(m.date)),
            v.first().map(|m| m.family),
        )
    });
    out
}

fn show(tag: Option<&VolumeTag>) -> String {
    tag.map_or_else(
        || "a medium without barcode".to_owned(),
        ToString::to_string,
    )
}

/// The highest `s` such that media `1..=s` are all among `media` (sorted by sequence).
fn contiguous(media: &[Medium]) -> u16 {
    let mut s = 0;
    for m in media {
        if m.sequence == s + 1 {
            s += 1;
        } else if m.sequence > s + 1 {
            break;
        }
    }
    s
}

/// Reads one family from its cartridges: through the tape catalog if possible, else by
/// scanning.
fn read_family(
    m: &mut Mounter<'_>,
    out: &mut Output<'_>,
    media: &[Medium],
) -> Result<(), RebuildError> {
    let Some(first) = media.first() else {
        return Ok(());
    };
    let family = first.family;
    let date = media.iter().find_map(|x| local_to_unix(x.date));
    for medium in media {
        out.medium(medium, date)?;
    }
    let mut c = Collector::new(out.catalog);
    c.limit = Some(contiguous(media));
    let seqs: Vec<u16> = media.iter().map(|x| x.sequence).collect();
    let why = if out.options.use_tape_catalog {
        match fast::read_family(m, &mut c, media)? {
            Ok(()) => {
                m.message(format!(
                    "Family {family:08X}: read through the tape catalog on media #{}",
                    seqs.last().copied().unwrap_or(1)
                ));
                out.family(c, family, Method::TapeCatalog, None, seqs);
                return Ok(());
            }
            Err(why) => {
                c.restart();
                Some(why)
            }
        }
    } else {
        None
    };
    m.message(match &why {
        Some(why) => format!("Family {family:08X}: scanning every block ({why})"),
        None => format!("Family {family:08X}: scanning every block"),
    });
    scan::by_barcode(m, &mut c, media)?;
    c.finish()?;
    out.family(c, family, Method::Scan, why, seqs);
    Ok(())
}
