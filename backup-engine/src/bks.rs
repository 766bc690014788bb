//! NTBackup `.bks` selection files, decoded and mapped to Unix paths. Pure: the caller reads the
//! file and expands wildcards against the file system.
//!
//! # Format
//!
//! * Text in UTF-16LE (what NTBackup and Notepad's "Unicode" write), with or without a byte-order
//!   mark; UTF-16BE with its mark; or UTF-8 (with or without a mark). Anything else is refused.
//! * One path per line (CRLF, LF or CR); blank lines are ignored; a directory may end with a
//!   separator (`\` or `/`).
//! * A line ending in ` /exclude` (any case) leaves that path out.
//! * A line `systemstate` (any case) asks for Windows System State ([`BksFile::system_state`]).
//! * Wildcards (`*`, `?`, `[…]`) may appear in the last component: `/srv/data/*.*` or
//!   `/srv/data/*` select the directory itself; `/srv/logs/*.log` selects the matching names (the
//!   caller expands it). In an exclusion, wildcards are glob patterns.
//!
//! # Paths
//!
//! Unix paths are taken as they are; a relative path is relative to the current directory, as
//! on the command line. A Windows path (`C:\data\`) is refused with the line number, unless the
//! caller maps its drive letter to a directory ([`BksOptions::drives`], the CLI's
//! `--map-drive C=/mnt/c`): then `C:\data\x` becomes `/mnt/c/data/x`. UNC paths
//! (`\\server\share`) are always refused.

use std::collections::BTreeMap;

/// Why a `.bks` file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BksError {
    /// Not UTF-16 or UTF-8.
    #[error(
        "the selection file is neither UTF-16 (NTBackup's \"Unicode\") nor UTF-8: {0}; save it as Unicode or UTF-8"
    )]
    Encoding(&'static str),
    /// A line that cannot be used.
    #[error("line {line}: {text:?}: {why}")]
    Line {
        /// Line number, from 1.
        line: usize,
        /// The line as written.
        text: String,
        /// Why.
        why: String,
    },
    /// No path in the file.
    #[error("the selection file names no path to back up")]
    Empty,
}

/// Options of the mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BksOptions {
    /// Windows drive letters (upper case) mapped to Unix directories.
    pub drives: BTreeMap<char, String>,
}

/// One path to back up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BksInclude {
    /// Line number, from 1.
    pub line: usize,
    /// The Unix path (no trailing separator, except `/` itself).
    pub path: String,
    /// Its last component is a wildcard pattern the caller must expand.
    pub pattern: bool,
    /// The line ended with a separator (a directory).
    pub directory: bool,
}

/// A decoded selection file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BksFile {
    /// Paths to back up, in file order.
    pub include: Vec<BksInclude>,
    /// Exclusion glob patterns (Unix paths, or bare names).
    pub exclude: Vec<String>,
    /// A `systemstate` line was present.
    pub system_state: bool,
}

/// Decodes the bytes of a `.bks` file to text.
pub fn decode_text(bytes: &[u8]) -> Result<String, BksError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8(rest.to_vec()).map_err(|_| BksError::Encoding("invalid UTF-8"));
    }
    if looks_utf16le(bytes) {
        return utf16(bytes, u16::from_le_bytes);
    }
    String::from_utf8(bytes.to_vec())
        .map_err(|_| BksError::Encoding("no byte-order mark, and not valid UTF-8"))
}

/// UTF-16LE without a mark: mostly ASCII text has a zero in every second byte.
fn looks_utf16le(bytes: &[u8]) -> bool {
    if bytes.len() < 2 || !bytes.len().is_multiple_of(2) {
        return false;
    }
    let pairs = bytes.len() / 2;
    let high_zero = bytes
        .chunks_exact(2)
        .filter(|c| c[1] == 0 && c[0] != 0)
        .count();
    high_zero * 2 > pairs
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, BksError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(BksError::Encoding("UTF-16 with an odd number of bytes"));
    }
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]])).collect();
    String::from_utf16(&units).map_err(|_| BksError::Encoding("UTF-16 with an unpaired surrogate"))
}

