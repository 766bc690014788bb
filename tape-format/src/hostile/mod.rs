//! Hostile media for tests: crafted `.bkf` files that try to make a restore write outside its
//! root, follow a symbolic link out of it, allocate without bound, or lose good files among bad
//! ones; each with what a safe restore must do with it.
//!
//! The media are built in memory, deterministically (fixed dates, family IDs and names), by
//! [`craft::Craft`], a block-by-block assembler: the writer would refuse to produce most of them.
//! Nothing is committed to the repository: a test builds the suite, writes it where it needs it,
//! and a test of this crate checks the build is byte-for-byte reproducible.
//!
//! Each case is also a *body* (the entries of one or more sets) so that [`mixed`] can put every
//! case on one medium among good files. Expectations are stated for a restore that maps the VOLB
//! device as tar maps a leading `/` (`/` → nothing, `C:` → `C`, `\\srv\share` → `srv/share`)
//! and refuses, rather than rewrites, any name it cannot create as it is.
//!
//! Nothing here is used by the codec; it lives in this crate because it needs only the codec
//! and is shared by the engine's and the command's tests (as [`crate::fuzzing`] is by the fuzz
//! targets).

pub mod craft;
mod damage;
mod paths;
mod unix;

use craft::Craft;
pub use damage::content;

/// What a restore of a case must produce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Expect {
    /// Regular files that restore with exactly these bytes (path under the restore root, `/`
    /// between components).
    pub files: Vec<(String, Vec<u8>)>,
    /// Symbolic links that restore with exactly this target (never followed).
    pub links: Vec<(String, Vec<u8>)>,
    /// Directories that restore.
    pub dirs: Vec<String>,
    /// Paths under the root that must not exist afterwards.
    pub absent: Vec<String>,
    /// Entries the restore refuses: a token of the entry's path and a word of the reason; each
    /// matches one refusal of the report, and there are no others.
    pub refused: Vec<(String, &'static str)>,
    /// Words each of which appears in some damage the restore reports (none expected: no damage).
    pub damaged: Vec<&'static str>,
    /// The set cannot be read whole (the medium ends inside it).
    pub incomplete: bool,
}

impl Expect {
    fn file(&mut self, path: &str, data: &[u8]) {
        self.files.push((path.to_owned(), data.to_vec()));
    }

    fn link(&mut self, path: &str, target: &[u8]) {
        self.links.push((path.to_owned(), target.to_vec()));
    }

    fn refuse(&mut self, token: &str, why: &'static str) {
        self.refused.push((token.to_owned(), why));
    }

    fn merge(&mut self, other: Expect) {
        self.files.extend(other.files);
        self.links.extend(other.links);
        self.dirs.extend(other.dirs);
        self.absent.extend(other.absent);
        self.refused.extend(other.refused);
        self.damaged.extend(other.damaged);
        self.incomplete |= other.incomplete;
    }
}

/// One hostile case: its media (a family, in order) and what a restore must do.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Case {
    /// Short name (file names: `NAME.bkf`, or `NAME.1.bkf`, `NAME.2.bkf` …).
    pub name: &'static str,
    /// What it tries.
    pub about: &'static str,
    /// The media of the family, in order.
    pub media: Vec<Vec<u8>>,
    /// What a safe restore does.
    pub expect: Expect,
}

/// Where the entries of a body are written (a set is open on `craft`).
pub(crate) struct Body<'a> {
    pub(crate) craft: &'a mut Craft,
    pub(crate) expect: &'a mut Expect,
    /// An absolute path outside the restore root (links aim there).
    pub(crate) outside: &'a str,
}

impl Body<'_> {
    /// Ends the set and opens the next one (volume `/`).
    pub(crate) fn next_set(&mut self, number: u16) {
        self.craft.end_set();
        self.craft.begin_set(number);
        self.craft.volume("/");
    }
}

