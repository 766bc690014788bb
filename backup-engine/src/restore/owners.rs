//! Owners of restored files: names on the medium resolved to this system's ids, once per name
//! (NSS reads /etc/passwd on every lookup).

use tape_format::stream::unix::UnixMeta;

/// Names of owners resolved to this system's ids.
#[derive(Default)]
pub(super) struct Owners {
    users: std::collections::HashMap<Vec<u8>, Option<u32>>,
    groups: std::collections::HashMap<Vec<u8>, Option<u32>>,
}

impl Owners {
    /// The uid to restore: the user of that name on this system if there is one, else the
    /// number.
    pub(super) fn uid(&mut self, u: &UnixMeta) -> u32 {
        lookup(&mut self.users, &u.user, |n| {
            nix::unistd::User::from_name(n)
                .ok()
                .flatten()
                .map(|user| user.uid.as_raw())
        })
        .unwrap_or(u.uid)
    }

    /// The gid to restore, likewise.
    pub(super) fn gid(&mut self, u: &UnixMeta) -> u32 {
        lookup(&mut self.groups, &u.group, |n| {
            nix::unistd::Group::from_name(n)
                .ok()
                .flatten()
                .map(|group| group.gid.as_raw())
        })
        .unwrap_or(u.gid)
    }
}

/// The id of a non-empty UTF-8 `name`, resolved once.
fn lookup(
    cache: &mut std::collections::HashMap<Vec<u8>, Option<u32>>,
    name: &[u8],
    resolve: impl FnOnce(&str) -> Option<u32>,
) -> Option<u32> {
    *cache.entry(name.to_vec()).or_insert_with(|| {
        std::str::from_utf8(name)
            .ok()
            .filter(|n| !n.is_empty())
            .and_then(resolve)
    })
}
