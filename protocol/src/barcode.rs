//! What a handheld's barcode engine reads, parsed into what the warehouse
//! means by it: GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR,
//! DataBar), retail codes (EAN-13, UPC-A, EAN-8, ITF-14) and our own
//! labels (`LOC:<location>` on racks, `MODE:<kind>` on the mode card).
//!
//! Why it lives in `protocol`: the agent parses reads before journaling and
//! the simulators print the very same codes, so both sides must agree on
//! every byte, like they agree on frames. It is pure parsing over `&str`: no
//! I/O, so it is testable with plain vectors.
//!
//! A read is what the engine sends for one symbol, without its CR/LF, and
//! may start with an AIM symbology identifier (`]C1` GS1-128, `]d2` GS1
//! DataMatrix, `]Q3` GS1 QR, `]e0` GS1 DataBar, `]E0` EAN-13/UPC-A, `]E4`
//! EAN-8). FNC1 separators arrive as the GS character (0x1D). Every check
//! digit is verified; garbage gets a [`BarcodeError`] naming what is wrong.

mod gs1;
mod retail;

pub use gs1::{parse_element_string, Expiry, Gs1};
pub use retail::{gs1_check_digit, parse_retail};

use crate::message::MovementKind;
use crate::validate::check_id;
use thiserror::Error;

/// The GS character (ASCII 29), which stands for FNC1 between GS1 fields.
pub const GS: char = '\u{1d}';
/// Prefix of our rack location labels: `LOC:A-01-02`.
pub const LOCATION_PREFIX: &str = "LOC:";
/// Prefix of our mode cards: `MODE:pick` switches the movement kind.
pub const MODE_PREFIX: &str = "MODE:";

/// An AIM symbology identifier: `]` then a code character and a modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AimId {
    /// The symbology code character (`C` Code 128, `d` Data Matrix, `Q` QR,
    /// `e` DataBar, `E` EAN/UPC, `A` Code 39 ...).
    pub code: char,
    /// The modifier character (`1` in `]C1`).
    pub modifier: char,
}

impl AimId {
    /// Whether the identifier announces GS1 data (FNC1 in first position).
    pub fn is_gs1(self) -> bool {
        matches!(
            (self.code, self.modifier),
            ('C', '1') | ('d', '2') | ('Q', '3') | ('e', '0')
        )
    }

    /// Splits a leading AIM identifier off `read`, if there is one.
    pub fn split(read: &str) -> (Option<AimId>, &str) {
        let mut chars = read.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(']'), Some(code), Some(modifier))
                if code.is_ascii_alphabetic() && modifier.is_ascii_alphanumeric() =>
            {
                (Some(AimId { code, modifier }), &read[3..])
            }
            _ => (None, read),
        }
    }
}

impl std::fmt::Display for AimId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "]{}{}", self.code, self.modifier)
    }
}

/// What one read means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannedCode {
    /// A GS1 element string (a carton, pallet or item label).
    Gs1(Gs1),
    /// A retail code (EAN-13, UPC-A, EAN-8, ITF-14) as its GTIN-14.
    Retail(String),
    /// One of our rack labels: the location id.
    Location(String),
    /// One of our mode cards: the kind of movement the next scans record.
    Mode(MovementKind),
}

