//! The result shape of every sans-IO decoder (gitoxide style).

/// Outcome of decoding a value from the front of a byte slice.
///
/// `Incomplete` is not an error: the caller has to supply at least `needed` more bytes (counted from
/// the end of the slice it passed) and call again with the longer slice.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Decoded<T> {
    /// A whole value was decoded from the first `consumed` bytes.
    Complete {
        /// The decoded value.
        value: T,
        /// How many bytes of the input it occupied.
        consumed: usize,
    },
    /// The input ends before the value does.
    Incomplete {
        /// Minimum number of additional bytes required (a lower bound, never 0).
        needed: usize,
    },
}

impl<T> Decoded<T> {
    /// Maps the value of a complete decode.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Decoded<U> {
        match self {
            Decoded::Complete { value, consumed } => Decoded::Complete {
                value: f(value),
                consumed,
            },
            Decoded::Incomplete { needed } => Decoded::Incomplete { needed },
        }
    }

    /// The value, if complete.
    pub fn complete(self) -> Option<(T, usize)> {
        match self {
            Decoded::Complete { value, consumed } => Some((value, consumed)),
            Decoded::Incomplete { .. } => None,
        }
    }

    /// `true` for `Incomplete`.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, Decoded::Incomplete { .. })
    }
}

/// Returns `Incomplete` unless `input` holds at least `len` bytes.
pub(crate) fn need(input: &[u8], len: usize) -> Option<usize> {
    (input.len() < len).then(|| len - input.len())
}
