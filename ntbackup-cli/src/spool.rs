//! The operator request spool: `$NTBACKUP_HOME/requests/`.
//!
//! A job waiting for a medium writes one JSON file per open request, `ID.json` (written to a
//! temporary name and renamed, so a reader never sees half a file), and rewrites it for each
//! reminder. Another process answers by writing `ID.answer` the same way (`ntbackup operator
//! ack|cancel`); the waiting job polls for it a few times a second, acts on it and removes both
//! files when the request is resolved. IDs are `PID-N` (the job's process id and a counter), so
//! a request whose process is gone is recognisably stale.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use anyhow::{Context, bail};
use backup_engine::OperatorRequest;
use serde::{Deserialize, Serialize};

/// One open request, as stored in `ID.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct RequestFile {
    /// `PID-N`.
    pub(crate) id: String,
    /// The waiting job's process.
    pub(crate) pid: u32,
    /// `backup` or `restore`.
    pub(crate) purpose: String,
    /// The job's name.
    pub(crate) job: String,
    /// The drive the medium must go into.
    pub(crate) drive: String,
    /// The media family (8 hex digits), once known.
    pub(crate) family: Option<String>,
    /// Which medium of the family, from 1.
    pub(crate) sequence: u16,
    /// The barcode wanted, when known.
    pub(crate) barcode: Option<String>,
    /// Why the medium offered last was refused.
    pub(crate) refused: Option<String>,
    /// What is wanted, in one sentence.
    pub(crate) message: String,
    /// When the request was first made (local time) and as seconds since the epoch.
    pub(crate) since: String,
    pub(crate) since_unix: u64,
    /// Until when the job waits.
    pub(crate) until: String,
    pub(crate) until_unix: u64,
    /// 1 for the first notification, 2, 3, … for reminders.
    pub(crate) notification: u32,
}

/// An answer, as stored in `ID.answer`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Answer {
    /// `ack` (the medium is in) or `cancel`.
    pub(crate) answer: String,
    /// Why (cancel), for the job's log.
    pub(crate) reason: Option<String>,
    /// Who answered (user name, process id).
    pub(crate) by: String,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl RequestFile {
    pub(crate) fn new(id: &str, r: &OperatorRequest) -> Self {
        Self {
            id: id.to_owned(),
            pid: std::process::id(),
            purpose: r.purpose.name().to_owned(),
            job: r.job.clone(),
            drive: r.drive.clone(),
            family: r.family.map(|f| format!("{f:08X}")),
            sequence: r.sequence,
            barcode: r.barcode.as_ref().map(ToString::to_string),
            refused: r.refused.clone(),
            message: format!("Please insert {}", r.describe()),
            since: crate::log::timestamp(r.since),
            since_unix: unix(r.since),
            until: crate::log::timestamp(r.until),
            until_unix: unix(r.until),
            notification: r.notification,
        }
    }

    /// True while the process that made the request runs.
    pub(crate) fn alive(&self) -> bool {
        Path::new("/proc").join(self.pid.to_string()).exists()
    }
}

/// The spool directory.
#[derive(Debug, Clone)]
pub(crate) struct Spool {
    dir: PathBuf,
}

static NEXT: AtomicU32 = AtomicU32::new(1);

impl Spool {
    /// The spool of `$NTBACKUP_HOME`.
    pub(crate) fn open() -> anyhow::Result<Self> {
        Ok(Self::at(crate::home::home()?.join("requests")))
    }

    pub(crate) fn at(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// A new request id for this process.
    pub(crate) fn new_id() -> String {
        format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )
    }

