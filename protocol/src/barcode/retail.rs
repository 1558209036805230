//! Retail codes (EAN-13, UPC-A, EAN-8, ITF-14) and the GS1 mod-10 check
//! digit they share with the GTIN and SSCC fields of GS1 element strings.
//!
//! Why normalise to GTIN-14: a carton's (01) and the EAN-13 on the item
//! inside name the same product family; one 14-digit form lets the agent
//! use a GTIN as the SKU whatever symbol carried it.

use super::BarcodeError;

/// The GS1 check digit of `digits` (the data digits, without the check
/// digit): weights 3, 1, 3 ... from the right, then the distance to the
/// next multiple of ten. `None` if a character is not a digit.
pub fn gs1_check_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let weight = if i % 2 == 0 { 3 } else { 1 };
        sum += u32::from(b - b'0') * weight;
    }
    // (10 - sum % 10) % 10 is below 10: the cast cannot truncate.
    Some(((10 - sum % 10) % 10) as u8)
}

/// Verifies the last digit of `code` as the GS1 check digit of the rest.
pub(super) fn check_gs1_digits(code: &str, what: &'static str) -> Result<(), BarcodeError> {
    let (data, check) = code.split_at(code.len().saturating_sub(1));
    let found = check
        .bytes()
        .next()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0');
    match (gs1_check_digit(data), found) {
        (Some(expected), Some(found)) if expected == found => Ok(()),
        (Some(expected), Some(found)) => Err(BarcodeError::BadCheckDigit {
            what,
            expected,
            found,
        }),
        _ => Err(BarcodeError::NotDigits(what)),
    }
}

/// Parses an EAN-13 (13 digits), UPC-A (12), EAN-8 (8) or ITF-14/GTIN-14
/// (14) and returns it as a GTIN-14 (zero-padded on the left).
pub fn parse_retail(digits: &str) -> Result<String, BarcodeError> {
    let what = match digits.len() {
        8 => "EAN-8",
        12 => "UPC-A",
        13 => "EAN-13",
        14 => "GTIN-14",
        found => {
            return Err(BarcodeError::WrongLength {
                symbology: "EAN-13",
                expected: 13,
                found,
            })
        }
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BarcodeError::NotDigits(what));
    }
    check_gs1_digits(digits, what)?;
    Ok(format!("{digits:0>14}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_of_known_codes() {
        // GS1 examples: GTIN 0950600013435(2), EAN-8 963850(7)4, UPC-A 03600029145(2)
        assert_eq!(gs1_check_digit("0950600013435"), Some(2));
        assert_eq!(gs1_check_digit("9638507"), Some(4));
        assert_eq!(gs1_check_digit("03600029145"), Some(2));
        assert_eq!(gs1_check_digit("12x"), None);
    }
}
