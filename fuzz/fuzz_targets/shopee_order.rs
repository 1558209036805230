//! `POST /api/v1/intake/shopee`: Shopee v2 orders (`get_order_detail`), through the check every
//! platform adapter's target runs (`platform_order` in `src/lib.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::shopee_order(data));
