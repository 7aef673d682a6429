//! Cron expressions in the hub's time zone: the five classic fields (minute, hour, day of
//! month, month, day of week) with lists, ranges, steps and names, plus `@hourly`, `@daily`,
//! `@weekly`, `@monthly`, `@yearly`. Pure: [`Cron::next_after`] is arithmetic on civil times,
//! turned into instants through the time zone (jiff and the system's tz database).
//!
//! Semantics follow Vixie cron (`crontab(5)`): when both the day of month and the day of week
//! are restricted, a day matching either runs; 0 and 7 are Sunday. Around daylight-saving
//! changes a time that does not exist (the spring gap) runs just after the gap, and a time that
//! happens twice (the autumn fold) runs once, at its first occurrence.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

/// How far ahead [`Cron::next_after`] looks: long enough for "29 February on a Monday".
const HORIZON_DAYS: u32 = 366 * 28;

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    any_day: bool,
    any_weekday: bool,
}

/// Why a cron expression was refused, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cron expression {text:?}: {problem}")]
pub struct CronError {
    text: String,
    problem: String,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One field's name, range and value names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 7,
        names: &WEEKDAYS,
    },
];

impl Cron {
    /// Parses `text`: five fields or an `@` shorthand.
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        let fail = |problem: String| CronError {
            text: text.to_owned(),
            problem,
        };
        let trimmed = text.trim();
        let expanded = match trimmed.to_ascii_lowercase().as_str() {
            "@hourly" => "0 * * * *".to_owned(),
            "@daily" | "@midnight" => "0 0 * * *".to_owned(),
            "@weekly" => "0 0 * * 0".to_owned(),
            "@monthly" => "0 0 1 * *".to_owned(),
            "@yearly" | "@annually" => "0 0 1 1 *".to_owned(),
            s if s.starts_with('@') => {
                return Err(fail(format!(
                    "unknown shorthand {s} (expected @hourly, @daily, @weekly, @monthly or @yearly)"
                )));
            }
            s => s.to_owned(),
        };
        let parts: Vec<&str> = expanded.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(fail(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
                parts.len()
            )));
        }
        let mut bits = [0u64; 5];
        for (i, (part, field)) in parts.iter().zip(&FIELDS).enumerate() {
            bits[i] = parse_field(part, field).map_err(|p| fail(format!("{}: {p}", field.name)))?;
        }
        // Sunday is 0 and 7.
        let weekdays = (bits[4] | (bits[4] >> 7)) as u8 & 0x7F;
        Ok(Cron {
            text: trimmed.to_owned(),
            minutes: bits[0],
            hours: bits[1] as u32,
            days: bits[2] as u32,
            months: bits[3] as u16,
            weekdays,
            any_day: parts[2] == "*" || parts[2] == "?",
            any_weekday: parts[4] == "*" || parts[4] == "?",
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first instant strictly after `after` that the expression names, in `tz`; `None`
    /// when no such day comes within 28 years (e.g. 31 February).
    pub fn next_after(&self, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let local = tz.to_datetime(after);
        let mut date = local.date();
        // The first candidate minute: the one after `after`'s minute.
        let mut from = Some((local.hour() as u32, local.minute() as u32 + 1));
        for _ in 0..HORIZON_DAYS {
            if self.day_matches(date) {
                for hour in (0..24u32).filter(|h| self.hours & (1 << h) != 0) {
                    for minute in (0..60u32).filter(|m| self.minutes & (1 << m) != 0) {
                        if from.is_some_and(|(h, m)| (hour, minute) < (h, m)) {
                            continue;
                        }
                        let time = Time::new(hour as i8, minute as i8, 0, 0).ok()?;
                        let at = tz
                            .to_ambiguous_timestamp(DateTime::from_parts(date, time))
                            .compatible()
                            .ok()?;
                        if at > after {
                            return Some(at);
                        }
                    }
                }
            }
            from = None;
            date = date.tomorrow().ok()?;
        }
        None
    }

    fn day_matches(&self, date: Date) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let day = self.days & (1 << date.day()) != 0;
        let weekday = self.weekdays & (1 << date.weekday().to_sunday_zero_offset()) != 0;
        match (self.any_day, self.any_weekday) {
            (true, true) => true,
            (false, true) => day,
            (true, false) => weekday,
            (false, false) => day || weekday,
        }
    }
}

/// One field as a bit set of its values.
fn parse_field(text: &str, field: &Field) -> Result<u64, String> {
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("bad step {s:?} in {item:?}"))?;
                (r, step)
            }
            None => (item, 1),
        };
        let (low, high) = if range == "*" || range == "?" {
            (field.min, field.max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, field)?, value(b, field)?)
        } else {
            let v = value(range, field)?;
            // `5/15`: from 5 to the end, every 15.
            (v, if step > 1 { field.max } else { v })
        };
        if low > high {
            return Err(format!("range {range:?} runs backwards"));
        }
        for v in (low..=high).step_by(step as usize) {
            bits |= 1 << v;
        }
    }
    Ok(bits)
}

/// A number or a name (`mon`, `jan`) within the field's range.
fn value(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    let named = field.names.iter().position(|n| *n == lower).map(|i| {
        // Months count from 1, weekdays from 0.
        i as u32 + u32::from(field.min == 1)
    });
    let v = match named {
        Some(v) => v,
        None => text
            .parse::<u32>()
            .map_err(|_| format!("{text:?} is not a number or a name"))?,
    };
    if v < field.min || v > field.max {
        return Err(format!("{v} is outside {}–{}", field.min, field.max));
    }
    Ok(v)
}

#[cfg(test)]
mod tests;
