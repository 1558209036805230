//! Barcode reads from the scanner (AIM id, GS1 element strings, EAN/UPC,
//! our LOC:/MODE: labels): never panics; a parsed GS1 read has a GTIN or SSCC.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = protocol::parse_read(text);
    if let Ok(gs1) = protocol::barcode::parse_element_string(text) {
        assert!(
            gs1.gtin.is_some()
                || gs1.sscc.is_some()
                || gs1.lot.is_some()
                || gs1.count.is_some()
                || gs1.expiry.is_some()
                || gs1.serial.is_some()
        );
    }
});
