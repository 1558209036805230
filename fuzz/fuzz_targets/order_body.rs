//! `POST /api/v1/orders` bodies: parsing, checking and cleaning never
//! panic; an order the API accepts has checked ids, and whatever the
//! cleaner left standing is a listed reason, never a crash.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::order_body(data));
