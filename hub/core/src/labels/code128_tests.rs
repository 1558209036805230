//! Code 128 against values worked out by hand from the specification's
//! rules, and round trips through the decoder.

use super::*;
use proptest::prelude::*;

/// The printed form of a symbol: "1" per bar module, "0" per space.
fn bits(symbol: &Code128) -> String {
    symbol
        .modules()
        .iter()
        .map(|m| if *m { '1' } else { '0' })
        .collect()
}

#[test]
fn pjj123c_is_all_set_b_with_check_55() {
    // Wikipedia's worked example sums to 878 with Start A (103): check 54.
    // In set B the start is 104, so the sum is 879 and the check 55.
    let symbol = Code128::encode("PJJ123C").unwrap();
    assert_eq!(symbol.segments().len(), 1);
    assert_eq!(symbol.values(), vec![104, 48, 42, 42, 17, 18, 19, 35, 55]);
    assert_eq!(check_symbol(&[103, 48, 42, 42, 17, 18, 19, 35]), 54);
}

#[test]
fn known_check_symbols() {
    // Data-driven: text, expected values from start to check.
    let cases: &[(&str, &[u8])] = &[
        // (65*1 + 66*2 + ... + 70*6) + 104 = 1539; 1539 % 103 = 97.
        ("abcdef", &[104, 65, 66, 67, 68, 69, 70, 97]),
        // 105 + 34*1 + 56*2 + 78*3 = 485; 485 % 103 = 73.
        ("345678", &[105, 34, 56, 78, 73]),
        // 104 + 40 + 41*2 + 99*3 + 34*4 + 56*5 + 78*6 = 1407; % 103 = 68.
        ("HI345678", &[104, 40, 41, 99, 34, 56, 78, 68]),
        // Odd run: "1" stays in B, "2345" in C, then back to B for "X".
        // 104 + 17 + 99*2 + 23*3 + 45*4 + 100*5 + 56*6 = 1404; % 103 = 65.
        ("12345X", &[104, 17, 99, 23, 45, 100, 56, 65]),
        // Three digits are not worth set C: 104 + 33 + 34 + 54 + 76 = 301; % 103 = 95.
        ("A123", &[104, 33, 17, 18, 19, 95]),
    ];
    for (text, values) in cases {
        assert_eq!(Code128::encode(text).unwrap().values(), *values, "{text}");
    }
}

#[test]
fn start_b_then_stop_modules() {
    // Start B is 11010010000, the stop pattern 1100011101011.
    let symbol = Code128::encode("A").unwrap();
    let bits = bits(&symbol);
    assert!(bits.starts_with("11010010000"), "{bits}");
    assert!(bits.ends_with("1100011101011"), "{bits}");
    assert_eq!(bits.len(), symbol.module_count());
    assert_eq!(bits.len(), 3 * 11 + 13);
}

#[test]
fn every_pattern_is_eleven_modules_and_unique() {
    for (i, pattern) in PATTERNS.iter().enumerate() {
        assert_eq!(
            pattern.iter().map(|w| u32::from(*w)).sum::<u32>(),
            11,
            "{i}"
        );
        assert_eq!(PATTERNS.iter().filter(|p| *p == pattern).count(), 1, "{i}");
    }
    assert_eq!(STOP.iter().map(|w| u32::from(*w)).sum::<u32>(), 13);
}

#[test]
fn refuses_what_it_cannot_carry() {
    assert_eq!(Code128::encode(""), Err(Code128Error::Empty));
    assert_eq!(
        Code128::encode("AB\u{e9}"),
        Err(Code128Error::Unencodable {
            at: 2,
            ch: '\u{e9}'
        })
    );
    assert!(Code128::encode("A\nB").is_err());
}

#[test]
fn decodes_back_with_quiet_zones() {
    let symbol = Code128::encode("SF1234567890").unwrap();
    let mut modules = vec![false; 10];
    modules.extend(symbol.modules());
    modules.extend([false; 10]);
    assert_eq!(decode_modules(&modules).unwrap(), "SF1234567890");
}

#[test]
fn decoder_refuses_a_wrong_check_symbol() {
    let symbol = Code128::encode("PJJ123C").unwrap();
    let mut widths = symbol.widths();
    // Replace the check symbol (55) with value 54's pattern.
    let at = widths.len() - 7 - 6;
    widths.splice(at..at + 6, PATTERNS[54]);
    assert_eq!(
        decode_widths(&widths),
        Err(DecodeError::Check {
            found: 54,
            expected: 55
        })
    );
    assert_eq!(decode_modules(&[false; 8]), Err(DecodeError::Shape));
}

proptest! {
    #[test]
    fn any_tracking_number_round_trips(text in "[A-Za-z0-9]{1,40}") {
        let symbol = Code128::encode(&text).unwrap();
        prop_assert_eq!(decode_modules(&symbol.modules()).unwrap(), text.clone());
        prop_assert_eq!(symbol.segments().iter().map(|s| s.text.as_str()).collect::<String>(), text);
    }

    #[test]
    fn any_printable_ascii_round_trips(text in "[ -~]{1,60}") {
        let symbol = Code128::encode(&text).unwrap();
        prop_assert_eq!(decode_widths(&symbol.widths()).unwrap(), text);
    }
}
