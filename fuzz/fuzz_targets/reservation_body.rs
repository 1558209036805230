//! `POST /api/v1/reservations` bodies: never panics; whatever the API
//! accepts is a request that passes its own validation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::reservation_body(data));
