//! Barcode reads from the scanner (AIM id, GS1 element strings, EAN/UPC,
//! our LOC:/MODE: labels): never panics; a parsed GS1 read has a GTIN or SSCC.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::barcode(data));
