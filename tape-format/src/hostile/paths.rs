//! Hostile names and paths: `..`, absolute paths, drive letters, UNC devices, `/` and NUL
//! inside names, invalid UTF-16, very deep and very long paths, duplicates.

use super::Body;
use super::craft::{RawStream, stan_with_csum, utf16, utf16_path};
use super::damage::content;
use crate::attrs::{DirAttributes, FileAttributes};
use crate::block::{Body as DblkBody, Dblk, File};
use crate::ids::StreamId;
use crate::stream::StreamHeader;
use crate::stream::unix::{UnixFileType, UnixMeta};

/// A good file `name` in directory `dir` (components), expected at `dir/name`.
pub(super) fn good(b: &mut Body<'_>, dir: &[&str], name: &str, seed: usize) {
    let data = content(seed, 100 + seed % 900);
    b.craft.file(name, &data, None);
    let mut path = dir.join("/");
    if !path.is_empty() {
        path.push('/');
    }
    path.push_str(name);
    b.expect.file(&path, &data);
}

pub(super) fn dotdot(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["dotdot", "ok"], None);
    good(b, &["dotdot", "ok"], "before.txt", 1);
    b.craft.dir(&["..", "..", "escape1"], None);
    b.expect.refuse("escape1", "climb out");
    b.craft.file("evil1", b"dotdot escape", None);
    b.expect.refuse("evil1", "climb out");
    b.craft
        .dir(&["dotdot", "ok", "..", "..", "..", "escape2"], None);
    b.expect.refuse("escape2", "climb out");
    b.craft.file("evil2", b"dotdot escape", None);
    b.expect.refuse("evil2", "climb out");
    b.craft.dir(&["dotdot", "t3"], None);
    b.expect.dirs.push("dotdot/t3".into());
    b.craft.file("..", b"named dotdot", None);
    b.expect.refuse("t3\\..", "climb out");
    b.craft.file(".", b"named dot", None);
    b.expect.refuse("t3\\.", "climb out");
    b.craft.dir(&["dotdot", "ok"], None);
    good(b, &["dotdot", "ok"], "after.txt", 2);
    next
}

pub(super) fn absolute(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["absolute"], None);
    good(b, &["absolute"], "before.txt", 3);
    // A DIRB name starting with a NUL: an empty first component (`/etc` with its root).
    b.craft
        .dir_raw(utf16("\0abs-etc1\0"), DirAttributes::empty(), &[]);
    b.expect.refuse("abs-etc1", "empty path component");
    b.craft.file("passwd1", b"root::0:0::/:/bin/sh\n", None);
    b.expect.refuse("passwd1", "empty path component");
    b.craft.dir(&["/abs-etc2"], None);
    b.expect.refuse("abs-etc2", "'/'");
    b.craft.dir(&["absolute"], None);
    b.craft.file("/abs-etc3/passwd", b"x", None);
    b.expect.refuse("abs-etc3", "'/'");
    // The name in an FNAM stream (as for long names).
    let fnam = utf16("/abs-etc4/shadow");
    let mut streams: Vec<RawStream> =
        vec![(StreamHeader::new(StreamId::FNAM, fnam.len() as u64), fnam)];
    streams.extend(stan_with_csum(b"fnam", None));
    let mut file = File {
        attributes: FileAttributes::NAME_IN_STREAM,
        ..File::default()
    };
    file.file_id = 9000;
    let mut d = Dblk::new(DblkBody::File(file));
    d.header.displayable_size = 4;
    b.craft.put(d, &streams);
    b.expect.refuse("abs-etc4", "'/'");
    // Our raw (Linux) name replaces the UTF-16 one: an absolute one is refused too.
    let raw = UnixMeta {
        file_type: UnixFileType::Regular,
        mode: 0o100_644,
        name: b"/abs-etc5/group".to_vec(),
        ..UnixMeta::default()
    };
    b.craft.file("innocent-abs5", b"raw", Some(&raw));
    b.expect.refuse("abs-etc5", "'/'");
    // A device that climbs: every path of the volume is refused.
    b.craft.volume("/abs-dev/../../..");
    b.craft.dir(&["abs-dev6"], None);
    b.expect.refuse("abs-dev6", "climb out");
    b.craft.file("f6", b"x", None);
    b.expect.refuse("f6", "climb out");
    b.craft.volume("/");
    b.craft.dir(&["absolute"], None);
    good(b, &["absolute"], "after.txt", 4);
    next
}