/// Decodes and maps a `.bks` file.
pub fn parse(bytes: &[u8], options: &BksOptions) -> Result<BksFile, BksError> {
    let text = decode_text(bytes)?;
    let mut out = BksFile::default();
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
        if trimmed.is_empty() {
            continue;
        }
        let fail = |why: String| BksError::Line {
            line,
            text: trimmed.to_owned(),
            why,
        };
        if trimmed.eq_ignore_ascii_case("systemstate") {
            out.system_state = true;
            continue;
        }
        if trimmed.contains('\0') {
            return Err(fail("a path cannot contain a NUL character".into()));
        }
        let (path, excluded) = split_exclude(trimmed);
        if path.is_empty() {
            return Err(fail("\"/exclude\" needs a path before it".into()));
        }
        let directory = path.ends_with(['/', '\\']) && path.len() > 1;
        let unix = map_path(path, options).map_err(fail)?;
        let pattern = has_wildcard(&unix);
        if excluded {
            out.exclude.push(unix);
            continue;
        }
        if pattern {
            let (parent, _) = unix.rsplit_once('/').unwrap_or(("", &unix));
            if has_wildcard(parent) {
                return Err(fail(
                    "wildcards are allowed only in the last component of a path to back up".into(),
                ));
            }
            if matches!(unix.rsplit('/').next(), Some("*" | "*.*")) {
                out.include.push(BksInclude {
                    line,
                    path: if parent.is_empty() && unix.starts_with('/') {
                        "/".to_owned()
                    } else if parent.is_empty() {
                        ".".to_owned()
                    } else {
                        parent.to_owned()
                    },
                    pattern: false,
                    directory: true,
                });
                continue;
            }
        }
        out.include.push(BksInclude {
            line,
            path: unix,
            pattern,
            directory,
        });
    }
    if out.include.is_empty() && !out.system_state {
        return Err(BksError::Empty);
    }
    Ok(out)
}

