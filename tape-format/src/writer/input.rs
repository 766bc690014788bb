//! The input calls: media, sets, volumes, directories, files, streams and data.

use super::job::{DblkJob, Job, Marker, Role};
use super::options::{DirectoryInfo, FileInfo, MediumInfo, SetInfo, VolumeInfo};
use super::{MediaWriter, SetState, State, WriteError};
use crate::attrs::{BlockAttributes, DirAttributes, FileAttributes, VolumeAttributes};
use crate::block::{Body, Dblk, Dirb, File, Sset, Volb};
use crate::catalog::{FddSpool, TYPE1_CATALOG_VERSION};
use crate::ids::StreamId;
use crate::le::to_u64;
use crate::os_nt::{NtObject, win_attr};
use crate::stream::StreamHeader;
use crate::strings::StringType;

/// Where to add sets to an existing medium: just after its last filemark.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppendPoint {
    /// Media sequence number of the medium.
    pub media_sequence: u16,
    /// PBA of the first block after the last filemark.
    pub pba: u64,
    /// Control Block ID for the next SFMB (soft filemarks).
    pub next_sfmb_id: u32,
    /// PBAs of the filemarks already on the medium, newest first (for SFMB entries).
    pub filemark_pbas: Vec<u32>,
}

impl<S: FddSpool> MediaWriter<S> {
    /// Starts a new medium: `TAPE` + `SPAD` + filemark. `media_sequence` is 1 for a new family.
    pub fn start_medium(
        &mut self,
        medium: MediumInfo,
        media_sequence: u16,
    ) -> Result<(), WriteError> {
        if self.state != State::Idle {
            return Err(WriteError::Sequence {
                call: "start_medium",
                reason: "a medium is in use",
            });
        }
        self.seq = media_sequence;
        self.medium = medium;
        self.tape_continuation = false;
        let tape = self.tape_job(false);
        self.jobs.extend([
            tape,
            Job::Spad { physical: true },
            Job::Filemark,
            Job::Marker(Marker::HeaderDone),
        ]);
        self.state = State::Writing;
        self.pump()
    }

    /// Continues a medium that already holds sets, after its last filemark (no TAPE is written).
    pub fn append_after(&mut self, point: AppendPoint) -> Result<(), WriteError> {
        if self.state != State::Idle {
            return Err(WriteError::Sequence {
                call: "append_after",
                reason: "a medium is in use",
            });
        }
        self.seq = point.media_sequence;
        self.pos = point.pba * self.phys;
        self.acked = self.pos;
        self.next_sfmb_id = point.next_sfmb_id.max(1);
        self.filemarks = point.filemark_pbas.into_iter().collect();
        self.committed.after_filemark = true;
        self.front.after_filemark = true;
        self.state = State::Writing;
        Ok(())
    }

    /// Fails unless input may be accepted now.
    pub(super) fn check_input(&mut self, call: &'static str) -> Result<(), WriteError> {
        match self.state {
            State::Writing => {}
            State::EarlyWarning | State::Closing | State::NeedMedium => {
                return Err(WriteError::EndOfMedium);
            }
            State::Idle => {
                return Err(WriteError::Sequence {
                    call,
                    reason: "no medium started",
                });
            }
        }
        self.pump()?;
        if self.ready.is_some() || !self.jobs.is_empty() {
            return Err(WriteError::OutputPending);
        }
        Ok(())
    }

    /// Ends the streams of the open DBLK with a `SPAD`.
    pub(super) fn close_owner(&mut self, call: &'static str) -> Result<(), WriteError> {
        if self.front.stream.is_some() {
            return Err(WriteError::Sequence {
                call,
                reason: "a stream is open",
            });
        }
        if self.front.owner.is_some() {
            self.jobs.push_back(Job::Spad { physical: false });
        }
        Ok(())
    }

    pub(super) fn open_set(&mut self, call: &'static str) -> Result<&mut SetState, WriteError> {
        self.set.as_mut().ok_or(WriteError::Sequence {
            call,
            reason: "no open data set",
        })
    }

    pub(super) fn push_dblk(
        &mut self,
        dblk: Dblk,
        role: Role,
        name_stream: Option<(StreamId, Vec<u8>)>,
        unix: Option<Vec<u8>>,
    ) {
        self.jobs.push_back(Job::Dblk(Box::new(DblkJob {
            dblk,
            role,
            name_stream: name_stream.clone(),
        })));
        for (id, bytes) in name_stream
            .into_iter()
            .chain(unix.map(|u| (StreamId::LXMD, u)))
        {
            let header = StreamHeader::new(id, to_u64(bytes.len()));
            self.jobs.push_back(Job::Stream {
                header,
                written_before: 0,
                force_continue: false,
            });
            self.jobs.push_back(Job::Bytes {
                data: bytes,
                done: 0,
            });
            self.jobs.push_back(Job::EndStream);
        }
    }

    /// Begins a data set (`SSET`). Must follow the medium start or the previous set's end.
    pub fn begin_set(&mut self, info: SetInfo) -> Result<(), WriteError> {
        self.aborting = false;
        self.check_input("begin_set")?;
        if self.set.is_some() {
            return Err(WriteError::Sequence {
                call: "begin_set",
                reason: "a data set is open",
            });
        }
        self.spool.clear()?;
        let st = StringType::Unicode;
        let sset = Sset {
            attributes: info.backup_type,
            software_vendor: self.opts.software_vendor,
            set_number: info.set_number,
            name: st.encode(&info.name),
            description: st.encode(&info.description),
            user_name: st.encode(&info.user_name),
            media_write_date: info.date,
            software_major: self.opts.software_version.0,
            software_minor: self.opts.software_version.1,
            time_zone: info.time_zone,
            catalog_version: if self.opts.catalog {
                TYPE1_CATALOG_VERSION
            } else {
                0
            },
            ..Sset::default()
        };
        let mut dblk = Dblk::new(Body::Sset(sset));
        if self.opts.catalog {
            dblk.header.attributes |= BlockAttributes::SSET_FDD_EXISTS;
        }
        self.set = Some(SetState {
            info,
            next_cbid: 1,
            ..SetState::default()
        });
        self.push_dblk(dblk, Role::Sset, None, None);
        self.pump()
    }