    pub(crate) fn request_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn answer_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.answer"))
    }

    /// Writes (or rewrites) a request, atomically.
    pub(crate) fn write(&self, request: &RequestFile) -> anyhow::Result<()> {
        write_atomic(
            &self.dir,
            &self.request_path(&request.id),
            &serde_json::to_vec_pretty(request)?,
        )
    }

    /// Takes the answer to `id`, if one came.
    pub(crate) fn take_answer(&self, id: &str) -> Option<Answer> {
        let path = self.answer_path(id);
        let bytes = std::fs::read(&path).ok()?;
        let _ = std::fs::remove_file(&path);
        serde_json::from_slice(&bytes).ok()
    }

    /// The request is resolved: its files go.
    pub(crate) fn remove(&self, id: &str) {
        let _ = std::fs::remove_file(self.request_path(id));
        let _ = std::fs::remove_file(self.answer_path(id));
    }

    /// Every request in the spool, oldest first; stale ones (their process is gone) are
    /// removed and not returned.
    pub(crate) fn list(&self) -> anyhow::Result<Vec<RequestFile>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).context(format!("reading {}", self.dir.display())),
        };
        let mut out = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(request) = serde_json::from_slice::<RequestFile>(&bytes) else {
                continue;
            };
            if request.alive() {
                out.push(request);
            } else {
                self.remove(&request.id);
            }
        }
        out.sort_by(|a, b| (a.since_unix, &a.id).cmp(&(b.since_unix, &b.id)));
        Ok(out)
    }

    /// Answers a request (by id, by unique prefix, or the only open one if `id` is `None`).
    pub(crate) fn answer(&self, id: Option<&str>, answer: &Answer) -> anyhow::Result<RequestFile> {
        let open = self.list()?;
        let matching: Vec<&RequestFile> = match id {
            Some(id) => {
                let exact: Vec<_> = open.iter().filter(|r| r.id == id).collect();
                if exact.is_empty() {
                    open.iter().filter(|r| r.id.starts_with(id)).collect()
                } else {
                    exact
                }
            }
            None => open.iter().collect(),
        };
        let request = match (matching.as_slice(), id) {
            ([one], _) => (*one).clone(),
            ([], Some(id)) => bail!("no open request {id:?} (see `ntbackup operator list`)"),
            ([], None) => bail!("no request for a medium is open"),
            (_, Some(id)) => bail!("{id:?} matches several requests; give the whole id"),
            (_, None) => bail!(
                "{} requests are open; name one (see `ntbackup operator list`)",
                matching.len()
            ),
        };
        write_atomic(
            &self.dir,
            &self.answer_path(&request.id),
            &serde_json::to_vec_pretty(answer)?,
        )?;
        Ok(request)
    }
}

/// Writes `bytes` to `path` through a temporary file in `dir` and a rename.
fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
}

/// Who answers: `user (pid N)`.
pub(crate) fn who() -> String {
    format!(
        "{} (pid {})",
        std::env::var("USER").unwrap_or_else(|_| "?".to_owned()),
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, pid: u32) -> RequestFile {
        RequestFile {
            id: id.to_owned(),
            pid,
            purpose: "backup".into(),
            job: "j".into(),
            drive: "vtl:L#0".into(),
            family: None,
            sequence: 2,
            barcode: None,
            refused: None,
            message: "Please insert".into(),
            since: String::new(),
            since_unix: 1,
            until: String::new(),
            until_unix: 2,
            notification: 1,
        }
    }

    #[test]
    fn write_list_answer_take_remove() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::at(dir.path().join("requests"));
        assert!(spool.list().unwrap().is_empty());
        let me = std::process::id();
        spool.write(&request(&format!("{me}-7"), me)).unwrap();
        spool.write(&request("999999999-1", 999_999_999)).unwrap();
        let open = spool.list().unwrap();
        assert_eq!(open.len(), 1, "the stale request is dropped");
        let ack = Answer {
            answer: "ack".into(),
            reason: None,
            by: who(),
        };
        assert_eq!(spool.answer(None, &ack).unwrap().id, format!("{me}-7"));
        assert!(spool.answer(Some("nope"), &ack).is_err());
        assert_eq!(spool.take_answer(&format!("{me}-7")), Some(ack));
        assert_eq!(spool.take_answer(&format!("{me}-7")), None);
        spool.remove(&format!("{me}-7"));
        assert!(spool.list().unwrap().is_empty());
    }
}
