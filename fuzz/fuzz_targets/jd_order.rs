//! `POST /api/v1/intake/jd`: JD POP orders (`jingdong.pop.order.get`), through the check every
//! platform adapter's target runs (`platform_order` in `src/lib.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::jd_order(data));
