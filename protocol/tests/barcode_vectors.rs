//! Barcode vectors: what a scanner sends, side by side with what it means
//! or the exact error it gets. GS1 reads come with and without AIM ids,
//! GS-separated and bracketed; bad check digits, truncated and overlong
//! fields, unknown AIs and junk are all refused with a reason.

use protocol::barcode::{parse_read, BarcodeError, Expiry, Gs1, ScannedCode};
use protocol::MovementKind;

const GS: &str = "\u{1d}";

fn gs1(gtin: &str, lot: Option<&str>, count: Option<u32>) -> ScannedCode {
    ScannedCode::Gs1(Gs1 {
        gtin: Some(gtin.into()),
        lot: lot.map(Into::into),
        count,
        ..Gs1::default()
    })
}

#[test]
fn good_reads() {
    let carton = ScannedCode::Gs1(Gs1 {
        gtin: Some("09506000134352".into()),
        lot: Some("LOT-7".into()),
        expiry: Some(Expiry {
            year: 2027,
            month: 2,
            day: 28,
        }),
        serial: Some("S1".into()),
        count: Some(12),
        sscc: None,
    });
    let pallet = ScannedCode::Gs1(Gs1 {
        sscc: Some("106141411234567897".into()),
        gtin: Some("19506000134359".into()),
        count: Some(40),
        ..Gs1::default()
    });
    let table: Vec<(String, ScannedCode)> = vec![
        (
            format!("]C1010950600013435217270228{GS}10LOT-7{GS}21S1{GS}3012"),
            carton.clone(),
        ),
        (
            format!("]d201095060001343521727022810LOT-7{GS}21S1{GS}3012"),
            carton.clone(),
        ),
        (
            format!("{GS}01095060001343521727022810LOT-7{GS}21S1{GS}3012"),
            carton.clone(),
        ),
        (
            "(01)09506000134352(17)270228(10)LOT-7(21)S1(30)12".into(),
            carton,
        ),
        (
            format!("]C100106141411234567897{GS}021950600013435937{}", "40"),
            pallet,
        ),
        (
            "]Q30109506000134352".into(),
            gs1("09506000134352", None, None),
        ),
        (
            "]e00109506000134352".into(),
            gs1("09506000134352", None, None),
        ),
        (
            format!("]C101095060001343521012345678901234567890{GS}3799999999"),
            gs1(
                "09506000134352",
                Some("12345678901234567890"),
                Some(99_999_999),
            ),
        ),
        (
            "]E04006381333931".into(),
            ScannedCode::Retail("04006381333931".into()),
        ),
        (
            "4006381333931".into(),
            ScannedCode::Retail("04006381333931".into()),
        ),
        (
            "036000291452".into(),
            ScannedCode::Retail("00036000291452".into()),
        ),
        (
            "]E496385074".into(),
            ScannedCode::Retail("00000096385074".into()),
        ),
        (
            "96385074".into(),
            ScannedCode::Retail("00000096385074".into()),
        ),
        (
            "LOC:A-01-02".into(),
            ScannedCode::Location("A-01-02".into()),
        ),
        (
            "]C0LOC:B-07-01".into(),
            ScannedCode::Location("B-07-01".into()),
        ),
        ("MODE:pick".into(), ScannedCode::Mode(MovementKind::Pick)),
        (
            "MODE:RECEIVE".into(),
            ScannedCode::Mode(MovementKind::Receive),
        ),
        // Day 00 is the end of the month; 2028 is a leap year.
        (
            "(01)09506000134352(17)280229".into(),
            ScannedCode::Gs1(Gs1 {
                gtin: Some("09506000134352".into()),
                expiry: Some(Expiry {
                    year: 2028,
                    month: 2,
                    day: 29,
                }),
                ..Gs1::default()
            }),
        ),
    ];
    for (read, want) in table {
        assert_eq!(parse_read(&read), Ok(want), "read {read:?}");
    }
}

