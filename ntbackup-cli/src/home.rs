//! `$NTBACKUP_HOME`: the catalog, logs, the operator request spool, and the embedded default
//! virtual library (default `~/.local/share/ntbackup`).

use std::path::PathBuf;

use anyhow::Context;
use tape_core::vtl::{LibraryConfig, VirtualLibrary};

/// The home directory of ntbackup's state.
pub(crate) fn home() -> anyhow::Result<PathBuf> {
    if let Some(h) = std::env::var_os("NTBACKUP_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|h| !h.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(
            std::env::var_os("HOME").context("neither NTBACKUP_HOME nor HOME is set")?,
        )
        .join(".local/share"),
    };
    Ok(base.join("ntbackup"))
}

/// The catalog database.
pub(crate) fn catalog_path() -> anyhow::Result<PathBuf> {
    Ok(home()?.join("catalog.sqlite"))
}

/// The embedded default library, created on first use: ten 4 GiB cartridges, one drive.
pub(crate) fn default_library() -> anyhow::Result<VirtualLibrary> {
    let dir = home()?.join("library");
    if dir.join("library.json").is_file() {
        return Ok(VirtualLibrary::open(&dir)?);
    }
    let mut config = LibraryConfig::default();
    config.slots = 10;
    config.capacity = 4 << 30;
    config.early_warning = 64 << 20;
    VirtualLibrary::create(&dir, &config)
        .with_context(|| format!("creating the default virtual library in {}", dir.display()))
}