pub(super) fn drive_letters(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.volume("C:");
    b.craft.dir(&["drive", "Windows"], None);
    good(b, &["C", "drive", "Windows"], "win.ini", 5);
    // A drive letter or a whole Windows path inside a component is an ordinary Linux name.
    b.craft.dir(&["drive", "D:", "data"], None);
    good(b, &["C", "drive", "D:", "data"], "f", 6);
    b.craft.dir(&["drive", "C:\\Windows\\System32"], None);
    good(b, &["C", "drive", "C:\\Windows\\System32"], "cfg", 7);
    b.craft.volume("D:\\..\\..\\drive-esc1");
    b.craft.dir(&["drive-dir1"], None);
    b.expect.refuse("drive-dir1", "climb out");
    b.craft.volume("..:");
    b.craft.dir(&["drive-dir2"], None);
    b.expect.refuse("drive-dir2", "climb out");
    b.craft.volume("/");
    next
}

pub(super) fn unc(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.volume("\\\\server\\share");
    b.craft.dir(&["unc-docs"], None);
    good(b, &["server", "share", "unc-docs"], "a.txt", 8);
    b.craft.volume("\\\\?\\UNC\\srv\\sh");
    b.craft.dir(&["unc-long"], None);
    good(b, &["?", "UNC", "srv", "sh", "unc-long"], "b.txt", 9);
    b.craft.volume("//fwd/share");
    b.craft.dir(&["unc-fwd"], None);
    good(b, &["fwd", "share", "unc-fwd"], "c.txt", 10);
    b.craft.volume("\\\\..\\..\\unc-esc");
    b.craft.dir(&["unc-dir1"], None);
    b.expect.refuse("unc-dir1", "climb out");
    b.craft.file("unc-f1", b"x", None);
    b.expect.refuse("unc-f1", "climb out");
    b.craft.volume("/");
    next
}

pub(super) fn slash_in_name(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["slash", "a/slash-b1"], None);
    b.expect.refuse("slash-b1", "'/'");
    b.craft.file("x", b"x", None);
    b.expect.refuse("slash-b1", "'/'");
    b.craft.dir(&["slash"], None);
    b.craft.file("c/slash-d2", b"x", None);
    b.expect.refuse("slash-d2", "'/'");
    b.craft.file("../slash-e3", b"x", None);
    b.expect.refuse("slash-e3", "'/'");
    // U+2215 DIVISION SLASH looks like one and is an ordinary character.
    good(b, &["slash"], "a\u{2215}b", 11);
    next
}

pub(super) fn nul_and_invalid_utf16(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["utf16"], None);
    b.craft.file("nul\0-n1", b"x", None);
    b.expect.refuse("-n1", "NUL");
    // An unpaired high surrogate, then an odd trailing byte: decoded lossily, restored under
    // the name decoded (inside the root).
    let mut name = vec![0x00, 0xD8];
    name.extend(utf16("-s1"));
    let data = content(12, 300);
    b.craft
        .file_raw(name, data.len() as u64, &stan_with_csum(&data, None));
    b.expect.file("utf16/\u{FFFD}-s1", &data);
    let mut name = utf16("odd-o1");
    name.push(0x41);
    let data = content(13, 200);
    b.craft
        .file_raw(name, data.len() as u64, &stan_with_csum(&data, None));
    b.expect.file("utf16/odd-o1", &data);
    // An unpaired low surrogate as a whole directory name.
    let mut dir = utf16_path(&["utf16"]);
    dir.extend([0x00, 0xDC, 0x00, 0x00]);
    b.craft.dir_raw(dir, DirAttributes::empty(), &[]);
    good(b, &["utf16", "\u{FFFD}"], "in-lone-low", 14);
    // Two NULs in a row inside a DIRB name: an empty component.
    b.craft
        .dir_raw(utf16("utf16\0nul-d2\0\0x\0"), DirAttributes::empty(), &[]);
    b.expect.refuse("nul-d2", "empty path component");
    next
}

