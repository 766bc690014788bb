//! Byte sizes on the command line (`8MiB`, `512KiB`, `8MB`: binary and decimal units) and in
//! output.

use bytesize::ByteSize;

/// Parses a size argument.
pub(crate) fn parse(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("{text:?} is not a size (try 8MiB, 512KiB, 10GB): {e}"))
}

/// Formats a size for people, in binary units.
pub(crate) fn show(bytes: u64) -> String {
    ByteSize(bytes).display().iec().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn binary_and_decimal_units() {
        assert_eq!(super::parse("8MiB"), Ok(8 << 20));
        assert_eq!(super::parse("512KiB"), Ok(512 << 10));
        assert_eq!(super::parse("8MB"), Ok(8_000_000));
        assert_eq!(super::parse("1GiB"), Ok(1 << 30));
        assert_eq!(super::parse("3GB"), Ok(3_000_000_000));
        assert_eq!(super::parse("7KB"), Ok(7_000));
        assert!(super::parse("8 parsecs").is_err());
        assert!(super::parse("-1").is_err());
    }
}
