use super::*;

/// Central European time with its daylight-saving rules, without a tz database.
fn berlin() -> TimeZone {
    TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn next(expr: &str, after: &str, tz: &TimeZone) -> Option<String> {
    let cron = Cron::parse(expr).unwrap();
    cron.next_after(at(after), tz).map(|t| t.to_string())
}

#[test]
fn weekdays_at_seven_skip_the_weekend() {
    // Saturday 28 November 2026, 08:00 UTC → Monday 07:00 UTC.
    let got = next("0 7 * * 1-5", "2026-11-28T08:00:00Z", &TimeZone::UTC);
    assert_eq!(got.as_deref(), Some("2026-11-30T07:00:00Z"));
    let got = next("0 7 * * mon-fri", "2026-11-30T07:00:00Z", &TimeZone::UTC);
    assert_eq!(
        got.as_deref(),
        Some("2026-12-01T07:00:00Z"),
        "strictly after"
    );
}

#[test]
fn steps_lists_and_ranges() {
    let tz = TimeZone::UTC;
    assert_eq!(
        next("*/15 * * * *", "2026-01-01T10:07:30Z", &tz).as_deref(),
        Some("2026-01-01T10:15:00Z")
    );
    assert_eq!(
        next("5/20 9,17 * * *", "2026-01-01T09:45:00Z", &tz).as_deref(),
        Some("2026-01-01T17:05:00Z")
    );
    assert_eq!(
        next("0 0 1 jan,jul *", "2026-02-01T00:00:00Z", &tz).as_deref(),
        Some("2026-07-01T00:00:00Z")
    );
    assert_eq!(
        next("@monthly", "2026-12-15T00:00:00Z", &tz).as_deref(),
        Some("2027-01-01T00:00:00Z")
    );
}

#[test]
fn day_of_month_or_day_of_week_when_both_are_given() {
    // The 13th or any Friday: Friday 4 December comes before the 13th.
    let got = next("0 12 13 * fri", "2026-12-01T00:00:00Z", &TimeZone::UTC);
    assert_eq!(got.as_deref(), Some("2026-12-04T12:00:00Z"));
}

#[test]
fn sunday_is_zero_and_seven() {
    let a = next("0 9 * * 0", "2026-11-29T10:00:00Z", &TimeZone::UTC);
    let b = next("0 9 * * 7", "2026-11-29T10:00:00Z", &TimeZone::UTC);
    assert_eq!(a.as_deref(), Some("2026-12-06T09:00:00Z"));
    assert_eq!(a, b);
}

#[test]
fn local_time_follows_the_zone() {
    // 07:00 in Berlin is 06:00 UTC in winter and 05:00 UTC in summer.
    let tz = berlin();
    assert_eq!(
        next("0 7 * * *", "2026-01-10T12:00:00Z", &tz).as_deref(),
        Some("2026-01-11T06:00:00Z")
    );
    assert_eq!(
        next("0 7 * * *", "2026-07-10T12:00:00Z", &tz).as_deref(),
        Some("2026-07-11T05:00:00Z")
    );
}

#[test]
fn a_time_in_the_spring_gap_runs_just_after_it() {
    // 29 March 2026: clocks jump from 02:00 to 03:00 in Berlin; 02:30 does not exist.
    let got = next("30 2 * * *", "2026-03-28T23:00:00Z", &berlin());
    assert_eq!(got.as_deref(), Some("2026-03-29T01:30:00Z"), "03:30 CEST");
}

#[test]
fn a_time_in_the_autumn_fold_runs_once() {
    // 25 October 2026: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    let tz = berlin();
    let first = next("30 2 * * *", "2026-10-24T23:00:00Z", &tz).unwrap();
    assert_eq!(first, "2026-10-25T00:30:00Z");
    let second = next("30 2 * * *", &first, &tz);
    assert_eq!(
        second.as_deref(),
        Some("2026-10-26T01:30:00Z"),
        "not again at 01:30 UTC"
    );
}

#[test]
fn an_impossible_day_never_comes() {
    let cron = Cron::parse("0 0 31 2 *").unwrap();
    assert_eq!(
        cron.next_after(at("2026-01-01T00:00:00Z"), &TimeZone::UTC),
        None
    );
}

#[test]
fn the_29th_of_february_comes_in_a_leap_year() {
    let got = next("0 0 29 2 *", "2026-03-01T00:00:00Z", &TimeZone::UTC);
    assert_eq!(got.as_deref(), Some("2028-02-29T00:00:00Z"));
}

#[test]
fn bad_expressions_say_which_field() {
    let err = |s: &str| Cron::parse(s).unwrap_err().to_string();
    assert!(
        err("0 7 * *").contains("expected 5 fields"),
        "{}",
        err("0 7 * *")
    );
    assert!(
        err("60 * * * *").contains("minute: 60 is outside 0–59"),
        "{}",
        err("60 * * * *")
    );
    assert!(err("0 25 * * *").contains("hour"));
    assert!(err("0 0 * foo *").contains("month: \"foo\" is not a number or a name"));
    assert!(err("0 0 * * fri-mon").contains("day of week: range \"fri-mon\" runs backwards"));
    assert!(err("*/0 * * * *").contains("bad step"));
    assert!(err("@often").contains("unknown shorthand"));
    assert_eq!(Cron::parse(" @daily ").unwrap().as_str(), "@daily");
}
