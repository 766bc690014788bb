//! `MTF_DATE_TIME`: five bytes holding a big-endian 40-bit packed date (mtf.md §1.1).

/// A packed MTF date and time. All zero means "unknown".
///
/// Every 5-byte pattern decodes to field values that re-encode to the same bytes (the bit fields
/// cover all 40 bits), so decoding is lossless even for nonsense such as month 15; use
/// [`MtfDate::is_valid`] to check plausibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MtfDate {
    /// Full year (14 bits).
    pub year: u16,
    /// 1–12 (4 bits).
    pub month: u8,
    /// 1–31 (5 bits).
    pub day: u8,
    /// 0–23 (5 bits).
    pub hour: u8,
    /// 0–59 (6 bits).
    pub minute: u8,
    /// 0–59 (6 bits).
    pub second: u8,
}

impl MtfDate {
    /// The "date unknown" value.
    pub const UNKNOWN: MtfDate = MtfDate {
        year: 0,
        month: 0,
        day: 0,
        hour: 0,
        minute: 0,
        second: 0,
    };

    /// Decodes the 5 stored bytes.
    pub fn from_bytes(b: [u8; 5]) -> Self {
        let v = u64::from_be_bytes([0, 0, 0, b[0], b[1], b[2], b[3], b[4]]);
        #[allow(
            clippy::cast_possible_truncation,
            reason = "each field is masked to its bit width"
        )]
        MtfDate {
            year: ((v >> 26) & 0x3FFF) as u16,
            month: ((v >> 22) & 0xF) as u8,
            day: ((v >> 17) & 0x1F) as u8,
            hour: ((v >> 12) & 0x1F) as u8,
            minute: ((v >> 6) & 0x3F) as u8,
            second: (v & 0x3F) as u8,
        }
    }

    /// Encodes to the 5 stored bytes (fields are masked to their widths).
    pub fn to_bytes(self) -> [u8; 5] {
        let v = (u64::from(self.year) & 0x3FFF) << 26
            | (u64::from(self.month) & 0xF) << 22
            | (u64::from(self.day) & 0x1F) << 17
            | (u64::from(self.hour) & 0x1F) << 12
            | (u64::from(self.minute) & 0x3F) << 6
            | (u64::from(self.second) & 0x3F);
        let b = v.to_be_bytes();
        [b[3], b[4], b[5], b[6], b[7]]
    }

    /// `true` for the all-zero "unknown" value.
    pub fn is_unknown(self) -> bool {
        self == Self::UNKNOWN
    }

    /// `true` when every field is in its calendar range.
    pub fn is_valid(self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// The date of a Unix timestamp (seconds since 1970-01-01 UTC) shifted by `offset_secs`
    /// (local − UTC). Years outside 0..=16383 saturate to [`MtfDate::UNKNOWN`].
    pub fn from_unix(secs: i64, offset_secs: i64) -> Self {
        let t = secs.saturating_add(offset_secs);
        let days = t.div_euclid(86_400);
        let rem = t.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let Ok(year) = u16::try_from(y) else {
            return Self::UNKNOWN;
        };
        if year > 0x3FFF {
            return Self::UNKNOWN;
        }
        #[allow(
            clippy::cast_possible_truncation,
            reason = "rem < 86400 so the parts are < 60/24"
        )]
        MtfDate {
            year,
            month: m,
            day: d,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
        }
    }

    /// Seconds since 1970-01-01 for this date read as UTC (`None` if unknown or invalid).
    pub fn to_unix(self) -> Option<i64> {
        if !self.is_valid() {
            return None;
        }
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        Some(
            days * 86_400
                + i64::from(self.hour) * 3600
                + i64::from(self.minute) * 60
                + i64::from(self.second),
        )
    }
}

impl std::fmt::Display for MtfDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_unknown() {
            return f.write_str("unknown");
        }
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "1 <= m <= 12 and 1 <= d <= 31"
    )]
    (y, m as u8, d as u8)
}

/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_example_date() {
        // mtf.md §1.1: 2024-05-17 13:45:30 → 1F A1 62 DB 5E.
        let d = MtfDate {
            year: 2024,
            month: 5,
            day: 17,
            hour: 13,
            minute: 45,
            second: 30,
        };
        assert_eq!(d.to_bytes(), [0x1F, 0xA1, 0x62, 0xDB, 0x5E]);
        assert_eq!(MtfDate::from_bytes([0x1F, 0xA1, 0x62, 0xDB, 0x5E]), d);
    }

    #[test]
    fn unix_conversion_round_trips() {
        let d = MtfDate::from_unix(1_715_953_530, 0);
        assert_eq!(d.to_string(), "2024-05-17 13:45:30");
        assert_eq!(d.to_unix(), Some(1_715_953_530));
        assert_eq!(MtfDate::from_unix(-1, 0).to_string(), "1969-12-31 23:59:59");
    }
}
