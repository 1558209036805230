//! Scan-line parsing, table-driven: each input beside the draft or the
//! error it must give, garbage included.

use agent::scanline::{ScanLineError, MAX_SCAN_LINE};
use agent::{parse_scan_line, MovementDraft};
use proptest::prelude::*;
use protocol::{MovementKind, TaskRef, TaskRefError, ValidationError};

const T: u64 = 1_700_000_000_000;

fn draft(kind: MovementKind, sku: &str, loc: &str, qty: i64) -> MovementDraft {
    let mut d = MovementDraft::new(kind, sku, loc, qty);
    d.device_time_ms = T;
    d
}

fn with(
    mut d: MovementDraft,
    lot: Option<&str>,
    to: Option<&str>,
    task: Option<&str>,
) -> MovementDraft {
    d.lot = lot.map(str::to_string);
    d.to_location = to.map(str::to_string);
    d.task = task.map(str::to_string);
    d
}

#[test]
fn good_lines() {
    use MovementKind::*;
    let table: Vec<(&str, MovementDraft)> = vec![
        (
            "receive SKU-1 DOCK-1 10",
            draft(Receive, "SKU-1", "DOCK-1", 10),
        ),
        ("pick SKU-1 A-01 2", draft(Pick, "SKU-1", "A-01", 2)),
        ("PICK SKU-1 A-01 +2", draft(Pick, "SKU-1", "A-01", 2)),
        ("  pack\tSKU-1   P-1 1  ", draft(Pack, "SKU-1", "P-1", 1)),
        ("adjust SKU-1 A-01 -3", draft(Adjust, "SKU-1", "A-01", -3)),
        ("count SKU-1 A-01 0", draft(Count, "SKU-1", "A-01", 0)),
        (
            "move SKU-1 A-01 4 to=B-02",
            with(draft(Move, "SKU-1", "A-01", 4), None, Some("B-02"), None),
        ),
        (
            "putaway SKU-1 DOCK-1 4 task=T-9 lot=L1 to=R-3",
            with(
                draft(Putaway, "SKU-1", "DOCK-1", 4),
                Some("L1"),
                Some("R-3"),
                Some("T-9"),
            ),
        ),
        (
            "pick SKU-1 A-01 1 lot=L-2024.07",
            with(
                draft(Pick, "SKU-1", "A-01", 1),
                Some("L-2024.07"),
                None,
                None,
            ),
        ),
        ("receive S L 1000000", draft(Receive, "S", "L", 1_000_000)),
        // task= stays any id, on any kind, exactly as before line= existed.
        (
            "pick SKU-1 A-01 1 task=1042:03",
            with(draft(Pick, "SKU-1", "A-01", 1), None, None, Some("1042:03")),
        ),
        // line= names a line of the work queue: task = "{task}:{line}".
        (
            "pick SKU-1 A-01-02 3 line=1042:3",
            with(
                draft(Pick, "SKU-1", "A-01-02", 3),
                None,
                None,
                Some("1042:3"),
            ),
        ),
        (
            "count SKU-1 A-01 0 line=7:1 lot=L1",
            with(
                draft(Count, "SKU-1", "A-01", 0),
                Some("L1"),
                None,
                Some("7:1"),
            ),
        ),
        (
            "pack SKU-1 P-1 2 line=0:0",
            with(draft(Pack, "SKU-1", "P-1", 2), None, None, Some("0:0")),
        ),
        (
            "pick S L 1 line=18446744073709551615:4294967295",
            with(
                draft(Pick, "S", "L", 1),
                None,
                None,
                Some("18446744073709551615:4294967295"),
            ),
        ),
    ];
    for (line, want) in table {
        assert_eq!(parse_scan_line(line, T), Ok(want), "line {line:?}");
    }
}

fn bad_line(value: &str, reason: TaskRefError) -> ScanLineError {
    ScanLineError::BadTaskLine {
        value: value.into(),
        reason,
    }
}

fn bad_id(field: &'static str, problem: &'static str) -> ScanLineError {
    ScanLineError::Invalid(ValidationError::BadId { field, problem })
}

