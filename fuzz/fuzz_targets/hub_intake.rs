//! The hub's intake of raw MQTT publishes: the first byte splits the input
//! into a topic and a payload. Never panics; an accepted batch is valid and
//! carries a tag that verifies under its registered device's key.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::hub_intake(data));
