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

/// The local wall-clock time of a Unix-millisecond timestamp, as the system's time zone
/// sees it: `("2026-11-25T17:03:07+03:00", "Wednesday")`.
pub fn local_time(ms: i64) -> (String, &'static str) {
    const WEEKDAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    // libc deprecates musl's time_t alias (it is to follow musl 1.2's 64-bit time_t); the cast
    // is right either way.
    #[allow(deprecated)]
    let secs = ms.div_euclid(1000) as libc::time_t;
    // SAFETY: localtime_r reads `secs` and writes only into `tm`, a valid out-pointer.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&secs, &mut tm) }.is_null() {
        let weekday = WEEKDAYS[(ms.div_euclid(86_400_000) + 4).rem_euclid(7) as usize];
        return (rfc3339_s(ms.div_euclid(1000)), weekday);
    }
    let offset = tm.tm_gmtoff;
    let sign = if offset < 0 { '-' } else { '+' };
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        offset.abs() / 3600,
        offset.abs() % 3600 / 60
    );
    (text, WEEKDAYS[tm.tm_wday.rem_euclid(7) as usize])
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

    #[test]
    fn local_time_has_an_offset_and_a_weekday() {
        let (text, weekday) = local_time(1_795_615_387_123);
        assert_eq!(text.len(), 25, "{text}");
        assert!(text.starts_with("2026-11-2"), "{text}");
        assert!(["Tuesday", "Wednesday", "Thursday"].contains(&weekday));
    }
}
