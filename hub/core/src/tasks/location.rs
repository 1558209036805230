//! Location codes in walking order: a pick list is walked aisle by aisle,
//! bay by bay, level by level, so its lines are sorted by [`Location`].
//!
//! The codes in use across the repository (fixtures, barcodes, the fleet
//! simulator) are `A-01`, `A-1`, `B-07-01`, `A-01-02`, `C-10`, `SW-01`,
//! `L1`, `LOC-1` and the like. The grammar accepted, case-insensitive:
//!
//! ```text
//! code  = aisle [ "-" bay [ "-" level ] ]
//! aisle = letters [ digits ] | digits      e.g. A, SW, A03, L1, 12
//! bay   = digits                           e.g. 01, 7
//! level = digits                           e.g. 2
//! ```
//!
//! with at most 6 digits in a number. The walking order compares, in turn:
//! the aisle's letters (shorter first, then alphabetically, as aisles are
//! labelled A..Z, AA..AZ), the aisle's number, the bay, the level (a
//! missing part sorts before any number: `A` before `A-01` before
//! `A-01-1`), and last the code's text, so `A-1` and `A-01` are distinct
//! and the order is total. Codes outside the grammar are still valid
//! locations (the pool takes any id): they sort after every parseable
//! code, by their text. Parsing never panics.
//!
//! The walk is aisle-major and does not snake (odd aisles up, even aisles
//! down): the issue fixes "aisle, bay, level".

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// Most digits in one number of a code (keeps every number in a `u32`).
const MAX_DIGITS: usize = 6;

/// An aisle: its letters (upper case) and its number, either may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aisle {
    /// Letters, upper case (`A`, `SW`; empty for a numbered aisle).
    pub letters: String,
    /// The number after the letters (`A03` -> 3), if any.
    pub number: Option<u32>,
}

impl Aisle {
    /// Parses an aisle (`A`, `sw`, `A03`, `12`), `None` outside the grammar.
    pub fn parse(text: &str) -> Option<Aisle> {
        let split = text
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(text.len());
        let (letters, digits) = text.split_at(split);
        if letters.is_empty() && digits.is_empty() {
            return None;
        }
        let number = match digits {
            "" => None,
            d => Some(number(d)?),
        };
        Some(Aisle {
            letters: letters.to_ascii_uppercase(),
            number,
        })
    }
}

impl Ord for Aisle {
    fn cmp(&self, other: &Aisle) -> Ordering {
        (self.letters.len(), &self.letters, self.number).cmp(&(
            other.letters.len(),
            &other.letters,
            other.number,
        ))
    }
}

impl PartialOrd for Aisle {
    fn partial_cmp(&self, other: &Aisle) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Where a parseable code is in the walk.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Walk {
    /// The aisle.
    pub aisle: Aisle,
    /// The bay along the aisle.
    pub bay: Option<u32>,
    /// The shelf level in the bay.
    pub level: Option<u32>,
}

impl Walk {
    /// Parses a code by the grammar in the module doc.
    pub fn parse(code: &str) -> Option<Walk> {
        let mut parts = code.split('-');
        let aisle = Aisle::parse(parts.next()?)?;
        let bay = parts
            .next()
            .map(number)
            .map_or(Some(None), |n| n.map(Some))?;
        let level = parts
            .next()
            .map(number)
            .map_or(Some(None), |n| n.map(Some))?;
        if parts.next().is_some() {
            return None;
        }
        Some(Walk { aisle, bay, level })
    }
}

fn number(digits: &str) -> Option<u32> {
    let ok = !digits.is_empty()
        && digits.len() <= MAX_DIGITS
        && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.parse().ok()).flatten()
}

/// A location code with its place in the walk. Ordered by walking order;
/// equal only when the codes are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct Location {
    code: String,
    walk: Option<Walk>,
}

impl Location {
    /// A location from its code (any text; see the module doc for order).
    pub fn new(code: impl Into<String>) -> Location {
        let code = code.into();
        let walk = Walk::parse(&code);
        Location { code, walk }
    }

    /// The code as given.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Its place in the walk, `None` when the code is outside the grammar.
    pub fn walk(&self) -> Option<&Walk> {
        self.walk.as_ref()
    }

    /// Its aisle, when the code parses.
    pub fn aisle(&self) -> Option<&Aisle> {
        self.walk.as_ref().map(|w| &w.aisle)
    }
}

impl Ord for Location {
    fn cmp(&self, other: &Location) -> Ordering {
        match (&self.walk, &other.walk) {
            (Some(a), Some(b)) => a.cmp(b).then_with(|| self.code.cmp(&other.code)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.code.cmp(&other.code),
        }
    }
}

impl PartialOrd for Location {
    fn partial_cmp(&self, other: &Location) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<String> for Location {
    fn from(code: String) -> Location {
        Location::new(code)
    }
}

impl From<&str> for Location {
    fn from(code: &str) -> Location {
        Location::new(code)
    }
}

impl From<Location> for String {
    fn from(location: Location) -> String {
        location.code
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_use_parse() {
        /// Aisle letters, aisle number, bay, level.
        type Parts<'a> = (&'a str, Option<u32>, Option<u32>, Option<u32>);
        let cases: [(&str, Option<Parts>); 12] = [
            ("A-01", Some(("A", None, Some(1), None))),
            ("A-1", Some(("A", None, Some(1), None))),
            ("B-07-01", Some(("B", None, Some(7), Some(1)))),
            ("A03-05-1", Some(("A", Some(3), Some(5), Some(1)))),
            ("sw-01", Some(("SW", None, Some(1), None))),
            ("L1", Some(("L", Some(1), None, None))),
            ("12-3", Some(("", Some(12), Some(3), None))),
            ("A", Some(("A", None, None, None))),
            ("A-01-02-03", None),
            ("A--1", None),
            ("A-1234567", None),
            ("", None),
        ];
        for (code, want) in cases {
            let got = Walk::parse(code);
            let got = got
                .as_ref()
                .map(|w| (w.aisle.letters.as_str(), w.aisle.number, w.bay, w.level));
            assert_eq!(got, want, "{code:?}");
        }
    }

    #[test]
    fn walking_order() {
        let mut codes = vec![
            "?dock", "B-02", "AA-01", "A-10", "A-02-3", "A-02", "A-2", "A02-01", "Z-99", "A",
            "A-02-1", "C-03", "a-03", "2-1", "",
        ];
        codes.sort_by_key(|c| Location::new(*c));
        let want = [
            "2-1", "A", "A-02", "A-2", "A-02-1", "A-02-3", "a-03", "A-10", "A02-01", "B-02",
            "C-03", "Z-99", "AA-01", "", "?dock",
        ];
        assert_eq!(codes, want);
    }

    #[test]
    fn serialises_as_its_code() {
        let location = Location::new("B-07-01");
        let json = serde_json::to_string(&location).expect("json");
        assert_eq!(json, "\"B-07-01\"");
        let back: Location = serde_json::from_str(&json).expect("back");
        assert_eq!(back, location);
        assert_eq!(back.aisle().map(|a| a.letters.as_str()), Some("B"));
    }
}
