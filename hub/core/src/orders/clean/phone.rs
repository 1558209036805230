//! Phone numbers to one canonical form, so a courier's SMS reaches the
//! customer and the same customer is the same number in every order.
//!
//! For a CN address the number must be a mainland mobile: 11 digits
//! starting 13 to 19, written `13812345678`. `+86`, `0086` and a bare `86`
//! before the 11 digits are accepted, and so are separators (spaces,
//! dashes, dots, slashes, parentheses, also their full-width forms) and
//! full-width digits. A landline (an area code starting 0, or 7 to 8 bare
//! digits) is refused as such: couriers need a mobile. A foreign number
//! on a CN address is refused too; people decide those.
//!
//! For any other country the answer is E.164, `+<country code><number>`,
//! 8 to 15 digits after the `+`. A number written with `+` or `00` is
//! taken as it is; a national number is accepted for the few countries
//! in [`CALLING_CODES`] (its trunk prefix, such as a leading 0, dropped),
//! and refused for the rest, because guessing a country code would be
//! guessing the customer.

use super::report::{Field, Problem, ProblemCode};

/// Countries whose national numbers are accepted: ISO code, calling code,
/// the trunk prefix people write before a national number.
pub const CALLING_CODES: &[(&str, &str, &str)] = &[
    ("SG", "65", ""),
    ("MY", "60", "0"),
    ("TH", "66", "0"),
    ("ID", "62", "0"),
    ("PH", "63", "0"),
    ("VN", "84", "0"),
    ("TW", "886", "0"),
    ("HK", "852", ""),
    ("MO", "853", ""),
    ("US", "1", "1"),
    ("CA", "1", "1"),
];

/// The canonical number for `country` (an ISO 3166 alpha-2 code, `"CN"`
/// for the mainland), or why there is none.
pub fn normalize_phone(raw: &str, country: &str) -> Result<String, Problem> {
    let compact = compact(raw)?;
    if compact.is_empty() {
        return Err(problem(
            ProblemCode::PhoneMissing,
            "a phone number is required",
        ));
    }
    if country.eq_ignore_ascii_case("CN") {
        cn_mobile(&compact)
    } else {
        e164(&compact, country)
    }
}

fn problem(code: ProblemCode, message: &str) -> Problem {
    Problem::new(Field::Phone, code, message)
}

/// The digits, with a leading `+` kept; separators dropped.
fn compact(raw: &str) -> Result<String, Problem> {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '0'..='9' => out.push(c),
            '０'..='９' => {
                let digit = char::from_u32(c as u32 - '０' as u32 + '0' as u32);
                out.extend(digit);
            }
            '+' | '＋' if out.is_empty() => out.push('+'),
            ' ' | '-' | '.' | '/' | '(' | ')' | '\u{A0}' | '\u{3000}' | '－' | '（' | '）'
            | '．' | '—' | '–' => {}
            _ => {
                return Err(problem(
                    ProblemCode::PhoneInvalid,
                    "a phone number holds only digits, a leading + and separators",
                ))
            }
        }
    }
    Ok(out)
}

/// A mainland mobile, as 11 digits.
fn cn_mobile(compact: &str) -> Result<String, Problem> {
    let digits = if let Some(rest) = compact.strip_prefix("+86") {
        rest
    } else if let Some(rest) = compact.strip_prefix("0086") {
        rest
    } else if compact.len() == 13 && compact.starts_with("861") {
        &compact[2..]
    } else if compact.starts_with('+') || compact.starts_with("00") {
        return Err(problem(
            ProblemCode::PhoneNotCnMobile,
            "a foreign number on a mainland address; couriers need a mainland mobile",
        ));
    } else {
        compact
    };
    let bytes = digits.as_bytes();
    if bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]) {
        return Ok(digits.to_string());
    }
    let landline = (bytes.first() == Some(&b'0') && (10..=12).contains(&bytes.len()))
        || (7..=8).contains(&bytes.len());
    if landline {
        Err(problem(
            ProblemCode::PhoneNotMobile,
            "looks like a landline; couriers need a mainland mobile number",
        ))
    } else {
        Err(problem(
            ProblemCode::PhoneInvalid,
            "a mainland mobile number has 11 digits and starts 13 to 19",
        ))
    }
}

