//! The ERP CSV parser: rows and errors by line, CSV quoting, CRLF and BOM,
//! the cap on kept errors, and sums that would overflow.

use super::*;

fn errors(file: &ErpFile) -> Vec<(usize, &str)> {
    file.errors
        .iter()
        .map(|e| (e.line, e.error.as_str()))
        .collect()
}

#[test]
fn rows_and_errors_by_line() {
    let text =
        "sku,location,qty\r\nA,L1,5\n\nB,L1,x\nC,L1\n\"D\",\"L2\",7\nA,L1,3\nE,L 1,2\nF,L1,-1\n";
    let file = parse("upload", text);
    assert_eq!(file.rows, 2);
    let totals: Vec<(&str, i64)> = file.totals.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    assert_eq!(totals, [("A", 5), ("D", 7)]);
    let want = [
        (4, "not a whole number"),
        (5, "expected 3 fields"),
        (7, "first on line 2"),
        (8, "location has a space"),
        (9, "negative"),
    ];
    let got = errors(&file);
    assert_eq!(got.len(), want.len(), "{got:?}");
    assert_eq!(file.error_lines, want.len());
    for ((line, error), (wline, wtext)) in got.iter().zip(want) {
        assert_eq!(*line, wline);
        assert!(error.contains(wtext), "line {line}: {error}");
    }
}

#[test]
fn quoted_fields_crlf_and_a_bom_are_csv() {
    let text = "\u{feff}sku,location,qty\r\n\"A\",\"L1\",\"5\"\r\nB,L1,2\r\n\"C,1\",L1,1\r\n";
    let file = parse("upload", text);
    assert_eq!(file.error_lines, 0, "{:?}", file.errors);
    assert_eq!(file.rows, 3);
    assert_eq!(file.totals.get("A"), Some(&5));
    assert_eq!(file.totals.get("B"), Some(&2));
    // "C,1" is one field (quoted), not two.
    assert_eq!(file.totals.get("C,1"), Some(&1));
}

#[test]
fn line_numbers_hold_with_and_without_a_final_line_break() {
    for text in [
        "\n\nA,L1,x\n\nB,L1,y",
        "\n\nA,L1,x\r\n\r\nB,L1,y\r\n",
        "\u{feff}\n\nA,L1,x\r\n\r\nB,L1,y\r\n",
        "\u{feff}sku,location,qty\n\nA,L1,x\nC,L1,1\nB,L1,y\n",
    ] {
        let file = parse("upload", text);
        let lines: Vec<usize> = errors(&file).iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 5], "{text:?}");
    }
}

#[test]
fn a_quoted_line_break_keeps_later_line_numbers_right() {
    let text = "\"A\nB\",L1,1\nC,L1,x\n";
    let file = parse("upload", text);
    let lines: Vec<usize> = errors(&file).iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [1, 3]);
}

#[test]
fn only_the_first_errors_are_kept_and_all_are_counted() {
    let mut text = String::new();
    for i in 0..5_000 {
        text.push_str(&format!("S{i},L1,nope\n"));
    }
    let file = parse("upload", &text);
    assert_eq!(file.errors.len(), MAX_REPORTED_ERRORS);
    assert_eq!(file.error_lines, 5_000);
    assert_eq!(file.errors[99].line, 100);
    assert_eq!(file.error_summary(), "the first 100 of 5,000 lines");
}

#[test]
fn a_sum_past_i64_max_is_an_error_on_its_line() {
    let text = format!("A,L1,{}\nA,L2,1\nB,L1,3\n", i64::MAX);
    let file = parse("upload", &text);
    let got = errors(&file);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 2);
    assert!(
        got[0].1.contains("past 9223372036854775807"),
        "{}",
        got[0].1
    );
    assert_eq!(file.totals.get("A"), Some(&i64::MAX));
    assert!(!file.is_usable());
}

#[test]
fn an_unreadable_file_is_one_error_on_line_0() {
    let file = read_file(std::path::Path::new("/nonexistent/erp.csv"));
    assert_eq!(file.error_lines, 1);
    assert_eq!(file.errors[0].line, 0);
}
