//! Wall-clock time as Unix milliseconds, and its RFC 3339 spelling in UTC.
//!
//! Stored timestamps are integers (milliseconds since the Unix epoch): they sort, compare and
//! index cheaply in SQLite. This module turns them into text for people without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `2026-11-25T14:03:07.123Z` for a Unix-millisecond timestamp.
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (date, h, m, s) = split(secs);
    format!("{date}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
}

/// `2026-11-25T14:03:07Z` for Unix seconds.
pub fn rfc3339_s(secs: i64) -> String {
    let (date, h, m, s) = split(secs);
    format!("{date}T{h:02}:{m:02}:{s:02}Z")
}

fn split(secs: i64) -> (String, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    (
        format!("{y:04}-{mo:02}-{d:02}"),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, from his public "chrono-Compatible Low-Level Date Algorithms").
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 is a leap day of a year divisible by 400.
        assert_eq!(rfc3339_s(951_782_400), "2000-02-29T00:00:00Z");
        // `date -u -d @1795615387` gives 2026-11-25 14:03:07 UTC.
        assert_eq!(rfc3339_ms(1_795_615_387_123), "2026-11-25T14:03:07.123Z");
        assert_eq!(rfc3339_s(-1), "1969-12-31T23:59:59Z");
    }
}
