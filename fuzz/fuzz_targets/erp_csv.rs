//! ERP stock files (`sku,location,qty`): never panics; every line is either
//! a row or an error with its line number, never silently skipped.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let file = hub::erp::parse("fuzz", text);
    let lines = text.split('\n').count();
    for row in &file.rows {
        assert!(row.line >= 1 && row.line <= lines);
    }
    for e in &file.errors {
        assert!(e.line >= 1 && e.line <= lines);
    }
});