#[test]
fn bad_reads_name_what_is_wrong() {
    use BarcodeError::*;
    let table: Vec<(String, BarcodeError, &str)> = vec![
        ("".into(), Empty, "empty barcode"),
        ("]C1".into(), Empty, "empty barcode"),
        ("]C10109506000134353".into(),
            BadCheckDigit { what: "GTIN-14 (01)", expected: 2, found: 3 },
            "bad check digit in GTIN-14 (01): expected 2, found 3"),
        ("]C100106141411234567890".into(),
            BadCheckDigit { what: "SSCC (00)", expected: 7, found: 0 },
            "bad check digit in SSCC (00): expected 7, found 0"),
        ("]C1010950600013".into(),
            Truncated { ai: "01", expected: 14, found: 10 },
            "GS1 (01) is truncated: needs 14 characters, found 10"),
        (format!("]C10109506000134352{GS}17270"),
            Truncated { ai: "17", expected: 6, found: 3 },
            "GS1 (17) is truncated: needs 6 characters, found 3"),
        ("]C10109506000134352101234567890123456789012".into(),
            TooLong { ai: "10", max: 20, found: 22 },
            "GS1 (10) is 22 characters long, more than its limit of 20"),
        (format!("]C10109506000134352{GS}37123456789"),
            TooLong { ai: "37", max: 8, found: 9 },
            "GS1 (37) is 9 characters long, more than its limit of 8"),
        (format!("]C1010950600013435210{GS}3712"), EmptyField("10"), "GS1 (10) is empty"),
        ("]C10109506000134352371x".into(), NotDigits("37"), "GS1 (37) must be digits only"),
        ("]C1010950600013435210a b".into(), BadCharacter(22),
            "barcode has a control or non-ASCII character at byte 22"),
        ("]C1010950600013435210a#b".into(), BadGs1Character("10"),
            "GS1 (10) has a character outside the GS1 character set"),
        ("]C10109506000134352991234".into(), UnknownAi("99".into()),
            "unknown or unsupported GS1 application identifier (99)"),
        ("]C10109506000134352x".into(), UnknownAi("\"x\"".into()),
            "unknown or unsupported GS1 application identifier (\"x\")"),
        ("]C101095060001343520109506000134352".into(), DuplicateAi("01"), "GS1 (01) appears twice"),
        (format!("]C1010950600013435230{}{GS}3712", "5"), DuplicateAi("37"), "GS1 (37) appears twice"),
        ("]C1010950600013435217271301".into(),
            BadDate { ai: "17", value: "271301".into(), problem: "month must be 01 to 12" },
            "GS1 (17) date 271301 is not a valid YYMMDD date: month must be 01 to 12"),
        ("]C1010950600013435217270229".into(),
            BadDate { ai: "17", value: "270229".into(), problem: "day is past the end of the month" },
            "GS1 (17) date 270229 is not a valid YYMMDD date: day is past the end of the month"),
        ("]C11012345".into(), NoIdentity,
            "GS1 barcode has neither a GTIN (01)/(02) nor an SSCC (00)"),
        ("(01)09506000134352(10".into(), BadBrackets("an AI's ')' is missing"),
            "malformed bracketed GS1 string: an AI's ')' is missing"),
        ("(0x)1".into(), BadBrackets("an AI must be digits"),
            "malformed bracketed GS1 string: an AI must be digits"),
        ("4006381333932".into(),
            BadCheckDigit { what: "EAN-13", expected: 1, found: 2 },
            "bad check digit in EAN-13: expected 1, found 2"),
        ("]E0400638133393".into(),
            WrongLength { symbology: "EAN-13", expected: 13, found: 12 },
            "EAN-13 must have 13 digits, found 12"),
        ("036000291453".into(),
            BadCheckDigit { what: "UPC-A", expected: 2, found: 3 },
            "bad check digit in UPC-A: expected 2, found 3"),
        ("LOC:A/01".into(), BadLocation("location contains '/', '+' or '#'".into()),
            "location label: location contains '/', '+' or '#'"),
        ("LOC:".into(), BadLocation("location is empty".into()), "location label: location is empty"),
        ("MODE:fly".into(), BadMode("\"fly\"".into()),
            "mode card \"fly\" names no movement kind (receive, putaway, move, pick, pack, adjust, count)"),
        ("hello".into(), Unrecognised("\"hello\"".into()),
            "unrecognised barcode \"hello\": not GS1, EAN/UPC, LOC: or MODE:"),
        ("caf\u{e9}".into(), BadCharacter(3), "barcode has a control or non-ASCII character at byte 3"),
        ("\u{7}\u{0}".into(), BadCharacter(0), "barcode has a control or non-ASCII character at byte 0"),
    ];
    for (read, want, message) in table {
        let got = parse_read(&read);
        assert_eq!(got, Err(want.clone()), "read {read:?}");
        if !message.is_empty() {
            assert_eq!(want.to_string(), message, "read {read:?}");
        }
    }
}

#[test]
fn no_read_can_panic() {
    // Every prefix of good codes, and a few hostile shapes.
    let seeds = [
        format!("]C1010950600013435217270228{GS}10LOT-7{GS}21S1{GS}3012"),
        "(01)09506000134352(17)270228(10)LOT-7".to_string(),
        "]E04006381333931".to_string(),
        format!("{GS}{GS}{GS}"),
        "(((".to_string(),
        "]d2".to_string(),
    ];
    for seed in &seeds {
        for end in 0..=seed.len() {
            if let Some(prefix) = seed.get(..end) {
                let _ = parse_read(prefix);
            }
        }
    }
}

proptest::proptest! {
    /// Any text at all gets a code or a typed error, never a panic.
    #[test]
    fn arbitrary_reads_never_panic(read in "\\PC{0,80}", gs1 in "[0-9\u{1d}()A-Z]{0,60}") {
        let _ = parse_read(&read);
        let _ = parse_read(&format!("]C1{gs1}"));
        let _ = parse_read(&gs1);
    }
}

#[test]
fn element_strings_refuse_non_ascii_before_splitting() {
    use protocol::barcode::parse_element_string;
    // A fixed-length AI split by bytes would land inside 'é' and panic.
    let got = parse_element_string("010950600013435é");
    assert_eq!(got, Err(BarcodeError::BadCharacter(15)));
    proptest::proptest!(|(s in "\\PC{0,40}")| {
        let _ = parse_element_string(&s);
        let _ = parse_element_string(&format!("01{s}"));
    });
}
