//! From what the walk found to what the MTF writer takes: names, paths, dates, attributes and
//! the Unix metadata stream.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use tape_format::date::MtfDate;
use tape_format::os_nt::{NtObject, win_attr};
use tape_format::stream::unix::{UnixFileType, UnixMeta, UnixTime};
use tape_format::writer::{DirectoryInfo, FileInfo as MtfFileInfo, ObjectDates};

use crate::walk::{Entry, EntryKind, FileInfo, Timestamp};

/// The VOLB device under which a path is stored: `/` for absolute paths, `.` for relative ones
/// (restores map both under the restore root, as tar does).
pub(crate) fn device_of(path: &Path) -> &'static str {
    if path.has_root() { "/" } else { "." }
}

/// The path's components from its volume root, raw.
pub(crate) fn raw_components(path: &Path) -> Vec<&[u8]> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.as_bytes()),
            _ => None,
        })
        .collect()
}

/// Components as MTF strings (lossy for names that are not UTF-8; the raw bytes then travel in
/// the Unix metadata stream).
pub(crate) fn text_components(path: &Path) -> Vec<String> {
    raw_components(path)
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// Local − UTC at `secs`, in seconds.
pub(crate) fn local_offset(secs: i64) -> i64 {
    jiff::Timestamp::from_second(secs)
        .map(|ts| i64::from(jiff::tz::TimeZone::system().to_offset(ts).seconds()))
        .unwrap_or(0)
}

/// An MTF date (local time, as NTBackup writes) for a Unix time.
pub(crate) fn mtf_date(t: Timestamp) -> MtfDate {
    MtfDate::from_unix(t.secs, local_offset(t.secs))
}

fn unix_time(t: Timestamp) -> UnixTime {
    UnixTime {
        secs: t.secs,
        nanos: t.nanos,
    }
}

fn dates(info: &FileInfo, now: Timestamp) -> ObjectDates {
    ObjectDates {
        modified: mtf_date(info.mtime),
        // Linux keeps no creation time that every file system reports; the change time is the
        // closest stand-in and is what `ls -lc` shows.
        created: mtf_date(info.ctime),
        backup: mtf_date(now),
        accessed: mtf_date(info.atime),
    }
}

fn nt_attributes(info: &FileInfo, dir: bool) -> u32 {
    let mut a = if dir {
        win_attr::DIRECTORY
    } else {
        win_attr::ARCHIVE
    };
    if info.mode & 0o222 == 0 {
        a |= win_attr::READONLY;
    }
    a
}

/// The `LXMD` body for an entry.
pub(crate) fn unix_meta(entry: &Entry, link_target: Option<&Path>) -> UnixMeta {
    let info = &entry.info;
    let (file_type, symlink_target) = match &entry.kind {
        EntryKind::Directory => (UnixFileType::Directory, Vec::new()),
        EntryKind::Symlink(t) => (UnixFileType::Symlink, t.as_bytes().to_vec()),
        EntryKind::HardLink(_) => (UnixFileType::HardLink, Vec::new()),
        _ => (UnixFileType::Regular, Vec::new()),
    };
    UnixMeta {
        file_type,
        mode: info.mode,
        uid: info.uid,
        gid: info.gid,
        user: info.user.clone().unwrap_or_default(),
        group: info.group.clone().unwrap_or_default(),
        atime: unix_time(info.atime),
        mtime: unix_time(info.mtime),
        ctime: unix_time(info.ctime),
        rdev: info.rdev,
        // The exact bytes of the name when the UTF-16 name cannot carry them.
        name: match entry.path.file_name() {
            Some(n) if std::str::from_utf8(n.as_bytes()).is_err() => n.as_bytes().to_vec(),
            _ => Vec::new(),
        },
        symlink_target,
        hardlink_target: link_target.map(raw_path).unwrap_or_default(),
        xattrs: info.xattrs.clone(),
    }
}

/// The path's components joined with `/`, without a leading `/` (what `LXMD` carries).
pub(crate) fn raw_path(path: &Path) -> Vec<u8> {
    raw_components(path).join(&b'/')
}

/// The path as the catalog keeps it: raw bytes, with its leading `/` if absolute.
pub(crate) fn raw_path_with_root(path: &Path) -> Vec<u8> {
    let mut out = if path.has_root() {
        b"/".to_vec()
    } else {
        Vec::new()
    };
    out.extend(raw_path(path));
    out
}

/// The DIRB for a directory entry.
pub(crate) fn directory_info(entry: &Entry, now: Timestamp) -> DirectoryInfo {
    DirectoryInfo {
        path: text_components(&entry.path),
        dates: dates(&entry.info, now),
        nt: Some(NtObject {
            attributes: nt_attributes(&entry.info, true),
            ..NtObject::default()
        }),
        unix: Some(unix_meta(entry, None)),
        ..DirectoryInfo::default()
    }
}

/// A DIRB for a directory we only know by its path (the parent of a selected file).
pub(crate) fn bare_directory(path: &Path) -> DirectoryInfo {
    DirectoryInfo {
        path: text_components(path),
        ..DirectoryInfo::default()
    }
}

/// The FILE for a non-directory entry.
pub(crate) fn file_info(entry: &Entry, now: Timestamp) -> MtfFileInfo {
    let link = match &entry.kind {
        EntryKind::HardLink(first) => Some(first.as_path()),
        _ => None,
    };
    let name = entry.path.file_name().map_or_else(String::new, |n| {
        String::from_utf8_lossy(n.as_bytes()).into_owned()
    });
    let mut nt = NtObject {
        attributes: nt_attributes(&entry.info, false),
        ..NtObject::default()
    };
    if link.is_some() {
        nt.flags |= 1; // NT_FILE_LINK_FLAG_BIT: a further name of a file written earlier
    }
    if matches!(entry.kind, EntryKind::Symlink(_)) {
        // What Windows calls a symbolic link. The FDD copies these attributes, so a catalog
        // rebuilt from the tape catalog alone still tells a link from an empty file.
        nt.attributes |= win_attr::REPARSE_POINT;
    }
    MtfFileInfo {
        name,
        size: if entry.kind == EntryKind::File {
            entry.info.size
        } else {
            0
        },
        dates: dates(&entry.info, now),
        nt: Some(nt),
        unix: Some(unix_meta(entry, link)),
        ..MtfFileInfo::default()
    }
}

/// The parent directory of a path, as the walk would name it (`""` becomes `.`).
pub(crate) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new(OsStr::new(".")),
    }
}
