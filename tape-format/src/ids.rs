//! Four-character identifiers of descriptor blocks (mtf.md §3.1) and streams (mtf.md §5.2).

use std::fmt;

macro_rules! fourcc {
    ($(#[$doc:meta])* $name:ident { $($(#[$cdoc:meta])* $c:ident = $s:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 4]);

        impl $name {
            $($(#[$cdoc])* pub const $c: Self = Self(*$s);)*

            /// The identifier as a little-endian `u32` (`b0 | b1<<8 | b2<<16 | b3<<24`).
            pub fn as_u32(self) -> u32 {
                u32::from_le_bytes(self.0)
            }

            /// `true` when all four bytes are printable ASCII (how real IDs look).
            pub fn is_printable(self) -> bool {
                self.0.iter().all(|b| (0x20..0x7F).contains(b))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for b in self.0 {
                    if (0x20..0x7F).contains(&b) {
                        write!(f, "{}", char::from(b))?;
                    } else {
                        write!(f, "\\x{b:02X}")?;
                    }
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(\"{self}\")", stringify!($name))
            }
        }
    };
}

fourcc! {
    /// A DBLK type (`MTF_DB_HDR` @0).
    BlockType {
        /// Tape (media) header.
        TAPE = b"TAPE",
        /// Start of data set.
        SSET = b"SSET",
        /// Volume.
        VOLB = b"VOLB",
        /// Directory.
        DIRB = b"DIRB",
        /// File.
        FILE = b"FILE",
        /// Corrupt object.
        CFIL = b"CFIL",
        /// End-of-set pad.
        ESPB = b"ESPB",
        /// End of data set.
        ESET = b"ESET",
        /// End-of-tape marker.
        EOTM = b"EOTM",
        /// Soft filemark.
        SFMB = b"SFMB",
    }
}

fourcc! {
    /// A stream ID (`MTF_STREAM_HDR` @0).
    StreamId {
        /// Standard file data.
        STAN = b"STAN",
        /// Directory name (DIRB with PATH_IN_STREAM).
        PNAM = b"PNAM",
        /// File name (FILE with NAME_IN_STREAM).
        FNAM = b"FNAM",
        /// 32-bit XOR checksum of the preceding stream.
        CSUM = b"CSUM",
        /// The preceding stream is corrupt.
        CRPT = b"CRPT",
        /// Pad to the next FLB or physical block.
        SPAD = b"SPAD",
        /// Sparse data frame.
        SPAR = b"SPAR",
        /// Type 1 catalog: Set Map.
        TSMP = b"TSMP",
        /// Type 1 catalog: File/Directory Detail.
        TFDD = b"TFDD",
        /// Type 2 catalog: Set Map.
        MAP2 = b"MAP2",
        /// Type 2 catalog: File/Directory Detail.
        FDD2 = b"FDD2",
        /// NT alternate data stream.
        ADAT = b"ADAT",
        /// NT extended attributes.
        NTEA = b"NTEA",
        /// NT security descriptor.
        NACL = b"NACL",
        /// NT EFS raw encrypted data.
        NTED = b"NTED",
        /// NT quota.
        NTQU = b"NTQU",
        /// NT property data.
        NTPR = b"NTPR",
        /// NT reparse data.
        NTRP = b"NTRP",
        /// NT object ID.
        NTOI = b"NTOI",
        /// NT hard link.
        LINK = b"LINK",
        /// Windows 95 registry.
        GERC = b"GERC",
        /// NetWare trustee.
        N386 = b"N386",
        /// NetWare bindery.
        NBND = b"NBND",
        /// NetWare SMS.
        SMSD = b"SMSD",
        /// OS/2 ACL.
        OACL = b"OACL",
        /// Macintosh resource fork.
        MRSC = b"MRSC",
        /// Macintosh privileges.
        MPRV = b"MPRV",
        /// Macintosh info.
        MINF = b"MINF",
        /// SQL Server database data (not in the spec).
        MQDA = b"MQDA",
        /// Our vendor stream: Linux/Unix metadata ([`crate::stream::unix`]). Not in the spec's
        /// stream table (mtf.md §5.2), so no reader confuses it; other readers skip it.
        LXMD = b"LXMD",
        /// Our vendor stream: a directory's listing at backup time ([`crate::stream::dumpdir`]),
        /// so an incremental restore can leave out what was deleted.
        LXDD = b"LXDD",
        /// Our vendor stream on the SSET: the job's name and selected roots
        /// ([`crate::stream::job`]), so a catalog rebuilt from the tapes knows them.
        LXJB = b"LXJB",
    }
}

impl StreamId {
    /// `true` for the stream IDs of the spec's tables (mtf.md §5.2), `MQDA`, and our `LXMD`,
    /// `LXDD` and `LXJB`.
    pub fn is_standard(self) -> bool {
        const ALL: [StreamId; 32] = [
            StreamId::STAN,
            StreamId::PNAM,
            StreamId::FNAM,
            StreamId::CSUM,
            StreamId::CRPT,
            StreamId::SPAD,
            StreamId::SPAR,
            StreamId::TSMP,
            StreamId::TFDD,
            StreamId::MAP2,
            StreamId::FDD2,
            StreamId::ADAT,
            StreamId::NTEA,
            StreamId::NACL,
            StreamId::NTED,
            StreamId::NTQU,
            StreamId::NTPR,
            StreamId::NTRP,
            StreamId::NTOI,
            StreamId::LINK,
            StreamId::GERC,
            StreamId::N386,
            StreamId::NBND,
            StreamId::SMSD,
            StreamId::OACL,
            StreamId::MRSC,
            StreamId::MPRV,
            StreamId::MINF,
            StreamId::MQDA,
            StreamId::LXMD,
            StreamId::LXDD,
            StreamId::LXJB,
        ];
        ALL.contains(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_the_reference_values() {
        assert_eq!(BlockType::TAPE.as_u32(), 0x4550_4154);
        assert_eq!(BlockType::SFMB.as_u32(), 0x424D_4653);
        assert_eq!(StreamId::STAN.as_u32(), 0x4E41_5453);
        assert_eq!(StreamId::MAP2.as_u32(), 0x3250_414D);
        assert_eq!(BlockType([0, 0x41, 0x7F, 0x20]).to_string(), "\\x00A\\x7F ");
    }
}
