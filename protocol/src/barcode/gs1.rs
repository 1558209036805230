//! GS1 element strings: application identifiers (AIs) and their values,
//! as a warehouse meets them on carton and pallet labels.
//!
//! Why a table: whether a field has a fixed length, what characters it may
//! hold and whether a check digit guards it is fixed by GS1 per AI, so one
//! row per AI keeps the rules side by side and the parser generic. Fields
//! of fixed length need no separator; variable ones end at GS (FNC1) or at
//! the end of the read. AIs outside the table are refused by name rather
//! than guessed at, since their length cannot be known.

use super::retail::check_gs1_digits;
use super::{BarcodeError, GS};

/// The parts of a GS1 element string this system reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gs1 {
    /// (00) Serial Shipping Container Code, 18 digits, check digit verified.
    pub sscc: Option<String>,
    /// (01) GTIN-14 of the trade item, or (02) GTIN of the items contained
    /// in a logistic unit; check digit verified.
    pub gtin: Option<String>,
    /// (10) Batch or lot number.
    pub lot: Option<String>,
    /// (17) Expiry date.
    pub expiry: Option<Expiry>,
    /// (21) Serial number.
    pub serial: Option<String>,
    /// (30) Variable count of items, or (37) count of trade items in a
    /// logistic unit (the two never appear together).
    pub count: Option<u32>,
}

/// A GS1 date (YYMMDD). Day 0 means "the last day of the month", as GS1
/// allows; the year is read as 20YY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expiry {
    /// Year, 2000..=2099.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day, 0..=31 (0: end of month).
    pub day: u8,
}

#[derive(Clone, Copy)]
enum Value {
    /// Exactly this many digits, the last a GS1 check digit.
    CheckedDigits(usize),
    /// A YYMMDD date.
    Date,
    /// Up to this many digits.
    VarDigits(usize),
    /// Up to this many characters of GS1 character set 82.
    VarText(usize),
}

struct Rule {
    ai: &'static str,
    value: Value,
}

#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { ai: "00", value: Value::CheckedDigits(18) },
    Rule { ai: "01", value: Value::CheckedDigits(14) },
    Rule { ai: "02", value: Value::CheckedDigits(14) },
    Rule { ai: "10", value: Value::VarText(20) },
    Rule { ai: "17", value: Value::Date },
    Rule { ai: "21", value: Value::VarText(20) },
    Rule { ai: "30", value: Value::VarDigits(8) },
    Rule { ai: "37", value: Value::VarDigits(8) },
];

/// Parses a transmitted element string: AIs and values, GS after every
/// variable-length value that is not last (a GS after a fixed-length one
/// is tolerated, as some printers put one there).
pub fn parse_element_string(data: &str) -> Result<Gs1, BarcodeError> {
    if data.is_empty() {
        return Err(BarcodeError::Empty);
    }
    // Fixed-length AIs split by byte count: only ASCII may reach them.
    if let Some(at) = data.bytes().position(|b| !b.is_ascii()) {
        return Err(BarcodeError::BadCharacter(at));
    }
    let mut gs1 = Gs1::default();
    let mut rest = data;
    while !rest.is_empty() {
        let rule = RULES
            .iter()
            .find(|r| rest.starts_with(r.ai))
            .ok_or_else(|| BarcodeError::UnknownAi(unknown_ai(rest)))?;
        let (value, after) = take_value(rule, &rest[rule.ai.len()..])?;
        store(&mut gs1, rule.ai, value)?;
        rest = after.strip_prefix(GS).unwrap_or(after);
    }
    Ok(gs1)
}

/// The first two digits name an AI's family (and so its length): quote
/// those, or the start of the read if it does not even begin with digits.
fn unknown_ai(rest: &str) -> String {
    match rest.get(..2) {
        Some(two) if two.bytes().all(|b| b.is_ascii_digit()) => two.to_string(),
        _ => super::shown(rest),
    }
}

