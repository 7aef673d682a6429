//! HTTP dates as `Retry-After` carries them (RFC 9110 §5.6.7), parsed by hand: the preferred
//! IMF-fixdate and the two obsolete forms that recipients must still accept.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The instant an HTTP date names, or `None` when `text` is not one. The weekday name is
/// checked for spelling only; RFC 9110 lets a recipient ignore whether it matches the date.
pub(super) fn parse(text: &str) -> Option<SystemTime> {
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    let (days, time) = match words.as_slice() {
        // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`
        [weekday, day, month, year, time, "GMT"] if is_day(weekday, &DAYS, true) => {
            (date(number(year, 4, 4)?, month, number(day, 2, 2)?)?, *time)
        }
        // RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`
        [weekday, dmy, time, "GMT"] if is_day(weekday, &LONG_DAYS, true) => {
            let mut parts = dmy.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            // The strptime `%y` pivot: without a clock here we cannot apply RFC 9110's
            // "more than 50 years ahead" rule, and this agrees with it until 2070.
            let year = number(year, 2, 2)?;
            let year = if year < 70 { 2000 + year } else { 1900 + year };
            (date(year, month, number(day, 2, 2)?)?, *time)
        }
        // asctime: `Sun Nov  6 08:49:37 1994`
        [weekday, month, day, time, year] if is_day(weekday, &DAYS, false) => {
            (date(number(year, 4, 4)?, month, number(day, 1, 2)?)?, *time)
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(clock_secs(time)?);
    // Before 1970 is simply "long past": the wait it implies is zero either way.
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

fn is_day(word: &str, names: &[&str], comma: bool) -> bool {
    let name = if comma {
        word.strip_suffix(',')
    } else {
        Some(word)
    };
    name.is_some_and(|n| names.contains(&n))
}

/// A decimal of `min..=max` ASCII digits.
fn number(text: &str, min: usize, max: usize) -> Option<i64> {
    let ok = (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

/// Seconds into the day of `08:49:37`; a leap second (`:60`) is allowed, as RFC 9110 does.
fn clock_secs(text: &str) -> Option<u32> {
    let mut parts = text.split(':').map(|p| number(p, 2, 2));
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    let valid = parts.next().is_none() && h < 24 && m < 60 && s <= 60;
    valid.then(|| (h * 3600 + m * 60 + s) as u32)
}

/// Days since 1970-01-01 of a Gregorian date, rejecting days the month does not have.
fn date(year: i64, month: &str, day: i64) -> Option<i64> {
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_len = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=month_len)
        .contains(&day)
        .then(|| days_from_civil(year, month, day))
}

/// Howard Hinnant's `days_from_civil` ("chrono-Compatible Low-Level Date Algorithms"),
/// the inverse of the one in `crate::clock`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Option<u64> {
        parse(text).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs())
    }

    #[test]
    fn known_dates() {
        // `date -u -d @1795615387` gives 2026-11-25 14:03:07 UTC (a Wednesday).
        assert_eq!(secs("Wed, 25 Nov 2026 14:03:07 GMT"), Some(1_795_615_387));
        // 2000-02-29 is a leap day of a year divisible by 400.
        assert_eq!(secs("Tue, 29 Feb 2000 00:00:00 GMT"), Some(951_782_400));
        assert_eq!(secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(secs("Wed, 31 Dec 1969 23:59:59 GMT"), Some(0));
        assert_eq!(
            secs("Wednesday, 25-Nov-26 14:03:07 GMT"),
            Some(1_795_615_387)
        );
        assert_eq!(secs("Wed Nov 25 14:03:07 2026"), Some(1_795_615_387));
    }

    #[test]
    fn rejects_near_misses() {
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37:01 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06-Nov-94-1 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 94",
            "Sun Nov 6 08:49:37",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
