//! ERP stock files (`sku,location,qty`): never panics; every error names a
//! line of the file, and the reported errors stay within their cap.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let file = hub::reconcile::erp::parse("fuzz", text);
    let lines = text.split('\n').count();
    assert!(file.errors.len() <= hub::reconcile::erp::MAX_REPORTED_ERRORS);
    assert!(file.errors.len() <= file.error_lines);
    for e in &file.errors {
        assert!(e.line >= 1 && e.line <= lines);
    }
});
