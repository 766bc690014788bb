//! Hostile entries of our Unix-metadata stream (`LXMD`): symbolic links out of the root with
//! files, directories and files under them at the same path; hard links that climb, are
//! absolute, go through a symlink or point at directories; link cycles; object kinds a restore
//! does not create; hostile raw names; metadata that cannot be decoded.

use super::Body;
use super::craft::{RawStream, lxmd, stan_with_csum, utf16, utf16_path};
use super::damage::content;
use crate::attrs::DirAttributes;
use crate::ids::StreamId;
use crate::stream::StreamHeader;
use crate::stream::unix::{UnixFileType, UnixMeta};

fn meta(file_type: UnixFileType) -> UnixMeta {
    let mode = match file_type {
        UnixFileType::Directory => 0o040_755,
        UnixFileType::Symlink => 0o120_777,
        UnixFileType::Fifo => 0o010_644,
        UnixFileType::CharDevice => 0o020_644,
        UnixFileType::BlockDevice => 0o060_644,
        UnixFileType::Socket => 0o140_755,
        _ => 0o100_644,
    };
    UnixMeta {
        file_type,
        mode,
        uid: 1000,
        gid: 1000,
        ..UnixMeta::default()
    }
}

fn symlink(b: &mut Body<'_>, name: &str, target: &[u8]) {
    let m = UnixMeta {
        symlink_target: target.to_vec(),
        ..meta(UnixFileType::Symlink)
    };
    b.craft.file(name, b"", Some(&m));
}

fn hard_link(b: &mut Body<'_>, name: &str, target: &[u8]) {
    let m = UnixMeta {
        hardlink_target: target.to_vec(),
        ..meta(UnixFileType::HardLink)
    };
    b.craft.file(name, b"", Some(&m));
}

fn regular(b: &mut Body<'_>, name: &str, data: &[u8]) {
    b.craft.file(name, data, Some(&meta(UnixFileType::Regular)));
}

/// `outside/secret` reached by climbing from anywhere inside the root.
fn climbing(outside: &str) -> Vec<u8> {
    format!(
        "{}{}/secret",
        "../".repeat(32),
        outside.trim_start_matches('/')
    )
    .into_bytes()
}

pub(super) fn symlink_then_file(b: &mut Body<'_>, next: u16) -> u16 {
    let secret = format!("{}/secret", b.outside).into_bytes();
    let outside = b.outside.as_bytes().to_vec();
    b.craft.dir(&["sym"], Some(&meta(UnixFileType::Directory)));
    // A link out, then a regular file of the same name: the file replaces the link.
    symlink(b, "victim", &secret);
    let data = content(20, 600);
    regular(b, "victim", &data);
    b.expect.file("sym/victim", &data);
    symlink(b, "rel", &climbing(b.outside));
    let data = content(21, 500);
    regular(b, "rel", &data);
    b.expect.file("sym/rel", &data);
    // A link out, then a directory of the same name and a file in it: refused, not followed.
    symlink(b, "sym-dirlink", &outside);
    b.expect.link("sym/sym-dirlink", &outside);
    b.craft.dir(
        &["sym", "sym-dirlink"],
        Some(&meta(UnixFileType::Directory)),
    );
    b.expect.refuse("sym-dirlink", "not followed");
    regular(b, "evil", b"through the link");
    b.expect.refuse("sym-dirlink", "not followed");
    // The same through a raw (Linux) directory name.
    b.craft.dir(&["sym"], None);
    symlink(b, "sym-rawlink", &outside);
    b.expect.link("sym/sym-rawlink", &outside);
    let raw = UnixMeta {
        name: b"sym-rawlink".to_vec(),
        ..meta(UnixFileType::Directory)
    };
    b.craft.dir(&["sym", "innocent"], Some(&raw));
    b.expect.refuse("sym-rawlink", "not followed");
    regular(b, "evil", b"through the raw name");
    b.expect.refuse("sym-rawlink", "not followed");
    // An absolute target is a link's content: restored as it is, never followed.
    b.craft.dir(&["sym"], None);
    symlink(b, "abs", b"/etc/passwd");
    b.expect.link("sym/abs", b"/etc/passwd");
    symlink(b, "abs-out", &secret);
    b.expect.link("sym/abs-out", &secret);
    // Targets no file system takes: refused, nothing left behind.
    symlink(b, "sym-nul-target", b"a\0b");
    b.expect.refuse("sym-nul-target", "cannot create the link");
    symlink(b, "sym-empty-target", b"");
    b.expect
        .refuse("sym-empty-target", "cannot create the link");
    symlink(b, "sym-long-target", &vec![b'x'; 5000]);
    b.expect.refuse("sym-long-target", "cannot create the link");
    next
}

