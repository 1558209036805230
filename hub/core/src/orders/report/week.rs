//! ISO 8601 weeks (`2026-W49`) for the weekly reports: parsing with a clear
//! refusal of anything else, and a week's span in UTC milliseconds for a
//! site whose clock is `offset_minutes` ahead of UTC.
//!
//! ISO rules: weeks start on Monday; week 1 is the week holding 4 January
//! (so its Monday may fall in the previous December, and 1 to 3 January
//! may belong to the previous year's last week); a year has 53 weeks when
//! it starts on a Thursday, or is a leap year starting on a Wednesday
//! (2020, 2026, 2032), else 52. Written by hand: the calendar arithmetic is
//! a dozen lines, and this crate takes no date library.

pub use protocol::calendar::{civil_from_days, days_from_civil};
use serde::{Serialize, Serializer};
use std::fmt;

/// One day, in ms.
pub const DAY_MS: i64 = 86_400_000;
/// First and last year a week may be asked for (a week of 1970 would
/// start before the epoch in some time zones).
pub const YEARS: std::ops::RangeInclusive<i32> = 1971..=9999;

/// Why a week was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekError {
    /// Not `YYYY-Www`.
    #[error("week {0:?} is not an ISO week written YYYY-Www (e.g. 2026-W49)")]
    Format(String),
    /// A year outside [`YEARS`].
    #[error("week year {0} is out of range (1971 to 9999)")]
    Year(i32),
    /// W00, or past the year's last week.
    #[error("{year} has ISO weeks W01 to W{weeks:02}; there is no W{week:02}")]
    NoSuchWeek {
        /// The year asked for.
        year: i32,
        /// The week asked for.
        week: u32,
        /// How many weeks that year has (52 or 53).
        weeks: u32,
    },
}

/// An ISO 8601 week: a week-numbering year and a week 1 to 52 (or 53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

impl IsoWeek {
    /// The week `week` of ISO year `year`, if it exists.
    pub fn new(year: i32, week: u32) -> Result<IsoWeek, WeekError> {
        if !YEARS.contains(&year) {
            return Err(WeekError::Year(year));
        }
        let weeks = weeks_in(year);
        if week == 0 || week > weeks {
            return Err(WeekError::NoSuchWeek { year, week, weeks });
        }
        Ok(IsoWeek { year, week })
    }

    /// Parses `YYYY-Www` (the `W` in either case; surrounding spaces
    /// ignored). Anything else is refused, naming the input (cut to 40
    /// characters).
    pub fn parse(text: &str) -> Result<IsoWeek, WeekError> {
        let t = text.trim();
        let bad = || WeekError::Format(t.chars().take(40).collect());
        let b = t.as_bytes();
        let shape = b.len() == 8
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && (b[5] == b'W' || b[5] == b'w')
            && b[6..].iter().all(u8::is_ascii_digit);
        if !shape {
            return Err(bad());
        }
        let year: i32 = t[..4].parse().map_err(|_| bad())?;
        let week: u32 = t[6..].parse().map_err(|_| bad())?;
        IsoWeek::new(year, week)
    }

    /// The week holding the instant `ms` (UTC) on a clock `offset_minutes`
    /// ahead of UTC. Instants outside [`YEARS`] give that range's edge.
    pub fn containing(ms: u64, offset_minutes: i32) -> IsoWeek {
        let local = ms as i64 + i64::from(offset_minutes) * 60_000;
        let day = local.div_euclid(DAY_MS);
        // 1970-01-01 was a Thursday: weekday 0 is Monday.
        let thursday = day - (day + 3).rem_euclid(7) + 3;
        let year = year_of_day(thursday);
        let clamp = |y: i32, w: u32| IsoWeek { year: y, week: w };
        if year < *YEARS.start() {
            return clamp(*YEARS.start(), 1);
        }
        if year > *YEARS.end() {
            return clamp(*YEARS.end(), weeks_in(*YEARS.end()));
        }
        let week = (thursday - week_one_monday(year)) / 7 + 1;
        clamp(year, week as u32)
    }

    /// The ISO week-numbering year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The week number, 1 to 53.
    pub fn week(self) -> u32 {
        self.week
    }

    /// The week's Monday as days since 1970-01-01.
    pub fn monday_day(self) -> i64 {
        week_one_monday(self.year) + 7 * (i64::from(self.week) - 1)
    }

