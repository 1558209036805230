//! Work shifts for the reports: a named span of the site's local day, which
//! may cross midnight (night 20:00-08:00). An order belongs to the shift
//! in which it was received, by the site's local time of day.

use serde::Serialize;

/// Minutes in a day.
pub const DAY_MINUTES: u16 = 1440;

/// A shift: from `start_minute` (inclusive) to `end_minute` (exclusive),
/// minutes after local midnight. `end < start` crosses midnight;
/// `end == start` is the whole day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    /// Its name (`day`, `night`).
    pub name: String,
    /// First minute of the day in the shift, 0 to 1439.
    pub start_minute: u16,
    /// First minute of the day after the shift, 0 to 1439.
    pub end_minute: u16,
}

/// Why a shift was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShiftError {
    /// A minute of the day past 23:59.
    #[error("shift {name:?}: minute {minute} is not a time of day (0 to 1439)")]
    Minute {
        /// The shift.
        name: String,
        /// The minute given.
        minute: u16,
    },
}

impl Shift {
    /// A shift, its minutes checked.
    pub fn new(name: &str, start_minute: u16, end_minute: u16) -> Result<Shift, ShiftError> {
        for minute in [start_minute, end_minute] {
            if minute >= DAY_MINUTES {
                return Err(ShiftError::Minute {
                    name: name.to_string(),
                    minute,
                });
            }
        }
        Ok(Shift {
            name: name.to_string(),
            start_minute,
            end_minute,
        })
    }

    /// Whether local minute-of-day `minute` falls in this shift.
    pub fn contains(&self, minute: u16) -> bool {
        let (start, end) = (self.start_minute, self.end_minute);
        match start.cmp(&end) {
            std::cmp::Ordering::Less => (start..end).contains(&minute),
            std::cmp::Ordering::Greater => minute >= start || minute < end,
            std::cmp::Ordering::Equal => true,
        }
    }

    /// `HH:MM-HH:MM`, for people.
    pub fn span(&self) -> String {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60 % 24, m % 60);
        format!("{}-{}", hm(self.start_minute), hm(self.end_minute))
    }
}

/// The default shifts: day 08:00-20:00 and night 20:00-08:00, local time.
pub fn default_shifts() -> Vec<Shift> {
    vec![
        Shift {
            name: "day".into(),
            start_minute: 8 * 60,
            end_minute: 20 * 60,
        },
        Shift {
            name: "night".into(),
            start_minute: 20 * 60,
            end_minute: 8 * 60,
        },
    ]
}

/// The local minute of the day of UTC instant `ms` on a clock
/// `offset_minutes` ahead of UTC.
pub fn local_minute(ms: u64, offset_minutes: i32) -> u16 {
    let minutes = (ms / 60_000) as i64 + i64::from(offset_minutes);
    minutes.rem_euclid(i64::from(DAY_MINUTES)) as u16
}

/// The first of `shifts` holding local minute `minute`, by index.
pub fn shift_of(shifts: &[Shift], minute: u16) -> Option<usize> {
    shifts.iter().position(|s| s.contains(minute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_hold_their_minutes_and_night_crosses_midnight() {
        let shifts = default_shifts();
        let cases = [
            (0, Some(1)),
            (7 * 60 + 59, Some(1)),
            (8 * 60, Some(0)),
            (19 * 60 + 59, Some(0)),
            (20 * 60, Some(1)),
            (23 * 60 + 59, Some(1)),
        ];
        for (minute, want) in cases {
            assert_eq!(shift_of(&shifts, minute), want, "minute {minute}");
        }
        let morning = [Shift::new("early", 6 * 60, 14 * 60).unwrap()];
        assert_eq!(shift_of(&morning, 15 * 60), None);
        assert!(Shift::new("all", 0, 0).unwrap().contains(1439));
        assert!(Shift::new("bad", 0, 1440).is_err());
        assert_eq!(shifts[1].span(), "20:00-08:00");
    }

    #[test]
    fn local_minutes_wrap_around_the_day() {
        assert_eq!(local_minute(0, 0), 0);
        assert_eq!(local_minute(23 * 3_600_000, 120), 60);
        assert_eq!(local_minute(30 * 60_000, -60), 1410);
    }
}