/// The medium's root directory asks for mode 0777 and another owner: the restore root is the
/// user's and keeps its own.
pub(super) fn root_metadata(b: &mut Body<'_>, next: u16) -> u16 {
    let m = UnixMeta {
        mode: 0o040_777,
        uid: 4242,
        gid: 4242,
        mtime: crate::stream::unix::UnixTime { secs: 1, nanos: 0 },
        ..meta(UnixFileType::Directory)
    };
    b.craft.dir(&[], Some(&m));
    b.craft.dir(&["rootmeta"], None);
    super::paths::good(b, &["rootmeta"], "f", 27);
    next
}

pub(super) fn hard_link_escapes(b: &mut Body<'_>, next: u16) -> u16 {
    let secret = format!("{}/secret", b.outside).into_bytes();
    b.craft.dir(&["hard"], Some(&meta(UnixFileType::Directory)));
    let data = content(22, 800);
    regular(b, "target.txt", &data);
    b.expect.file("hard/target.txt", &data);
    hard_link(b, "h-ok", b"hard/target.txt");
    b.expect.file("hard/h-ok", &data);
    hard_link(b, "h-climb", b"hard/../../../secret");
    b.expect.refuse("h-climb", "climb out");
    hard_link(b, "h-abs", &secret);
    b.expect.refuse("h-abs", "empty path component");
    hard_link(b, "h-empty", b"");
    b.expect.refuse("h-empty", "empty path component");
    // A hard link to a symlink out is a second name of the link, not of what it points at.
    symlink(b, "s-out", &secret);
    b.expect.link("hard/s-out", &secret);
    hard_link(b, "h-via-symlink", b"hard/s-out");
    b.expect.link("hard/h-via-symlink", &secret);
    hard_link(b, "h-via-symlink2", b"hard/s-out");
    let data = content(23, 300);
    regular(b, "h-via-symlink2", &data);
    b.expect.file("hard/h-via-symlink2", &data);
    hard_link(b, "h-dir", b"hard");
    b.expect.refuse("h-dir", "cannot link");
    hard_link(b, "h-missing", b"hard-missing/sub/file");
    b.expect.refuse("h-missing", "cannot link");
    b.expect.absent.push("hard-missing".into());
    next
}

pub(super) fn link_loops(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["loops"], None);
    symlink(b, "a", b"b");
    symlink(b, "b", b"a");
    b.expect.link("loops/a", b"b");
    b.expect.link("loops/b", b"a");
    b.craft.dir(&["loops", "a"], None);
    b.expect.refuse("loops/a", "not followed");
    b.craft.file("loop-x", b"x", None);
    b.expect.refuse("loop-x", "not followed");
    b.craft.dir(&["loops"], None);
    symlink(b, "self", b"self");
    b.expect.link("loops/self", b"self");
    b.craft.dir(&["loops", "self", "deeper"], None);
    b.expect.refuse("loops/self", "not followed");
    b.craft.dir(&["loops"], None);
    hard_link(b, "h1", b"loops/h2");
    b.expect.refuse("h1", "cannot link");
    hard_link(b, "h2", b"loops/h1");
    b.expect.refuse("h2", "cannot link");
    hard_link(b, "h3", b"loops/h3");
    b.expect.refuse("h3", "cannot link");
    next
}