fn take_value<'a>(rule: &Rule, rest: &'a str) -> Result<(&'a str, &'a str), BarcodeError> {
    let ai = rule.ai;
    let (value, after) = match rule.value {
        Value::CheckedDigits(n) => fixed(ai, rest, n)?,
        Value::Date => fixed(ai, rest, 6)?,
        Value::VarDigits(max) | Value::VarText(max) => {
            let end = rest.find(GS).unwrap_or(rest.len());
            let value = &rest[..end];
            if value.is_empty() {
                return Err(BarcodeError::EmptyField(ai));
            }
            if value.len() > max {
                return Err(BarcodeError::TooLong {
                    ai,
                    max,
                    found: value.len(),
                });
            }
            (value, &rest[end..])
        }
    };
    match rule.value {
        Value::VarText(_) => {
            if !value.bytes().all(in_char_set_82) {
                return Err(BarcodeError::BadGs1Character(ai));
            }
        }
        _ => {
            if !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BarcodeError::NotDigits(ai));
            }
        }
    }
    if let Value::CheckedDigits(_) = rule.value {
        check_gs1_digits(value, checked_name(ai))?;
    }
    Ok((value, after))
}

fn fixed<'a>(
    ai: &'static str,
    rest: &'a str,
    n: usize,
) -> Result<(&'a str, &'a str), BarcodeError> {
    let available = rest.find(GS).unwrap_or(rest.len());
    if available < n {
        return Err(BarcodeError::Truncated {
            ai,
            expected: n,
            found: available,
        });
    }
    Ok(rest.split_at(n))
}

fn checked_name(ai: &str) -> &'static str {
    match ai {
        "00" => "SSCC (00)",
        "01" => "GTIN-14 (01)",
        _ => "GTIN-14 (02)",
    }
}

fn store(gs1: &mut Gs1, ai: &'static str, value: &str) -> Result<(), BarcodeError> {
    let slot = match ai {
        "00" => &mut gs1.sscc,
        "01" | "02" => &mut gs1.gtin,
        "10" => &mut gs1.lot,
        "21" => &mut gs1.serial,
        "17" => {
            if gs1.expiry.is_some() {
                return Err(BarcodeError::DuplicateAi(ai));
            }
            gs1.expiry = Some(parse_date(ai, value)?);
            return Ok(());
        }
        _ => {
            if gs1.count.is_some() {
                return Err(BarcodeError::DuplicateAi(ai));
            }
            // At most 8 digits: always fits a u32.
            gs1.count = Some(value.parse().map_err(|_| BarcodeError::NotDigits(ai))?);
            return Ok(());
        }
    };
    if slot.is_some() {
        return Err(BarcodeError::DuplicateAi(ai));
    }
    *slot = Some(value.to_string());
    Ok(())
}

fn parse_date(ai: &'static str, value: &str) -> Result<Expiry, BarcodeError> {
    let bad = |problem| BarcodeError::BadDate {
        ai,
        value: value.to_string(),
        problem,
    };
    let two = |i: usize| value.get(i..i + 2).and_then(|s| s.parse::<u8>().ok());
    let (Some(yy), Some(month), Some(day)) = (two(0), two(2), two(4)) else {
        return Err(bad("not six digits"));
    };
    if !(1..=12).contains(&month) {
        return Err(bad("month must be 01 to 12"));
    }
    let year = 2000 + u16::from(yy);
    if day > crate::calendar::days_in_month(year, month) {
        return Err(bad("day is past the end of the month"));
    }
    Ok(Expiry { year, month, day })
}

impl Expiry {
    /// The last day the goods may be used, as `YYYY-MM-DD` (a day of 00
    /// means the end of the month, as GS1 defines it).
    pub fn iso_date(&self) -> String {
        let day = match self.day {
            0 => crate::calendar::days_in_month(self.year, self.month),
            d => d,
        };
        format!("{:04}-{:02}-{:02}", self.year, self.month, day)
    }
}

/// GS1 character set 82 (ISO 646 subset used in alphanumeric AIs).
fn in_char_set_82(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!\"%&'()*+,-./:;<=>?_".contains(&b)
}

/// Turns the bracketed human-readable form `(01)...(10)...` into the
/// transmitted form, with GS after every value but the last.
pub(super) fn unbracket(text: &str) -> Result<String, BarcodeError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let inner = rest
            .strip_prefix('(')
            .ok_or(BarcodeError::BadBrackets("expected '(' before an AI"))?;
        let close = inner
            .find(')')
            .ok_or(BarcodeError::BadBrackets("an AI's ')' is missing"))?;
        let ai = &inner[..close];
        if ai.is_empty() || !ai.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BarcodeError::BadBrackets("an AI must be digits"));
        }
        let value_and_rest = &inner[close + 1..];
        let end = value_and_rest.find('(').unwrap_or(value_and_rest.len());
        if !out.is_empty() {
            out.push(GS);
        }
        out.push_str(ai);
        out.push_str(&value_and_rest[..end]);
        rest = &value_and_rest[end..];
    }
    Ok(out)
}