/// A case body: writes entries into the open set, may open further sets (numbers from the one
/// given), states what must happen; returns the next free set number.
type BodyFn = fn(&mut Body<'_>, u16) -> u16;

/// The cases whose entries can sit among others on one medium.
fn bodies() -> Vec<(&'static str, &'static str, BodyFn)> {
    vec![
        (
            "dotdot",
            "`..` and `.` components in directory paths and file names",
            paths::dotdot,
        ),
        (
            "absolute",
            "absolute paths: a leading empty component, `/` at the start of a name, an absolute raw name, a device that climbs",
            paths::absolute,
        ),
        (
            "drive_letters",
            "drive letters as devices and inside paths",
            paths::drive_letters,
        ),
        ("unc", "UNC devices, one that climbs", paths::unc),
        (
            "slash_in_name",
            "`/` inside UTF-16 names",
            paths::slash_in_name,
        ),
        (
            "nul_and_invalid_utf16",
            "NUL inside names, unpaired surrogates, an odd byte count",
            paths::nul_and_invalid_utf16,
        ),
        (
            "deep",
            "a path 600 levels deep (refused) and one 300 levels deep, longer than PATH_MAX (restored)",
            paths::deep,
        ),
        (
            "long_names",
            "names longer than NAME_MAX, in the DBLK and in an FNAM stream",
            paths::long_names,
        ),
        (
            "duplicates",
            "the same name twice, a file then a directory of one name and the reverse",
            paths::duplicates,
        ),
        (
            "symlink_then_file",
            "LXMD: a symlink out of the root, then a regular file, a directory and files under it at the same path",
            unix::symlink_then_file,
        ),
        (
            "hard_link_escapes",
            "LXMD: hard links whose target climbs, is absolute, is a symlink out, a directory, or missing",
            unix::hard_link_escapes,
        ),
        (
            "link_loops",
            "LXMD: symlink cycles and hard links to themselves or each other",
            unix::link_loops,
        ),
        (
            "unix_kinds",
            "LXMD: devices, FIFOs, a directory type on a FILE, hostile raw names, undecodable metadata",
            unix::kinds,
        ),
        (
            "root_metadata",
            "the medium's root directory asks for mode 0777, another owner, old times",
            unix::root_metadata,
        ),
        (
            "huge_lengths",
            "stream and DBLK lengths and offsets far beyond the medium",
            damage::huge_lengths,
        ),
        (
            "lying_checksums",
            "a CSUM that lies, a DBLK and a stream header whose checksums do not match",
            damage::lying_checksums,
        ),
    ]
}

fn family(i: usize) -> u32 {
    0x4853_0000 + u32::try_from(i).unwrap_or(0)
}

fn one_body(i: usize, f: BodyFn, outside: &str) -> (Vec<u8>, Expect) {
    let mut craft = Craft::new(family(i), 1);
    let mut expect = Expect::default();
    craft.begin_set(1);
    craft.volume("/");
    f(
        &mut Body {
            craft: &mut craft,
            expect: &mut expect,
            outside,
        },
        2,
    );
    craft.end_set();
    (craft.finish(), expect)
}

/// Every case, each on its own medium (or family). Links that aim out of the root aim at
/// `outside` (an absolute path: the tests put a canary there).
pub fn suite(outside: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = bodies()
        .into_iter()
        .enumerate()
        .map(|(i, (name, about, f))| {
            let (medium, expect) = one_body(i, f, outside);
            Case {
                name,
                about,
                media: vec![medium],
                expect,
            }
        })
        .collect();
    let n = cases.len();
    cases.extend(damage::truncations(family(n)));
    cases.push(damage::self_continuation(family(n + 8)));
    cases.push(mixed(outside));
    cases
}

/// Every body on one medium, each in its own set after good files, and the medium cut inside a
/// file's data at the end: good files restore, every hostile entry is refused.
pub fn mixed(outside: &str) -> Case {
    let mut craft = Craft::new(family(99), 1);
    let mut expect = Expect::default();
    let mut number = 1;
    for (i, (name, _, f)) in bodies().into_iter().enumerate() {
        craft.begin_set(number);
        craft.volume("/");
        let good = format!("good-{i}");
        craft.dir(&["mixed", &good], None);
        let data = damage::content(i, 700 + i * 13);
        craft.file(name, &data, None);
        expect.file(&format!("mixed/{good}/{name}"), &data);
        let mut sub = Expect::default();
        number = f(
            &mut Body {
                craft: &mut craft,
                expect: &mut sub,
                outside,
            },
            number + 1,
        );
        expect.merge(sub);
        craft.end_set();
    }
    craft.begin_set(number);
    craft.volume("/");
    let cut = damage::cut_in_data(&mut craft, &mut expect);
    Case {
        name: "mixed",
        about: "every case among good files on one medium, cut inside a file's data at the end",
        media: vec![cut],
        expect,
    }
}
