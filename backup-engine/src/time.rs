//! Formatting times for people (local time, as NTBackup logs do).

use std::time::SystemTime;

/// `2026-11-25 16:10:03` in the local time zone (UTC if it cannot be determined).
pub(crate) fn format_local(t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => ts
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => "(time out of range)".to_owned(),
    }
}

/// `1 h 5 min`, `42 s`, `250 ms`.
pub(crate) fn format_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 => format!("{} ms", d.as_millis()),
        1..60 => format!("{secs} s"),
        60..3600 if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ if secs.is_multiple_of(3600) => format!("{} h", secs / 3600),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}