/// Why a read is not a code we accept. Messages quote at most a short,
/// escaped piece of the read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BarcodeError {
    /// Nothing was read (or only an AIM identifier).
    #[error("empty barcode")]
    Empty,
    /// A character that no accepted code carries.
    #[error("barcode has a control or non-ASCII character at byte {0}")]
    BadCharacter(usize),
    /// Not GS1, not a retail code, not one of our labels.
    #[error("unrecognised barcode {0}: not GS1, EAN/UPC, LOC: or MODE:")]
    Unrecognised(String),
    /// A GS1 application identifier this system does not read.
    #[error("unknown or unsupported GS1 application identifier ({0})")]
    UnknownAi(String),
    /// A fixed-length field ends early.
    #[error("GS1 ({ai}) is truncated: needs {expected} characters, found {found}")]
    Truncated {
        /// The application identifier.
        ai: &'static str,
        /// Its fixed length.
        expected: usize,
        /// What the read had left.
        found: usize,
    },
    /// A variable-length field is longer than its AI allows.
    #[error("GS1 ({ai}) is {found} characters long, more than its limit of {max}")]
    TooLong {
        /// The application identifier.
        ai: &'static str,
        /// Its maximum length.
        max: usize,
        /// The length found.
        found: usize,
    },
    /// A variable-length field with no characters.
    #[error("GS1 ({0}) is empty")]
    EmptyField(&'static str),
    /// A numeric field with something other than digits.
    #[error("GS1 ({0}) must be digits only")]
    NotDigits(&'static str),
    /// A character outside GS1's character set 82 in an alphanumeric field.
    #[error("GS1 ({0}) has a character outside the GS1 character set")]
    BadGs1Character(&'static str),
    /// The same application identifier twice.
    #[error("GS1 ({0}) appears twice")]
    DuplicateAi(&'static str),
    /// A date field that is not a calendar date.
    #[error("GS1 ({ai}) date {value} is not a valid YYMMDD date: {problem}")]
    BadDate {
        /// The application identifier.
        ai: &'static str,
        /// The six digits read.
        value: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A check digit that does not match the digits before it.
    #[error("bad check digit in {what}: expected {expected}, found {found}")]
    BadCheckDigit {
        /// Which code or field.
        what: &'static str,
        /// The check digit the data calls for.
        expected: u8,
        /// The check digit read.
        found: u8,
    },
    /// A retail code of a length no retail symbology has.
    #[error("{symbology} must have {expected} digits, found {found}")]
    WrongLength {
        /// The symbology.
        symbology: &'static str,
        /// The digits it has.
        expected: usize,
        /// The digits read.
        found: usize,
    },
    /// A human-readable GS1 string (`(01)...(10)...`) with broken brackets.
    #[error("malformed bracketed GS1 string: {0}")]
    BadBrackets(&'static str),
    /// A GS1 read without a GTIN or SSCC: nothing to identify goods by.
    #[error("GS1 barcode has neither a GTIN (01)/(02) nor an SSCC (00)")]
    NoIdentity,
    /// A `LOC:` label whose location id breaks the id rules.
    #[error("location label: {0}")]
    BadLocation(String),
    /// A `MODE:` card naming no movement kind.
    #[error(
        "mode card {0} names no movement kind (receive, putaway, move, pick, pack, adjust, count)"
    )]
    BadMode(String),
}

/// Parses one read (an engine's output line without CR/LF).
pub fn parse_read(read: &str) -> Result<ScannedCode, BarcodeError> {
    let (aim, data) = AimId::split(read);
    if data.is_empty() {
        return Err(BarcodeError::Empty);
    }
    if let Some(pos) = data
        .bytes()
        .position(|b| !(b.is_ascii_graphic() || b == 0x1d))
    {
        return Err(BarcodeError::BadCharacter(pos + read.len() - data.len()));
    }
    match aim {
        Some(aim) if aim.is_gs1() => return parse_gs1_data(data).map(ScannedCode::Gs1),
        Some(AimId {
            code: 'E',
            modifier,
        }) => {
            // ]E0 carries EAN-13 (UPC-A as 13 digits with a leading 0), ]E4 EAN-8.
            let (symbology, expected) = if modifier == '4' {
                ("EAN-8", 8)
            } else {
                ("EAN-13", 13)
            };
            if data.len() != expected {
                return Err(BarcodeError::WrongLength {
                    symbology,
                    expected,
                    found: data.len(),
                });
            }
            return parse_retail(data).map(ScannedCode::Retail);
        }
        _ => {}
    }
    if let Some(rest) = data.strip_prefix(GS) {
        return parse_gs1_data(rest).map(ScannedCode::Gs1);
    }
    if data.starts_with('(') {
        return parse_gs1_data(data).map(ScannedCode::Gs1);
    }
    if let Some(id) = data.strip_prefix(LOCATION_PREFIX) {
        check_id("location", id).map_err(|e| BarcodeError::BadLocation(e.to_string()))?;
        return Ok(ScannedCode::Location(id.to_string()));
    }
    if let Some(word) = data.strip_prefix(MODE_PREFIX) {
        return MovementKind::parse(&word.to_ascii_lowercase())
            .map(ScannedCode::Mode)
            .ok_or_else(|| BarcodeError::BadMode(shown(word)));
    }
    if data.bytes().all(|b| b.is_ascii_digit()) && matches!(data.len(), 8 | 12 | 13 | 14) {
        return parse_retail(data).map(ScannedCode::Retail);
    }
    Err(BarcodeError::Unrecognised(shown(data)))
}

/// GS1 data in either transmitted form (GS-separated) or bracketed form.
fn parse_gs1_data(data: &str) -> Result<Gs1, BarcodeError> {
    let data = data.strip_prefix(GS).unwrap_or(data);
    let gs1 = if data.starts_with('(') {
        parse_element_string(&gs1::unbracket(data)?)?
    } else {
        parse_element_string(data)?
    };
    if gs1.gtin.is_none() && gs1.sscc.is_none() {
        return Err(BarcodeError::NoIdentity);
    }
    Ok(gs1)
}

/// A piece of a read fit to show on one line: at most 24 characters,
/// control and non-ASCII characters escaped, `...` when cut.
pub fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(24)
        .flat_map(char::escape_default)
        .collect();
    if text.chars().nth(24).is_some() {
        out.push_str("...");
    }
    out
}

/// [`excerpt`] in quotes, for error messages.
pub(crate) fn shown(text: &str) -> String {
    format!("\"{}\"", excerpt(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aim_identifiers_split_off() {
        assert_eq!(
            AimId::split("]C1010950"),
            (
                Some(AimId {
                    code: 'C',
                    modifier: '1'
                }),
                "010950"
            )
        );
        assert_eq!(AimId::split("]C"), (None, "]C"));
        assert_eq!(AimId::split("]]C1"), (None, "]]C1"));
        assert!(!AimId {
            code: 'C',
            modifier: '0'
        }
        .is_gs1());
    }

    #[test]
    fn shown_is_short_and_escaped() {
        assert_eq!(shown("a\u{1d}b"), "\"a\\u{1d}b\"");
        assert!(shown(&"x".repeat(50)).ends_with("...\""));
    }
}
