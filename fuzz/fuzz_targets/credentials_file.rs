//! Device credentials files (`hub device add --out`), read by agents and
//! the fleet simulator: never panics; keys that parse round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::credentials_file(data));