/// `path /exclude` → (`path`, true).
fn split_exclude(line: &str) -> (&str, bool) {
    const SUFFIX: &str = "/exclude";
    if line.len() > SUFFIX.len()
        && let Some(head) = line.get(..line.len() - SUFFIX.len())
        && line[head.len()..].eq_ignore_ascii_case(SUFFIX)
        && head.ends_with(char::is_whitespace)
    {
        return (head.trim_end(), true);
    }
    (line, false)
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Maps one path as written in a `.bks` (or on NTBackup's command line) to a Unix path; the
/// error says why it cannot be.
pub fn map_path(path: &str, options: &BksOptions) -> Result<String, String> {
    if path.starts_with("\\\\") || path.starts_with("//") && path.contains('\\') {
        return Err(
            "a Windows network (UNC) path cannot be backed up from here; mount the share \
                    and name its Unix path"
                .into(),
        );
    }
    let bytes = path.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        let letter = char::from(bytes[0].to_ascii_uppercase());
        let Some(root) = options.drives.get(&letter) else {
            return Err(format!(
                "this is a Windows path; write the Unix path instead (e.g. /srv/data/), or map the \
                 drive with --map-drive {letter}=/mnt/{}",
                letter.to_ascii_lowercase()
            ));
        };
        let rest = path[2..].replace('\\', "/");
        let rest = rest.trim_start_matches('/');
        let root = root.trim_end_matches('/');
        let joined = if rest.is_empty() {
            if root.is_empty() {
                "/".to_owned()
            } else {
                root.to_owned()
            }
        } else {
            format!("{root}/{rest}")
        };
        return Ok(strip_separator(&joined));
    }
    if path.starts_with('\\') {
        return Err("a Windows path without a drive letter; write the Unix path instead".into());
    }
    Ok(strip_separator(path))
}

/// Drops one trailing separator (`/` or NTBackup's `\`), keeping `/` itself.
fn strip_separator(path: &str) -> String {
    let stripped = path.strip_suffix(['/', '\\']).unwrap_or(path);
    if stripped.is_empty() {
        path.get(..1).unwrap_or_default().to_owned()
    } else {
        stripped.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for u in text.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    }

    const SAMPLE: &str = "/srv/data/\r\n/etc/hosts\r\n/srv/data/cache/ /exclude\r\n*.tmp /EXCLUDE\r\n\r\nSystemState\r\n";

    fn check_sample(f: &BksFile) {
        let paths: Vec<&str> = f.include.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["/srv/data", "/etc/hosts"]);
        assert!(f.include[0].directory && !f.include[1].directory);
        assert_eq!(f.include[1].line, 2);
        assert_eq!(f.exclude, ["/srv/data/cache", "*.tmp"]);
        assert!(f.system_state);
    }

    #[test]
    fn utf16le_with_and_without_bom_and_utf8() {
        let o = BksOptions::default();
        check_sample(&parse(&utf16le(SAMPLE, true), &o).unwrap());
        check_sample(&parse(&utf16le(SAMPLE, false), &o).unwrap());
        check_sample(&parse(SAMPLE.as_bytes(), &o).unwrap());
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice(SAMPLE.as_bytes());
        check_sample(&parse(&bom8, &o).unwrap());
        let mut be = vec![0xFE, 0xFF];
        for u in SAMPLE.encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        check_sample(&parse(&be, &o).unwrap());
        // Non-ASCII names survive.
        let f = parse(&utf16le("/srv/Données/\n", false), &o).unwrap();
        assert_eq!(f.include[0].path, "/srv/Données");
    }

    #[test]
    fn bad_encodings_are_refused() {
        let o = BksOptions::default();
        assert!(matches!(
            parse(&[0xFF, 0xFE, 0x41], &o),
            Err(BksError::Encoding(_))
        ));
        assert!(matches!(
            parse(&[0xFF, 0xFE, 0x00, 0xD8], &o),
            Err(BksError::Encoding(_))
        ));
        assert!(matches!(
            parse(b"/srv/\xff\xfe\xfd\n", &o),
            Err(BksError::Encoding(_))
        ));
        assert!(matches!(parse(b"\r\n\r\n", &o), Err(BksError::Empty)));
    }

    #[test]
    fn windows_paths_are_refused_naming_the_line_or_mapped() {
        let o = BksOptions::default();
        let e = parse(b"/srv/\nC:\\data\\\n", &o).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("line 2") && msg.contains("C:\\\\data") && msg.contains("--map-drive C="),
            "{msg}"
        );
        assert!(parse(b"\\\\server\\share\\\n", &o).is_err());
        assert!(parse(b"\\data\n", &o).is_err());
        let mut o = BksOptions::default();
        o.drives.insert('C', "/mnt/c/".into());
        let f = parse(b"c:\\data\\docs\\\nC:\\\nC:\\tmp\\*.log /exclude\n", &o).unwrap();
        assert_eq!(f.include[0].path, "/mnt/c/data/docs");
        assert_eq!(f.include[1].path, "/mnt/c");
        assert_eq!(f.exclude, ["/mnt/c/tmp/*.log"]);
    }

    #[test]
    fn wildcards() {
        let o = BksOptions::default();
        let f = parse(b"/srv/data/*.*\n/srv/logs/*.log\n/*\n", &o).unwrap();
        assert_eq!(f.include[0].path, "/srv/data");
        assert!(!f.include[0].pattern);
        assert_eq!(f.include[1].path, "/srv/logs/*.log");
        assert!(f.include[1].pattern);
        assert_eq!(f.include[2].path, "/");
        let e = parse(b"/srv/*/logs\n", &o).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("last component"), "{e}");
        // "/exclude" alone is a path (a directory named exclude), not a bare suffix.
        assert_eq!(
            parse(b"/exclude\n", &o).unwrap().include[0].path,
            "/exclude"
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let o = BksOptions::default();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for n in 0..4000usize {
            let mut bytes = Vec::new();
            for _ in 0..(n % 61) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bytes.push(b"/\\:C*?[ \r\n\0xe\xff\xfe"[usize::try_from(x % 15).unwrap()]);
            }
            let _ = parse(&bytes, &o);
        }
    }
}
