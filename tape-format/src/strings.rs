//! MTF strings: ANSI or UTF-16LE by the DBLK's String Type, sized by a TAPE_ADDRESS, not
//! NUL-terminated (mtf.md §1), and the NUL-separated directory path encoding (mtf.md §4.4).

/// The String Type of a DBLK (`MTF_DB_HDR` @48).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum StringType {
    /// 0: no strings.
    None,
    /// 1: single-byte ANSI (decoded as Latin-1).
    Ansi,
    /// 2: UTF-16LE (what we write).
    #[default]
    Unicode,
    /// Any other value, kept for lossless re-encoding.
    Other(u8),
}

impl StringType {
    /// From the stored byte.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => StringType::None,
            1 => StringType::Ansi,
            2 => StringType::Unicode,
            o => StringType::Other(o),
        }
    }

    /// The stored byte.
    pub fn to_u8(self) -> u8 {
        match self {
            StringType::None => 0,
            StringType::Ansi => 1,
            StringType::Unicode => 2,
            StringType::Other(o) => o,
        }
    }

    /// Encodes `s` (UTF-16LE for Unicode; Latin-1 with `?` for other characters otherwise).
    pub fn encode(self, s: &str) -> Vec<u8> {
        match self {
            StringType::Unicode => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            _ => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
        }
    }

    /// Decodes stored bytes (lossy: unpaired surrogates become U+FFFD; an odd trailing byte is
    /// ignored).
    pub fn decode(self, b: &[u8]) -> String {
        match self {
            StringType::Unicode => char::decode_utf16(units(b))
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
            _ => b.iter().map(|&c| char::from(c)).collect(),
        }
    }

    /// Encodes a directory path (mtf.md §4.4): every component followed by a NUL character; the
    /// root (no components) is a single NUL.
    pub fn encode_path<S: AsRef<str>>(self, components: &[S]) -> Vec<u8> {
        let nul: &[u8] = if self == StringType::Unicode {
            &[0, 0]
        } else {
            &[0]
        };
        let mut out = Vec::new();
        for c in components {
            out.extend(self.encode(c.as_ref()));
            out.extend_from_slice(nul);
        }
        if components.is_empty() {
            out.extend_from_slice(nul);
        }
        out
    }

    /// Decodes a directory path into its components, exactly as stored: empty components, `..`,
    /// `/` inside a component are all kept (the restore code decides what to refuse). The single
    /// trailing NUL is a separator, not a component; a root path yields no components.
    pub fn decode_path(self, b: &[u8]) -> Vec<String> {
        let text = self.decode(b);
        let mut parts: Vec<String> = text.split('\0').map(str::to_owned).collect();
        if parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() {
            parts.clear();
        }
        parts
    }
}

/// Little-endian UTF-16 code units of `b` (odd trailing byte dropped).
pub(crate) fn units(b: &[u8]) -> impl Iterator<Item = u16> + '_ {
    b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_encoding_matches_reference() {
        // mtf.md §4.4: C:\apps\fred\bloggs\ → "apps␀fred␀bloggs␀"; root → one NUL.
        let st = StringType::Ansi;
        assert_eq!(
            st.encode_path(&["apps", "fred", "bloggs"]),
            b"apps\0fred\0bloggs\0"
        );
        assert_eq!(StringType::Unicode.encode_path::<&str>(&[]), [0, 0]);
        assert_eq!(
            st.decode_path(b"apps\0fred\0bloggs\0"),
            ["apps", "fred", "bloggs"]
        );
        assert!(st.decode_path(b"\0").is_empty());
        assert_eq!(st.decode_path(b"a\0\0..\0"), ["a", "", ".."]);
    }

    #[test]
    fn utf16_round_trip() {
        let st = StringType::Unicode;
        assert_eq!(st.decode(&st.encode("hé €")), "hé €");
    }
}