    /// `[start, end)` in UTC ms of this week on a site clock
    /// `offset_minutes` ahead of UTC: from local Monday 00:00 to the next
    /// Monday 00:00 (saturating at the epoch).
    pub fn range_ms(self, offset_minutes: i32) -> (u64, u64) {
        let start = self.monday_day() * DAY_MS - i64::from(offset_minutes) * 60_000;
        let end = start + 7 * DAY_MS;
        (start.max(0) as u64, end.max(0) as u64)
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl std::str::FromStr for IsoWeek {
    type Err = WeekError;
    fn from_str(s: &str) -> Result<IsoWeek, WeekError> {
        IsoWeek::parse(s)
    }
}

impl Serialize for IsoWeek {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How many ISO weeks `year` has (52 or 53).
pub fn weeks_in(year: i32) -> u32 {
    ((week_one_monday(year + 1) - week_one_monday(year)) / 7) as u32
}

/// The Monday of ISO week 1 of `year`, as days since 1970-01-01: the
/// Monday of the week holding 4 January.
fn week_one_monday(year: i32) -> i64 {
    let jan4 = days_from_civil(i64::from(year), 1, 4);
    jan4 - (jan4 + 3).rem_euclid(7)
}

/// The calendar year of a day given as days since 1970-01-01.
fn year_of_day(days: i64) -> i32 {
    let year = civil_from_days(days).0;
    year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d)
    }

    #[test]
    fn weeks_parse_and_refuse_clearly() {
        // (input, Ok((year, week, its Monday)) or a part of the error)
        type Want = Result<(i32, u32, i64), &'static str>;
        let cases: &[(&str, Want)] = &[
            ("2026-W49", Ok((2026, 49, day(2026, 11, 30)))),
            ("2026-w50", Ok((2026, 50, day(2026, 12, 7)))),
            (" 2026-W01 ", Ok((2026, 1, day(2025, 12, 29)))),
            ("2021-W01", Ok((2021, 1, day(2021, 1, 4)))),
            ("2020-W53", Ok((2020, 53, day(2020, 12, 28)))),
            ("2026-W53", Ok((2026, 53, day(2026, 12, 28)))),
            (
                "2025-W53",
                Err("2025 has ISO weeks W01 to W52; there is no W53"),
            ),
            ("2026-W54", Err("there is no W54")),
            ("2026-W60", Err("there is no W60")),
            ("2026-W00", Err("there is no W00")),
            ("abc", Err("not an ISO week")),
            ("2026-49", Err("not an ISO week")),
            ("2026-W4", Err("not an ISO week")),
            ("2026W49", Err("not an ISO week")),
            ("2026-W+9", Err("not an ISO week")),
            ("２０２６-W49", Err("not an ISO week")),
            ("", Err("not an ISO week")),
            ("1970-W10", Err("out of range")),
        ];
        for (text, want) in cases {
            let got = IsoWeek::parse(text);
            match (want, got) {
                (Ok((y, w, monday)), Ok(week)) => {
                    assert_eq!((week.year(), week.week()), (*y, *w), "{text}");
                    assert_eq!(week.monday_day(), *monday, "{text}");
                }
                (Err(part), Err(e)) => assert!(e.to_string().contains(part), "{text}: {e}"),
                (want, got) => panic!("{text}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn week_counts_follow_the_iso_rule() {
        for (year, weeks) in [(2015, 53), (2020, 53), (2021, 52), (2025, 52), (2026, 53)] {
            assert_eq!(weeks_in(year), weeks, "{year}");
        }
        assert_eq!(IsoWeek::parse("2026-W49").unwrap().to_string(), "2026-W49");
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2026, 12, 31),
            (2027, 1, 1),
            (9999, 12, 31),
        ] {
            assert_eq!(civil_from_days(day(y, m, d)), (y, m as u32, d as u32));
        }
    }

    #[test]
    fn a_week_spans_local_monday_to_monday() {
        let w = IsoWeek::parse("2026-W49").unwrap();
        let monday = day(2026, 11, 30) * DAY_MS;
        assert_eq!(w.range_ms(0), (monday as u64, (monday + 7 * DAY_MS) as u64));
        // UTC+8: local midnight is 16:00 UTC the day before.
        let (start, end) = w.range_ms(480);
        assert_eq!(start as i64, monday - 8 * 3_600_000);
        assert_eq!(end - start, 7 * DAY_MS as u64);
    }

    #[test]
    fn the_week_holding_an_instant() {
        let at = |y, m, d, h: i64| ((day(y, m, d) * DAY_MS) + h * 3_600_000) as u64;
        let cases = [
            (at(2026, 12, 7, 0), 0, "2026-W50"),
            (at(2026, 12, 6, 23), 0, "2026-W49"),
            // Sunday 23:00 UTC is Monday 07:00 at UTC+8: the next week.
            (at(2026, 12, 6, 23), 480, "2026-W50"),
            (at(2027, 1, 3, 12), 0, "2026-W53"),
            (at(2021, 1, 3, 12), 0, "2020-W53"),
            (at(2025, 12, 29, 0), 0, "2026-W01"),
            (0, 0, "1971-W01"),
        ];
        for (ms, offset, want) in cases {
            assert_eq!(
                IsoWeek::containing(ms, offset).to_string(),
                want,
                "{ms} {offset}"
            );
        }
    }
}
