//! Restoring: reading data sets back from media and recreating files under a root.

pub(crate) mod names;
pub(crate) mod target;
