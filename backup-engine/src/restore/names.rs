//! From an MTF path to components that are safe to create under a restore root.
//!
//! A path stored as `C:\docs\a.txt` restores to `ROOT/C/docs/a.txt`; one from the Linux path
//! `/home/u/a` to `ROOT/home/u/a` (as tar does); a UNC path `\\server\share\x` to
//! `ROOT/server/share/x`. Components that could escape or confuse (`..`, `.`, empty, containing
//! `/` or NUL, longer than a file name may be) are refused, never rewritten into something else.

use std::fmt;

use tape_format::path::MtfPath;

/// Longest name a Linux file system takes (NAME_MAX).
pub(crate) const NAME_MAX: usize = 255;
/// Deepest path a restore creates.
pub(crate) const MAX_DEPTH: usize = 512;

/// Why a stored path cannot be restored as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnsafeName(pub(crate) String);

impl fmt::Display for UnsafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks one component (raw bytes).
pub(crate) fn check_component(c: &[u8]) -> Result<(), UnsafeName> {
    let shown = String::from_utf8_lossy(c);
    if c.is_empty() {
        return Err(UnsafeName("an empty path component".into()));
    }
    if c == b"." || c == b".." {
        return Err(UnsafeName(format!(
            "a {shown:?} path component (it could climb out of the restore root)"
        )));
    }
    if c.contains(&b'/') {
        return Err(UnsafeName(format!("a name containing '/' ({shown:?})")));
    }
    if c.contains(&0) {
        return Err(UnsafeName(format!(
            "a name containing a NUL character ({shown:?})"
        )));
    }
    if c.len() > NAME_MAX {
        return Err(UnsafeName(format!(
            "a name of {} bytes (at most {NAME_MAX})",
            c.len()
        )));
    }
    Ok(())
}

/// The components for the VOLB device name: `C:` → `C`, `\\server\share` → `server`, `share`,
/// `/` or empty → nothing.
fn device_components(device: &str) -> Result<Vec<Vec<u8>>, UnsafeName> {
    // Relative paths backed up from Linux are stored under the device "." (see the backup's
    // VOLB): they restore directly under the root, as tar restores relative members.
    if device == "." {
        return Ok(Vec::new());
    }
    let trimmed = device.trim_end_matches([':', '\\', '/']);
    let parts: Vec<&str> = trimmed
        .split(['\\', '/'])
        .filter(|p| !p.is_empty())
        .collect();
    let parts: Vec<Vec<u8>> = parts
        .iter()
        .map(|p| p.trim_end_matches(':').as_bytes().to_vec())
        .collect();
    for p in &parts {
        check_component(p)?;
    }
    Ok(parts)
}

/// The components of a path on `device` (device components first), each checked.
pub(crate) fn checked(device: &str, parts: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, UnsafeName> {
    let mut out = device_components(device)?;
    for bytes in parts {
        check_component(&bytes)?;
        out.push(bytes);
    }
    check_depth(out.len())?;
    Ok(out)
}

/// Refuses a path deeper than [`MAX_DEPTH`].
pub(crate) fn check_depth(levels: usize) -> Result<(), UnsafeName> {
    if levels > MAX_DEPTH {
        return Err(UnsafeName(format!(
            "a path {levels} levels deep (at most {MAX_DEPTH})"
        )));
    }
    Ok(())
}

/// The components of `path` (device first), checked, from its UTF-16 names. `raw_path`, the
/// exact bytes of a Linux path from the volume root, `/`-separated (our Unix-metadata stream's
/// hard-link target), replaces them when given.
pub(crate) fn components(
    path: &MtfPath,
    raw_path: Option<&[u8]>,
) -> Result<Vec<Vec<u8>>, UnsafeName> {
    let parts: Vec<Vec<u8>> = match raw_path {
        Some(raw) => raw.split(|&b| b == b'/').map(<[u8]>::to_vec).collect(),
        None => path
            .components
            .iter()
            .map(|c| c.as_bytes().to_vec())
            .collect(),
    };
    checked(&path.device, parts)
}

/// A path made of checked components, shown with `/`.
pub(crate) fn show(components: &[Vec<u8>]) -> String {
    let parts: Vec<String> = components
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(device: &str, comps: &[&str]) -> MtfPath {
        MtfPath {
            device: device.into(),
            components: comps.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn windows_linux_and_unc_paths_map_under_the_root() {
        assert_eq!(
            show(&components(&path("C:", &["docs", "a.txt"]), None).unwrap()),
            "C/docs/a.txt"
        );
        assert_eq!(
            show(&components(&path("/", &["home", "u", "a"]), None).unwrap()),
            "home/u/a"
        );
        assert_eq!(
            show(&components(&path("", &["rel", "x"]), None).unwrap()),
            "rel/x"
        );
        assert_eq!(
            show(&components(&path(".", &["rel", "x"]), None).unwrap()),
            "rel/x"
        );
        assert_eq!(
            show(&components(&path("\\\\srv\\share", &["x"]), None).unwrap()),
            "srv/share/x"
        );
        let raw = components(&path("/", &["d", "caf?"]), Some(b"d/caf\xe9")).unwrap();
        assert_eq!(raw[1], b"caf\xe9".to_vec());
    }

    #[test]
    fn hostile_components_are_refused() {
        for bad in [
            &["..", "etc"][..],
            &["a", "."],
            &["a", ""],
            &["a/b"],
            &["nul\0"],
        ] {
            assert!(components(&path("C:", bad), None).is_err(), "{bad:?}");
        }
        assert!(components(&path("..", &["x"]), None).is_err());
        let long = "x".repeat(256);
        assert!(components(&path("/", &[&long]), None).is_err());
        let deep: Vec<&str> = vec!["d"; MAX_DEPTH + 1];
        assert!(components(&path("/", &deep), None).is_err());
        assert!(
            components(&path("/", &["ok"]), Some(b"..")).is_err(),
            "raw names are checked too"
        );
    }
}
