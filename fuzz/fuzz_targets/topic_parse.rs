//! Topic parsing: never panics, and whatever parses prints back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::topic_parse(data));