#[test]
fn bad_lines() {
    use ScanLineError::*;
    let long = format!("pick {} A 1", "S".repeat(MAX_SCAN_LINE));
    let long_sku = format!("pick {} A 1", "S".repeat(65));
    let table: Vec<(&str, ScanLineError)> = vec![
        ("", Empty),
        ("   ", Empty),
        ("fly SKU-1 A-01 1", UnknownKind("\"fly\"".into())),
        ("picks SKU-1 A-01 1", UnknownKind("\"picks\"".into())),
        ("pick", Missing("sku")),
        ("pick SKU-1", Missing("location")),
        ("pick SKU-1 A-01", Missing("quantity")),
        ("pick SKU-1 A-01 two", BadQuantity("\"two\"".into())),
        ("pick SKU-1 A-01 1.5", BadQuantity("\"1.5\"".into())),
        (
            "pick SKU-1 A-01 99999999999999999999",
            BadQuantity("\"99999999999999999999\"".into()),
        ),
        (
            "pick SKU-1 A-01 1 colour=red",
            UnknownKey("\"colour\"".into()),
        ),
        ("pick SKU-1 A-01 1 =x", UnknownKey("\"\"".into())),
        ("pick SKU-1 A-01 1 lot=A lot=B", DuplicateKey("lot")),
        ("move SKU-1 A-01 1 to=B to=C", DuplicateKey("to")),
        ("pick SKU-1 A-01 1 extra", Unexpected("\"extra\"".into())),
        (
            "pick SKU/1 A-01 1",
            bad_id("sku", "contains '/', '+' or '#'"),
        ),
        (
            "pick SKU-1 A+1 1",
            bad_id("location", "contains '/', '+' or '#'"),
        ),
        ("pick SKU-1 A-01 1 lot=", bad_id("lot", "is empty")),
        (
            "pick SKU-1 A-01 1 task=#7",
            bad_id("task", "contains '/', '+' or '#'"),
        ),
        (
            "pick SKÜ A-01 1",
            bad_id("sku", "has a space, control or non-ASCII character"),
        ),
        (
            "pick SKU\u{200b}1 A-01 1",
            bad_id("sku", "has a space, control or non-ASCII character"),
        ),
        (
            "pick S\u{1}K A-01 1",
            bad_id("sku", "has a space, control or non-ASCII character"),
        ),
        (&long_sku, bad_id("sku", "is longer than 64 bytes")),
        (
            "pick SKU-1 A-01 1 line=1042",
            bad_line("\"1042\"", TaskRefError::NoSeparator),
        ),
        (
            "pick SKU-1 A-01 1 line=1042:03",
            bad_line("\"1042:03\"", TaskRefError::NotCanonical("line")),
        ),
        (
            "pick SKU-1 A-01 1 line=+1:3",
            bad_line("\"+1:3\"", TaskRefError::NotCanonical("task")),
        ),
        (
            "pick SKU-1 A-01 1 line=1/3",
            bad_line("\"1/3\"", TaskRefError::NoSeparator),
        ),
        (
            "pick SKU-1 A-01 1 line=1:4294967296",
            bad_line("\"1:4294967296\"", TaskRefError::TooLarge("line")),
        ),
        (
            "pick SKU-1 A-01 1 line=",
            bad_line("\"\"", TaskRefError::NoSeparator),
        ),
        ("pick SKU-1 A-01 1 line=1:1 line=1:2", DuplicateKey("line")),
        ("pick SKU-1 A-01 1 line=1:1 task=T-9", TaskTwice),
        ("pick SKU-1 A-01 1 task=T-9 line=1:1", TaskTwice),
        ("receive SKU-1 A-01 1 line=1:1", LineNotForKind("receive")),
        ("move SKU-1 A-01 1 to=B line=1:1", LineNotForKind("move")),
        ("adjust SKU-1 A-01 -1 line=1:1", LineNotForKind("adjust")),
        (&long, TooLong(MAX_SCAN_LINE + 9)),
    ];
    for (line, want) in table {
        assert_eq!(parse_scan_line(line, T), Err(want), "line {line:?}");
    }
}

#[test]
fn protocol_rules_are_applied() {
    let cases = [
        (
            "pick SKU-1 A-01 0",
            "quantity 0 is not allowed for pick: must be greater than zero",
        ),
        (
            "adjust SKU-1 A-01 0",
            "quantity 0 is not allowed for adjust: an adjustment must not be zero",
        ),
        (
            "count SKU-1 A-01 -1",
            "quantity -1 is not allowed for count: a count must be zero or more",
        ),
        (
            "receive S L 1000001",
            "quantity 1000001 is not allowed for receive: magnitude above 1000000",
        ),
        ("move SKU-1 A-01 1", "move needs a destination location"),
        (
            "move SKU-1 A-01 1 to=A-01",
            "move destination equals the source location",
        ),
        (
            "pick SKU-1 A-01 1 to=B-02",
            "pick must not carry a destination location",
        ),
    ];
    for (line, message) in cases {
        let err = parse_scan_line(line, T).expect_err(line);
        assert!(matches!(err, ScanLineError::Invalid(_)), "{line}: {err:?}");
        assert_eq!(err.to_string(), message, "line {line:?}");
    }
}

#[test]
fn messages_are_one_escaped_line() {
    let err = parse_scan_line("p\u{7}ck\u{1b}[2J S L 1", T).expect_err("junk kind");
    let text = err.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(
        text.starts_with("unknown movement kind \"p\\u{7}ck\\u{1b}[2J\""),
        "{text}"
    );
    let err = parse_scan_line(&format!("{} S L 1", "x".repeat(200)), T).expect_err("long kind");
    assert!(err.to_string().len() < 200, "{err}");
}

proptest! {
    #[test]
    fn any_input_gives_a_valid_draft_or_an_error(line in "\\PC{0,200}") {
        if let Ok(d) = parse_scan_line(&line, T) {
            prop_assert!(d.validate().is_ok());
        }
    }

    #[test]
    fn binary_junk_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let line = String::from_utf8_lossy(&bytes);
        if let Err(e) = parse_scan_line(&line, T) {
            prop_assert!(!e.to_string().contains('\n'));
        }
    }

    #[test]
    fn any_task_line_is_carried_canonically_on_picks_and_counts(
        task in any::<u64>(),
        line in any::<u32>(),
        count in any::<bool>(),
    ) {
        let reference = TaskRef { task, line };
        let text = if count {
            format!("count SKU-1 A-01 5 line={reference}")
        } else {
            format!("pick SKU-1 A-01 5 line={reference}")
        };
        let d = parse_scan_line(&text, T).expect("valid line");
        let carried = d.task.expect("task");
        prop_assert_eq!(TaskRef::parse(&carried), Ok(reference));
        prop_assert_eq!(carried, reference.to_string());
    }

    #[test]
    fn formatted_valid_lines_round_trip(
        kind in prop::sample::select(vec!["receive", "pick", "pack"]),
        sku in "[A-Z0-9-]{1,64}",
        loc in "[A-Z0-9._-]{1,64}",
        qty in 1i64..=1_000_000,
    ) {
        let line = format!("{kind} {sku} {loc} {qty}");
        let d = parse_scan_line(&line, T).expect("valid line");
        prop_assert_eq!(d.sku, sku);
        prop_assert_eq!(d.location, loc);
        prop_assert_eq!(d.quantity, qty);
    }
}
