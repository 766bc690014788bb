//! Drive addresses for LOCATE.
//!
//! A drive's block address counts blocks *and* hardware filemarks from the beginning of the
//! medium (SCSI logical object number, `tape_core::TapeDrive`), while MTF's PBAs as our writer
//! records them count physical blocks only (`tape_format::writer::Placement::pba`; mtf.md §6.1
//! asks for "sequential PBAs between filemarks"). The catalog keeps drive addresses, so a rebuild
//! turns PBAs into addresses with the medium's own filemarks, found by spacing over them
//! ([`FilemarkMap`]) rather than by a formula about where our writer puts them; while scanning,
//! it simply remembers where each block it read began ([`Positions`]).

/// The drive addresses of the hardware filemarks of one medium, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilemarkMap {
    marks: Vec<u64>,
    /// The address of the end of data, when the drive told it.
    end: Option<u64>,
}

impl FilemarkMap {
    /// A map of the filemarks at these addresses (ascending).
    pub(crate) fn new(marks: Vec<u64>) -> Self {
        Self { marks, end: None }
    }

    /// The same, knowing where the data end.
    pub(crate) fn ending_at(mut self, end: Option<u64>) -> Self {
        self.end = end;
        self
    }

    /// Whether blocks follow the last filemark: a set was begun after what the last two
    /// filemarks enclose (and cut off, or it would end with filemarks of its own).
    pub(crate) fn data_after_last(&self) -> bool {
        match (self.marks.last(), self.end) {
            (Some(&m), Some(end)) => end > m + 1,
            _ => false,
        }
    }

    /// The address of the data block with writer PBA `pba`: the PBA plus the filemarks before
    /// it. Filemark `i` (0-based) has `marks[i] - i` data blocks before it, so it precedes the
    /// block iff that number is at most `pba`.
    pub(crate) fn address(&self, pba: u64) -> u64 {
        let before = self
            .marks
            .iter()
            .enumerate()
            .take_while(|&(i, &m)| m.saturating_sub(i as u64) <= pba)
            .count() as u64;
        pba + before
    }

    /// The writer PBA of the data block at drive address `address`.
    pub(crate) fn pba(&self, address: u64) -> u64 {
        address.saturating_sub(self.marks.iter().take_while(|&&m| m < address).count() as u64)
    }

    /// The blocks between the filemark before `address` and the next one: `(first, end)`
    /// addresses, `end` being that next filemark (or `None`: the data end first).
    pub(crate) fn region_of(&self, address: u64) -> (u64, Option<u64>) {
        let start = self
            .marks
            .iter()
            .rev()
            .find(|&&m| m < address)
            .map_or(0, |m| m.saturating_add(1));
        let end = self.marks.iter().copied().find(|&m| m >= address);
        (start, end)
    }

    /// The blocks between the last two filemarks (where a medium that ends a set holds its
    /// ESET and catalog: mtf.md §10.2), if there are two.
    pub(crate) fn last_region(&self) -> Option<(u64, u64)> {
        match self.marks.as_slice() {
            [.., a, b] if b > a => Some((a + 1, *b)),
            _ => None,
        }
    }
}

/// A run of equal-sized consecutive blocks as read: the first one's byte offset on the medium
/// (filemarks take no bytes) and drive address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    offset: u64,
    address: u64,
    unit: u64,
    count: u64,
}

/// Where each byte read from a medium came from, as runs of blocks (a few entries per medium:
/// one per filemark and change of block size).
#[derive(Debug, Clone, Default)]
pub(crate) struct Positions {
    runs: Vec<Run>,
}

impl Positions {
    /// `len` bytes read at drive address `address` and medium offset `offset`, in blocks of
    /// `unit` bytes (a tape returns one block per read: `unit == len`; a `.bkf` returns many
    /// 1 KiB blocks).
    pub(crate) fn read(&mut self, offset: u64, address: u64, len: u64, unit: u64) {
        if len == 0 || unit == 0 {
            return;
        }
        let count = len.div_ceil(unit);
        if let Some(last) = self.runs.last_mut()
            && last.unit == unit
            && last.offset + last.unit * last.count == offset
            && last.address + last.count == address
        {
            last.count += count;
            return;
        }
        self.runs.push(Run {
            offset,
            address,
            unit,
            count,
        });
    }

    /// The drive address of the block holding medium offset `offset`, and the bytes to skip in
    /// it to reach that offset.
    pub(crate) fn locate(&self, offset: u64) -> Option<(u64, u64)> {
        let i = self.runs.partition_point(|r| r.offset <= offset);
        let run = self.runs.get(i.checked_sub(1)?)?;
        let into = offset - run.offset;
        (into < run.unit * run.count).then(|| (run.address + into / run.unit, into % run.unit))
    }

    /// Forgets everything (a new medium).
    pub(crate) fn clear(&mut self) {
        self.runs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbas_become_addresses_past_the_filemarks_before_them() {
        // TAPE @0, FM @1, set blocks @2..=5 (PBA 1..=4), FM @6, ESET @7 (PBA 5), FM @8,
        // next SSET @9 (PBA 6).
        let map = FilemarkMap::new(vec![1, 6, 8]);
        assert_eq!(map.address(0), 0);
        assert_eq!(map.address(1), 2);
        assert_eq!(map.address(4), 5);
        assert_eq!(map.address(5), 7);
        assert_eq!(map.address(6), 9);
        for a in [0, 2, 5, 7, 9] {
            assert_eq!(map.address(map.pba(a)), a);
        }
        assert_eq!(map.last_region(), Some((7, 8)));
        assert_eq!(map.region_of(3), (2, Some(6)));
        assert_eq!(map.region_of(9), (9, None));
        assert_eq!(FilemarkMap::new(vec![1]).last_region(), None);
        let map = FilemarkMap::new(vec![1, 6, 8]);
        assert!(!map.clone().data_after_last(), "the end unknown");
        assert!(!map.clone().ending_at(Some(9)).data_after_last());
        assert!(map.ending_at(Some(11)).data_after_last());
    }

    #[test]
    fn positions_find_the_block_of_any_offset() {
        let mut p = Positions::default();
        p.read(0, 0, 1024, 1024); // TAPE
        p.read(1024, 2, 1024, 1024); // after a filemark
        p.read(2048, 3, 1024, 1024);
        p.read(3072, 5, 512, 512);
        assert_eq!(p.locate(0), Some((0, 0)));
        assert_eq!(p.locate(1030), Some((2, 6)));
        assert_eq!(p.locate(2048), Some((3, 0)));
        assert_eq!(p.locate(3073), Some((5, 1)));
        assert_eq!(p.locate(3584), None);
        let mut bkf = Positions::default();
        bkf.read(0, 0, 8192, 1024);
        bkf.read(8192, 8, 1000, 1024);
        assert_eq!(bkf.locate(5000), Some((4, 904)));
        assert_eq!(bkf.locate(8200), Some((8, 8)));
    }
}
