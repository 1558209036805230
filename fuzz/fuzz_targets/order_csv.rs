//! `hub import orders FILE.csv`: any bytes give orders or line-numbered
//! rejections (or one file-level error), never a panic; every order keeps
//! the line number of its first row.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(orders) = hub::intake::csv::parse(data) {
        for order in orders {
            match order {
                hub::intake::csv::CsvOrder::Order { line, body } => {
                    assert!(line >= 2);
                    assert!(!body.lines.is_empty());
                }
                hub::intake::csv::CsvOrder::Rejected { line, .. } => assert!(line >= 2),
            }
        }
    }
});
