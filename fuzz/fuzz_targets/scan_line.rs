//! Scan lines typed or scanned by a picker: never panics; whatever parses
//! is a valid movement.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::scan_line(data));