pub(super) fn deep(b: &mut Body<'_>, next: u16) -> u16 {
    // 600 levels, in a PNAM stream (too long for the DBLK).
    let mut comps = vec!["deep-refused"];
    comps.extend(std::iter::repeat_n("d", 599));
    let pnam = utf16_path(&comps);
    b.craft.dir_raw(
        Vec::new(),
        DirAttributes::PATH_IN_STREAM,
        &[(StreamHeader::new(StreamId::PNAM, pnam.len() as u64), pnam)],
    );
    b.expect.refuse("deep-refused", "levels deep");
    b.craft.file("bottom", b"too deep", None);
    b.expect.refuse("deep-refused", "levels deep");
    // 300 levels of 20-character names: 6300 bytes, beyond PATH_MAX; each level is created
    // relative to its parent, so the restore needs no long path.
    let level = "level-of-twenty-char";
    let mut comps = vec!["deep-ok"];
    comps.extend(std::iter::repeat_n(level, 299));
    let pnam = utf16_path(&comps);
    b.craft.dir_raw(
        Vec::new(),
        DirAttributes::PATH_IN_STREAM,
        &[(StreamHeader::new(StreamId::PNAM, pnam.len() as u64), pnam)],
    );
    good(b, &comps, "bottom.txt", 15);
    next
}

pub(super) fn long_names(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["long"], None);
    let max = "x".repeat(255);
    good(b, &["long"], &max, 16);
    // 85 × '€' = 255 bytes of UTF-8: the limit is in bytes.
    good(b, &["long"], &"€".repeat(85), 17);
    b.craft
        .file(&format!("long-a1{}", "y".repeat(293)), b"x", None);
    b.expect.refuse("long-a1", "at most 255");
    b.craft
        .file(&format!("long-a2{}", "é".repeat(200)), b"x", None);
    b.expect.refuse("long-a2", "at most 255");
    let fnam = utf16(&format!("long-a3{}", "z".repeat(600)));
    let mut streams: Vec<RawStream> =
        vec![(StreamHeader::new(StreamId::FNAM, fnam.len() as u64), fnam)];
    streams.extend(stan_with_csum(b"fnam", None));
    let file = File {
        attributes: FileAttributes::NAME_IN_STREAM,
        file_id: 9001,
        ..File::default()
    };
    let mut d = Dblk::new(DblkBody::File(file));
    d.header.displayable_size = 4;
    b.craft.put(d, &streams);
    b.expect.refuse("long-a3", "at most 255");
    next
}

pub(super) fn duplicates(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["dup"], None);
    b.craft.file("twice", b"first copy", None);
    // The later copy of a name replaces the earlier one (as tar extracts).
    b.craft.file("twice", b"second copy", None);
    b.expect.file("dup/twice", b"second copy");
    b.craft.file("Readme", b"mixed case", None);
    b.expect.file("dup/Readme", b"mixed case");
    b.craft.file("README", b"upper case", None);
    b.expect.file("dup/README", b"upper case");
    b.craft.file("dup-f1", b"a file first", None);
    b.expect.file("dup/dup-f1", b"a file first");
    b.craft.dir(&["dup", "dup-f1"], None);
    b.expect.refuse("dup-f1", "in the way");
    b.craft.file("under", b"x", None);
    b.expect.refuse("dup-f1", "in the way");
    b.craft.dir(&["dup", "dup-d2"], None);
    b.expect.dirs.push("dup/dup-d2".into());
    b.craft.dir(&["dup"], None);
    b.craft.file("dup-d2", b"a directory first", None);
    b.expect
        .refuse("dup-d2", "directory of that name is in the way");
    b.craft.dir(&["dup"], None);
    good(b, &["dup"], "after", 18);
    next
}
