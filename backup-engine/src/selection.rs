//! What a job backs up: paths, and exclusion patterns.

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// An invalid selection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// An exclusion pattern is not a valid glob.
    #[error("exclusion pattern {pattern:?}: {source}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why it is invalid.
        #[source]
        source: globset::Error,
    },
    /// Nothing was selected.
    #[error("nothing selected: name at least one file or directory")]
    Empty,
}

/// Paths to back up and patterns to leave out.
///
/// Paths are kept as given (normalised: no `.` components, no trailing slash), the way tar
/// keeps them: a relative path restores under the restore root as it is, an absolute one with its
/// leading `/` dropped. A path inside another selected path is covered by it.
///
/// An exclusion pattern with a `/` matches whole paths (`/home/*/.cache`); one without matches
/// any path component's name (`*.tmp`, `node_modules`). A matching directory is left out with
/// everything below it.
#[derive(Debug, Clone)]
pub struct Selection {
    roots: Vec<PathBuf>,
    patterns: Vec<String>,
    full: GlobSet,
    names: GlobSet,
}

fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

impl Selection {
    /// A selection of `roots` minus `exclude` patterns.
    pub fn new(
        roots: impl IntoIterator<Item = impl AsRef<Path>>,
        exclude: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, SelectionError> {
        let mut all: Vec<PathBuf> = roots.into_iter().map(|p| normalise(p.as_ref())).collect();
        all.sort();
        all.dedup();
        let kept: Vec<PathBuf> = all
            .iter()
            .filter(|p| {
                !all.iter()
                    .any(|q| q != *p && q.as_os_str() != "." && p.starts_with(q))
            })
            .cloned()
            .collect();
        if kept.is_empty() {
            return Err(SelectionError::Empty);
        }
        let (mut full, mut names) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        let mut patterns = Vec::new();
        for pattern in exclude {
            let pattern = pattern.as_ref().trim_end_matches('/').to_owned();
            let glob = Glob::new(&pattern).map_err(|source| SelectionError::Pattern {
                pattern: pattern.clone(),
                source,
            })?;
            if pattern.contains('/') {
                full.add(glob);
            } else {
                names.add(glob);
            }
            patterns.push(pattern);
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|source| SelectionError::Pattern {
                pattern: patterns.join(" "),
                source,
            })
        };
        Ok(Self {
            roots: kept,
            full: build(full)?,
            names: build(names)?,
            patterns,
        })
    }

    /// The selected paths, without those covered by others, sorted.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The exclusion patterns.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// True if `path` is excluded (by its whole path or by its own name).
    pub fn is_excluded(&self, path: &Path) -> bool {
        self.full.is_match(path) || path.file_name().is_some_and(|n| self.names.is_match(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_roots_collapse_and_dots_go() {
        let s = Selection::new(["./a/b", "a", "c/", "a/b/c"], [] as [&str; 0]).unwrap();
        assert_eq!(s.roots(), [PathBuf::from("a"), PathBuf::from("c")]);
        assert!(matches!(
            Selection::new([] as [&str; 0], [] as [&str; 0]),
            Err(SelectionError::Empty)
        ));
    }

    #[test]
    fn patterns_match_names_or_whole_paths() {
        let s = Selection::new(["/home"], ["*.tmp", "/home/*/.cache", "node_modules/"]).unwrap();
        assert!(s.is_excluded(Path::new("/home/u/x.tmp")));
        assert!(s.is_excluded(Path::new("/home/u/.cache")));
        assert!(!s.is_excluded(Path::new("/home/u/.cache2")));
        assert!(s.is_excluded(Path::new("/home/u/p/node_modules")));
        assert!(!s.is_excluded(Path::new("/home/u/tmp")));
        assert!(Selection::new(["/"], ["a[b"]).is_err());
    }
}