pub(super) fn kinds(b: &mut Body<'_>, next: u16) -> u16 {
    b.craft.dir(&["kinds"], None);
    for (name, kind) in [
        ("kind-fifo", UnixFileType::Fifo),
        ("kind-chr", UnixFileType::CharDevice),
        ("kind-blk", UnixFileType::BlockDevice),
        ("kind-sock", UnixFileType::Socket),
        ("kind-dir-on-file", UnixFileType::Directory),
        ("kind-other", UnixFileType::Other(200)),
    ] {
        let m = UnixMeta {
            rdev: 0x0801,
            ..meta(kind)
        };
        b.craft.file(name, b"", Some(&m));
        b.expect.refuse(name, "not restored");
    }
    for (name, raw, why) in [
        ("raw-r1", &b".."[..], "climb out"),
        ("raw-r2", b"a/raw-r2", "'/'"),
        ("raw-r3", b"nul\0raw", "NUL"),
    ] {
        let m = UnixMeta {
            name: raw.to_vec(),
            ..meta(UnixFileType::Regular)
        };
        b.craft.file(name, b"raw", Some(&m));
        b.expect.refuse(name, why);
    }
    let m = UnixMeta {
        name: b".".to_vec(),
        ..meta(UnixFileType::Directory)
    };
    b.craft.dir(&["kinds", "raw-d4"], Some(&m));
    b.expect.refuse("raw-d4", "climb out");
    // What lies in it, under its stored name, is refused with it.
    b.craft.file("in-refused", b"x", None);
    b.expect.refuse("in-refused", "raw-d4 was refused");
    b.craft.dir(&["kinds", "raw-d4", "sub"], None);
    b.expect.refuse("raw-d4\\sub", "raw-d4 was refused");
    b.craft.file("in-refused-sub", b"x", None);
    b.expect.refuse("in-refused-sub", "sub was refused");
    b.expect.absent.push("kinds/raw-d4".into());
    // A raw name replaces the stored one for the directory and for everything below it.
    let m = UnixMeta {
        name: b"raw-name".to_vec(),
        ..meta(UnixFileType::Directory)
    };
    b.craft.dir(&["kinds", "stored-name"], Some(&m));
    b.craft.dir(&["kinds", "stored-name", "sub"], None);
    b.craft
        .dir(&["kinds", "stored-name", "sub", "subsub"], None);
    let data = content(26, 120);
    b.craft.file("f", &data, None);
    b.expect.file("kinds/raw-name/sub/subsub/f", &data);
    b.expect.absent.push("kinds/stored-name".into());
    b.craft.dir(&["kinds"], None);
    // Metadata that cannot be decoded: the file restores, the damage is reported.
    let mut bad = lxmd(&meta(UnixFileType::Symlink));
    bad.1.truncate(40);
    bad.0 = StreamHeader::new(StreamId::LXMD, 40);
    let data = content(25, 400);
    let mut streams: Vec<RawStream> = vec![bad];
    streams.extend(stan_with_csum(&data, None));
    b.craft
        .file_raw(utf16("kind-bad-lxmd"), data.len() as u64, &streams);
    b.expect.file("kinds/kind-bad-lxmd", &data);
    b.expect.damaged.push("kind-bad-lxmd");
    // A directory's name in a PNAM stream with our metadata after it.
    let pnam = utf16_path(&["kinds", "pnam-dir"]);
    b.craft.dir_raw(
        Vec::new(),
        DirAttributes::PATH_IN_STREAM,
        &[
            (StreamHeader::new(StreamId::PNAM, pnam.len() as u64), pnam),
            lxmd(&meta(UnixFileType::Directory)),
        ],
    );
    b.expect.dirs.push("kinds/pnam-dir".into());
    next
}
