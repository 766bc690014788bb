//! Platform-neutral paths of directories and files: the VOLB device plus the components of the
//! DIRB path (and the FILE name), exposed exactly as stored. Nothing is refused here — `..`, empty
//! components, `/` or `\` inside a component all pass through — so the restore code can decide.

use std::fmt;

/// A decoded MTF path.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct MtfPath {
    /// VOLB device name (`C:`, `\\server\share`, `/`), empty if no VOLB preceded.
    pub device: String,
    /// Components from the volume root.
    pub components: Vec<String>,
}

impl MtfPath {
    /// The path with one more component.
    pub fn join(&self, name: impl Into<String>) -> MtfPath {
        let mut p = self.clone();
        p.components.push(name.into());
        p
    }

    /// `true` if any component is empty, `.`, `..`, or contains `/`, `\` or NUL — the
    /// components a restore must not map to the file system as they are.
    pub fn has_hostile_component(&self) -> bool {
        self.components
            .iter()
            .any(|c| c.is_empty() || c == "." || c == ".." || c.contains(['/', '\\', '\0']))
    }
}

impl fmt::Display for MtfPath {
    /// Windows style: `C:\dir\file` (for listings; not for file system access).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.device)?;
        for c in &self.components {
            f.write_str("\\")?;
            for ch in c.chars() {
                if ch.is_control() {
                    write!(f, "{}", ch.escape_default())?;
                } else {
                    write!(f, "{ch}")?;
                }
            }
        }
        if self.components.is_empty() {
            f.write_str("\\")?;
        }
        Ok(())
    }
}
