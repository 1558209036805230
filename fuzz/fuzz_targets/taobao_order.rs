//! `POST /api/v1/intake/taobao`: Taobao/Tmall trades (`taobao.trade.fullinfo.get`), through the check every
//! platform adapter's target runs (`platform_order` in `src/lib.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::taobao_order(data));
