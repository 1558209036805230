//! Scan lines typed or scanned by a picker: never panics; whatever parses
//! is a valid movement.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(draft) = agent::parse_scan_line(text, 0) {
        assert!(draft.validate().is_ok());
    }
});
