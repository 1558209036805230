//! The frame decoder: any bytes give a message or a typed error, and a
//! decoded message re-encodes to a frame that decodes to the same message.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::frame_decode(data));
