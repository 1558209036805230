//! A calendar date, the unit expiry is judged in.
//!
//! Why not a timestamp: GS1 (17) and the hub's `LOT@YYYY-MM-DD` lot ids
//! name days, and goods are good through their expiry day, so the only
//! question is "is that day before today", asked of a date the caller
//! passes in (the session never reads a clock).

use protocol::barcode::Expiry;
use protocol::calendar::days_in_month;

/// A date (proleptic Gregorian), ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    year: u16,
    month: u8,
    day: u8,
}

impl Day {
    /// The date, if it is one (month 1..=12, day within the month).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Day> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Day { year, month, day })
    }

    /// The UTC date of a wall-clock time in ms since the Unix epoch.
    pub fn from_unix_ms(ms: u64) -> Day {
        let days = i64::try_from(ms / 86_400_000).unwrap_or(i64::MAX / 2);
        civil_from_days(days)
    }

    /// The last day a GS1 expiry allows (day 00: the month's last day).
    pub fn from_expiry(expiry: Expiry) -> Day {
        let day = match expiry.day {
            0 => days_in_month(expiry.year, expiry.month),
            d => d,
        };
        Day {
            year: expiry.year,
            month: expiry.month,
            day,
        }
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(text: &str) -> Option<Day> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = text[0..4].parse().ok()?;
        Day::new(year, text[5..7].parse().ok()?, text[8..10].parse().ok()?)
    }

    /// The expiry day a lot id carries after its last `@`
    /// (`L42@2027-01-31`), the form the hub's FEFO suggestions use.
    pub fn of_lot(lot: &str) -> Option<Day> {
        lot.rsplit_once('@')
            .and_then(|(_, date)| Day::parse_iso(date))
    }

    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The date of a day given as days since 1970-01-01.
fn civil_from_days(days: i64) -> Day {
    let (year, month, day) = protocol::calendar::civil_from_days(days);
    Day {
        year: u16::try_from(year).unwrap_or(u16::MAX),
        month: month as u8,
        day: day as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_clocks_expiries_and_lot_ids() {
        assert_eq!(Day::from_unix_ms(0).iso(), "1970-01-01");
        // 2024-02-29T23:59:59.999Z and the next millisecond.
        assert_eq!(Day::from_unix_ms(1_709_251_199_999).iso(), "2024-02-29");
        assert_eq!(Day::from_unix_ms(1_709_251_200_000).iso(), "2024-03-01");
        let end_of_feb = Expiry {
            year: 2028,
            month: 2,
            day: 0,
        };
        assert_eq!(Day::from_expiry(end_of_feb).iso(), "2028-02-29");
        assert_eq!(Day::of_lot("L9@2027-09-30"), Day::new(2027, 9, 30));
        assert_eq!(Day::of_lot("@2027-09-30"), Day::new(2027, 9, 30));
        for bad in ["L9", "L9@2027-9-30", "L9@2027-02-30", "L9@2027-13-01"] {
            assert_eq!(Day::of_lot(bad), None, "{bad}");
        }
        assert!(Day::new(2027, 1, 31) < Day::new(2027, 2, 1));
    }
}