    pub(super) fn next_cbid(&mut self, call: &'static str) -> Result<u32, WriteError> {
        let set = self.open_set(call)?;
        let id = set.next_cbid;
        set.next_cbid = set.next_cbid.wrapping_add(1);
        Ok(id)
    }

    /// A volume (`VOLB`); applies to the directories and files that follow.
    pub fn volume(&mut self, info: VolumeInfo) -> Result<(), WriteError> {
        self.check_input("volume")?;
        self.open_set("volume")?;
        self.close_owner("volume")?;
        let st = StringType::Unicode;
        let mut attributes = info.attributes;
        if attributes.is_empty() {
            attributes = if info.device.starts_with("\\\\") {
                VolumeAttributes::DEV_UNC
            } else if info.device.len() == 2 && info.device.ends_with(':') {
                VolumeAttributes::DEV_DRIVE
            } else {
                VolumeAttributes::DEV_OS_SPEC
            };
        }
        let volb = Volb {
            attributes,
            device_name: st.encode(&info.device),
            volume_name: st.encode(&info.volume_name),
            machine_name: st.encode(&info.machine),
            media_write_date: info.date,
        };
        let mut dblk = Dblk::new(Body::Volb(volb));
        dblk.header.cbid = self.next_cbid("volume")?;
        dblk.os_data = info.nt.unwrap_or_default().encode();
        self.push_dblk(dblk, Role::Plain, None, None);
        self.pump()
    }

    /// A directory (`DIRB`) with its full path; applies to the files that follow.
    pub fn directory(&mut self, info: DirectoryInfo) -> Result<(), WriteError> {
        self.check_input("directory")?;
        self.close_owner("directory")?;
        let cbid = self.next_cbid("directory")?;
        let set = self.open_set("directory")?;
        set.dir_id += 1;
        set.dirs += 1;
        let dir_id = set.dir_id;
        let name = StringType::Unicode.encode_path(&info.path);
        let nt = info.nt.unwrap_or(NtObject {
            attributes: win_attr::DIRECTORY,
            ..NtObject::default()
        });
        let dirb = Dirb {
            attributes: info.attributes,
            modified: info.dates.modified,
            created: info.dates.created,
            backup: info.dates.backup,
            accessed: info.dates.accessed,
            directory_id: dir_id,
            name,
        };
        let mut dblk = Dblk::new(Body::Dirb(dirb));
        dblk.header.cbid = cbid;
        dblk.os_data = nt.encode_v1(false);
        let name_stream = self.name_to_stream(&mut dblk)?;
        self.push_dblk(
            dblk,
            Role::Plain,
            name_stream,
            info.unix.map(|u| u.encode()),
        );
        self.pump()
    }

    /// A file (`FILE`). Follow with [`begin_stream`](Self::begin_stream) for its data streams.
    pub fn begin_file(&mut self, info: FileInfo) -> Result<(), WriteError> {
        self.check_input("begin_file")?;
        self.close_owner("begin_file")?;
        let cbid = self.next_cbid("begin_file")?;
        let set = self.open_set("begin_file")?;
        set.file_id += 1;
        set.files += 1;
        set.size = set.size.saturating_add(info.size);
        let (file_id, dir_id) = (set.file_id, set.dir_id);
        let nt = info.nt.unwrap_or(NtObject {
            attributes: win_attr::ARCHIVE,
            ..NtObject::default()
        });
        let file = File {
            attributes: info.attributes,
            modified: info.dates.modified,
            created: info.dates.created,
            backup: info.dates.backup,
            accessed: info.dates.accessed,
            directory_id: dir_id,
            file_id,
            name: StringType::Unicode.encode(&info.name),
        };
        let mut dblk = Dblk::new(Body::File(file));
        dblk.header.cbid = cbid;
        dblk.header.displayable_size = info.size;
        dblk.os_data = nt.encode_v1(true);
        let name_stream = self.name_to_stream(&mut dblk)?;
        self.push_dblk(
            dblk,
            Role::Plain,
            name_stream,
            info.unix.map(|u| u.encode()),
        );
        self.pump()
    }

    /// Moves a name that would make the DBLK exceed one FLB into a `PNAM`/`FNAM` stream
    /// (mtf.md §4.4, §4.5).
    pub(super) fn name_to_stream(
        &self,
        dblk: &mut Dblk,
    ) -> Result<Option<(StreamId, Vec<u8>)>, WriteError> {
        let mut probe = Vec::new();
        let len = dblk.encode(&mut probe).unwrap_or(usize::MAX);
        if len <= usize::from(self.opts.flb_size) {
            return Ok(None);
        }
        Ok(match &mut dblk.body {
            Body::Dirb(d) => {
                d.attributes |= DirAttributes::PATH_IN_STREAM;
                Some((StreamId::PNAM, std::mem::take(&mut d.name)))
            }
            Body::File(f) => {
                f.attributes |= FileAttributes::NAME_IN_STREAM;
                Some((StreamId::FNAM, std::mem::take(&mut f.name)))
            }
            _ => None,
        })
    }
}