/// An E.164 number: `+` and 8 to 15 digits, the first not 0.
fn e164(compact: &str, country: &str) -> Result<String, Problem> {
    let digits = if let Some(rest) = compact.strip_prefix('+') {
        rest.to_string()
    } else if let Some(rest) = compact.strip_prefix("00") {
        rest.to_string()
    } else {
        let Some((_, code, trunk)) = CALLING_CODES
            .iter()
            .find(|(iso, _, _)| iso.eq_ignore_ascii_case(country))
        else {
            return Err(problem(
                ProblemCode::PhoneNeedsCountryCode,
                "write the number with + and its country code",
            ));
        };
        let national = match trunk.is_empty() {
            true => compact,
            false => compact.strip_prefix(trunk).unwrap_or(compact),
        };
        format!("{code}{national}")
    };
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(problem(
            ProblemCode::PhoneInvalid,
            "an international number has a country code and 8 to 15 digits in all",
        ));
    }
    Ok(format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainland_mobiles() {
        for raw in [
            "13812345678",
            "+86 138-1234-5678",
            "+86 13812345678",
            "0086 13812345678",
            "0086-138.1234.5678",
            "86 138 1234 5678",
            "(138) 1234 5678",
            "(+86) 138 1234 5678",
            "１３８１２３４５６７８",
            "＋８６ １３８－１２３４－５６７８",
            "138\u{3000}1234\u{A0}5678",
        ] {
            assert_eq!(
                normalize_phone(raw, "CN"),
                Ok("13812345678".into()),
                "{raw:?}"
            );
        }
        assert_eq!(
            normalize_phone("19912345678", "cn"),
            Ok("19912345678".into())
        );
    }

    #[test]
    fn mainland_refusals() {
        use ProblemCode::*;
        let cases = [
            ("", PhoneMissing),
            (" - ", PhoneMissing),
            ("0571-87654321", PhoneNotMobile),
            ("010 12345678", PhoneNotMobile),
            ("87654321", PhoneNotMobile),
            ("138123456789", PhoneInvalid),
            ("1381234567", PhoneInvalid),
            ("12812345678", PhoneInvalid),
            ("+86 0571 8765 4321", PhoneNotMobile),
            ("138 1234 5678 ext 9", PhoneInvalid),
            ("138+12345678", PhoneInvalid),
            ("+65 9123 4567", PhoneNotCnMobile),
            ("0065 9123 4567", PhoneNotCnMobile),
        ];
        for (raw, code) in cases {
            let err = normalize_phone(raw, "CN").expect_err(raw);
            assert_eq!((err.field, err.code), (Field::Phone, code), "{raw:?}");
            assert!(!err.message.contains(raw.trim()) || raw.trim().is_empty());
        }
    }

    #[test]
    fn other_countries_as_e164() {
        let cases = [
            ("+65 9123 4567", "SG", "+6591234567"),
            ("9123 4567", "SG", "+6591234567"),
            ("012-345 6789", "MY", "+60123456789"),
            ("0065 9123 4567", "US", "+6591234567"),
            ("(415) 555-0132", "US", "+14155550132"),
            ("1 415 555 0132", "US", "+14155550132"),
            ("0912 345 678", "TW", "+886912345678"),
            ("+44 20 7946 0958", "GB", "+442079460958"),
            ("+86 138 1234 5678", "SG", "+8613812345678"),
        ];
        for (raw, country, want) in cases {
            assert_eq!(
                normalize_phone(raw, country),
                Ok(want.to_string()),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn other_country_refusals() {
        use ProblemCode::*;
        let cases = [
            ("020 7946 0958", "GB", PhoneNeedsCountryCode),
            ("+65 123", "SG", PhoneInvalid),
            ("+1234567890123456", "SG", PhoneInvalid),
            ("+0 123 4567 89", "SG", PhoneInvalid),
            ("9123 4567 x", "SG", PhoneInvalid),
        ];
        for (raw, country, code) in cases {
            let err = normalize_phone(raw, country).expect_err(raw);
            assert_eq!(err.code, code, "{raw:?}");
        }
    }
}
