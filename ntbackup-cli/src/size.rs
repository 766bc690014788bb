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

/// A drive-speed model (`--drive-rate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DriveRate {
    /// Full streaming speed, bytes/s.
    pub(crate) rate: u64,
    /// The lowest speed it matches down to, bytes/s (`rate`: no speed matching).
    pub(crate) floor: u64,
    /// Its buffer, bytes.
    pub(crate) buffer: u64,
}

/// Parses a drive rate: `400MB/s` (the `/s` may be left out), optionally followed by
/// `,floor=157MB/s` (speed matching down to that) and `,buffer=1GiB` (64 MiB when not given).
pub(crate) fn rate(text: &str) -> Result<DriveRate, String> {
    let speed = |s: &str| parse(s.trim().trim_end_matches("/s"));
    let mut parts = text.split(',');
    let rate = speed(parts.next().unwrap_or_default())?;
    let mut model = DriveRate {
        rate,
        floor: rate,
        buffer: 64 << 20,
    };
    for part in parts {
        match part.split_once('=') {
            Some(("floor", v)) => model.floor = speed(v)?,
            Some(("buffer", v)) => model.buffer = parse(v)?,
            _ => {
                return Err(format!(
                    "{part:?}: expected floor=RATE or buffer=SIZE, e.g. 400MB/s,floor=157MB/s,buffer=1GiB"
                ));
            }
        }
    }
    if model.rate == 0 || model.floor == 0 || model.buffer == 0 || model.floor > model.rate {
        return Err(format!(
            "{text:?}: rate, floor and buffer must be more than 0, and the floor at most the rate"
        ));
    }
    Ok(model)
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
        let r = |rate, floor, buffer| super::DriveRate {
            rate,
            floor,
            buffer,
        };
        assert_eq!(
            super::rate("400MB/s"),
            Ok(r(400_000_000, 400_000_000, 64 << 20))
        );
        assert_eq!(
            super::rate("400MB/s,floor=157MB/s,buffer=1GiB"),
            Ok(r(400_000_000, 157_000_000, 1 << 30))
        );
        assert!(super::rate("100MB/s,floor=200MB/s").is_err());
        assert!(super::rate("100MB/s,speed=2").is_err());
        assert!(super::rate("0MB/s").is_err());
        assert!(super::rate("fast").is_err());
    }
}
