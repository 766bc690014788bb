//! Leaving out what was deleted: when a restore applies a chain of sets (a normal backup, then
//! incrementals, or a differential), each directory's listing at the time of the later set
//! (our `LXDD` stream) says which names existed; whatever an earlier set of the chain restored
//! under that directory and the listing no longer names is removed again, so the result is the
//! tree as it was at the last set — GNU tar's "dumpdir" idea. Only what this restore itself
//! created is ever removed.

use std::collections::{HashMap, HashSet};

use super::target::{Refused, RestoreRoot};

/// What this restore created, by parent directory.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    children: HashMap<Vec<Vec<u8>>, HashSet<Vec<u8>>>,
}

impl Restored {
    /// Notes that `comps` was created.
    pub(crate) fn record(&mut self, comps: &[Vec<u8>]) {
        if let Some((name, parent)) = comps.split_last() {
            self.children
                .entry(parent.to_vec())
                .or_default()
                .insert(name.clone());
        }
    }

    /// Removes what was created under `dir` and is not in `listing`; returns what was removed
    /// and what could not be.
    pub(crate) fn prune(
        &mut self,
        root: &mut RestoreRoot,
        dir: &[Vec<u8>],
        listing: &HashSet<Vec<u8>>,
    ) -> (Vec<Vec<Vec<u8>>>, Vec<Refused>) {
        let gone: Vec<Vec<u8>> = self
            .children
            .get(dir)
            .map(|names| {
                names
                    .iter()
                    .filter(|n| !listing.contains(*n))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (mut removed, mut failed) = (Vec::new(), Vec::new());
        for name in gone {
            let mut path = dir.to_vec();
            path.push(name);
            self.remove_tree(root, &path, &mut removed, &mut failed);
        }
        (removed, failed)
    }

    /// Removes `path` and, for a directory, what this restore created below it first.
    fn remove_tree(
        &mut self,
        root: &mut RestoreRoot,
        path: &[Vec<u8>],
        removed: &mut Vec<Vec<Vec<u8>>>,
        failed: &mut Vec<Refused>,
    ) {
        if let Some(names) = self.children.remove(path) {
            for name in names {
                let mut child = path.to_vec();
                child.push(name);
                self.remove_tree(root, &child, removed, failed);
            }
        }
        match root.remove(path) {
            Ok(()) => {
                if let Some((name, parent)) = path.split_last()
                    && let Some(set) = self.children.get_mut(parent)
                {
                    set.remove(name);
                }
                removed.push(path.to_vec());
            }
            Err(e) => failed.push(e),
        }
    }
}
